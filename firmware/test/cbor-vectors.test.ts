// RFC 8949 Appendix A vectors through the firmware validator, reader and writer; encoder tests.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Cbor, CMap, Simple, Float, ERR, hex, toHex, encode, makeCredentialRequest, type CborValue } from "./cbor-util.js";

const c = new Cbor();
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const range = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i + 1));

// [hex, expected value] — every RFC 8949 Appendix A vector that is valid in CTAP2 canonical form.
const VALID: [string, CborValue][] = [
  ["00", 0n], ["01", 1n], ["0a", 10n], ["17", 23n], ["1818", 24n], ["1819", 25n], ["1864", 100n],
  ["1903e8", 1000n], ["1a000f4240", 1000000n], ["1b000000e8d4a51000", 1000000000000n],
  ["1bffffffffffffffff", 18446744073709551615n], ["3bffffffffffffffff", -18446744073709551616n],
  ["20", -1n], ["29", -10n], ["3863", -100n], ["3903e7", -1000n],
  // floats: accepted as opaque items (CTAP leaves float representations unchanged)
  ["f90000", new Float("f90000")], ["f98000", new Float("f98000")], ["f93c00", new Float("f93c00")],
  ["fb3ff199999999999a", new Float("fb3ff199999999999a")], ["f93e00", new Float("f93e00")],
  ["f97bff", new Float("f97bff")], ["fa47c35000", new Float("fa47c35000")], ["fa7f7fffff", new Float("fa7f7fffff")],
  ["fb7e37e43c8800759c", new Float("fb7e37e43c8800759c")], ["f90001", new Float("f90001")],
  ["f90400", new Float("f90400")], ["f9c400", new Float("f9c400")], ["fbc010666666666666", new Float("fbc010666666666666")],
  ["f97c00", new Float("f97c00")], ["f97e00", new Float("f97e00")], ["f9fc00", new Float("f9fc00")],
  ["fa7f800000", new Float("fa7f800000")], ["fa7fc00000", new Float("fa7fc00000")], ["faff800000", new Float("faff800000")],
  ["fb7ff0000000000000", new Float("fb7ff0000000000000")], ["fb7ff8000000000000", new Float("fb7ff8000000000000")],
  ["fbfff0000000000000", new Float("fbfff0000000000000")],
  ["f4", false], ["f5", true], ["f6", null], ["f7", undefined], ["f0", new Simple(16)], ["f8ff", new Simple(255)],
  ["40", new Uint8Array(0)], ["4401020304", bytes(1, 2, 3, 4)],
  ["60", ""], ["6161", "a"], ["6449455446", "IETF"], ["62225c", "\"\\"], ["62c3bc", "\u00fc"], ["63e6b0b4", "\u6c34"],
  ["64f0908591", "\u{10151}"],
  ["80", []], ["83010203", [1n, 2n, 3n]], ["8301820203820405", [1n, [2n, 3n], [4n, 5n]]],
  ["98190102030405060708090a0b0c0d0e0f101112131415161718181819", range(25)],
  ["a0", new CMap([])], ["a201020304", new CMap([[1n, 2n], [3n, 4n]])],
  ["a26161016162820203", new CMap([["a", 1n], ["b", [2n, 3n]]])],
  ["826161a161626163", ["a", new CMap([["b", "c"]])]],
  ["a56161614161626142616361436164614461656145",
    new CMap([["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"], ["e", "E"]])],
];

// RFC 8949 Appendix A vectors that CTAP2 canonical CBOR forbids, with the expected error.
const REJECTED: [string, number][] = [
  ["c249010000000000000000", ERR.TAG], ["c349010000000000000000", ERR.TAG],
  ["c074323031332d30332d32315432303a30343a30305a", ERR.TAG], ["c11a514b67b0", ERR.TAG],
  ["c1fb41d452d9ec200000", ERR.TAG], ["d74401020304", ERR.TAG], ["d818456449455446", ERR.TAG],
  ["d82076687474703a2f2f7777772e6578616d706c652e636f6d", ERR.TAG],
  ["5f42010243030405ff", ERR.INDEFINITE], ["7f657374726561646d696e67ff", ERR.INDEFINITE],
  ["9fff", ERR.INDEFINITE], ["9f018202039f0405ffff", ERR.INDEFINITE], ["9f01820203820405ff", ERR.INDEFINITE],
  ["83018202039f0405ff", ERR.INDEFINITE], ["83019f0203ff820405", ERR.INDEFINITE],
  ["9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", ERR.INDEFINITE],
  ["bf61610161629f0203ffff", ERR.INDEFINITE], ["826161bf61626163ff", ERR.INDEFINITE],
  ["bf6346756ef563416d7421ff", ERR.INDEFINITE],
];

test("RFC 8949 Appendix A: valid vectors decode to the right value and re-encode byte-identically", () => {
  for (const [h, want] of VALID) {
    const b = hex(h);
    assert.equal(c.checkExact(b, 4), b.length, h);
    for (const validate of [true, false]) {
      const r = c.walk(b, validate);
      assert.ok(r.status >= 0, `${h}: walk ${r.status}`);
      assert.deepEqual(r.value, want, h);
      assert.equal(toHex(r.enc!), h, `${h} re-encoded`);
    }
    assert.equal(c.skip(b), b.length, `${h} skip`);
    // our independent TS encoder agrees where it can express the value
    if (!(want instanceof Float)) assert.equal(toHex(encode(want)), h, `${h} TS encoder`);
  }
});

test("RFC 8949 Appendix A: tags and indefinite lengths are rejected", () => {
  for (const [h, want] of REJECTED) {
    const b = hex(h);
    assert.equal(c.checkExact(b, 8), want, h);
    assert.equal(c.walk(b, false).status, want, `${h} reader`);
    assert.equal(c.skip(b), want, `${h} skip`);
    assert.equal(c.x.cbor_ctap_status(want), 0x12);
  }
});

test("a makeCredential request validates at depth 4, walks and re-encodes identically", () => {
  const b = makeCredentialRequest();
  assert.equal(c.checkExact(b, 4), b.length);
  assert.equal(c.checkExact(b, 3), ERR.DEPTH);
  const r = c.walk(b, true);
  assert.ok(r.status > 0);
  assert.equal(toHex(r.enc!), toHex(b));
  assert.equal(toHex(encode(r.value!)), toHex(b));
});

test("reader accessors: right type consumes the item, wrong type consumes nothing", () => {
  // which: 0 uint, 1 int, 2 nint, 3 bytes, 4 text, 5 array, 6 map, 7 simple, 8 bool, 9 null
  const items: [string, number, number, number][] = [
    // hex, accessor that fits, its return value, cursor offset after it
    ["1903e8", 0, 0, 3], ["3903e7", 1, 0, 3], ["3903e7", 2, 0, 3], ["4401020304", 3, 4, 5],
    ["6449455446", 4, 4, 5], ["83010203", 5, 3, 1], ["a201020304", 6, 2, 1], ["f0", 7, 16, 1],
    ["f5", 8, 1, 1], ["f4", 8, 0, 1], ["f6", 9, 0, 1], ["f7", 7, 23, 1],
  ];
  for (const [h, fit, ret, off] of items) {
    const b = hex(h);
    const p = c.put(b);
    for (let which = 0; which <= 9; which++) {
      const r = c.x.cbor_read_one(p, b.length, which);
      const fits = which === fit || (which === 1 && fit === 0) || (which === 7 && (fit === 8 || fit === 9))
        || (which === 2 && fit === 1) || (which === 1 && fit === 2);
      if (fits) {
        assert.ok(r >= 0, `${h} accessor ${which}: ${r}`);
        if (which === fit) { assert.equal(r, ret, `${h} ${which}`); assert.equal(c.x.cbor_last_offset(), off, h); }
      } else {
        assert.equal(r, ERR.TYPE, `${h} accessor ${which}`);
        assert.equal(c.x.cbor_last_offset(), 0, `${h} accessor ${which} consumed`);
      }
    }
    assert.equal(c.x.cbor_read_one(p, b.length, 11), parseInt(h.slice(0, 1), 16) >> 1, `${h} peekType`);
  }
  assert.equal(c.x.cbor_ctap_status(ERR.TYPE), 0x11);
  // values
  const p = c.put(hex("3b7fffffffffffffff"));
  assert.equal(c.x.cbor_read_one(p, 9, 1), 0);
  assert.equal(c.x.cbor_last_int(), -(2n ** 63n));
  const q = c.put(hex("3b8000000000000000"));
  assert.equal(c.x.cbor_read_one(q, 9, 1), ERR.RANGE, "below int64");
  assert.equal(c.x.cbor_read_one(q, 9, 2), 0);
  assert.equal(BigInt.asUintN(64, c.x.cbor_last_uint()), 2n ** 63n);
  const u = c.put(hex("1b8000000000000000"));
  assert.equal(c.x.cbor_read_one(u, 9, 1), ERR.RANGE, "above int64");
  assert.equal(c.x.cbor_read_one(u, 9, 0), 0);
  assert.equal(BigInt.asUintN(64, c.x.cbor_last_uint()), 2n ** 63n);
  // a float is not a simple value
  const f = c.put(hex("f93c00"));
  assert.equal(c.x.cbor_read_one(f, 3, 7), ERR.TYPE);
  assert.equal(c.x.cbor_read_one(f, 3, 10), 0);
  assert.equal(c.x.cbor_last_offset(), 3);
});

test("writer: shortest heads at every boundary, int64 extremes, sticky overflow", () => {
  const out = c.io + Cbor.ENC;
  const uints = [0n, 23n, 24n, 255n, 256n, 65535n, 65536n, 0xffffffffn, 0x100000000n, 2n ** 64n - 1n];
  for (const v of uints) {
    const want = encode(v);
    assert.equal(c.x.cbor_enc_uint(v, out, 16), want.length, `${v}`);
    assert.equal(toHex(c.dev.ioRead(Cbor.ENC, want.length)), toHex(want), `${v}`);
    for (let cap = 0; cap < want.length; cap++) assert.equal(c.x.cbor_enc_uint(v, out, cap), ERR.OVERFLOW);
  }
  const ints = [-1n, -24n, -25n, -256n, -257n, -65536n, -65537n, -(2n ** 32n), -(2n ** 32n) - 1n, -(2n ** 63n), 2n ** 63n - 1n, 0n];
  for (const v of ints) {
    const want = encode(v);
    assert.equal(c.x.cbor_enc_int(v, out, 16), want.length, `${v}`);
    assert.equal(toHex(c.dev.ioRead(Cbor.ENC, want.length)), toHex(want), `${v}`);
  }
  // a getInfo-shaped response
  const aaguid = new Uint8Array(16).map((_, i) => i * 17);
  const ag = c.put(aaguid, 5000);
  const n = c.x.cbor_enc_sample(ag, out, 1024);
  const expected = encode(new CMap([
    [1n, ["U2F_V2", "FIDO_2_0"]], [3n, aaguid],
    [4n, new CMap([["up", true], ["rk", false], ["plat", false]])], [5n, 1200n], [6n, [1n]],
    [-1n, [null, undefined, new Simple(16), -1000000000000n]],
  ]));
  assert.equal(n, expected.length);
  const got = c.dev.ioRead(Cbor.ENC, n);
  assert.equal(toHex(got), toHex(expected));
  assert.equal(c.checkExact(got, 4), n, "the writer's output is canonical");
  for (let cap = 0; cap < n; cap++) assert.equal(c.x.cbor_enc_sample(ag, out, cap), ERR.OVERFLOW, `cap ${cap}`);
});

test("key comparison is bytewise over encodings (CTAP2 canonical order, not RFC 7049 length-first)", () => {
  const cmp = (a: CborValue, b: CborValue): number => {
    const ea = encode(a), eb = encode(b);
    return c.x.cbor_key_compare(c.put(ea, 0), ea.length, c.put(eb, 100), eb.length);
  };
  assert.equal(cmp(1000n, -1n), -1); // major 0 before major 1, however long
  assert.equal(cmp(23n, 24n), -1);
  assert.equal(cmp(-1n, -24n), -1);
  assert.equal(cmp("b", "aa"), -1); // shorter text first
  assert.equal(cmp(new Uint8Array([9]), "a"), -1); // bytes before text
  assert.equal(cmp(5n, 5n), 0);
  assert.equal(cmp("up", "rk"), 1);
  // the validator applies it: 1000 before -1 accepted, the RFC 7049 order rejected
  assert.equal(c.checkExact(hex("a21903e80020f6")), 7);
  assert.equal(c.checkExact(hex("a220f61903e800")), ERR.KEY_ORDER);
});
