// P-256 group: y² = x³ − 3x + b over GF(p). Jacobian coordinates (X, Y, Z) ↦ (X/Z², Y/Z³),
// infinity = any point with Z = 0. Field elements in Montgomery form (field.ts).
//
// Layout: a Jacobian point is 3 field elements (108 bytes: X +0, Y +36, Z +72); an affine point
// is 2 (72 bytes: x +0, y +36).
//
// Constant time: scalar multiplications recode the scalar into signed 4-bit Booth digits and
// read every table entry on every lookup (masks, no secret-dependent index or branch); the
// exceptional cases of the addition formulas (an input at infinity, a zero digit, equal inputs)
// are resolved with masks too.
import {
  FE_SIZE, FE_ONE, LIMBS_ZERO, feMul, feSqr, feAdd, feSub, feInv, feNeg, feFromBytes, feToBytes,
  limbsZeroMask, limbsEqMask, limbsCmov, limbsCopy, feWipe,
} from "./field";

export const JAC_SIZE: usize = 108;
export const AFF_SIZE: usize = 72;
const X_: usize = 0;
const Y_: usize = 36;
const Z_: usize = 72;

// curve constants (big-endian), converted to Montgomery form by p256Ready()
const B_BYTES: usize = memory.data<u8>([
  0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
  0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b,
]);
const G_BYTES: usize = memory.data<u8>([
  0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
  0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
  0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
  0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
]);
const CURVE_B: usize = memory.data(36, 16);
const G_AFF: usize = memory.data(<i32>AFF_SIZE, 16);

// Fixed-base table: row r (0..31) holds m·256^r·G for m = 1..8 (affine), row 32 holds 2^256·G.
const ROWS: i32 = 32;
const ROW_SIZE: usize = 8 * AFF_SIZE;
const BASE_TABLE: usize = memory.data(32 * 8 * 72 + 72, 16);
let ready: bool = false;

// scratch
const F: usize = memory.data(36 * 16, 16);
const F0: usize = F;
const F1: usize = F + 36;
const F2: usize = F + 72;
const F3: usize = F + 108;
const F4: usize = F + 144;
const F5: usize = F + 180;
const F6: usize = F + 216;
const F7: usize = F + 252;
const F8: usize = F + 288;
const F9: usize = F + 324;
const F10: usize = F + 360;
const F11: usize = F + 396;
const DBL: usize = memory.data(<i32>JAC_SIZE, 16); // doubling result inside the complete addition
const Q_AFF: usize = memory.data(<i32>AFF_SIZE, 16); // looked-up affine point
const Q_JAC: usize = memory.data(<i32>JAC_SIZE, 16); // looked-up Jacobian point
const ACC: usize = memory.data(<i32>JAC_SIZE, 16);
const VTAB: usize = memory.data(8 * 108, 16); // m·P, m = 1..8, variable base
const ZPRE: usize = memory.data(36 * 8, 16); // batch inversion prefix products
const KW: usize = memory.data(36, 16); // scalar as 8 little-endian u32 words + a zero guard

// ---------------------------------------------------------------- helpers

/** All-ones when x == y (small unsigned values). */
@inline function eqMask(x: u32, y: u32): u32 {
  return <u32>(<i32>((<u64>(x ^ y) - 1) >> 63) * -1);
}

export function setInfinity(p: usize): void {
  limbsCopy(p + X_, FE_ONE);
  limbsCopy(p + Y_, FE_ONE);
  limbsCopy(p + Z_, LIMBS_ZERO);
}

export function isInfinityMask(p: usize): u32 {
  return limbsZeroMask(p + Z_);
}

/** r = P (Jacobian) for an affine P. */
export function fromAffine(r: usize, a: usize): void {
  limbsCopy(r + X_, a + X_);
  limbsCopy(r + Y_, a + Y_);
  limbsCopy(r + Z_, FE_ONE);
}

// ---------------------------------------------------------------- formulas

/** r = 2P (dbl-2001-b, a = −3: 3M + 5S). Infinity maps to infinity. r may alias p. */
export function pointDouble(r: usize, p: usize): void {
  const delta = F0, gamma = F1, beta = F2, alpha = F3, t = F4, u = F5;
  feSqr(delta, p + Z_);
  feSqr(gamma, p + Y_);
  feMul(beta, p + X_, gamma);
  feSub(t, p + X_, delta);
  feAdd(u, p + X_, delta);
  feMul(alpha, t, u);
  feAdd(t, alpha, alpha);
  feAdd(alpha, t, alpha); // 3(X − δ)(X + δ)
  feAdd(u, p + Y_, p + Z_);
  feSqr(u, u);
  feSub(u, u, gamma);
  feSub(r + Z_, u, delta); // Z3 = (Y + Z)² − γ − δ
  feAdd(beta, beta, beta);
  feAdd(beta, beta, beta); // 4β
  feSqr(t, alpha);
  feAdd(u, beta, beta);
  feSub(r + X_, t, u); // X3 = α² − 8β
  feSub(beta, beta, r + X_);
  feMul(beta, beta, alpha);
  feSqr(gamma, gamma);
  feAdd(gamma, gamma, gamma);
  feAdd(gamma, gamma, gamma);
  feAdd(gamma, gamma, gamma); // 8γ²
  feSub(r + Y_, beta, gamma); // Y3 = α(4β − X3) − 8γ²
}

/** r = P + Q with Q affine (madd-2007-bl: 7M + 4S). qInf (all-ones) means Q is the point at
 * infinity. P at infinity is handled; P = Q is NOT (callers guarantee it cannot happen).
 * r may alias p. */
export function pointAddMixed(r: usize, p: usize, q: usize, qInf: u32): void {
  const z1z1 = F0, u2 = F1, s2 = F2, h = F3, hh = F4, i = F5, j = F6, rr = F7, v = F8, t = F9;
  const x3 = F10, y3 = F11;
  const pInf = limbsZeroMask(p + Z_);
  feSqr(z1z1, p + Z_);
  feMul(u2, q + X_, z1z1);
  feMul(s2, q + Y_, p + Z_);
  feMul(s2, s2, z1z1);
  feSub(h, u2, p + X_);
  feSqr(hh, h);
  feAdd(i, hh, hh);
  feAdd(i, i, i);
  feMul(j, h, i);
  feSub(rr, s2, p + Y_);
  feAdd(rr, rr, rr);
  feMul(v, p + X_, i);
  feSqr(x3, rr);
  feSub(x3, x3, j);
  feSub(x3, x3, v);
  feSub(x3, x3, v); // X3 = r² − J − 2V
  feSub(t, v, x3);
  feMul(t, t, rr);
  feMul(y3, p + Y_, j);
  feAdd(y3, y3, y3);
  feSub(y3, t, y3); // Y3 = r(V − X3) − 2·Y1·J
  feAdd(t, p + Z_, h);
  feSqr(t, t);
  feSub(t, t, z1z1);
  feSub(t, t, hh); // Z3 = (Z1 + H)² − Z1Z1 − HH
  // P at infinity → Q; Q at infinity → P (when both: P, which is infinity).
  limbsCmov(x3, q + X_, pInf);
  limbsCmov(y3, q + Y_, pInf);
  limbsCmov(t, FE_ONE, pInf);
  const keep = qInf;
  limbsCmov(x3, p + X_, keep);
  limbsCmov(y3, p + Y_, keep);
  limbsCmov(t, p + Z_, keep);
  limbsCopy(r + X_, x3);
  limbsCopy(r + Y_, y3);
  limbsCopy(r + Z_, t);
}

/** r = P + Q, both Jacobian (add-2007-bl: 11M + 5S). qInf (all-ones) forces Q = infinity.
 * Infinity inputs are handled. When `complete`, P = Q is handled too (a doubling is computed
 * and selected by mask, at the cost of one doubling); otherwise callers guarantee P ≠ Q.
 * r may alias p or q. */
export function pointAdd(r: usize, p: usize, q: usize, qInf: u32, complete: bool): void {
  const z1z1 = F0, z2z2 = F1, u1 = F2, u2 = F3, s1 = F4, s2 = F5, h = F6, i = F7, j = F8, rr = F9;
  const x3 = F10, y3 = F11;
  let sameMask: u32 = 0;
  if (complete) {
    pointDouble(DBL, p); // uses F0..F5, before anything below
  }
  const pInf = limbsZeroMask(p + Z_);
  const qI = qInf | limbsZeroMask(q + Z_);
  feSqr(z1z1, p + Z_);
  feSqr(z2z2, q + Z_);
  feMul(u1, p + X_, z2z2);
  feMul(u2, q + X_, z1z1);
  feMul(s1, p + Y_, q + Z_);
  feMul(s1, s1, z2z2);
  feMul(s2, q + Y_, p + Z_);
  feMul(s2, s2, z1z1);
  feSub(h, u2, u1);
  feSub(rr, s2, s1);
  feAdd(rr, rr, rr); // r = 2(S2 − S1)
  if (complete) sameMask = limbsZeroMask(h) & limbsZeroMask(rr) & ~pInf & ~qI;
  feAdd(i, h, h);
  feSqr(i, i); // I = (2H)²
  feMul(j, h, i); // J = H·I
  feMul(u2, u1, i); // V = U1·I (u2 reused)
  feSqr(x3, rr);
  feSub(x3, x3, j);
  feSub(x3, x3, u2);
  feSub(x3, x3, u2); // X3 = r² − J − 2V
  feSub(y3, u2, x3);
  feMul(y3, y3, rr);
  feMul(s1, s1, j);
  feAdd(s1, s1, s1);
  feSub(y3, y3, s1); // Y3 = r(V − X3) − 2·S1·J
  feAdd(s2, p + Z_, q + Z_);
  feSqr(s2, s2);
  feSub(s2, s2, z1z1);
  feSub(s2, s2, z2z2);
  feMul(s2, s2, h); // Z3 = ((Z1 + Z2)² − Z1Z1 − Z2Z2)·H
  limbsCmov(x3, q + X_, pInf);
  limbsCmov(y3, q + Y_, pInf);
  limbsCmov(s2, q + Z_, pInf);
  limbsCmov(x3, p + X_, qI);
  limbsCmov(y3, p + Y_, qI);
  limbsCmov(s2, p + Z_, qI);
  if (complete) {
    limbsCmov(x3, DBL + X_, sameMask);
    limbsCmov(y3, DBL + Y_, sameMask);
    limbsCmov(s2, DBL + Z_, sameMask);
  }
  limbsCopy(r + X_, x3);
  limbsCopy(r + Y_, y3);
  limbsCopy(r + Z_, s2);
}

/** y ← −y when mask is all-ones. */
function condNegY(p: usize, mask: u32): void {
  feNeg(F0, p + Y_);
  limbsCmov(p + Y_, F0, mask);
}

/** Writes the affine coordinates (32-byte big-endian x ‖ y) of P; returns false (writing
 * nothing) for the point at infinity. */
export function toAffineBytes(out: usize, p: usize): bool {
  if (limbsZeroMask(p + Z_) != 0) return false; // result of a public check
  const zi = F6, zi2 = F7, t = F8;
  feInv(zi, p + Z_);
  feSqr(zi2, zi);
  feMul(t, p + X_, zi2);
  feToBytes(out, t);
  feMul(zi2, zi2, zi);
  feMul(t, p + Y_, zi2);
  feToBytes(out + 32, t);
  return true;
}

/** x coordinate of P in Montgomery form into r; returns false for infinity. */
export function affineX(r: usize, p: usize): bool {
  if (limbsZeroMask(p + Z_) != 0) return false;
  feInv(F6, p + Z_);
  feSqr(F7, F6);
  feMul(r, p + X_, F7);
  return true;
}

// ---------------------------------------------------------------- decoding

/** Decodes x ‖ y (64 big-endian bytes) into an affine point (Montgomery form). Returns false
 * for coordinates ≥ p or a point not on the curve (this includes (0, 0), the usual encoding of
 * infinity). */
export function decodePoint(r: usize, src: usize): bool {
  p256Ready();
  if (!feFromBytes(r + X_, src)) return false;
  if (!feFromBytes(r + Y_, src + 32)) return false;
  return onCurve(r);
}

/** y² == x³ − 3x + b for an affine point. */
export function onCurve(a: usize): bool {
  const l = F0, rhs = F1, t = F2;
  feSqr(l, a + Y_);
  feSqr(rhs, a + X_);
  feMul(rhs, rhs, a + X_);
  feAdd(t, a + X_, a + X_);
  feAdd(t, t, a + X_);
  feSub(rhs, rhs, t);
  feAdd(rhs, rhs, CURVE_B);
  return limbsEqMask(l, rhs) != 0;
}

// ---------------------------------------------------------------- scalar recoding

/** Loads 32 big-endian scalar bytes as little-endian u32 words (plus a zero guard word). */
function loadScalar(k: usize): void {
  for (let w: usize = 0; w < 8; w++) {
    const b = k + 28 - (w << 2);
    store<u32>(KW + (w << 2), bswap<u32>(load<u32>(b)));
  }
  store<u32>(KW + 32, 0);
}

/** Booth digit i (0..64) of the loaded scalar: (sign << 8) | magnitude, magnitude 0..8.
 * Digit i = b(4i−1) + b(4i) + 2b(4i+1) + 4b(4i+2) − 8b(4i+3). */
function booth(i: u32): u32 {
  let v: u32;
  if (i == 0) {
    v = (load<u32>(KW) << 1) & 0x1f;
  } else {
    const bit = 4 * i - 1;
    const w = <usize>(bit >> 5);
    const sh = bit & 31;
    v = load<u32>(KW + (w << 2)) >>> sh;
    if (sh > 27) v |= load<u32>(KW + ((w + 1) << 2)) << (32 - sh);
    v &= 0x1f;
  }
  const s = v >> 4;
  const t = (v + 1) >> 1;
  const m = 0 - s;
  const mag = (t & ~m) | ((16 - t) & m);
  return (s << 8) | mag;
}

/** Q_AFF = entry `mag` (1..count) of an affine table (all entries read); returns the
 * all-ones mask when mag == 0 (Q = infinity). */
function lookupAffine(table: usize, count: u32, mag: u32): u32 {
  memory.fill(Q_AFF, 0, AFF_SIZE);
  for (let j: u32 = 1; j <= count; j++) {
    const mask = eqMask(j, mag);
    const e = table + <usize>(j - 1) * AFF_SIZE;
    for (let o: usize = 0; o < AFF_SIZE; o += 4) {
      store<u32>(Q_AFF + o, load<u32>(Q_AFF + o) | (load<u32>(e + o) & mask));
    }
  }
  return eqMask(mag, 0);
}

/** Q_JAC = entry mag (1..8) of VTAB (all entries read); returns the all-ones mask when mag == 0. */
function lookupJac(mag: u32): u32 {
  memory.fill(Q_JAC, 0, JAC_SIZE);
  for (let j: u32 = 1; j <= 8; j++) {
    const mask = eqMask(j, mag);
    const e = VTAB + <usize>(j - 1) * JAC_SIZE;
    for (let o: usize = 0; o < JAC_SIZE; o += 4) {
      store<u32>(Q_JAC + o, load<u32>(Q_JAC + o) | (load<u32>(e + o) & mask));
    }
  }
  return eqMask(mag, 0);
}

// ---------------------------------------------------------------- scalar multiplication

/** r = k·G (Jacobian), k = 32 big-endian bytes, any value < 2^256 (0 ↦ infinity).
 * Two interleaved passes over the fixed table: 65 mixed additions and 4 doublings.
 *
 * Why no addition here can meet P = Q: before a table point d·16^i·G (|d| ≤ 8) is added, the
 * accumulator holds T·G where T is a signed sum of Booth digits at other positions (and, in the
 * second pass, all odd positions times 16); |T ± d·16^i| < n, and T = d·16^i is impossible
 * because the digit of T at position i is 0 and |the part of T below i| < 16^i/1.8. The last
 * addition (2^256·G, only when bit 255 is set) would need k ≡ 2^257 (mod n), which is < 2^255. */
export function scalarMulBase(r: usize, k: usize): void {
  p256Ready();
  loadScalar(k);
  setInfinity(r);
  for (let pass = 0; pass < 2; pass++) {
    for (let row = 0; row < ROWS; row++) {
      const d = booth(<u32>(2 * row + 1 - pass));
      const qInf = lookupAffine(BASE_TABLE + <usize>row * ROW_SIZE, 8, d & 0xff);
      condNegY(Q_AFF, 0 - (d >> 8));
      pointAddMixed(r, r, Q_AFF, qInf);
    }
    if (pass == 0) {
      pointDouble(r, r); pointDouble(r, r); pointDouble(r, r); pointDouble(r, r);
    }
  }
  const top = booth(64) & 0xff; // 0 or 1
  const qInf = lookupAffine(BASE_TABLE + <usize>ROWS * ROW_SIZE, 1, top);
  pointAddMixed(r, r, Q_AFF, qInf);
  memory.fill(KW, 0, 36);
  memory.fill(Q_AFF, 0, AFF_SIZE);
  memory.fill(F, 0, 36 * 16);
}

/** r = k·P (Jacobian) for an affine P on the curve and k = 32 big-endian bytes in [1, n−1]
 * (callers check the range). Fixed 4-bit signed windows, 65 table reads of 8 entries each.
 *
 * Only the last addition can meet P = Q (for k = n − 2|d0|): with i ≥ 1 windows left the
 * accumulator is 16T·P with |16T ± d| < n/16 + 17, so it equals ±d·P only when T = 0 (infinity,
 * handled). The last addition is therefore the complete one. */
export function scalarMul(r: usize, k: usize, p: usize): void {
  p256Ready();
  loadScalar(k);
  // VTAB[m−1] = m·P
  fromAffine(VTAB, p);
  pointDouble(VTAB + JAC_SIZE, VTAB);
  for (let m: usize = 2; m < 8; m++) pointAddMixed(VTAB + m * JAC_SIZE, VTAB + (m - 1) * JAC_SIZE, p, 0);
  const top = booth(64) & 0xff;
  lookupJac(top);
  memory.copy(ACC, Q_JAC, JAC_SIZE);
  limbsCmov(ACC + Z_, LIMBS_ZERO, eqMask(top, 0)); // digit 0 ⇒ infinity
  for (let i: i32 = 63; i >= 0; i--) {
    pointDouble(ACC, ACC); pointDouble(ACC, ACC); pointDouble(ACC, ACC); pointDouble(ACC, ACC);
    const d = booth(<u32>i);
    const qInf = lookupJac(d & 0xff);
    condNegY(Q_JAC, 0 - (d >> 8));
    pointAdd(ACC, ACC, Q_JAC, qInf, i == 0);
  }
  memory.copy(r, ACC, JAC_SIZE);
  memory.fill(KW, 0, 36);
  memory.fill(VTAB, 0, 8 * JAC_SIZE);
  memory.fill(Q_JAC, 0, JAC_SIZE);
  memory.fill(ACC, 0, JAC_SIZE);
  memory.fill(F, 0, 36 * 16);
  memory.fill(DBL, 0, JAC_SIZE);
}

// ---------------------------------------------------------------- set-up

/** Converts the curve constants and fills the fixed-base table (once; about a millisecond).
 * Public data only. */
export function p256Ready(): void {
  if (ready) return;
  feFromBytes(CURVE_B, B_BYTES);
  feFromBytes(G_AFF + X_, G_BYTES);
  feFromBytes(G_AFF + Y_, G_BYTES + 32);
  const base = ACC;
  fromAffine(base, G_AFF);
  for (let row = 0; row <= ROWS; row++) {
    const count: usize = row < ROWS ? 8 : 1;
    // VTAB[m−1] = m·base (Jacobian)
    memory.copy(VTAB, base, JAC_SIZE);
    if (count > 1) {
      pointDouble(VTAB + JAC_SIZE, base);
      for (let m: usize = 2; m < count; m++) pointAdd(VTAB + m * JAC_SIZE, VTAB + (m - 1) * JAC_SIZE, base, 0, true);
    }
    // batch inversion of the Z coordinates
    limbsCopy(ZPRE, VTAB + Z_);
    for (let m: usize = 1; m < count; m++) feMul(ZPRE + 36 * m, ZPRE + 36 * (m - 1), VTAB + m * JAC_SIZE + Z_);
    feInv(F10, ZPRE + 36 * (count - 1)); // F10: running inverse
    const row0 = BASE_TABLE + <usize>row * ROW_SIZE;
    for (let m: isize = <isize>count - 1; m >= 0; m--) {
      const e = VTAB + <usize>m * JAC_SIZE;
      if (m > 0) {
        feMul(F11, F10, ZPRE + 36 * <usize>(m - 1)); // 1/Z_m
        feMul(F10, F10, e + Z_);
      } else {
        limbsCopy(F11, F10);
      }
      feSqr(F9, F11);
      const out = row0 + <usize>m * AFF_SIZE;
      feMul(out + X_, e + X_, F9);
      feMul(F9, F9, F11);
      feMul(out + Y_, e + Y_, F9);
    }
    if (row < ROWS) {
      for (let d = 0; d < 8; d++) pointDouble(base, base);
    }
  }
  memory.fill(VTAB, 0, 8 * JAC_SIZE);
  memory.fill(ACC, 0, JAC_SIZE);
  ready = true;
}

/** The generator, affine, Montgomery form (after p256Ready). */
export function generatorAffine(): usize {
  p256Ready();
  return G_AFF;
}

export { FE_SIZE };

/** Zeroes every point-arithmetic temporary (scalar words, looked-up and accumulated points,
 * the variable-base table, coordinates of the last affine conversion) and the field scratch.
 * The signing and ECDH entry points call it before they return; so does the event wipe. */
export function pointWipe(): void {
  memory.fill(F, 0, 36 * 16);
  memory.fill(DBL, 0, JAC_SIZE);
  memory.fill(Q_AFF, 0, AFF_SIZE);
  memory.fill(Q_JAC, 0, JAC_SIZE);
  memory.fill(ACC, 0, JAC_SIZE);
  memory.fill(VTAB, 0, 8 * JAC_SIZE);
  memory.fill(ZPRE, 0, 36 * 8);
  memory.fill(KW, 0, 36);
  feWipe();
}
