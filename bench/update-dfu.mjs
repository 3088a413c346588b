// Firmware update throughput through the USB DFU path into the simulator: the SDK's DFU client
// (host-sdk/src/protocols/dfu) → the virtual USB device → the DFU state machine → the firmware's
// update receiver (header signature, slot writes, read-back hash) → manifestation → reset → the
// boot ROM's checks → the new image answering INFO. Anchor: the same bytes fed to the DFU state
// machine directly (no SDK, no virtual USB callbacks), to show what the host side costs.
// bwPollTimeout is 0 here (a simulated chip programs at once); real silicon adds its own
// programming time per block. Run: node bench/update-dfu.mjs (after `npx tsc -b`).
import { readFileSync } from "node:fs";
import { Device, SimClock, VirtualUsbBus, chipInfo, provisionChip, DFU_IN, DFU_OUT, DFU_REQUEST } from "@segl/simulator";
import { dfuUpdate } from "@segl/host-sdk/device";
import { buildImage, generateMakerKey } from "@segl/host-sdk/image";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Updates per round (each on a fresh chip); the figures are medians over ROUNDS × N updates. */
const N = Number(process.env.BENCH_N ?? 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const KEY = generateMakerKey();
const OLD = new Uint8Array(readFileSync(new URL("../firmware/build/firmware.wasm", import.meta.url)));
const NEW = new Uint8Array(readFileSync(new URL("../firmware/build/firmware-next.wasm", import.meta.url)));
const file = buildImage(NEW, { version: "0.2.0", privateKeyPem: KEY.privateKeyPem, models: ["chip"] });
const factory = buildImage(OLD, { version: "0.1.0", privateKeyPem: KEY.privateKeyPem, models: ["chip"] });

function chip(transferSize) {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const device = new Device({ clock, name: "bench-chip", rngSeed: "bench", guardChecks: false, slots: { A: factory }, bootRom: { makerKeys: [KEY.publicKeyPem], model: 3 } });
  provisionChip(device, { serial: "BENCH-DFU", lock: false });
  const bus = new VirtualUsbBus();
  const port = bus.attach(device, { transferSize });
  return { device, bus, port, sleep: async (ms) => clock.advance(ms) };
}

/** The SDK over the virtual USB bus: the whole update, and the part from the last byte to the new image answering. */
async function viaSdk(transferSize) {
  const { device, bus, sleep } = chip(transferSize);
  let lastByte = 0;
  const t0 = performance.now();
  const r = await dfuUpdate(file, { usb: bus, sleep, onProgress: (p) => { if (p.phase === "manifest") lastByte = performance.now(); } });
  const t1 = performance.now();
  if (r.after !== "0.2.0" || chipInfo(device).firmware !== "0.2.0") throw new Error(`the update did not apply (${r.after})`);
  device.dispose();
  return { total: t1 - t0, tail: t1 - lastByte };
}

/** The DFU state machine fed directly: DNLOAD + GETSTATUS per block, manifestation, reset. */
function direct(transferSize) {
  const { device, port } = chip(transferSize);
  const dfu = port.dfu;
  const t0 = performance.now();
  dfu.request(DFU_OUT, DFU_REQUEST.DETACH, 1000, 0, new Uint8Array(0));
  port.afterTransfer();
  let b = 0;
  for (let off = 0; off < file.length; off += transferSize, b++) {
    dfu.request(DFU_OUT, DFU_REQUEST.DNLOAD, b, 0, file.subarray(off, off + transferSize));
    const s = dfu.request(DFU_IN, DFU_REQUEST.GETSTATUS, 0, 6);
    if (s.stall || s.data[4] !== 5) throw new Error(`block ${b}: state ${s.data?.[4]} status ${s.data?.[0]}`);
  }
  dfu.request(DFU_OUT, DFU_REQUEST.DNLOAD, b, 0, new Uint8Array(0));
  const m = dfu.request(DFU_IN, DFU_REQUEST.GETSTATUS, 0, 6);
  if (m.stall || m.data[0] !== 0) throw new Error(`manifestation: status ${m.data?.[0]}`);
  port.usbReset();
  const t1 = performance.now();
  if (chipInfo(device).firmware !== "0.2.0") throw new Error("the update did not apply");
  device.dispose();
  return t1 - t0;
}

const rows = [];
for (const size of [1024, 4096]) {
  for (let i = 0; i < 3; i++) { await viaSdk(size); direct(size); } // warm-up
  const sdk = [], tails = [], raw = [];
  for (let r = 0; r < ROUNDS * N; r++) { // interleaved, so that noise on this VM hits both alike
    const s = await viaSdk(size);
    sdk.push(s.total); tails.push(s.tail);
    raw.push(direct(size));
  }
  rows.push({ size, sdk: median(sdk), tail: median(tails), raw: median(raw) });
}
const kib = (ms) => (file.length / 1024 / (ms / 1000));
console.log(`\n## Firmware update through USB DFU into the simulator (${file.length.toLocaleString("en-US")}-byte image, bwPollTimeout 0; medians of ${ROUNDS * N} updates)\n`);
console.log("| wTransferSize | SDK over virtual USB: whole update | bytes/s | last byte → new image answering | DFU state machine fed directly | bytes/s | SDK speed ÷ direct |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.size} | ${r.sdk.toFixed(1)} ms | ${Math.round(file.length / (r.sdk / 1000)).toLocaleString("en-US")} (${kib(r.sdk).toFixed(0)} KiB/s) | ${r.tail.toFixed(1)} ms | ${r.raw.toFixed(1)} ms | ${Math.round(file.length / (r.raw / 1000)).toLocaleString("en-US")} | ${(r.raw / r.sdk).toFixed(2)}× |`);
}
