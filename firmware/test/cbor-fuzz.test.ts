// Seeded differential fuzzing of the firmware CBOR decoder: random bytes, mutated CTAP requests
// and random canonical values. Zero traps; the firmware validator must agree (accept/reject and
// length) with the independent TypeScript reference; everything accepted must walk and
// re-encode byte-identically. SEGL_FUZZ_ITERATIONS=N runs longer; SEGL_FUZZ_SEED picks the seed.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Cbor, CMap, Simple, Float, ERR, encode, refCheck, rng, makeCredentialRequest, toHex, type CborValue } from "./cbor-util.js";

const ITER = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 100_000);
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 0x5e61);

function generator(r: () => number) {
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
  const big = (): bigint => {
    const bits = pick([3, 5, 8, 9, 16, 17, 32, 33, 63, 64]);
    let v = 0n;
    for (let i = 0; i < bits; i++) v = (v << 1n) | (r() < 0.5 ? 0n : 1n);
    return v;
  };
  const text = (): string => {
    const cps = [0x41, 0x7a, 0xe9, 0x3b1, 0x6c34, 0xffff, 0x10151, 0x10ffff, 0xd7ff, 0xe000];
    let s = "";
    for (let i = int(6); i > 0; i--) s += String.fromCodePoint(pick(cps));
    return s;
  };
  const key = (): CborValue => pick([() => BigInt(int(30)), () => -1n - BigInt(int(30)), text, () => new Uint8Array(int(3)).fill(int(256))])();
  const value = (depth: number): CborValue => {
    const k = int(depth > 0 ? 12 : 9);
    switch (k) {
      case 0: return big();
      case 1: return -1n - big();
      case 2: return new Uint8Array(int(40)).map(() => int(256));
      case 3: return text();
      case 4: return r() < 0.5;
      case 5: return pick([null, undefined, new Simple(int(20)), new Simple(32 + int(224))]);
      case 6: return new Float(pick(["f93c00", "fa47c35000", "fb3ff199999999999a", "f97e00"]));
      case 7: return BigInt(int(24));
      case 8: return "";
      case 9: case 10: return Array.from({ length: int(5) }, () => value(depth - 1));
      default: {
        const m = new Map<string, [CborValue, CborValue]>();
        for (let i = int(5); i > 0; i--) {
          const kk = key();
          m.set(toHex(encode(kk)), [kk, value(depth - 1)]);
        }
        return new CMap([...m.values()]);
      }
    }
  };
  return { int, pick, value };
}

test(`fuzz: ${ITER} random and mutated inputs, zero traps, agreement with the reference`, (t) => {
  const c = new Cbor();
  const r = rng(SEED);
  const g = generator(r);
  const corpus: Uint8Array[] = [makeCredentialRequest()];
  for (let i = 0; i < 40; i++) corpus.push(encode(new CMap([[1n, g.value(3)], [2n, g.value(3)], [3n, g.value(2)]])));
  const heads = [0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x38, 0x5f, 0x58, 0x5b, 0x7a, 0x7f, 0x9f, 0x9b, 0xbb, 0xbf, 0xc0, 0xd8,
    0xf4, 0xf8, 0xf9, 0xfb, 0xfc, 0xff, 0x80, 0xa0, 0x60, 0x40, 0x00, 0x20, 0xc0, 0xe0, 0xed, 0xf0];
  const stats = { accepted: 0, rejected: 0, roundTrips: 0, byError: new Map<number, number>() };
  for (let it = 0; it < ITER; it++) {
    let b: Uint8Array;
    const kind = it % 10;
    if (kind < 2) {
      b = new Uint8Array(g.int(24)).map(() => (r() < 0.4 ? g.pick(heads) : g.int(256)));
    } else if (kind < 4) {
      b = encode(g.value(g.pick([1, 3, 5, 7])));
    } else {
      const base = g.pick(corpus);
      const m = Array.from(base);
      for (let n = 1 + g.int(3); n > 0; n--) {
        const at = g.int(m.length + 1);
        switch (g.int(7)) {
          case 0: m[at] = g.int(256); break;
          case 1: m[at] = (m[at] ?? 0) ^ (1 << g.int(8)); break;
          case 2: m.splice(at, 0, g.pick(heads)); break;
          case 3: m.splice(at, 1 + g.int(3)); break;
          case 4: m.length = Math.min(m.length, at); break;
          case 5: m[at] = g.pick(heads); break;
          default: { const len = 1 + g.int(8); m.splice(at, 0, ...m.slice(at, at + len)); }
        }
      }
      b = new Uint8Array(m.slice(0, 1500).map((x) => x & 0xff));
    }
    const depth = g.pick([4, 4, 4, 8, 2]);
    const fw = c.check(b, depth);
    const ref = refCheck(b, depth);
    if (ref === null) {
      assert.ok(fw < 0, `fw accepted, reference rejected: ${toHex(b)} depth ${depth}`);
      stats.rejected++;
      stats.byError.set(fw, (stats.byError.get(fw) ?? 0) + 1);
    } else {
      assert.equal(fw, ref, `length: ${toHex(b)} depth ${depth}`);
      stats.accepted++;
      assert.equal(c.skip(b), ref, `skip: ${toHex(b)}`);
      const item = b.subarray(0, ref);
      const w = c.walk(item, true, depth);
      if (w.status !== ERR.OVERFLOW) {
        assert.ok(w.status >= 0, `walk ${w.status}: ${toHex(item)}`);
        assert.equal(toHex(w.enc!), toHex(item), "re-encoding");
        assert.equal(toHex(encode(w.value!)), toHex(item), "TS encoder of the decoded value");
        stats.roundTrips++;
      }
    }
    // the reader on its own and skip, on whatever came in: any result, but no trap
    c.x.cbor_walk(c.io, b.length, 0, depth, c.io + Cbor.TOK, Cbor.CAP, c.io + Cbor.ENC, Cbor.CAP);
    c.x.cbor_skip(c.io, b.length);
    for (let which = 0; which <= 11; which++) c.x.cbor_read_one(c.io, b.length, which);
  }
  assert.ok(stats.accepted > ITER / 10, `accepted ${stats.accepted}`);
  assert.ok(stats.rejected > ITER / 4, `rejected ${stats.rejected}`);
  assert.ok(stats.roundTrips > ITER / 10, `round trips ${stats.roundTrips}`);
  // every error class is reached
  for (const e of [ERR.TRUNCATED, ERR.NON_CANONICAL, ERR.INDEFINITE, ERR.TAG, ERR.MALFORMED, ERR.DEPTH, ERR.UTF8,
    ERR.KEY_ORDER, ERR.KEY_DUP, ERR.KEY_TYPE]) {
    assert.ok((stats.byError.get(e) ?? 0) > 0, `error ${e} never produced`);
  }
  assert.equal(c.dev.faults.length, 0);
  console.log(`seed ${SEED}: accepted ${stats.accepted}, rejected ${stats.rejected}, round trips ${stats.roundTrips}; ` +
    `rejections by code ${JSON.stringify([...stats.byError].sort((a, b) => b[0] - a[0]))}`);
});
