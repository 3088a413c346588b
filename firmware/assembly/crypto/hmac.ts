// CONTRACT (helper A fills in).
/** HMAC (RFC 2104) over msg with key; writes the MAC to out; returns its length or -1. */
export function hmac(alg: i32, key: usize, keyLen: u32, msg: usize, msgLen: u32, out: usize): i32 {
  return -1; // STUB
}
