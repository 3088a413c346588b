// Every class of malformed or non-canonical input gets a negative code (never a trap), from the
// validator, the reader on its own and skip.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Cbor, CMap, ERR, hex, encode, makeCredentialRequest, type CborValue } from "./cbor-util.js";

const c = new Cbor();

/** The validator returns `want`; the reader alone and skip reject too (any negative code). */
function rejects(b: Uint8Array, want: number, label: string, depth = 4): void {
  assert.equal(c.checkExact(b, depth), want, label);
  assert.equal(c.walk(b, true, depth).status, want, `${label} (open)`);
  assert.equal(c.x.cbor_ctap_status(want), 0x12, label);
}

test("truncation at every byte offset of a valid request", () => {
  const msg = makeCredentialRequest();
  assert.ok(msg.length > 300);
  for (let n = 0; n < msg.length; n++) {
    const b = msg.subarray(0, n);
    assert.equal(c.checkExact(b), ERR.TRUNCATED, `prefix ${n}`);
    assert.equal(c.check(b), ERR.TRUNCATED, `prefix ${n} (check)`);
    assert.equal(c.walk(b, false).status, ERR.TRUNCATED, `prefix ${n} (reader alone)`);
    assert.equal(c.skip(b), ERR.TRUNCATED, `prefix ${n} (skip)`);
  }
  // the declared length is what counts, not what lies in memory after it
  const p = c.put(new Uint8Array([...msg, 0, 0, 0, 0]));
  assert.equal(c.x.cbor_check_exact(p, msg.length - 1, 4), ERR.TRUNCATED);
  assert.equal(c.x.cbor_check_exact(p, msg.length, 4), msg.length);
  assert.equal(c.x.cbor_check_exact(p, msg.length + 1, 4), ERR.TRAILING);
  assert.equal(c.x.cbor_check(p, msg.length + 4, 4), msg.length);
});

test("lengths and counts larger than the buffer", () => {
  const cases = [
    "5a ffffffff 00", "5b ffffffffffffffff 00", "5b 0000000100000000", "7a ffffffff 61", "59 0100 00",
    "9a ffffffff 00", "9b ffffffffffffffff 00", "9b 8000000000000000 00", "bb 8000000000000000 0000",
    "bb 7fffffffffffffff 0000", "ba 7fffffff 00", "b8 20 0102", "98 20 01", "82 01", "a1 01", "78 20 6161",
    "1b 00000001", "1a 0001", "19 01", "18", "3b 0000", "f9 00", "fa 000000", "fb 00000000000000",
  ];
  for (const h of cases) {
    const b = hex(h);
    rejects(b, ERR.TRUNCATED, h);
    assert.equal(c.walk(b, false).status, ERR.TRUNCATED, `${h} reader`);
    assert.equal(c.skip(b), ERR.TRUNCATED, `${h} skip`);
  }
  // map count whose doubling overflows 64 bits must not wrap to a small count
  const wrap = hex("bb 8000000000000000");
  assert.equal(c.checkExact(wrap), ERR.TRUNCATED);
  assert.equal(c.x.cbor_read_one(c.put(wrap), wrap.length, 6), ERR.TRUNCATED);
});

test("non-shortest heads in every major type", () => {
  const cases = [
    "1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", // uint
    "3817", "3900ff", "1a00000001", "3b00000000ffffffff", // nint
    "5800", "590001 61", "5a00000001 61", // bytes
    "7800", "790001 61", // text
    "9800", "990001 01", "9a00000000", // array
    "b800", "b90001 0102", // map
    "a1 1800 01", "81 1817", // nested
  ];
  for (const h of cases) {
    const b = hex(h);
    rejects(b, ERR.NON_CANONICAL, h);
    assert.ok(c.walk(b, false).status < 0, `${h} reader`);
  }
  // floats keep their representation: a "too long" float is fine
  assert.equal(c.checkExact(hex("fb3ff0000000000000")), 9);
  assert.equal(c.checkExact(hex("f90000")), 3);
});

test("indefinite lengths, breaks, tags and reserved additional info", () => {
  for (const ib of [0x5f, 0x7f, 0x9f, 0xbf, 0xff]) rejects(new Uint8Array([ib, 0xff]), ERR.INDEFINITE, ib.toString(16));
  for (const ib of [0x1f, 0x3f, 0xdf]) rejects(new Uint8Array([ib]), ERR.MALFORMED, ib.toString(16));
  for (let major = 0; major < 8; major++) {
    for (const ai of [28, 29, 30]) rejects(new Uint8Array([(major << 5) | ai, 0, 0, 0, 0, 0, 0, 0, 0]), ERR.MALFORMED, `${major}/${ai}`);
  }
  for (let ib = 0xc0; ib <= 0xdb; ib++) rejects(new Uint8Array([ib, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ERR.TAG, ib.toString(16));
  for (let v = 0; v < 32; v++) rejects(new Uint8Array([0xf8, v]), ERR.MALFORMED, `simple ${v}`);
  assert.equal(c.checkExact(hex("f820")), 2, "simple(32) is well-formed");
  rejects(hex("a1 01 c0 00"), ERR.TAG, "tag in a map value");
});

test("nesting depth: CTAP 4 by default, configurable up to 8", () => {
  const nestA = (n: number): Uint8Array => new Uint8Array([...new Array(n).fill(0x81), 0x00]);
  const nestM = (n: number): Uint8Array => new Uint8Array([...new Array(n).fill(0).flatMap(() => [0xa1, 0x01]), 0x00]);
  for (const nest of [nestA, nestM]) {
    assert.equal(c.checkExact(nest(4), 4), nest(4).length);
    rejects(nest(5), ERR.DEPTH, "depth 5", 4);
    rejects(nest(6), ERR.DEPTH, "depth 6", 4);
    assert.equal(c.checkExact(nest(8), 8), nest(8).length);
    rejects(nest(9), ERR.DEPTH, "depth 9", 8);
    assert.equal(c.checkExact(nest(0), 0), 1);
    rejects(nest(1), ERR.DEPTH, "depth 1 at limit 0", 0);
  }
  // empty containers count too
  rejects(hex("8181818180"), ERR.DEPTH, "empty innermost");
  assert.equal(c.checkExact(hex("81818180")), 4);
  // the makeCredential request sits exactly at 4; one more level is rejected
  const deeper = encode(new CMap([[1n, [[[[1n]]]]]]));
  rejects(deeper, ERR.DEPTH, "map → 4 arrays");
  // a limit above 8 is a caller error, not a decode error
  assert.equal(c.checkExact(nestA(1), 9), ERR.ARGS);
  // very deep input: no recursion anywhere, so no stack overflow in the reader or skip
  const deep = nestA(5000);
  rejects(deep, ERR.DEPTH, "depth 5000", 8);
  assert.equal(c.skip(deep), deep.length);
  const deep300 = nestA(300);
  assert.ok(c.walk(deep300, false).status > 0, "reader alone walks 300 levels");
  assert.equal(c.walk(deep300, true).status, ERR.DEPTH);
});

test("invalid UTF-8 in text strings (and in map keys)", () => {
  const bad = ["c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "ed a0 80", "ed bf bf", "f0 80 80 80", "f0 8f bf bf",
    "f4 90 80 80", "f5 80 80 80", "ff", "80", "bf", "e6 b0", "f0 90 85", "c3", "61 80", "e6 41 b4", "fe fe ff ff"];
  for (const h of bad) {
    const s = hex(h);
    const item = new Uint8Array([0x60 | s.length, ...s]);
    rejects(item, ERR.UTF8, h);
    assert.equal(c.walk(item, false).status, ERR.UTF8, `${h} readText`);
    assert.equal(c.x.cbor_utf8_count(c.put(s), s.length), ERR.UTF8, h);
    rejects(new Uint8Array([0xa1, 0x60 | s.length, ...s, 0x00]), ERR.UTF8, `${h} as key`);
    // a byte string holds anything
    assert.equal(c.checkExact(new Uint8Array([0x40 | s.length, ...s])), s.length + 1);
  }
  const good: [string, number][] = [["", 0], ["7f", 1], ["c2 80", 1], ["df bf", 1], ["e0 a0 80", 1], ["ed 9f bf", 1],
    ["ee 80 80", 1], ["ef bf bf", 1], ["f0 90 80 80", 1], ["f4 8f bf bf", 1], ["ef bb bf 61", 2], ["c3 98 6c 65", 3]];
  for (const [h, n] of good) {
    const s = hex(h);
    assert.equal(c.x.cbor_utf8_count(c.put(s), s.length), n, h);
    assert.equal(c.checkExact(new Uint8Array([0x60 | s.length, ...s])), s.length + 1, h);
  }
  // differential: random byte strings against the WHATWG decoder (fatal mode)
  const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let seed = 12345;
  const next = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 16; };
  const pool = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf4, 0xf5, 0xff];
  for (let i = 0; i < 20000; i++) {
    const s = new Uint8Array(1 + (next() % 7)).map(() => pool[next() % pool.length]!);
    let want: number;
    try { want = [...dec.decode(s)].length; } catch { want = ERR.UTF8; }
    assert.equal(c.x.cbor_utf8_count(c.put(s), s.length), want, Buffer.from(s).toString("hex"));
  }
});

test("map keys: unsorted, duplicate, wrong type", () => {
  rejects(hex("a2 03 04 01 02"), ERR.KEY_ORDER, "{3:4, 1:2}");
  rejects(hex("a2 01 02 01 03"), ERR.KEY_DUP, "{1:2, 1:3}");
  rejects(hex("a2 20 00 01 00"), ERR.KEY_ORDER, "{-1, 1}");
  rejects(hex("a2 62 6161 00 61 62 00"), ERR.KEY_ORDER, "{'aa', 'b'} (length-first needed)");
  rejects(hex("a2 61 62 00 61 62 00"), ERR.KEY_DUP, "{'b', 'b'}");
  rejects(hex("a2 61 61 00 41 61 00"), ERR.KEY_ORDER, "text before bytes");
  rejects(hex("a3 01 00 02 00 02 00"), ERR.KEY_DUP, "dup at the end");
  rejects(hex("a1 80 00"), ERR.KEY_TYPE, "array key");
  rejects(hex("a1 a0 00"), ERR.KEY_TYPE, "map key");
  rejects(hex("a1 f5 00"), ERR.KEY_TYPE, "bool key");
  rejects(hex("a1 f6 00"), ERR.KEY_TYPE, "null key");
  rejects(hex("a1 f93c00 00"), ERR.KEY_TYPE, "float key");
  // order is per map: the same keys in sibling and nested maps are fine
  const ok: CborValue = new CMap([[1n, new CMap([[1n, 0n], [2n, 0n]])], [2n, [new CMap([[1n, 0n]]), new CMap([[1n, 0n]])]]]);
  const b = encode(ok);
  assert.equal(c.checkExact(b), b.length);
  // unsorted deep inside a valid request
  const msg = makeCredentialRequest();
  const i = Buffer.from(msg).indexOf(Buffer.from("62726bf5627576f4", "hex")); // "rk": true, "uv": false
  assert.ok(i > 0);
  const swapped = new Uint8Array(msg);
  swapped.set(hex("627576f4 62726bf5"), i);
  rejects(swapped, ERR.KEY_ORDER, "swapped options");
});

test("trailing bytes after the item", () => {
  const b = hex("a1 01 02 00");
  assert.equal(c.checkExact(b), ERR.TRAILING);
  assert.equal(c.check(b), 3);
  assert.equal(c.walk(b, false).status, ERR.TRAILING);
  assert.equal(c.skip(b), 3);
  assert.equal(c.checkExact(new Uint8Array(0)), ERR.TRUNCATED);
});

test("reader accessors on hostile heads return errors, never trap", () => {
  const inputs = ["", "18", "5b ffffffffffffffff", "9b ffffffffffffffff", "bb ffffffffffffffff", "7a 7fffffff",
    "ff", "1f", "5f", "c0", "fc", "61 ff", "3b ffffffffffffffff", "f8 00"];
  for (const h of inputs) {
    const b = hex(h);
    const p = c.put(b);
    for (let which = 0; which <= 11; which++) {
      const r = c.x.cbor_read_one(p, b.length, which);
      const okay = (h === "3b ffffffffffffffff" && (which === 2 || which === 10))
        || (h === "61 ff" && which === 10) // skip does not look inside strings (cborCheck does)
        || (which === 11 && r >= 0);
      if (!okay) assert.ok(r < 0, `${h} accessor ${which}: ${r}`);
    }
  }
});
