// Injected faults: the TRNG (stuck, repeating, short, error) and flash write failures (reported,
// silent, worn words, erases), in process and over the HTTP control API, and what the firmware
// makes of them (it reports a failed entropy source in INFO).
import { test } from "vitest";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { Simulator, SimRng, NorFlash, startControlServer } from "../src/index.js";

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** INFO over the UART, by hand (docs/serial-protocol.md): returns the flags byte. */
function infoFlags(dev: { uartWrite(b: Uint8Array): void; on(e: "uart", f: (b: Uint8Array) => void): unknown; off(e: "uart", f: (b: Uint8Array) => void): unknown }): number {
  const body = new Uint8Array([0x01, 0x07, 0, 0]);
  const c = crc32(body) >>> 0;
  const frame = new Uint8Array([0x53, 0x47, ...body, c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff]);
  let got = new Uint8Array(0);
  const on = (b: Uint8Array) => { got = new Uint8Array([...got, ...b]); };
  dev.on("uart", on);
  dev.uartWrite(frame);
  dev.off("uart", on);
  assert.equal(got[2], 0x81, "an INFO answer");
  assert.equal(got[6], 0, "status OK");
  return got[6 + 1 + 6]!;
}

test("SimRng faults: stuck, repeat, short and error fill as the HAL would", () => {
  const r = new SimRng("x");
  const b = new Uint8Array(10);
  r.setFault({ kind: "stuck", value: 7 });
  assert.equal(r.fillHal(b), 0);
  assert.deepEqual([...b], Array(10).fill(7));
  r.setFault({ kind: "repeat", period: 3 });
  assert.equal(r.fillHal(b), 0);
  assert.deepEqual([...b.subarray(3, 6)], [...b.subarray(0, 3)]);
  assert.deepEqual([...b.subarray(6, 9)], [...b.subarray(0, 3)]);
  r.setFault({ kind: "short" });
  assert.equal(r.fillHal(b), 5);
  r.setFault({ kind: "error", code: -9 });
  assert.equal(r.fillHal(b), -9);
  r.setFault(undefined);
  assert.equal(r.fillHal(b), 0);
  assert.throws(() => r.setFault({ kind: "repeat", period: 0 }), RangeError);
  assert.throws(() => r.setFault({ kind: "stuck", value: 256 }), RangeError);
  assert.throws(() => r.setFault({ kind: "error", code: 1 }), RangeError);
});

test("NorFlash faults: reported and silent failures, worn words, failing erases", () => {
  const f = new NorFlash({ pageSize: 256, pageCount: 4 });
  const word = new Uint8Array([1, 2, 3, 4]);
  f.setFaults({ failAtOperation: 2 });
  assert.equal(f.program(0, word), true, "the first operation is fine");
  assert.equal(f.program(4, word), false, "the second reports failure");
  assert.deepEqual([...f.read(4, 4)], [0xff, 0xff, 0xff, 0xff], "and wrote nothing");
  f.setFaults({ failAtOperation: 1, mode: "silent" });
  assert.equal(f.program(8, word), true, "a silent failure reports success");
  assert.deepEqual([...f.read(8, 4)], [0xff, 0xff, 0xff, 0xff], "but the cells kept their bits");
  f.setFaults({ wornWords: [16] });
  assert.equal(f.program(12, new Uint8Array(8)), true);
  assert.deepEqual([...f.read(12, 8)], [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], "the worn word stays erased");
  f.setFaults({ failErases: true });
  assert.equal(f.erase(0), false);
  assert.deepEqual([...f.read(0, 4)], [...word], "the page is untouched");
  f.setFaults({});
  assert.equal(f.erase(0), true);
  assert.equal(f.injectedFailures, 3);
  assert.throws(() => f.setFaults({ wornWords: [3] }), RangeError);
});

test("HTTP control API: TRNG and flash faults; the firmware reports the failed source", async () => {
  const sim = new Simulator({ startMs: 1_700_000_000_000 });
  const d = sim.add({ name: "disp", rngSeed: "faults" });
  const srv = await startControlServer(sim);
  try {
    assert.equal(infoFlags(d) & 4, 0, "healthy");
    const set = await post(`${srv.url}/devices/disp/rng`, { fault: { kind: "repeat", period: 2 } });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { name: "disp", seeded: true, fault: { kind: "repeat", period: 2 } });
    await post(`${srv.url}/devices/disp/power`, { action: "reboot" });
    assert.equal(infoFlags(d) & 4, 4, "the start-up health test failed and INFO says so");
    assert.deepEqual(await (await post(`${srv.url}/devices/disp/rng`, { fault: null })).json(), { name: "disp", seeded: true, fault: null });
    await post(`${srv.url}/devices/disp/power`, { action: "reboot" });
    assert.equal(infoFlags(d) & 4, 0, "healthy again after a reboot");
    for (const bad of [{ fault: { kind: "loud" } }, { fault: { kind: "repeat", period: 0 } }, { fault: 3 }, {}]) {
      const r = await post(`${srv.url}/devices/disp/rng`, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }

    const plan = await post(`${srv.url}/devices/disp/flash-faults`, { failAtOperation: 1, mode: "silent" });
    assert.equal(plan.status, 200);
    const body = (await plan.json()) as { failAtOperation: number; mode: string };
    assert.equal(body.failAtOperation, d.flash.operations + 1);
    assert.equal(body.mode, "silent");
    assert.equal(d.flash.program(d.flash.size - 4, new Uint8Array(4)), true);
    assert.deepEqual([...d.flash.read(d.flash.size - 4, 4)], [0xff, 0xff, 0xff, 0xff], "the silent failure took effect");
    assert.equal((await post(`${srv.url}/devices/disp/flash-faults`, {})).status, 200);
    for (const bad of [{ mode: "loud" }, { wornWords: [1] }, { failErases: "yes" }, { failAtOperation: -1 }]) {
      assert.equal((await post(`${srv.url}/devices/disp/flash-faults`, bad)).status, 400, JSON.stringify(bad));
    }
  } finally {
    await srv.close();
    sim.close();
  }
});
