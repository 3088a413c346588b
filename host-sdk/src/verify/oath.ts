// Private HOTP computation for the verifiers (RFC 4226 §5.3 dynamic truncation, any HMAC hash).
import { createHmac } from "node:crypto";
import type { OtpAlgorithm } from "./types.js";

const HASH: Record<OtpAlgorithm, string> = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" };
const TWO_32 = 0x1_0000_0000;

/** The HOTP value of `counter` (a non-negative safe integer) as a zero-padded decimal string. */
export function oathCode(secret: Uint8Array, counter: number, algorithm: OtpAlgorithm, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(counter / TWO_32), 0);
  msg.writeUInt32BE(counter % TWO_32, 4);
  const mac = createHmac(HASH[algorithm], secret).update(msg).digest();
  const o = mac[mac.length - 1]! & 0x0f; // offset from the LAST byte, not byte 19
  const bin = ((mac[o]! & 0x7f) * 0x100_0000) + (mac[o + 1]! << 16) + (mac[o + 2]! << 8) + mac[o + 3]!;
  return (bin % 10 ** digits).toString().padStart(digits, "0");
}
