import { test } from "vitest";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Simulator, registeredSerialDevices } from "../src/index.js";

test("many devices: one module, one instance and one flash each, one clock", () => {
  const sim = new Simulator({ startMs: 1_700_000_000_000 });
  for (let i = 0; i < 100; i++) sim.add({ name: `d${i}`, rngSeed: `seed-${i}`, driftPpm: i });
  assert.equal(sim.size, 100);
  const a = sim.device("d1"), b = sim.device("d2");
  assert.equal(a.image.module, b.image.module, "one compiled module");
  assert.notEqual(a.raw.memory, b.raw.memory, "one instance each");
  assert.notEqual(a.flash, b.flash, "one flash each");
  assert.equal(a.clock, b.clock);
  assert.equal(b.driftPpm, 2);
  assert.equal(a.state, "on");
  // Independent state: a button on one device changes only that device.
  a.click();
  assert.equal(b.display, "");
  // Independent flash (power off first: a running device would mount, i.e. repair, the garbage).
  a.cutPower();
  const img = a.snapshotFlash();
  img.fill(0x00, 0, 16);
  a.restoreFlash(img);
  assert.equal(a.snapshotFlash()[0], 0x00);
  assert.equal(b.snapshotFlash()[0], 0xff);
  // Seeded RNGs: reproducible per seed, different between seeds (the firmware drew from them at
  // boot, so restart both streams first).
  sim.device("d3").setRngSeed("seed-3");
  sim.device("d4").setRngSeed("seed-4");
  const r1 = new Uint8Array(16), r2 = new Uint8Array(16);
  sim.device("d3").rng.fill(r1);
  sim.device("d4").rng.fill(r2);
  assert.notDeepEqual(r1, r2);
  sim.device("d3").setRngSeed("seed-3");
  const r3 = new Uint8Array(16);
  sim.device("d3").rng.fill(r3);
  assert.deepEqual(r3, r1);
  assert.ok(registeredSerialDevices().includes("d7"));
  assert.ok(sim.remove("d7"));
  assert.equal(sim.get("d7"), undefined);
  assert.equal(sim.remove("d7"), false);
  assert.ok(!registeredSerialDevices().includes("d7"));
  sim.close();
  assert.equal(sim.size, 0);
  assert.equal(sim.clock.size, 0, "devices leave the clock");
});

test("names are checked and unique", () => {
  const sim = new Simulator();
  sim.add({ name: "alpha" });
  assert.throws(() => sim.add({ name: "alpha" }), /already exists/);
  assert.throws(() => sim.add({ name: "" }), /bad device name/);
  assert.throws(() => sim.add({ name: "a/b" }), /bad device name/);
  assert.throws(() => sim.device("nope"), /no simulated device named nope/);
  sim.close();
  assert.throws(() => sim.add({ name: "beta" }), /closed/);
});

test("a flash file keeps a device's flash across simulators", () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-fleet-"));
  try {
    const file = join(dir, "disp.flash");
    const s1 = new Simulator();
    const d = s1.add({ name: "disp", flashFile: file });
    d.cutPower(); // keep the store from repairing the bytes below at the next boot
    const img = d.snapshotFlash();
    img.set([1, 2, 3, 4], 4096);
    d.restoreFlash(img);
    s1.close();
    assert.equal(statSync(file).size, img.length);
    const s2 = new Simulator();
    const again = s2.add({ name: "disp", flashFile: file, powerOn: false });
    assert.deepEqual([...again.snapshotFlash().subarray(4096, 4100)], [1, 2, 3, 4]);
    s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("manual-mode fleet: clock.advance runs every device's wake-ups deterministically", () => {
  const sim = new Simulator({ startMs: 1_700_000_000_000 });
  const ds = [0, 1, 2].map((i) => sim.add({ name: `m${i}` }));
  for (const d of ds) d.click();
  const shown = ds.map((d) => d.display);
  const wakes = ds.map((d) => d.nextWakeWorldMs());
  assert.ok(wakes.every((w) => w !== undefined));
  assert.ok(shown.every((s) => s !== ""));
  sim.clock.advance(Math.min(...wakes.map((w) => w! - sim.clock.now())) - 1);
  assert.deepEqual(ds.map((d) => d.display), shown, "nothing blanks early");
  sim.clock.advance(Math.max(...wakes.map((w) => w! - sim.clock.now())));
  for (const d of ds) assert.equal(d.display, "", "blanked when its timer ran");
  sim.close();
});
