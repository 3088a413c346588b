// Key-value store: the API's behaviour, and the on-flash format checked by an independent parser
// (written from docs/storage.md, CRC from node:zlib).
import { test } from "vitest";
import assert from "node:assert/strict";
import { StoreDev, ST, Rand, eq, parseFlash } from "./storage-util.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test("blank flash mounts as an empty store without writing", () => {
  const s = new StoreDev();
  assert.equal(s.mount(), ST.OK);
  assert.equal(s.flash.stats().writes + s.flash.stats().erases, 0);
  assert.equal(s.get(1), undefined);
  assert.equal(s.recovered, false);
  assert.equal(s.x.store_key_count(), 0);
});

test("put, get, overwrite, delete, survive a reboot", () => {
  const s = new StoreDev();
  assert.equal(s.mount(), ST.OK);
  assert.equal(s.put(7, enc("hello")), ST.OK);
  assert.equal(s.put(0, new Uint8Array(0)), ST.OK);
  assert.equal(s.put(0xfffe, enc("top")), ST.OK);
  assert.ok(eq(s.get(7), enc("hello")));
  assert.ok(eq(s.get(0), new Uint8Array(0)));
  assert.ok(eq(s.get(0xfffe), enc("top")));
  assert.equal(s.put(7, enc("hello, world")), ST.OK);
  assert.ok(eq(s.get(7), enc("hello, world")));
  assert.equal(s.txn([[0, null]]), ST.OK);
  assert.equal(s.get(0), undefined);
  s.reboot();
  assert.equal(s.mount(), ST.OK);
  assert.equal(s.recovered, false);
  assert.ok(eq(s.get(7), enc("hello, world")));
  assert.equal(s.get(0), undefined);
  assert.ok(eq(s.get(0xfffe), enc("top")));
  assert.equal(s.x.store_key_count(), 2);
  // deleting an absent key is fine
  assert.equal(s.txn([[1234, null]]), ST.OK);
  assert.equal(s.get(1234), undefined);
});

test("get copies at most max bytes and returns the full length", () => {
  const s = new StoreDev();
  s.mount();
  const v = new Rand(1).bytes(100);
  assert.equal(s.put(3, v), ST.OK);
  assert.equal(s.getRaw(3, 10), 100);
  assert.ok(eq(s.dev.ioRead(4096, 10), v.subarray(0, 10)));
  assert.equal(s.getRaw(3, 0), 100);
});

test("argument errors: value too large, bad key, no transaction, unmounted", () => {
  const s = new StoreDev();
  assert.equal(s.getRaw(1), ST.FLASH, "not mounted yet");
  s.mount();
  assert.equal(s.put(1, new Uint8Array(1025)), ST.TOO_LARGE);
  assert.equal(s.put(1, new Uint8Array(1024)), ST.OK);
  assert.equal(s.get(1)!.length, 1024);
  assert.equal(s.put(0xffff, enc("x")), ST.BAD_KEY);
  assert.equal(s.put(0x10000, enc("x")), ST.BAD_KEY);
  assert.equal(s.getRaw(0xffff), ST.NOT_FOUND);
  assert.equal(s.x.txn_commit(), ST.NO_TXN);
  assert.equal(s.x.txn_delete(1), ST.NO_TXN);
  assert.equal(s.x.txn_put(1, s.x.io_ptr(), 1), ST.NO_TXN);
  // the harness refuses pointers outside the exchange buffer (the store never sees them)
  assert.equal(s.x.store_put(1, 0, 16), -100);
});

test("a transaction is all or nothing: commit, abort, and at least 2 KiB staged", () => {
  const s = new StoreDev();
  s.mount();
  const r = new Rand(2);
  const a = r.bytes(1024), b = r.bytes(1024), c = r.bytes(300);
  assert.equal(s.txn([[1, a], [2, b]]), ST.OK);
  assert.ok(eq(s.get(1), a) && eq(s.get(2), b));
  // abort leaves no trace
  s.x.txn_begin();
  assert.equal(s.x.txn_put(1, s.dev.ioWrite(0, c), c.length), ST.OK);
  assert.equal(s.x.txn_delete(2), ST.OK);
  s.x.txn_abort();
  assert.equal(s.x.txn_commit(), ST.NO_TXN);
  assert.ok(eq(s.get(1), a) && eq(s.get(2), b));
  // staged values are not visible before commit
  s.x.txn_begin();
  s.x.txn_put(1, s.dev.ioWrite(0, c), c.length);
  assert.ok(eq(s.get(1), a));
  assert.equal(s.x.txn_commit(), ST.OK);
  assert.ok(eq(s.get(1), c));
  // many small records, a delete, a duplicate key inside one transaction (last one wins)
  const ops: Array<[number, Uint8Array | null]> = [];
  for (let k = 100; k < 130; k++) ops.push([k, r.bytes(k - 90)]);
  ops.push([2, null], [100, enc("again")]);
  assert.equal(s.txn(ops), ST.OK);
  assert.equal(s.get(2), undefined);
  assert.ok(eq(s.get(100), enc("again")));
  assert.ok(eq(s.get(129), ops[29]![1]!));
  // more than 32 records or more than the staging area: refused, nothing written
  const tooMany: Array<[number, Uint8Array]> = [];
  for (let k = 0; k < 33; k++) tooMany.push([500 + k, enc("v")]);
  assert.equal(s.txn(tooMany), ST.TOO_LARGE);
  assert.equal(s.txn([[600, r.bytes(1024)], [601, r.bytes(1024)], [602, r.bytes(1024)]]), ST.TOO_LARGE);
  assert.equal(s.get(500), undefined);
  assert.equal(s.get(600), undefined);
  s.reboot();
  s.mount();
  assert.ok(eq(s.get(1), c));
  assert.ok(eq(s.get(100), enc("again")));
  assert.equal(s.get(2), undefined);
});

test("format erases every page and leaves an empty store", () => {
  const s = new StoreDev({ pageCount: 6 });
  s.mount();
  for (let k = 0; k < 50; k++) assert.equal(s.put(k, new Rand(k + 1).bytes(200)), ST.OK);
  assert.equal(s.format(), ST.OK);
  assert.equal(s.get(3), undefined);
  const st = s.flash.stats();
  assert.ok(st.eraseCounts.every((c) => c >= 1));
  // nothing but page headers remain
  const parsed = parseFlash(s.flash.bytes, 4096, 6);
  assert.equal(parsed.size, 0);
  s.reboot();
  assert.equal(s.mount(), ST.OK);
  assert.equal(s.get(3), undefined);
  assert.equal(s.recovered, false);
  assert.equal(s.put(3, enc("new")), ST.OK);
  assert.ok(eq(s.get(3), enc("new")));
});

test("small pages: values are capped to what a page holds", () => {
  const s = new StoreDev({ pageSize: 512, pageCount: 4 });
  assert.equal(s.mount(), ST.OK);
  const max = s.x.store_max_value();
  assert.equal(max, 476);
  assert.equal(s.put(1, new Uint8Array(max + 1)), ST.TOO_LARGE);
  assert.equal(s.put(1, new Uint8Array(max).fill(9)), ST.OK);
  assert.ok(eq(s.get(1), new Uint8Array(max).fill(9)));
});

test("unsupported geometry is refused, not trapped on", () => {
  const s = new StoreDev({ pageCount: 3 });
  assert.equal(s.mount(), ST.FLASH);
  assert.equal(s.put(1, enc("x")), ST.FLASH);
  assert.equal(s.dev.state, "on");
});

test("the index holds 512 keys; the 513th is STORE_FULL", () => {
  const s = new StoreDev({ pageCount: 16 });
  s.mount();
  for (let k = 0; k < 512; k++) assert.equal(s.put(k * 7, Uint8Array.of(k & 0xff, k >> 8)), ST.OK, `key ${k}`);
  assert.equal(s.put(9999, enc("x")), ST.FULL);
  assert.equal(s.put(7, enc("overwrite ok")), ST.OK);
  assert.equal(s.txn([[0, null]]), ST.OK);
  assert.equal(s.put(9999, enc("now it fits")), ST.OK);
  s.reboot();
  s.mount();
  assert.equal(s.x.store_key_count(), 512);
  for (let k = 2; k < 512; k++) assert.ok(eq(s.get(k * 7), Uint8Array.of(k & 0xff, k >> 8)));
});

test("an independent parser of the documented format reads back exactly the store's content", () => {
  const s = new StoreDev({ pageCount: 5 });
  s.mount();
  const r = new Rand(77);
  const model = new Map<number, Uint8Array>();
  for (let i = 0; i < 600; i++) {
    const k = r.int(40);
    if (r.int(5) === 0) { assert.equal(s.txn([[k, null]]), ST.OK); model.delete(k); }
    else { const v = r.bytes(r.int(300)); assert.equal(s.put(k, v), ST.OK); model.set(k, v); }
  }
  assert.ok(s.flash.stats().erases > 5, "compaction ran");
  const parsed = parseFlash(s.flash.bytes, 4096, 5);
  assert.equal(parsed.size, model.size);
  for (const [k, v] of model) assert.ok(eq(parsed.get(k), v), `key ${k}`);
});
