// ECDSA over P-256 (FIPS 186-5 §6.4) with deterministic nonces (RFC 6979 §3.2, HMAC-SHA-256)
// and low-S normalisation (s ≤ (n−1)/2). Inputs and outputs are 32-byte big-endian buffers;
// the caller hashes the message (SHA-256 gives a 32-byte digest, used as is: bits2int is the
// identity for qlen = hlen = 256).
import { hmacInit, hmacUpdate, hmacFinal, HMAC_CTX_SIZE } from "../hmac";
import { ALG_SHA256 } from "../hash";
import { limbsFromBytes, limbsToBytes, limbsLtMask, limbsZeroMask, limbsCmov, feFromMont, LIMBS_ZERO } from "./field";
import { SC_HALF_N, scMul, scAdd, scSub, scToMont, scFromMont, scFromBytesCheck, scReduceOnce, scInv, scWipe } from "./scalar";
import {
  JAC_SIZE, AFF_SIZE, scalarMulBase, scalarMul, pointAdd, affineX, decodePoint, pointWipe,
} from "./point";

export const P256_OK: i32 = 0;
/** Private scalar 0 or ≥ n. */
export const P256_ERR_PRIVATE: i32 = -1;
/** Public point malformed: a coordinate ≥ p or not on the curve. */
export const P256_ERR_POINT: i32 = -2;
/** The MAC failed, or no nonce was found (cannot happen with a working HMAC). */
export const P256_ERR_INTERNAL: i32 = -3;

const HCTX: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const K: usize = memory.data(32, 16); // RFC 6979 K
const V: usize = memory.data(32, 16); // RFC 6979 V
const ZB: usize = memory.data(32, 16); // bits2octets(h1)
const BYTE: usize = memory.data(4, 16);
const S: usize = memory.data(36 * 10, 16);
const D = S; // private scalar, plain limbs
const Z = S + 36; // digest mod n, plain
const KL = S + 72; // nonce, plain
const RL = S + 108; // r, plain
const SL = S + 144; // s, plain
const T0 = S + 180;
const T1 = S + 216;
const T2 = S + 252;
const T3 = S + 288;
const T4 = S + 324;
const PT: usize = memory.data(2 * 108, 16);
const QA: usize = memory.data(<i32>AFF_SIZE, 16);
const UB: usize = memory.data(64, 16);

/** K = HMAC_K(V ‖ [sep] ‖ [x ‖ h]); sep < 0 means V only (then the result goes to V). */
function mac(out: usize, sep: i32, priv: usize): bool {
  if (hmacInit(HCTX, ALG_SHA256, K, 32) < 0) return false;
  hmacUpdate(HCTX, V, 32);
  if (sep >= 0) {
    store<u8>(BYTE, <u8>sep);
    hmacUpdate(HCTX, BYTE, 1);
    if (priv != 0) {
      hmacUpdate(HCTX, priv, 32);
      hmacUpdate(HCTX, ZB, 32);
    }
  }
  return hmacFinal(HCTX, out) == 32;
}

function wipe(): void {
  memory.fill(K, 0, 32);
  memory.fill(V, 0, 32);
  memory.fill(S, 0, 36 * 10);
  memory.fill(HCTX, 0, HMAC_CTX_SIZE);
  memory.fill(PT, 0, 2 * JAC_SIZE);
  pointWipe(); // k·G's coordinates and the scalar-multiplication temporaries
  scWipe(); // products of d, k and k⁻¹
}

/** Signs a 32-byte digest with the private key priv (32 bytes, big-endian), writing r ‖ s
 * (64 bytes) to out. RFC 6979 nonce, low S. Returns 0, P256_ERR_PRIVATE or P256_ERR_INTERNAL. */
export function p256Sign(priv: usize, digest: usize, out: usize): i32 {
  if (scFromBytesCheck(D, priv) == 0) return P256_ERR_PRIVATE;
  limbsFromBytes(Z, digest);
  scReduceOnce(Z, Z); // bits2int(h1) mod n  (< 2^256 < 2n)
  limbsToBytes(ZB, Z);
  memory.fill(V, 0x01, 32);
  memory.fill(K, 0x00, 32);
  if (!mac(K, 0, priv) || !mac(V, -1, 0) || !mac(K, 1, priv) || !mac(V, -1, 0)) { wipe(); return P256_ERR_INTERNAL; }
  for (let attempt = 0; attempt < 64; attempt++) {
    if (!mac(V, -1, 0)) break; // T = V = HMAC_K(V); qlen = hlen, one block
    // A rejected candidate (k = 0 or k ≥ n, probability < 2^-32) costs one more round; the
    // branch reveals only that this candidate was discarded.
    if (scFromBytesCheck(KL, V) != 0) {
      scalarMulBase(PT, V);
      affineX(T0, PT); // k ∈ [1, n−1] ⇒ not infinity
      feFromMont(T0, T0);
      scReduceOnce(RL, T0); // r = x mod n  (x < p < 2n)
      if (limbsZeroMask(RL) == 0) {
        scToMont(T0, RL);
        scToMont(T1, D);
        scMul(T0, T0, T1); // r·d
        scToMont(T1, Z);
        scAdd(T0, T0, T1); // z + r·d
        scToMont(T2, KL);
        scInv(T2, T2); // k⁻¹
        scMul(T0, T0, T2);
        scFromMont(SL, T0);
        if (limbsZeroMask(SL) == 0) {
          scSub(T3, LIMBS_ZERO, SL); // n − s
          limbsCmov(SL, T3, limbsLtMask(SC_HALF_N, SL)); // s > (n−1)/2 ⇒ n − s
          limbsToBytes(out, RL);
          limbsToBytes(out + 32, SL);
          wipe();
          return P256_OK;
        }
      }
    }
    if (!mac(K, 0, 0) || !mac(V, -1, 0)) break;
  }
  wipe();
  return P256_ERR_INTERNAL;
}

/** Verifies r ‖ s (64 bytes) over a 32-byte digest with the public key x ‖ y (64 bytes).
 * Returns 1 (valid), 0 (invalid, including r or s outside [1, n−1]) or P256_ERR_POINT.
 * Accepts both high and low s. Works on public data only. */
export function p256Verify(pub: usize, digest: usize, sig: usize): i32 {
  if (!decodePoint(QA, pub)) return P256_ERR_POINT;
  if (scFromBytesCheck(RL, sig) == 0 || scFromBytesCheck(SL, sig + 32) == 0) return 0;
  limbsFromBytes(Z, digest);
  scToMont(T0, SL);
  scInv(T0, T0); // w = s⁻¹ (Montgomery)
  scToMont(T1, Z);
  scMul(T1, T1, T0);
  scFromMont(T1, T1); // u1 = z·w
  scToMont(T2, RL);
  scMul(T2, T2, T0);
  scFromMont(T2, T2); // u2 = r·w ∈ [1, n−1]
  limbsToBytes(UB, T1);
  limbsToBytes(UB + 32, T2);
  scalarMulBase(PT, UB);
  scalarMul(PT + JAC_SIZE, UB + 32, QA);
  pointAdd(PT, PT, PT + JAC_SIZE, 0, true);
  if (!affineX(T3, PT)) return 0;
  feFromMont(T3, T3);
  scReduceOnce(T4, T3);
  return limbsEqMaskBytes(T4, RL) ? 1 : 0;
}

function limbsEqMaskBytes(a: usize, b: usize): bool {
  let x: u32 = 0;
  for (let i: usize = 0; i < 36; i += 4) x |= load<u32>(a + i) ^ load<u32>(b + i);
  return x == 0;
}

export { decodePoint };
