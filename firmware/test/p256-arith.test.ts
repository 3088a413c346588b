// P-256 field, scalar and point arithmetic in the firmware, checked against BigInt and
// @noble/curves: random operands plus the edges (0, 1, p−1, n−1, limb boundaries).
import { test } from "vitest";
import assert from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import { Harness, P, N, be32, int, mod, powmod, seededBytes, hex } from "./p256-util.js";

const h = new Harness();
const rnd = seededBytes("p256-arith");

type Op = (a: bigint, b: bigint, m: bigint) => bigint;
const OPS: Op[] = [
  (a, b, m) => (a * b) % m,
  (a, _b, m) => (a * a) % m,
  (a, b, m) => (a + b) % m,
  (a, b, m) => mod(a - b, m),
  (a, _b, m) => powmod(a, m - 2n, m),
];

function edgeValues(m: bigint): bigint[] {
  const v = [0n, 1n, 2n, m - 1n, m - 2n, (m - 1n) / 2n, (m + 1n) / 2n, 2n ** 29n - 1n, 2n ** 29n, 2n ** 255n % m, 2n ** 256n - 1n - m];
  for (let k = 1; k < 9; k++) v.push(2n ** BigInt(29 * k) - 1n, 2n ** BigInt(29 * k) % m);
  return v.map((x) => mod(x, m));
}

function checkOps(name: "fe_op" | "sc_op", m: bigint): void {
  const vals = edgeValues(m);
  const pairs: [bigint, bigint][] = [];
  for (const a of vals) for (const b of vals) pairs.push([a, b]);
  for (let i = 0; i < 400; i++) pairs.push([int(rnd(32)) % m, int(rnd(32)) % m]);
  for (const [a, b] of pairs) {
    const pa = h.put(0, be32(a));
    const pb = h.put(32, be32(b));
    for (let op = 0; op < OPS.length; op++) {
      assert.equal(h.x[name](op, pa, pb, h.addr(64)), 0);
      assert.equal(int(h.get(64, 32)), OPS[op]!(a, b, m), `${name} op ${op} a=${a.toString(16)} b=${b.toString(16)}`);
    }
  }
}

test("field ops mod p agree with BigInt (edges and 400 random pairs)", () => {
  checkOps("fe_op", P);
});

test("scalar ops mod n agree with BigInt (edges and 400 random pairs)", () => {
  checkOps("sc_op", N);
});

test("field and scalar inputs ≥ modulus are rejected", () => {
  for (const [name, m] of [["fe_op", P], ["sc_op", N]] as const) {
    for (const bad of [m, m + 1n, 2n ** 256n - 1n]) {
      assert.equal(h.x[name](0, h.put(0, be32(bad)), h.put(32, be32(1n)), h.addr(64)), -1);
      assert.equal(h.x[name](0, h.put(0, be32(1n)), h.put(32, be32(bad)), h.addr(64)), -1);
    }
  }
});

const G = p256.Point.BASE;
function affine(bytes: Uint8Array): { x: bigint; y: bigint } {
  return { x: int(bytes.subarray(0, 32)), y: int(bytes.subarray(32, 64)) };
}
function expectPoint(bytes: Uint8Array, k: bigint, base = G, msg = ""): void {
  const e = base.multiply(mod(k, N)).toAffine();
  assert.deepEqual(affine(bytes), { x: e.x, y: e.y }, msg || `k = ${k.toString(16)}`);
}
function encode(pt: InstanceType<typeof p256.Point>): Uint8Array {
  return pt.toBytes(false).subarray(1);
}

test("fixed-base k·G matches noble for edge and random k (any 256-bit k, reduced mod n)", () => {
  const ks = [1n, 2n, 3n, 7n, 8n, 9n, 15n, 16n, 17n, 255n, 256n, N - 1n, N - 2n, N - 8n, N - 16n, N + 1n, N + 5n,
    2n ** 255n, 2n ** 255n - 1n, 2n ** 256n - 1n, 2n ** 128n, (N - 1n) / 2n, 0x8888888888888888888888888888888888888888888888888888888888888888n];
  for (let i = 0; i < 200; i++) ks.push(int(rnd(32)));
  for (const k of ks) {
    assert.equal(h.x.base_mul(h.put(0, be32(k)), h.addr(64)), 0, k.toString(16));
    expectPoint(h.get(64, 64), k);
  }
  for (const zero of [0n, N]) {
    assert.equal(h.x.base_mul(h.put(0, be32(zero)), h.addr(64)), -1, "0·G and n·G are the point at infinity");
  }
});

test("variable-base k·P matches noble, including k near n (where the last addition doubles)", () => {
  const Q = G.multiply(0x1234567890abcdefn);
  const ks = [1n, 2n, 3n, 8n, 9n, 16n, 17n, 2n ** 255n, 2n ** 256n - 2n ** 224n];
  for (let j = 1n; j <= 40n; j++) ks.push(N - j);
  for (let i = 0; i < 100; i++) ks.push(mod(int(rnd(32)), N - 1n) + 1n);
  const pq = h.put(32, encode(Q));
  for (const k of ks) {
    assert.equal(h.x.point_mul(h.put(0, be32(k)), pq, h.addr(96)), 0, k.toString(16));
    expectPoint(h.get(96, 64), k, Q);
  }
  for (const bad of [0n, N, N + 1n, 2n ** 256n - 1n]) {
    assert.equal(h.x.point_mul(h.put(0, be32(bad)), pq, h.addr(96)), -3, `k = ${bad.toString(16)} rejected`);
  }
});

test("complete addition: P + Q, P + P (doubling), P + (−P) (infinity), 2P", () => {
  const P1 = G.multiply(987654321n);
  const P2 = G.multiply(123456789n);
  const add = (a: InstanceType<typeof p256.Point>, b: InstanceType<typeof p256.Point>, dbl = 0): number =>
    h.x.point_add(h.put(0, encode(a)), h.put(64, encode(b)), dbl, h.addr(128));
  assert.equal(add(P1, P2), 0);
  assert.equal(hex(h.get(128, 64)), hex(encode(P1.add(P2))));
  assert.equal(add(P1, P1), 0);
  assert.equal(hex(h.get(128, 64)), hex(encode(P1.double())));
  assert.equal(add(P1, P1, 1), 0);
  assert.equal(hex(h.get(128, 64)), hex(encode(P1.double())));
  assert.equal(add(P1, P1.negate()), -1);
});
