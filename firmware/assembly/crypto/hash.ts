// Hash algorithm identifiers shared by HMAC, OTP and the service protocol.
// CONTRACT (helper A fills in): hash() dispatches to sha1/sha256/sha512.
export const ALG_SHA1: i32 = 1;
export const ALG_SHA256: i32 = 2;
export const ALG_SHA512: i32 = 3;

/** Digest length in bytes, or 0 for an unknown algorithm. */
export function digestLen(alg: i32): i32 {
  if (alg == ALG_SHA1) return 20;
  if (alg == ALG_SHA256) return 32;
  if (alg == ALG_SHA512) return 64;
  return 0;
}

/** Block length in bytes, or 0 for an unknown algorithm. */
export function blockLen(alg: i32): i32 {
  if (alg == ALG_SHA1 || alg == ALG_SHA256) return 64;
  if (alg == ALG_SHA512) return 128;
  return 0;
}

/** Hashes len bytes at msg into out; returns the digest length, or -1 for an unknown alg. */
export function hash(alg: i32, msg: usize, len: u32, out: usize): i32 {
  return -1; // STUB
}
