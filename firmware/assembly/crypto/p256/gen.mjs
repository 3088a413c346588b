#!/usr/bin/env node
// Generates arith.ts: fully unrolled Montgomery multiplication, addition and subtraction for the P-256 base field (mod p), and for the
// scalar field (mod n) an unrolled multiplication (its squaring is its multiplication, see scalarSqrAndWipe) with looped addition and
// subtraction (scalarAddSub). Run `node firmware/assembly/crypto/p256/gen.mjs` after editing.
//
// Representation: 9 limbs of 29 bits, little-endian, stored as u32 (36 bytes per element),
// computed in i64 locals. Montgomery radix R = 2^261. Every function takes fully reduced
// inputs (< modulus, limbs < 2^29) and returns fully reduced outputs. No branch and no memory
// index depends on the values.
//
// Bounds: a column of the 512-bit product is a sum of at most 9 products < 2^58 (< 2^61.2);
// the reduction adds at most 9 more terms < 2^58 (generic n) or four shifted terms < 2^53 (p),
// so every accumulator stays below 2^63. REDC output < 2·modulus; one masked subtraction.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const L = 9;
const W = 29;
const MASK = (1n << 29n) - 1n;
const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function limbs(x) {
  const out = [];
  for (let i = 0; i < L; i++) { out.push(x & MASK); x >>= 29n; }
  if (x !== 0n) throw new Error("does not fit");
  return out;
}
function modInv(a, m) {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) { const q = r0 / r1; [r0, r1] = [r1, r0 - q * r1]; [s0, s1] = [s1, s0 - q * s1]; }
  return ((s0 % m) + m) % m;
}

const out = [];
const emit = (s) => out.push(s);

function loadLimbs(name, ptr) {
  for (let i = 0; i < L; i++) emit(`  const ${name}${i}: i64 = <i64>load<u32>(${ptr}, ${4 * i});`);
}

/** Column sums of a·b (or a² when b is null) into t0..t16. */
function product(sq) {
  const terms = Array.from({ length: 2 * L - 1 }, () => []);
  if (!sq) {
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) terms[i + j].push(`a${i} * b${j}`);
  } else {
    for (let i = 0; i < L; i++) {
      terms[2 * i].push(`a${i} * a${i}`);
      for (let j = i + 1; j < L; j++) terms[i + j].push(`a${i} * d${j}`);
    }
  }
  for (let k = 0; k < 2 * L - 1; k++) emit(`  let t${k}: i64 = ${terms[k].join(" + ")};`);
  emit(`  let t${2 * L - 1}: i64 = 0;`);
}

/** Final masked subtraction of the modulus from v0..v8 and the store into r. */
function finalSub(modLimbs) {
  emit(`  let c: i64;`);
  for (let i = 0; i < L; i++) {
    const prev = i === 0 ? "" : " + c";
    emit(`  let e${i}: i64 = v${i} - ${modLimbs[i]}${prev};`);
    if (i < L - 1) emit(`  c = e${i} >> 29; e${i} &= ${MASK};`);
  }
  emit(`  const keep: i64 = e${L - 1} >> 63;`); // all ones when v < modulus
  for (let i = 0; i < L; i++) {
    emit(`  store<u32>(r, <u32>((v${i} & keep) | (e${i} & ~keep)), ${4 * i});`);
  }
}

/** Montgomery reduction of t0..t17 for p (special form: -p^-1 = 1 mod 2^29). */
function redcP() {
  // m·p = m·2^256 - m·2^224 + m·2^192 + m·2^96 - m, at limb offset i:
  // 2^96 = limb 3 << 9, 2^192 = limb 6 << 18, 2^224 = limb 7 << 21, 2^256 = limb 8 << 24.
  for (let i = 0; i < L; i++) {
    emit(`  { const m: i64 = t${i} & ${MASK}; t${i + 1} += t${i} >> 29;` +
      ` t${i + 3} += m << 9; t${i + 6} += m << 18; t${i + 7} -= m << 21; t${i + 8} += m << 24; }`);
  }
  normalizeTop();
}

/** Generic Montgomery reduction (mod n) of t0..t17. */
function redcGeneric(modLimbs, n0) {
  for (let i = 0; i < L; i++) {
    const adds = [];
    for (let j = 1; j < L; j++) adds.push(`t${i + j} += m * ${modLimbs[j]};`);
    emit(`  { const m: i64 = ((t${i} & ${MASK}) * ${n0}) & ${MASK};` +
      ` t${i + 1} += (t${i} + m * ${modLimbs[0]}) >> 29; ${adds.join(" ")} }`);
  }
  normalizeTop();
}

function normalizeTop() {
  // v = t9..t17 carried into 29-bit limbs (the value is non-negative and < 2^262).
  for (let i = 0; i < L; i++) {
    const t = `t${L + i}`;
    if (i < L - 1) {
      emit(`  const v${i}: i64 = ${t} & ${MASK}; t${L + i + 1} += ${t} >> 29;`);
    } else {
      emit(`  const v${i}: i64 = ${t};`);
    }
  }
}

function mulFn(name, red, sq, doc) {
  emit(`/** ${doc} */`);
  emit(`export function ${name}(r: usize, a: usize${sq ? "" : ", b: usize"}): void {`);
  loadLimbs("a", "a");
  if (sq) { for (let j = 1; j < L; j++) emit(`  const d${j}: i64 = a${j} << 1;`); }
  else loadLimbs("b", "b");
  product(sq);
  red();
  finalSub(red === redcP ? limbs(P) : limbs(N));
  emit(`}`);
  emit(``);
}

function addFn(name, mod, doc) {
  const m = limbs(mod);
  emit(`/** ${doc} */`);
  emit(`export function ${name}(r: usize, a: usize, b: usize): void {`);
  emit(`  let c: i64 = 0;`);
  for (let i = 0; i < L; i++) {
    emit(`  let e${i}: i64 = <i64>load<u32>(a, ${4 * i}) + <i64>load<u32>(b, ${4 * i}) - ${m[i]} + c;` +
      (i < L - 1 ? ` c = e${i} >> 29; e${i} &= ${MASK};` : ""));
  }
  addBack(m);
  emit(`}`);
  emit(``);
}

function subFn(name, mod, doc) {
  const m = limbs(mod);
  emit(`/** ${doc} */`);
  emit(`export function ${name}(r: usize, a: usize, b: usize): void {`);
  emit(`  let c: i64 = 0;`);
  for (let i = 0; i < L; i++) {
    emit(`  let e${i}: i64 = <i64>load<u32>(a, ${4 * i}) - <i64>load<u32>(b, ${4 * i}) + c;` +
      (i < L - 1 ? ` c = e${i} >> 29; e${i} &= ${MASK};` : ""));
  }
  addBack(m);
  emit(`}`);
  emit(``);
}

/** e0..e8 holds x (−mod ≤ x < mod); adds mod back when x < 0 and stores. */
function addBack(m) {
  emit(`  const neg: i64 = e${L - 1} >> 63;`);
  emit(`  c = 0;`);
  for (let i = 0; i < L; i++) {
    emit(`  { const f: i64 = e${i} + (${m[i]} & neg) + c;` +
      (i < L - 1 ? ` c = f >> 29; store<u32>(r, <u32>(f & ${MASK}), ${4 * i}); }` : ` store<u32>(r, <u32>f, ${4 * i}); }`));
  }
}

/**
 * The scalar field squares with its multiplication: the scalar code runs a few hundred times per
 * signature (the inversion) against tens of thousands of field operations, so a second unrolled
 * body (1.9 KiB of image) is not worth the few per cent it would save. scMul keeps its products
 * in locals (wasm stack), so there is no memory scratch to wipe; scWipe exists for symmetry.
 */
function scalarSqrAndWipe() {
  emit(`/** r = a²·R⁻¹ mod n */`);
  emit(`export function scSqr(r: usize, a: usize): void {`);
  emit(`  scMul(r, a, a);`);
  emit(`}`);
  emit(``);
  emit(`/** Nothing to do: the scalar arithmetic keeps its intermediate values in locals. */`);
  emit(`export function scWipe(): void {}`);
  emit(``);
}

/**
 * The scalar field's addition and subtraction as limb loops over the modulus in memory: the
 * scalar code adds and subtracts a handful of times per signature, so unrolling them would buy
 * nothing measurable for about 800 bytes of image. Same algorithm as addFn/subFn: e = a ± b
 * (− n when adding) with the carries propagated, then n added back under the all-ones mask
 * `neg` (e < 0). Only the last limb keeps its sign; masking it to 29 bits before the add-back is
 * harmless because the result's top limb is < 2^24. Loop bounds and the add/sub choice are
 * public; no branch or index depends on the values.
 */
function scalarAddSub() {
  emit(`/** n as limbs (the scalar field's add-back). */`);
  emit(`export const SC_N_LIMBS: usize = memory.data<u32>([${limbs(N).join(", ")}]);`);
  emit(``);
  emit(`/** r = a + b mod n (sub false) or a − b mod n (sub true). */`);
  emit(`function scAddSub(r: usize, a: usize, b: usize, sub: bool): void {`);
  emit(`  let c: i64 = 0;`);
  emit(`  for (let i: usize = 0; i < 36; i += 4) {`);
  emit(`    const x = <i64>load<u32>(a + i), y = <i64>load<u32>(b + i);`);
  emit(`    c += sub ? x - y : x + y - <i64>load<u32>(SC_N_LIMBS + i);`);
  emit(`    store<u32>(r + i, <u32>(c & ${MASK}));`);
  emit(`    if (i < 32) c >>= 29;`);
  emit(`  }`);
  emit(`  const neg: i64 = c >> 63;`);
  emit(`  c = 0;`);
  emit(`  for (let i: usize = 0; i < 36; i += 4) {`);
  emit(`    c += <i64>load<u32>(r + i) + (<i64>load<u32>(SC_N_LIMBS + i) & neg);`);
  emit(`    store<u32>(r + i, <u32>(c & ${MASK}));`);
  emit(`    c >>= 29;`);
  emit(`  }`);
  emit(`}`);
  emit(``);
  emit(`/** r = a + b mod n */`);
  emit(`export function scAdd(r: usize, a: usize, b: usize): void {`);
  emit(`  scAddSub(r, a, b, false);`);
  emit(`}`);
  emit(``);
  emit(`/** r = a − b mod n */`);
  emit(`export function scSub(r: usize, a: usize, b: usize): void {`);
  emit(`  scAddSub(r, a, b, true);`);
  emit(`}`);
  emit(``);
}

const n0 = (-modInv(N, 1n << 29n)) & MASK;
if (((-modInv(P, 1n << 29n)) & MASK) !== 1n) throw new Error("p0' != 1");

emit(`// GENERATED by gen.mjs — do not edit. Montgomery arithmetic, 9 × 29-bit limbs, R = 2^261.`);
emit(`// Inputs fully reduced; outputs fully reduced; r may alias a or b. Constant time.`);
emit(``);
mulFn("feMul", redcP, false, "r = a·b·R⁻¹ mod p");
mulFn("feSqr", redcP, true, "r = a²·R⁻¹ mod p");
addFn("feAdd", P, "r = a + b mod p");
subFn("feSub", P, "r = a − b mod p");
mulFn("scMul", (...x) => redcGeneric(limbs(N), n0), false, "r = a·b·R⁻¹ mod n");
scalarSqrAndWipe();
scalarAddSub();

const here = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(here, "arith.ts"), out.join("\n"));

// Constants for field.ts / scalar.ts, printed for reference.
const R = 1n << 261n;
const show = (name, x) => console.log(`${name}: [${limbs(x).join(", ")}]`);
show("P", P); show("P_R (1 in Montgomery form)", R % P); show("P_R2", (R * R) % P);
show("N", N); show("N_R", R % N); show("N_R2", (R * R) % N);
