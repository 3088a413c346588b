// Private HOTP computation for the verifiers (RFC 4226 §5.3 dynamic truncation, any HMAC hash), on the
// SDK's crypto seam (node:crypto in Node, @noble in the browser) and the OTP module's truncation.
import { hmac } from "../platform/crypto.js";
import { counterBytes, nodeHash, truncate } from "../otp/hotp.js";
import type { OtpAlgorithm } from "./types.js";

/** The HOTP value of `counter` (a non-negative safe integer) as a zero-padded decimal string. */
export function oathCode(secret: Uint8Array, counter: number, algorithm: OtpAlgorithm, digits: number): string {
  return truncate(hmac(nodeHash(algorithm), secret, counterBytes(counter)), digits);
}
