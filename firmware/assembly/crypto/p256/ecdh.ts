// P-256 key derivation and ECDH (SP 800-56A shared secret Z = x coordinate of d·Q).
// Keys: private = 32 big-endian bytes in [1, n−1]; public = x ‖ y, 64 big-endian bytes.
import { JAC_SIZE, AFF_SIZE, scalarMulBase, scalarMul, toAffineBytes, decodePoint, affineX, pointWipe } from "./point";
import { scFromBytesCheck } from "./scalar";
import { feToBytes } from "./field";
import { P256_OK, P256_ERR_PRIVATE, P256_ERR_POINT, P256_ERR_INTERNAL } from "./ecdsa";

const PJ: usize = memory.data(<i32>JAC_SIZE, 16);
const PA: usize = memory.data(<i32>AFF_SIZE, 16);
const L: usize = memory.data(36, 16);
const X: usize = memory.data(36, 16);

/** Public key x ‖ y (64 bytes) of the private key priv. Returns 0 or P256_ERR_PRIVATE. */
export function p256PublicKey(priv: usize, outXY: usize): i32 {
  const ok = scFromBytesCheck(L, priv);
  memory.fill(L, 0, 36);
  if (ok == 0) return P256_ERR_PRIVATE;
  scalarMulBase(PJ, priv);
  const done = toAffineBytes(outXY, PJ);
  memory.fill(PJ, 0, JAC_SIZE);
  pointWipe();
  return done ? P256_OK : P256_ERR_INTERNAL;
}

/** Shared secret: the x coordinate (32 bytes) of priv·peer. Returns 0, P256_ERR_PRIVATE or
 * P256_ERR_POINT (peer not a valid point: coordinate ≥ p, off the curve, or (0, 0)). */
export function p256Ecdh(priv: usize, peerXY: usize, outX: usize): i32 {
  const ok = scFromBytesCheck(L, priv);
  memory.fill(L, 0, 36);
  if (ok == 0) return P256_ERR_PRIVATE;
  if (!decodePoint(PA, peerXY)) return P256_ERR_POINT;
  scalarMul(PJ, priv, PA);
  const done = affineX(X, PJ); // priv ∈ [1, n−1] and peer of order n ⇒ never infinity
  if (done) feToBytes(outX, X);
  memory.fill(PJ, 0, JAC_SIZE);
  memory.fill(X, 0, 36);
  pointWipe();
  return done ? P256_OK : P256_ERR_INTERNAL;
}

/** True when x ‖ y (64 bytes) is a point on P-256 with both coordinates < p. */
export function p256ValidatePoint(xy: usize): bool {
  return decodePoint(PA, xy);
}

/** True when priv (32 bytes) is a valid private scalar, 1 ≤ priv ≤ n − 1. */
export function p256ValidPrivate(priv: usize): bool {
  const ok = scFromBytesCheck(L, priv);
  memory.fill(L, 0, 36);
  return ok != 0;
}
