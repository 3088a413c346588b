// P-256 scalars: integers mod the group order
// n = ffffffff 00000000 ffffffff ffffffff bce6faad a7179e84 f3b9cac2 fc632551.
// Same representation as field.ts (9 × 29-bit limbs, Montgomery form R = 2^261, fully reduced).
// Constant time: no branch or memory index depends on scalar values.
import { scMul, scSqr, scAdd, scSub, scWipe, SC_N_LIMBS } from "./arith";
import { limbsFromBytes, limbsToBytes, limbsLtMask, limbsZeroMask, limbsCmov, LIMBS_ONE, LIMBS_ZERO } from "./field";
export { scMul, scSqr, scAdd, scSub, scWipe };

/** n as limbs (one copy, shared with the generated add/sub in arith.ts). */
export const SC_N: usize = SC_N_LIMBS;
/** (n − 1) / 2 as limbs: the largest "low" s. */
export const SC_HALF_N: usize = memory.data<u32>([506565288, 250030859, 49533086, 117091751, 536870375, 536870911, 131071, 535822336, 8388607]);
/** R² mod n. */
const SC_R2: usize = memory.data<u32>([344825589, 256802677, 348563025, 66631525, 374890993, 307681240, 471358243, 223128335, 8697429]);

// n − 2, as 64 nibbles from the most significant.
const N_MINUS_2: usize = memory.data<u8>([
  0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0, 0, 0, 0, 0, 0, 0, 0,
  0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf, 0xf,
  0xb, 0xc, 0xe, 0x6, 0xf, 0xa, 0xa, 0xd, 0xa, 0x7, 0x1, 0x7, 0x9, 0xe, 0x8, 0x4,
  0xf, 0x3, 0xb, 0x9, 0xc, 0xa, 0xc, 0x2, 0xf, 0xc, 0x6, 0x3, 0x2, 0x5, 0x4, 0xf,
]);

const POW: usize = memory.data(36 * 16, 16); // a^0 … a^15 for the inversion window
const T: usize = memory.data(36, 16);

/** Plain limbs (value < 2^256) → Montgomery form mod n (reduces mod n on the way). */
export function scToMont(r: usize, a: usize): void {
  scMul(r, a, SC_R2);
}

/** Montgomery form → canonical plain limbs (< n). */
export function scFromMont(r: usize, a: usize): void {
  scMul(r, a, LIMBS_ONE);
}

/** All-ones when the 32 big-endian bytes at src encode a scalar in [1, n−1]; leaves the limbs in r. */
export function scFromBytesCheck(r: usize, src: usize): u32 {
  limbsFromBytes(r, src);
  return limbsLtMask(r, SC_N) & ~limbsZeroMask(r);
}

/** Plain limbs (< 2n) reduced mod n: r = a mod n. */
export function scReduceOnce(r: usize, a: usize): void {
  scAdd(r, a, LIMBS_ZERO);
}

/** r = a⁻¹ mod n for a in Montgomery form (result in Montgomery form; 0 ↦ 0). Fermat: a^(n−2),
 * fixed 4-bit windows over the public exponent. */
export function scInv(r: usize, a: usize): void {
  // a^0 = 1 in Montgomery form = R mod n: computed as toMont(1).
  scMul(POW, LIMBS_ONE, SC_R2);
  memory.copy(POW + 36, a, 36);
  for (let i: usize = 2; i < 16; i++) scMul(POW + 36 * i, POW + 36 * (i - 1), a);
  memory.copy(T, POW + 36 * <usize>load<u8>(N_MINUS_2), 36);
  for (let i: usize = 1; i < 64; i++) {
    scSqr(T, T); scSqr(T, T); scSqr(T, T); scSqr(T, T);
    const nib = <usize>load<u8>(N_MINUS_2 + i); // public exponent: branch and index are fine
    if (nib != 0) scMul(T, T, POW + 36 * nib);
  }
  memory.copy(r, T, 36);
  memory.fill(POW, 0, 36 * 16);
  memory.fill(T, 0, 36); // a⁻¹: after signing, k⁻¹ (with one signature it gives the private key)
}

export { limbsFromBytes as scLimbsFromBytes, limbsToBytes as scLimbsToBytes, limbsCmov as scCmov };
