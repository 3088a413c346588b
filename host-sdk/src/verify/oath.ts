// Private HOTP computation for the verifiers (RFC 4226 §5.3 dynamic truncation, any HMAC hash), on the
// SDK's crypto seam (node:crypto in Node, @noble in the browser) and the OTP module's truncation.
import { hmac } from "../platform/crypto.js";
import { nodeHash, truncate } from "../otp/hotp.js";
import type { OtpAlgorithm } from "./types.js";

/** The HOTP value of `counter` (a non-negative safe integer) as a zero-padded decimal string. */
export function oathCode(secret: Uint8Array, counter: number, algorithm: OtpAlgorithm, digits: number): string {
  // 8 bytes big-endian; the verifier's counters are safe integers (no BigInt on this hot path).
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(4, counter >>> 0);
  return truncate(hmac(nodeHash(algorithm), secret, msg), digits);
}
