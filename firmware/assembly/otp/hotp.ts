// CONTRACT (helper A fills in).
/** RFC 4226 HOTP value (already reduced mod 10^digits), or a negative error. digits 6..9. */
export function hotpValue(alg: i32, key: usize, keyLen: u32, counter: u64, digits: i32): i32 {
  return -1; // STUB
}
