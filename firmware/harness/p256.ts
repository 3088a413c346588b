// Test harness for P-256 (field, scalar, point, ECDSA, ECDH) and HMAC-DRBG.
// Every pointer must lie inside the exchange buffer (io_ptr/io_size); -100 otherwise.
export { io_ptr, io_size, boot, button, uart_rx, tick } from "../assembly/main";
import { inIo } from "../assembly/io";
import { p256Sign, p256Verify } from "../assembly/crypto/p256/ecdsa";
import { p256PublicKey, p256Ecdh, p256ValidatePoint, p256ValidPrivate } from "../assembly/crypto/p256/ecdh";
import {
  feMul, feSqr, feAdd, feSub, feInv, feFromBytes, feToBytes, limbsFromBytes, limbsToBytes, limbsLtMask,
} from "../assembly/crypto/p256/field";
import { scMul, scSqr, scAdd, scSub, scInv, scToMont, scFromMont, SC_N } from "../assembly/crypto/p256/scalar";
import {
  JAC_SIZE, AFF_SIZE, scalarMul, scalarMulBase, toAffineBytes, decodePoint, pointAdd, pointDouble, p256Ready, fromAffine,
} from "../assembly/crypto/p256/point";
import { drbgInstantiate, drbgReseed, drbgGenerate, DRBG_STATE_SIZE } from "../assembly/crypto/drbg";

const ERR_PTR: i32 = -100;
const A: usize = memory.data(36, 16);
const B: usize = memory.data(36, 16);
const R: usize = memory.data(36, 16);
const PA: usize = memory.data(<i32>AFF_SIZE, 16);
const PJ: usize = memory.data(2 * 108, 16);
const DRBG: usize = memory.data(<i32>DRBG_STATE_SIZE, 16);


// ---- public API ----
export function p256_public_key(priv: usize, out: usize): i32 {
  if (!inIo(priv, 32) || !inIo(out, 64)) return ERR_PTR;
  return p256PublicKey(priv, out);
}
export function p256_sign(priv: usize, digest: usize, out: usize): i32 {
  if (!inIo(priv, 32) || !inIo(digest, 32) || !inIo(out, 64)) return ERR_PTR;
  return p256Sign(priv, digest, out);
}
export function p256_verify(pub: usize, digest: usize, sig: usize): i32 {
  if (!inIo(pub, 64) || !inIo(digest, 32) || !inIo(sig, 64)) return ERR_PTR;
  return p256Verify(pub, digest, sig);
}
export function p256_ecdh(priv: usize, peer: usize, out: usize): i32 {
  if (!inIo(priv, 32) || !inIo(peer, 64) || !inIo(out, 32)) return ERR_PTR;
  return p256Ecdh(priv, peer, out);
}
export function p256_validate(xy: usize): i32 {
  if (!inIo(xy, 64)) return ERR_PTR;
  return p256ValidatePoint(xy) ? 1 : 0;
}
export function p256_valid_private(priv: usize): i32 {
  if (!inIo(priv, 32)) return ERR_PTR;
  return p256ValidPrivate(priv) ? 1 : 0;
}
/** n signatures in a loop (benchmark without per-call host overhead). */
export function p256_sign_loop(priv: usize, digest: usize, out: usize, n: u32): i32 {
  if (!inIo(priv, 32) || !inIo(digest, 32) || !inIo(out, 64)) return ERR_PTR;
  let rc: i32 = 0;
  for (let i: u32 = 0; i < n; i++) rc |= p256Sign(priv, digest, out);
  return rc;
}
export function p256_ready(): void {
  p256Ready();
}

// ---- internals: operands are 32-byte big-endian integers ----
/** Field op on a, b (< p): 0 mul, 1 sqr(a), 2 add, 3 sub, 4 inv(a). -1 when an input is ≥ p. */
export function fe_op(op: i32, a: usize, b: usize, out: usize): i32 {
  if (!inIo(a, 32) || !inIo(b, 32) || !inIo(out, 32)) return ERR_PTR;
  if (!feFromBytes(A, a) || !feFromBytes(B, b)) return -1;
  if (op == 0) feMul(R, A, B);
  else if (op == 1) feSqr(R, A);
  else if (op == 2) feAdd(R, A, B);
  else if (op == 3) feSub(R, A, B);
  else if (op == 4) feInv(R, A);
  else return -2;
  feToBytes(out, R);
  return 0;
}
/** Scalar op on a, b (< n): 0 mul, 1 sqr(a), 2 add, 3 sub, 4 inv(a). -1 when an input is ≥ n. */
export function sc_op(op: i32, a: usize, b: usize, out: usize): i32 {
  if (!inIo(a, 32) || !inIo(b, 32) || !inIo(out, 32)) return ERR_PTR;
  limbsFromBytes(A, a);
  limbsFromBytes(B, b);
  if (limbsLtMask(A, SC_N) == 0 || limbsLtMask(B, SC_N) == 0) return -1;
  scToMont(A, A);
  scToMont(B, B);
  if (op == 0) scMul(R, A, B);
  else if (op == 1) scSqr(R, A);
  else if (op == 2) scAdd(R, A, B);
  else if (op == 3) scSub(R, A, B);
  else if (op == 4) scInv(R, A);
  else return -2;
  scFromMont(R, R);
  limbsToBytes(out, R);
  return 0;
}
/** out = k·P (variable base, k ∈ [1, n−1]). 0, -1 infinity, -2 invalid point, -3 bad k. */
export function point_mul(k: usize, p: usize, out: usize): i32 {
  if (!inIo(k, 32) || !inIo(p, 64) || !inIo(out, 64)) return ERR_PTR;
  if (!p256ValidPrivate(k)) return -3;
  if (!decodePoint(PA, p)) return -2;
  scalarMul(PJ, k, PA);
  return toAffineBytes(out, PJ) ? 0 : -1;
}
/** out = k·G for any 32-byte k (fixed base). 0 or -1 for infinity. */
export function base_mul(k: usize, out: usize): i32 {
  if (!inIo(k, 32) || !inIo(out, 64)) return ERR_PTR;
  scalarMulBase(PJ, k);
  return toAffineBytes(out, PJ) ? 0 : -1;
}
/** out = P + Q (complete addition), or 2P when dbl != 0. 0, -1 infinity, -2 invalid point. */
export function point_add(p: usize, q: usize, dbl: i32, out: usize): i32 {
  if (!inIo(p, 64) || !inIo(q, 64) || !inIo(out, 64)) return ERR_PTR;
  if (!decodePoint(PA, p)) return -2;
  fromAffine(PJ, PA);
  if (dbl != 0) {
    pointDouble(PJ, PJ);
  } else {
    if (!decodePoint(PA, q)) return -2;
    fromAffine(PJ + JAC_SIZE, PA);
    pointAdd(PJ, PJ, PJ + JAC_SIZE, 0, true);
  }
  return toAffineBytes(out, PJ) ? 0 : -1;
}

// ---- HMAC-DRBG (one instance held by the harness) ----
export function drbg_instantiate(ent: usize, entLen: u32, nonce: usize, nonceLen: u32, pers: usize, persLen: u32): i32 {
  if (!inIo(ent, entLen) || !inIo(nonce, nonceLen) || !inIo(pers, persLen)) return ERR_PTR;
  return drbgInstantiate(DRBG, ent, entLen, nonce, nonceLen, pers, persLen);
}
export function drbg_reseed(ent: usize, entLen: u32, add: usize, addLen: u32): i32 {
  if (!inIo(ent, entLen) || !inIo(add, addLen)) return ERR_PTR;
  return drbgReseed(DRBG, ent, entLen, add, addLen);
}
export function drbg_generate(out: usize, outLen: u32, add: usize, addLen: u32): i32 {
  if (!inIo(out, outLen) || !inIo(add, addLen)) return ERR_PTR;
  return drbgGenerate(DRBG, out, outLen, add, addLen);
}
