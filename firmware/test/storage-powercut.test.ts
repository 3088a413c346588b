// Key-value store: a power cut at EVERY flash operation of a workload (record writes, page
// opens, compaction copies, retirements, erases, header writes, format). After each cut the
// device reboots and mounts; every key of the interrupted transaction must read wholly old or
// wholly new, all of them the same way, and every earlier transaction exactly. Then the store
// keeps working and survives a second cut at a random later operation.
import { test } from "vitest";
import assert from "node:assert/strict";
import type { FlashGeometry } from "@segl/simulator";
import { StoreDev, ST, Rand, eq, isPowerCut, applyModel, parseFlash, type Op } from "./storage-util.js";

type Step = { ops: Op[] } | { format: true };
type Model = Map<number, Uint8Array>;

function workload(seed: number, steps: number, keys: number, maxLen: number, maxOps: number, withFormat: boolean): Step[] {
  const r = new Rand(seed);
  const out: Step[] = [];
  for (let i = 0; i < steps; i++) {
    if (withFormat && i === Math.floor(steps / 2)) { out.push({ format: true }); continue; }
    const n = 1 + r.int(maxOps);
    const ops: Op[] = [];
    for (let j = 0; j < n; j++) {
      const k = r.int(keys);
      ops.push(r.int(6) === 0 ? [k, null] : [k, r.bytes(r.int(maxLen + 1))]);
    }
    out.push({ ops });
  }
  return out;
}

function runStep(s: StoreDev, st: Step): void {
  if ("format" in st) assert.equal(s.format(), ST.OK);
  else assert.equal(s.txn(st.ops), ST.OK);
}

function applyStep(m: Model, st: Step): void {
  if ("format" in st) m.clear();
  else applyModel(m, st.ops);
}

/** Runs steps from `from`; returns the index of the step a power cut interrupted, or -1. */
function runUntilCut(s: StoreDev, steps: Step[], from: number, model: Model): number {
  for (let i = from; i < steps.length; i++) {
    try {
      runStep(s, steps[i]!);
    } catch (e) {
      if (isPowerCut(e)) return i;
      throw e;
    }
    applyStep(model, steps[i]!);
  }
  return -1;
}

function snapshotOf(s: StoreDev, keys: number): Model {
  const m: Model = new Map();
  for (let k = 0; k < keys; k++) {
    const v = s.get(k);
    if (v !== undefined) m.set(k, v);
  }
  return m;
}

function sameAs(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!eq(v, b.get(k))) return false;
  return true;
}

/** After a cut in step i: the store must equal the model before step i or after it. Returns the new model. */
function checkAtomic(s: StoreDev, model: Model, step: Step, keys: number, where: string): Model {
  const seen = snapshotOf(s, keys);
  const after = new Map(model);
  applyStep(after, step);
  if (sameAs(seen, model)) return model;
  if (sameAs(seen, after)) return after;
  const diff: string[] = [];
  for (let k = 0; k < keys; k++) {
    const v = seen.get(k);
    diff.push(`${k}: seen ${v ? v.length : "-"} old ${model.get(k)?.length ?? "-"} new ${after.get(k)?.length ?? "-"}`);
  }
  assert.fail(`${where}: store is neither the old nor the new state\n${diff.join("\n")}`);
}

interface Scenario {
  name: string;
  geometry: Partial<FlashGeometry>;
  seed: number;
  steps: number;
  keys: number;
  maxLen: number;
  maxOps: number;
  withFormat: boolean;
  minErases: number;
}

function cutEverywhere(sc: Scenario): void {
  const steps = workload(sc.seed, sc.steps, sc.keys, sc.maxLen, sc.maxOps, sc.withFormat);
  // dry run: how many flash operations the workload takes, and that it exercises compaction
  const dry = new StoreDev(sc.geometry);
  assert.equal(dry.mount(), ST.OK);
  const dryModel: Model = new Map();
  assert.equal(runUntilCut(dry, steps, 0, dryModel), -1);
  const total = dry.flash.operations;
  assert.ok(dry.flash.stats().erases >= sc.minErases, `workload erased only ${dry.flash.stats().erases} pages`);
  assert.ok(sameAs(snapshotOf(dry, sc.keys), dryModel));

  const r = new Rand(sc.seed ^ 0x5eed);
  let recoveredMounts = 0;
  for (let n = 1; n <= total; n++) {
    const s = new StoreDev(sc.geometry);
    assert.equal(s.mount(), ST.OK);
    let model: Model = new Map();
    s.dev.cutPowerAtFlashOperation(n);
    const i = runUntilCut(s, steps, 0, model);
    assert.notEqual(i, -1, `cut at op ${n} of ${total} did not happen`);
    s.reboot();
    assert.equal(s.mount(), ST.OK, `mount after cut at op ${n}`);
    if (s.recovered) recoveredMounts++;
    model = checkAtomic(s, model, steps[i]!, sc.keys, `cut at op ${n}/${total} (step ${i})`);
    // a second mount of the same flash sees the same thing
    s.reboot();
    assert.equal(s.mount(), ST.OK);
    assert.ok(sameAs(snapshotOf(s, sc.keys), model), `remount after cut at op ${n}`);

    // keep going from the interrupted step, with a second cut somewhere later
    const rest = total - n + 40;
    s.dev.cutPowerAtFlashOperation(1 + r.int(rest));
    const j = runUntilCut(s, steps, i, model);
    s.reboot();
    assert.equal(s.mount(), ST.OK, `mount after second cut (first at op ${n})`);
    if (j >= 0) model = checkAtomic(s, model, steps[j]!, sc.keys, `second cut after op ${n} (step ${j})`);
    else s.dev.cutPowerAtFlashOperation(0);
    assert.ok(sameAs(snapshotOf(s, sc.keys), model), `after second cut (first at op ${n})`);
    // the independent parser agrees with the firmware
    const g = { pageSize: 4096, pageCount: 16, ...sc.geometry };
    assert.ok(sameAs(parseFlash(s.flash.bytes, g.pageSize, g.pageCount), model), `parser after op ${n}`);
    // and the store still takes writes
    assert.equal(s.put(0, Uint8Array.of(1, 2, 3)), ST.OK);
    assert.ok(eq(s.get(0), Uint8Array.of(1, 2, 3)));
    assert.equal(s.dev.faults.length, 0);
  }
  assert.ok(recoveredMounts > total / 4, `only ${recoveredMounts} of ${total} mounts reported a recovery`);
}

test("power cut at every flash operation: small pages, many compactions", () => {
  cutEverywhere({
    name: "small", geometry: { pageSize: 512, pageCount: 4 }, seed: 11, steps: 70, keys: 6, maxLen: 60,
    maxOps: 3, withFormat: false, minErases: 12,
  });
});

test("power cut at every flash operation: large values and 2 KiB transactions on 4 KiB pages", () => {
  cutEverywhere({
    name: "large", geometry: { pageSize: 4096, pageCount: 4 }, seed: 12, steps: 70, keys: 5, maxLen: 1024,
    maxOps: 2, withFormat: false, minErases: 8,
  });
});

test("power cut at every flash operation, with a format in the middle", () => {
  cutEverywhere({
    name: "format", geometry: { pageSize: 1024, pageCount: 5 }, seed: 13, steps: 90, keys: 8, maxLen: 100,
    maxOps: 4, withFormat: true, minErases: 10,
  });
});

test("storeWasRecovered: set after a torn write, clear on a clean mount", () => {
  const s = new StoreDev({ pageSize: 1024, pageCount: 4 });
  s.mount();
  assert.equal(s.put(1, new Uint8Array(50).fill(1)), ST.OK);
  s.dev.cutPowerAtFlashOperation(1);
  assert.throws(() => s.txn([[1, new Uint8Array(50).fill(2)], [2, new Uint8Array(50).fill(2)]]), (e: unknown) => isPowerCut(e));
  s.reboot();
  s.mount();
  assert.equal(s.recovered, true);
  assert.ok(eq(s.get(1), new Uint8Array(50).fill(1)));
  assert.equal(s.get(2), undefined);
  // the next write goes to a fresh page; the torn one is recycled by compaction in time
  assert.equal(s.put(3, Uint8Array.of(3)), ST.OK);
  for (let i = 0; i < 100; i++) assert.equal(s.put(4, new Uint8Array(40).fill(i)), ST.OK);
  s.reboot();
  s.mount();
  assert.equal(s.recovered, false);
  assert.ok(eq(s.get(1), new Uint8Array(50).fill(1)));
  assert.ok(eq(s.get(3), Uint8Array.of(3)));
});
