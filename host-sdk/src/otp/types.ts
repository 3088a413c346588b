/** HMAC hash of an OTP: the names used by RFC 6238, otpauth URIs and PSKC. */
export type OtpAlgorithm = "SHA1" | "SHA256" | "SHA512";

export const OTP_ALGORITHMS: readonly OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];

/** Accepts "SHA1", "sha-256", "SHA512"...; undefined for anything else. */
export function parseAlgorithm(s: string): OtpAlgorithm | undefined {
  const u = s.toUpperCase().replace(/[-_]/g, "");
  return u === "SHA1" || u === "SHA256" || u === "SHA512" ? u : undefined;
}
