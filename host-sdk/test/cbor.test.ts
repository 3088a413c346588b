// CBOR codec: RFC 8949 Appendix A vectors (decode and canonical re-encode), CTAP2 key order,
// strictness (tags, indefinite lengths, trailing bytes, duplicates, truncation, depth, UTF-8)
// and a random round trip.
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cborEncode, cborDecode, isSeglError, type CborValue } from "../src/index.js";
import { cborDecodePrefix } from "../src/cbor.js";

const hex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bad = (e: unknown) => isSeglError(e, "BAD_RESPONSE");
const m = (...kv: CborValue[]) => {
  const out = new Map<CborValue, CborValue>();
  for (let i = 0; i < kv.length; i += 2) out.set(kv[i], kv[i + 1]);
  return out;
};

// [encoding, value, reencodes-identically]
const appendixA: Array<[string, CborValue, boolean]> = [
  ["00", 0, true], ["01", 1, true], ["0a", 10, true], ["17", 23, true], ["1818", 24, true], ["1819", 25, true],
  ["1864", 100, true], ["1903e8", 1000, true], ["1a000f4240", 1000000, true], ["1b000000e8d4a51000", 1000000000000, true],
  ["1bffffffffffffffff", 18446744073709551615n, true], ["3bffffffffffffffff", -18446744073709551616n, true],
  ["20", -1, true], ["29", -10, true], ["3863", -100, true], ["3903e7", -1000, true],
  ["f90000", 0, false], ["f98000", -0, true], ["f93c00", 1, false], ["fb3ff199999999999a", 1.1, true], ["f93e00", 1.5, true],
  ["f97bff", 65504, false], ["fa47c35000", 100000, false], ["fa7f7fffff", 3.4028234663852886e38, false],
  ["fb7e37e43c8800759c", 1.0e300, false], ["f90001", 5.960464477539063e-8, true], ["f90400", 0.00006103515625, true],
  ["f9c400", -4, false], ["fbc010666666666666", -4.1, true], ["f97c00", Infinity, true], ["f97e00", NaN, true],
  ["f9fc00", -Infinity, true], ["fa7f800000", Infinity, false], ["fa7fc00000", NaN, false], ["faff800000", -Infinity, false],
  ["fb7ff0000000000000", Infinity, false], ["fb7ff8000000000000", NaN, false], ["fbfff0000000000000", -Infinity, false],
  ["f4", false, true], ["f5", true, true], ["f6", null, true], ["f7", undefined, true],
  ["40", new Uint8Array(0), true], ["4401020304", hex("01020304"), true],
  ["60", "", true], ["6161", "a", true], ["6449455446", "IETF", true], ["62225c", "\"\\", true], ["62c3bc", "\u00fc", true],
  ["63e6b0b4", "\u6c34", true], ["64f0908591", "\ud800\udd51", true],
  ["80", [], true], ["83010203", [1, 2, 3], true], ["8301820203820405", [1, [2, 3], [4, 5]], true],
  ["98190102030405060708090a0b0c0d0e0f101112131415161718181819", Array.from({ length: 25 }, (_, i) => i + 1), true],
  ["a0", new Map(), true], ["a201020304", m(1, 2, 3, 4), true], ["a26161016162820203", m("a", 1, "b", [2, 3]), true],
  ["826161a161626163", ["a", m("b", "c")], true],
  ["a56161614161626142616361436164614461656145", m("a", "A", "b", "B", "c", "C", "d", "D", "e", "E"), true],
];

test("CBOR: RFC 8949 Appendix A vectors decode to the right values", () => {
  for (const [enc, want] of appendixA) {
    const got = cborDecode(hex(enc));
    assert.deepEqual(got, want, enc);
    if (typeof want === "number" && want === 0) assert.equal(Object.is(got, -0), Object.is(want, -0), enc);
  }
});

test("CBOR: canonical values re-encode byte for byte; others take their shortest form", () => {
  for (const [enc, value, same] of appendixA) {
    const out = toHex(cborEncode(value));
    if (same) assert.equal(out, enc, `encode ${String(value)}`);
    // whatever the form, the encoding decodes back to the value
    assert.deepEqual(cborDecode(hex(out)), value, enc);
  }
  assert.equal(toHex(cborEncode(1.0)), "01");
  assert.equal(toHex(cborEncode(100000.5)), "fa47c35040");
  assert.equal(toHex(cborEncode(2 ** 53)), "1b0020000000000000");
  assert.equal(toHex(cborEncode(-(2 ** 60))), "3b0fffffffffffffff");
});

test("CBOR: integers beyond ±(2^53-1) decode as bigint, smaller ones as number", () => {
  assert.equal(cborDecode(hex("1b001fffffffffffff")), Number.MAX_SAFE_INTEGER);
  assert.equal(cborDecode(hex("1b0020000000000000")), 2n ** 53n);
  assert.equal(cborDecode(hex("3b001ffffffffffffe")), -Number.MAX_SAFE_INTEGER);
  assert.equal(cborDecode(hex("3b001fffffffffffff")), -(2n ** 53n));
  assert.throws(() => cborEncode(1n << 64n), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => cborEncode(-(1n << 64n) - 1n), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("CBOR: tags, indefinite lengths and unsupported simple values are rejected", () => {
  for (const enc of [
    "c249010000000000000000", "c349010000000000000000", "c074323031332d30332d32315432303a30343a30305a", "c11a514b67b0",
    "d74401020304", "d818456449455446", "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff",
    "bf61610161629f0203ffff", "f0", "f8ff", "f818", "ff", "1c", "5c",
  ]) assert.throws(() => cborDecode(hex(enc)), bad, enc);
});

test("CBOR: map keys sorted by encoded bytes (CTAP2 order, not RFC 7049 length-first)", () => {
  const cose = m(-2, new Uint8Array(2), 3, -7, 1, 2, -1, 1, -3, new Uint8Array(2));
  assert.equal(toHex(cborEncode(cose)), "a50102032620012142000022420000");
  // bytewise: 1000 (0x1903e8) before -1 (0x20) — RFC 7049 length-first would do the opposite
  assert.equal(toHex(cborEncode(m(-1, 0, 1000, 0))), "a21903e8002000");
  // major type order, then bytes: 10, 100, -1, h'00', "z", "aa"
  assert.equal(toHex(cborEncode(m("aa", 0, h("00"), 0, "z", 0, -1, 0, 100, 0, 10, 0))), "a60a0018640020004100 00617a0062616100".replace(/ /g, ""));
  assert.throws(() => cborEncode(m(1, 0, 1n, 0)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  function h(s: string) { return hex(s); }
});

test("CBOR: strict decoder", () => {
  assert.throws(() => cborDecode(hex("0000")), bad); // trailing
  assert.equal(cborDecode(hex("0000"), { allowTrailing: true }), 0);
  assert.deepEqual(cborDecodePrefix(hex("a10102ff00")), { value: m(1, 2), length: 3 });
  assert.throws(() => cborDecode(hex("a201020103")), bad); // duplicate key
  assert.throws(() => cborDecode(hex("a2410102410103")), bad); // duplicate byte-string key
  assert.throws(() => cborDecode(hex("a20102190001 03".replace(" ", ""))), bad); // 1 and 1-in-2-bytes: same key
  for (const trunc of ["18", "19ff", "1a0000", "1b00000000000000", "42ff", "62", "83 0102".replace(" ", ""), "a101", "fb3ff0"]) {
    assert.throws(() => cborDecode(hex(trunc)), bad, trunc);
  }
  assert.throws(() => cborDecode(hex("9bffffffffffffffff")), bad); // huge length, no allocation
  assert.throws(() => cborDecode(hex("5a7fffffff")), bad);
  assert.throws(() => cborDecode(hex("bbffffffffffffffff")), bad);
  assert.throws(() => cborDecode(hex("62c328")), bad); // invalid UTF-8
  assert.throws(() => cborDecode(hex("")), bad);
  // depth
  const deep = (n: number) => hex("81".repeat(n) + "00"); // n nested arrays
  assert.doesNotThrow(() => cborDecode(deep(16)));
  assert.throws(() => cborDecode(deep(17)), bad);
  assert.throws(() => cborDecode(hex("818100"), { maxDepth: 1 }), bad);
  assert.doesNotThrow(() => cborDecode(hex("a1018100"), { maxDepth: 2 }));
  assert.throws(() => cborDecode(hex("a101a10100"), { maxDepth: 1 }), bad);
  try {
    cborDecode(hex("83010218"));
    assert.fail("should throw");
  } catch (e) {
    assert.ok(bad(e));
    assert.equal((e as unknown as { details: { offset: number } }).details.offset, 4);
  }
});

test("CBOR: requireCanonical checks shortest form and key order", () => {
  const c = { requireCanonical: true };
  assert.throws(() => cborDecode(hex("1817"), c), bad);
  assert.throws(() => cborDecode(hex("190017"), c), bad);
  assert.throws(() => cborDecode(hex("5800"), c), bad);
  assert.throws(() => cborDecode(hex("a203040102"), c), bad); // 3 before 1
  assert.throws(() => cborDecode(hex("a220001903e800"), c), bad); // RFC 7049 length-first order
  assert.throws(() => cborDecode(hex("fa3fc00000"), c), bad); // 1.5 fits a half
  assert.deepEqual(cborDecode(hex("a203040102")), m(3, 4, 1, 2));
  assert.deepEqual(cborDecode(hex("a21903e8002000"), c), m(-1, 0, 1000, 0));
});

test("CBOR: random values round-trip and re-encode canonically", () => {
  const rnd = randomBytes(4096);
  let p = 0;
  const next = () => rnd[p++ % rnd.length]!;
  const gen = (d: number): CborValue => {
    const k = next() % (d > 2 ? 6 : 9);
    switch (k) {
      case 0: return next() * 1000 - 100000;
      case 1: return BigInt.asIntN(64, BigInt("0x" + randomBytes(8).toString("hex")));
      case 2: return randomBytes(next() % 40);
      case 3: return randomBytes(next() % 20).toString("base64");
      case 4: return [true, false, null, undefined, 0.5, -2.25][next() % 6];
      case 5: return next() / 7;
      case 6: return Array.from({ length: next() % 5 }, () => gen(d + 1));
      default: {
        const out = new Map<CborValue, CborValue>();
        for (let i = next() % 6; i > 0; i--) out.set(next() % 2 ? next() - 128 : String.fromCharCode(97 + (next() % 26)), gen(d + 1));
        return out;
      }
    }
  };
  for (let i = 0; i < 300; i++) {
    const v = gen(0);
    const enc = cborEncode(v);
    const dec = cborDecode(enc, { requireCanonical: true });
    const norm = (x: CborValue): CborValue => (typeof x === "bigint" && x >= -(2n ** 53n - 1n) && x <= 2n ** 53n - 1n ? Number(x) : x);
    const deepNorm = (x: CborValue): CborValue =>
      Array.isArray(x) ? x.map(deepNorm) : x instanceof Map ? new Map([...x].map(([a, b]) => [deepNorm(a), deepNorm(b)])) : x instanceof Buffer ? new Uint8Array(x) : norm(x);
    assert.deepEqual(dec, deepNorm(v));
    assert.deepEqual(cborEncode(dec), enc);
  }
});
