// RFC 6238 TOTP: HOTP over the 64-bit time step T = floor(unixSec / period), T0 = 0.
import { hotpValue, OTP_ERR_PERIOD } from "./hotp";

/** RFC 6238 time step T = floor(unixSec / period) (T0 = 0). */
export function timeStep(unixSec: u64, period: u32): u64 {
  return period == 0 ? 0 : unixSec / <u64>period;
}

/** RFC 6238 TOTP value (mod 10^digits) or a negative error (period 0 → OTP_ERR_PERIOD). */
export function totpValue(alg: i32, key: usize, keyLen: u32, unixSec: u64, period: u32, digits: i32): i32 {
  if (period == 0) return OTP_ERR_PERIOD;
  return hotpValue(alg, key, keyLen, unixSec / <u64>period, digits);
}
