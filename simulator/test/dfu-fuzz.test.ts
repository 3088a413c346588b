// Fuzzer for the DFU control requests of the simulated chip (`node scripts/fuzz.mjs dfu N [seed]`):
// random request types, requests, values, lengths and data, mixed with blocks of a real signed
// image so that the update receiver is reached past its header check, against a guarded test
// image. Invariants: no trap or guard violation, every GETSTATUS is 6 bytes with a DFU 1.1 state
// and status, CLRSTATUS always leads out of dfuERROR, and afterwards a whole download still works.
import { test } from "vitest";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Device, DFU_IN, DFU_OUT, DFU_REQUEST as R, DFU_STATE, SimClock, VirtualUsbBus, loadImage, provisionChip, testSignedImage } from "../src/index.js";

const ITERATIONS = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 3000);
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 7);
const GUARDED = fileURLToPath(new URL("../../firmware/build/firmware-guarded.wasm", import.meta.url));

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

test(`DFU fuzzer: ${ITERATIONS} control requests (seed ${SEED}), no trap, states stay DFU 1.1, a download works afterwards`, () => {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const image = loadImage(GUARDED);
  const device = new Device({ clock, image, name: "fuzz-chip", rngSeed: "dfu-fuzz" });
  provisionChip(device, { serial: "FUZZ-1", lock: false });
  const bus = new VirtualUsbBus();
  const port = bus.attach(device, { transferSize: 512, blockBusyMs: 3, manifestMs: 5 });
  const dfu = port.dfu;
  const good = testSignedImage(image.bytes);
  const r = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let goodBlock = 0;
  const seen = new Set<string>();
  const status = () => {
    const a = dfu.request(DFU_IN, R.GETSTATUS, 0, 6);
    if (a.stall) return undefined;
    const d = (a as { data: Uint8Array }).data;
    assert.equal(d.length, 6);
    assert.ok(d[4]! <= 10 && d[0]! <= 15, `state ${d[4]} status ${d[0]}`);
    return { state: d[4]!, status: d[0]! };
  };
  for (let i = 0; i < ITERATIONS; i++) {
    const k = r();
    if (k < 0.05) { dfu.usbReset(); goodBlock = 0; }
    else if (k < 0.1) clock.advance(Math.floor(r() * 8));
    else if (k < 0.4) {
      // the next block of a real image (or the end of it)
      const off = (dfu.state === "dfuIDLE" ? 0 : goodBlock) * 512;
      if (dfu.state === "dfuIDLE") goodBlock = 0;
      const data = off < good.length ? good.slice(goodBlock * 512, goodBlock * 512 + 512) : new Uint8Array(0);
      if (data.length && r() < 0.1) data[Math.floor(r() * data.length)]! ^= 1 << Math.floor(r() * 8); // a bit flip: header or payload
      dfu.request(DFU_OUT, R.DNLOAD, goodBlock, 0, data);
      goodBlock++;
      if (r() < 0.9) { // the host's poll, mostly well-behaved
        const s = status();
        if (s?.state === DFU_STATE.dfuDNBUSY && r() < 0.9) { clock.advance(3); status(); }
        if (s?.state === DFU_STATE.dfuMANIFEST && r() < 0.9) { clock.advance(5); dfu.usbReset(); goodBlock = 0; }
      }
    } else {
      const type = pick([DFU_OUT, DFU_IN, DFU_IN, DFU_OUT, 0x41, 0xc1, 0x01, Math.floor(r() * 256)]);
      const req = r() < 0.9 ? Math.floor(r() * 7) : Math.floor(r() * 256);
      const len = pick([0, 1, 5, 6, 64, 512, 513, Math.floor(r() * 70000)]);
      const data = type & 0x80 ? undefined : Uint8Array.from({ length: Math.min(len, 600) }, () => Math.floor(r() * 256));
      const a = dfu.request(type, req, Math.floor(r() * 0x10000), len, data);
      if (!a.stall && a.data) assert.ok(a.data.length <= Math.max(len, 6));
    }
    assert.equal(device.faults.length, 0, `iteration ${i}: ${device.faults.map((f) => f.message).join("; ")}`);
    if (device.state !== "on") device.powerOn();
    seen.add(dfu.state);
    if (dfu.state === "dfuERROR" && r() < 0.5) {
      assert.equal(dfu.request(DFU_OUT, R.CLRSTATUS, 0, 0).stall, false);
      assert.equal(status()?.state, DFU_STATE.dfuIDLE);
    }
  }
  assert.ok(seen.size >= 5, `states reached: ${[...seen].join(", ")}`);
  if (process.env.SEGL_FUZZ_VERBOSE) console.log([...seen].join(", "), port.dfu.payloadReceived);
  // Afterwards: out to dfuIDLE, and the whole image downloads and manifests.
  clock.advance(100);
  if (dfu.state === "appIDLE") { dfu.request(DFU_OUT, R.DETACH, 1000, 0, new Uint8Array(0)); dfu.usbReset(); }
  if (dfu.state === "dfuMANIFEST-WAIT-RESET") { dfu.usbReset(); dfu.request(DFU_OUT, R.DETACH, 1000, 0, new Uint8Array(0)); dfu.usbReset(); }
  if (dfu.state === "dfuDNLOAD-SYNC") { status(); clock.advance(10); status(); }
  if (dfu.state === "dfuERROR") dfu.request(DFU_OUT, R.CLRSTATUS, 0, 0);
  if (dfu.state !== "dfuIDLE") dfu.request(DFU_OUT, R.ABORT, 0, 0);
  assert.equal(dfu.state, "dfuIDLE");
  const downloadAll = () => {
    let b = 0;
    for (let off = 0; off < good.length; off += 512, b++) {
      assert.equal(dfu.request(DFU_OUT, R.DNLOAD, b, 0, good.subarray(off, off + 512)).stall, false);
      let s = status();
      if (s?.state === DFU_STATE.dfuDNBUSY) { clock.advance(3); s = status(); }
      assert.equal(s?.state, DFU_STATE["dfuDNLOAD-IDLE"], `block ${b}: status ${s?.status}`);
    }
    dfu.request(DFU_OUT, R.DNLOAD, b, 0, new Uint8Array(0));
    return status();
  };
  let end = downloadAll();
  if (end?.state === DFU_STATE.dfuERROR) {
    // The receiver resumed on bytes a flipped block left in the slot: the hash at the end refuses
    // them (errVERIFY), CLRSTATUS forgets them, and the next download starts over.
    assert.equal(end.status, 7);
    dfu.request(DFU_OUT, R.CLRSTATUS, 0, 0);
    end = downloadAll();
  }
  assert.deepEqual(end, { state: DFU_STATE.dfuMANIFEST, status: 0 });
  assert.equal(device.faults.length, 0);
  device.dispose();
});
