// Key-value store: compaction under a long write load, wear levelling, and STORE_FULL.
import { test } from "vitest";
import assert from "node:assert/strict";
import { StoreDev, ST, Rand, eq, parseFlash } from "./storage-util.js";

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

test("20 000 counter writes on 8 pages: compaction keeps up and wear is even", () => {
  const s = new StoreDev({ pageCount: 8 });
  assert.equal(s.mount(), ST.OK);
  // static data that must survive being carried around the ring
  const r = new Rand(5);
  const statics = new Map<number, Uint8Array>();
  for (let k = 1000; k < 1020; k++) { const v = r.bytes(100); statics.set(k, v); assert.equal(s.put(k, v), ST.OK); }
  const t0 = performance.now();
  for (let i = 1; i <= 20_000; i++) assert.equal(s.put(1, u64(i)), ST.OK);
  const ms = performance.now() - t0;
  assert.ok(eq(s.get(1), u64(20_000)));
  const st = s.flash.stats();
  const max = Math.max(...st.eraseCounts), min = Math.min(...st.eraseCounts);
  // 20 000 records of 24 bytes = 480 000 bytes = ~118 pages of 4 076 bytes: ~15 erases a page
  assert.ok(st.erases >= 100 && st.erases <= 160, `erases ${st.erases}`);
  assert.ok(max - min <= 1, `erase counts ${st.eraseCounts.join(",")}`);
  // the firmware's own erase counts (kept in the page headers) agree with the simulator's
  assert.equal(s.x.store_max_erase_count(), max);
  assert.equal(s.x.store_min_erase_count(), min);
  // write amplification: the 20 statics (2 320 bytes) ride along once per lap of the ring
  const amp = st.bytesWritten / (20_000 * 24);
  assert.ok(amp < 1.8, `amplification ${amp.toFixed(2)}`);
  s.reboot();
  assert.equal(s.mount(), ST.OK);
  assert.equal(s.recovered, false);
  assert.ok(eq(s.get(1), u64(20_000)));
  for (const [k, v] of statics) assert.ok(eq(s.get(k), v), `static ${k}`);
  assert.equal(s.x.store_max_erase_count(), max, "erase counts survive a reboot");
  console.log(`# 20k puts: ${ms.toFixed(0)} ms (${((ms * 1000) / 20_000).toFixed(1)} µs/put), ` +
    `${st.erases} erases, counts ${min}..${max}, amplification ${amp.toFixed(2)}`);
});

test("STORE_FULL when live data does not fit; the store stays usable", () => {
  const s = new StoreDev({ pageCount: 4 });
  s.mount();
  const r = new Rand(9);
  const model = new Map<number, Uint8Array>();
  let k = 0;
  let res: number;
  for (;;) {
    const v = r.bytes(1000);
    res = s.put(k, v);
    if (res !== ST.OK) break;
    model.set(k++, v);
  }
  assert.equal(res, ST.FULL);
  assert.ok(model.size >= 6, `only ${model.size} values of 1000 bytes fit in 4 pages`);
  assert.ok(s.x.store_free_bytes() < 1016);
  for (const [key, v] of model) assert.ok(eq(s.get(key), v));
  // overwriting in place still works when full (the old record becomes garbage)
  const nv = r.bytes(1000);
  for (let i = 0; i < 20; i++) assert.equal(s.put(0, nv), ST.OK);
  model.set(0, nv);
  // free one, then a new key fits again
  assert.equal(s.txn([[1, null]]), ST.OK);
  model.delete(1);
  assert.equal(s.put(500, r.bytes(900)), ST.OK);
  s.reboot();
  assert.equal(s.mount(), ST.OK);
  for (const [key, v] of model) assert.ok(eq(s.get(key), v));
  assert.equal(s.get(1), undefined);
  assert.equal(s.get(500)!.length, 900);
  const parsed = parseFlash(s.flash.bytes, 4096, 4);
  assert.equal(parsed.size, model.size + 1);
});

test("a full cycle of deletes leaves an empty store that reuses every page", () => {
  const s = new StoreDev({ pageCount: 4, pageSize: 1024 });
  s.mount();
  for (let round = 0; round < 30; round++) {
    for (let k = 0; k < 6; k++) assert.equal(s.put(k, new Uint8Array(100).fill(round)), ST.OK);
    for (let k = 0; k < 6; k++) assert.equal(s.txn([[k, null]]), ST.OK);
  }
  assert.equal(s.x.store_key_count(), 0);
  const st = s.flash.stats();
  assert.ok(Math.max(...st.eraseCounts) - Math.min(...st.eraseCounts) <= 1, st.eraseCounts.join(","));
  s.reboot();
  s.mount();
  for (let k = 0; k < 6; k++) assert.equal(s.get(k), undefined);
});
