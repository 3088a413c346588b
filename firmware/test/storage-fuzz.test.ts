// Key-value store: random corruption of flash never traps the mount (and never yields a value
// that was not written), and a model-based random test (a JS Map as the model) with reboots,
// aborts, formats and power cuts.
import { test } from "vitest";
import assert from "node:assert/strict";
import type { FlashGeometry } from "@segl/simulator";
import { StoreDev, ST, Rand, eq, isPowerCut, applyModel, parseFlash, type Op } from "./storage-util.js";

type Model = Map<number, Uint8Array>;
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function sameStore(s: StoreDev, model: Model, keys: number): boolean {
  for (let k = 0; k < keys; k++) if (!eq(s.get(k), model.get(k))) return false;
  return true;
}

test("random corruption of flash bytes never traps the mount nor yields unwritten data", () => {
  const geometry: Partial<FlashGeometry> = { pageSize: 1024, pageCount: 6 };
  const KEYS = 12;
  // a store with history: every value ever written, per key
  const build = (): { s: StoreDev; history: Map<number, Set<string>>; model: Model } => {
    const s = new StoreDev(geometry);
    s.mount();
    const r = new Rand(99);
    const history = new Map<number, Set<string>>();
    const model: Model = new Map();
    for (let i = 0; i < 120; i++) {
      const ops: Op[] = [];
      for (let j = 0, n = 1 + r.int(3); j < n; j++) {
        const k = r.int(KEYS);
        ops.push(r.int(7) === 0 ? [k, null] : [k, r.bytes(r.int(120))]);
      }
      assert.equal(s.txn(ops), ST.OK);
      applyModel(model, ops);
      for (const [k, v] of ops) if (v) (history.get(k) ?? history.set(k, new Set()).get(k)!).add(hex(v));
    }
    return { s, history, model };
  };
  const r = new Rand(4242);
  let lostKeys = 0;
  for (let trial = 0; trial < 150; trial++) {
    const { s, history } = build();
    const bytes = s.flash.bytes;
    const kind = trial % 4;
    if (kind === 0) {
      for (let i = 0, n = 1 + r.int(8); i < n; i++) bytes[r.int(bytes.length)] = r.int(256); // scattered bytes
    } else if (kind === 1) {
      const at = r.int(bytes.length - 64); // a run of random bytes
      bytes.set(r.bytes(1 + r.int(64)), at);
    } else if (kind === 2) {
      const p = r.int(6); // a whole page of noise
      bytes.set(r.bytes(1024), p * 1024);
    } else {
      const at = r.int(bytes.length - 32) & ~3; // a header-sized run of zeros or ones
      bytes.fill(r.int(2) === 0 ? 0x00 : 0xff, at, at + 4 + (r.int(8) << 2));
    }
    s.reboot();
    assert.equal(s.mount(), ST.OK, `trial ${trial}`);
    for (let k = 0; k < KEYS; k++) {
      const got = s.getRaw(k);
      if (got === ST.NOT_FOUND) { lostKeys++; continue; }
      assert.ok(got >= 0, `trial ${trial} key ${k}: ${got}`);
      const v = s.get(k)!;
      assert.ok(history.get(k)?.has(hex(v)), `trial ${trial} key ${k}: a value never written`);
    }
    // the store keeps working after the damage, and what it writes now reads back exactly
    const fresh: Model = new Map();
    for (let i = 0; i < 60; i++) {
      const k = r.int(KEYS);
      const v = r.bytes(r.int(100));
      const res = s.put(k, v);
      assert.ok(res === ST.OK || res === ST.FULL, `trial ${trial}: put = ${res}`);
      if (res === ST.OK) fresh.set(k, v);
    }
    s.reboot();
    assert.equal(s.mount(), ST.OK);
    for (const [k, v] of fresh) assert.ok(eq(s.get(k), v), `trial ${trial}: key ${k} written after the damage`);
    assert.equal(s.dev.faults.length, 0, `trial ${trial}: ${JSON.stringify(s.dev.faults)}`);
    assert.equal(s.dev.state, "on");
  }
  assert.ok(lostKeys > 0, "some corruption should cost some keys");
});

test("model-based random test: puts, deletes, transactions, aborts, reboots, formats and power cuts", () => {
  const runs: Array<{ g: Partial<FlashGeometry>; seed: number; steps: number; keys: number; maxLen: number }> = [
    { g: { pageSize: 4096, pageCount: 16 }, seed: 1, steps: 3000, keys: 40, maxLen: 600 },
    { g: { pageSize: 1024, pageCount: 4 }, seed: 2, steps: 3000, keys: 10, maxLen: 200 },
    { g: { pageSize: 2048, pageCount: 64 }, seed: 3, steps: 1500, keys: 200, maxLen: 1024 },
  ];
  for (const { g, seed, steps, keys, maxLen } of runs) {
    const s = new StoreDev(g);
    assert.equal(s.mount(), ST.OK);
    const r = new Rand(seed);
    let model: Model = new Map();
    let cuts = 0, fulls = 0;
    let torn = false; // a cut happened and no transaction has committed since
    for (let step = 0; step < steps; step++) {
      const where = `geometry ${JSON.stringify(g)} step ${step}`;
      const dice = r.int(100);
      if (dice < 3) {
        s.reboot();
        assert.equal(s.mount(), ST.OK);
        if (!torn) assert.equal(s.recovered, false, where);
        continue;
      }
      if (dice < 4 && r.int(4) === 0) {
        assert.equal(s.format(), ST.OK);
        model.clear();
        torn = false;
        continue;
      }
      if (dice < 10) {
        // an aborted transaction leaves no trace
        s.x.txn_begin();
        s.x.txn_put(r.int(keys), s.dev.ioWrite(0, r.bytes(10)), 10);
        s.x.txn_delete(r.int(keys));
        s.x.txn_abort();
        continue;
      }
      if (dice < 30) {
        const k = r.int(keys);
        assert.ok(eq(s.get(k), model.get(k)), `${where}: key ${k}`);
        continue;
      }
      const ops: Op[] = [];
      for (let j = 0, n = dice < 80 ? 1 : 2 + r.int(5); j < n; j++) {
        const k = r.int(keys);
        const len = r.int(4) === 0 ? r.int(maxLen + 1) : r.int(40);
        ops.push(r.int(5) === 0 ? [k, null] : [k, r.bytes(len)]);
      }
      const cutting = r.int(12) === 0;
      if (cutting) s.dev.cutPowerAtFlashOperation(1 + r.int(8));
      let res: number;
      try {
        res = s.txn(ops);
      } catch (e) {
        if (!isPowerCut(e)) throw e;
        cuts++;
        torn = true;
        s.reboot();
        assert.equal(s.mount(), ST.OK);
        assert.equal(s.recovered, true, `${where}: a cut must be noticed`);
        const after = new Map(model);
        applyModel(after, ops);
        if (sameStore(s, after, keys)) model = after;
        else assert.ok(sameStore(s, model, keys), `${where}: after a cut the store is neither old nor new`);
        continue;
      }
      if (cutting) s.dev.cutPowerAtFlashOperation(0);
      if (res === ST.FULL || res === ST.TOO_LARGE) { fulls++; continue; }
      assert.equal(res, ST.OK, where);
      applyModel(model, ops);
      torn = false;
    }
    assert.ok(sameStore(s, model, keys));
    const gg = { pageSize: 4096, pageCount: 16, ...g };
    const parsed = parseFlash(s.flash.bytes, gg.pageSize, gg.pageCount);
    assert.equal(parsed.size, model.size);
    for (const [k, v] of model) assert.ok(eq(parsed.get(k), v));
    assert.ok(cuts > 10, `only ${cuts} cuts`);
    assert.equal(s.dev.faults.length, 0);
    const st = s.flash.stats();
    assert.ok(Math.max(...st.eraseCounts) - Math.min(...st.eraseCounts) <= 3, `wear ${st.eraseCounts.join(",")}`);
  }
});
