// CONTRACT (helper A fills in).
/** RFC 6238 time step T = floor(unixSec / period) (T0 = 0). */
export function timeStep(unixSec: u64, period: u32): u64 {
  return period == 0 ? 0 : unixSec / <u64>period;
}
/** RFC 6238 TOTP value (mod 10^digits) or a negative error. */
export function totpValue(alg: i32, key: usize, keyLen: u32, unixSec: u64, period: u32, digits: i32): i32 {
  return -1; // STUB
}
