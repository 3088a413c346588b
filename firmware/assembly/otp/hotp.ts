// RFC 4226 HOTP for SHA-1/256/512 MACs.
import { hmac } from "../crypto/hmac";
import { dynamicTruncate, pow10 } from "./digits";

export const OTP_ERR_ALG: i32 = -1; // unknown hash algorithm
export const OTP_ERR_DIGITS: i32 = -3; // digits outside 6..9
export const OTP_ERR_PERIOD: i32 = -4; // TOTP period 0

const MSG: usize = memory.data(8, 8);
const MAC: usize = memory.data(64, 16);

/** RFC 4226 HOTP value (already reduced mod 10^digits), or a negative error. digits 6..9. */
export function hotpValue(alg: i32, key: usize, keyLen: u32, counter: u64, digits: i32): i32 {
  if (digits < 6 || digits > 9) return OTP_ERR_DIGITS;
  store<u64>(MSG, bswap<u64>(counter));
  const n = hmac(alg, key, keyLen, MSG, 8, MAC);
  if (n < 0) return OTP_ERR_ALG;
  return <i32>(<u64>dynamicTruncate(MAC, <u32>n) % pow10(digits));
}
