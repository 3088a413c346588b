// Firmware update through the serial service protocol into a simulated display: throughput of the
// download (bytes/s of payload) by the SDK's updateFirmware over the in-process transport and by
// raw frames fed synchronously (the firmware's own cost: CRC of each frame, the flash writes, the
// read-back hash), and the time from the last payload byte to the new image answering INFO
// (UPDATE_FINISH + REBOOT + the boot ROM's checks + instantiating the image + INFO).
// node bench/update.mjs   (BENCH_ROUNDS as in lib.mjs)
import { readFileSync } from "node:fs";
import { Device, SimClock } from "@segl/simulator";
import { MemoryTransport, ServiceClient, updateFirmware, encodeRequest, FrameParser } from "@segl/host-sdk/device";
import { buildImage, generateMakerKey } from "@segl/host-sdk/image";
import { ROUNDS } from "./lib.mjs";

const key = generateMakerKey();
const payloads = ["firmware-guarded.wasm", "firmware-next.wasm"].map((f) => new Uint8Array(readFileSync(new URL(`../firmware/build/${f}`, import.meta.url))));
const images = payloads.map((p, i) => buildImage(p, { version: i === 0 ? "0.1.0" : "0.2.0", privateKeyPem: key.privateKeyPem }));
const total = payloads[1].length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function device() {
  return new Device({ clock: new SimClock({ startMs: Date.UTC(2030, 0, 1) }), slots: { A: images[0] }, bootRom: { makerKeys: [key.publicKeyPem] }, guardChecks: false });
}

// 1. The SDK: updateFirmware over MemoryTransport (answers come back asynchronously, as over a port).
const sdk = { rate: [], tail: [] };
{
  const dev = device();
  const client = new ServiceClient(new MemoryTransport(dev), { timeoutMs: 5000, retries: 0 });
  for (let r = 0; r < ROUNDS + 1; r++) {
    const img = images[(r + 1) % 2];
    let t0 = 0, tLast = 0;
    const res = await updateFirmware(client, img, {
      onProgress: (p) => {
        if (p.phase === "data" && p.sent === 0) t0 = performance.now();
        if (p.phase === "finish") tLast = performance.now();
      },
    });
    const tDone = performance.now();
    if (res.info.firmwareVersion !== (r % 2 === 0 ? "0.2.0" : "0.1.0")) throw new Error("the update did not take");
    if (r === 0) continue; // warm-up
    sdk.rate.push((img.length - 128) / ((tLast - t0) / 1000));
    sdk.tail.push(tDone - tLast);
  }
  dev.dispose();
}

// 2. Raw frames, synchronously: the device's side alone.
const raw = { rate: [], tail: [] };
{
  const dev = device();
  const parser = new FrameParser({ interByteTimeoutMs: 0 });
  let last;
  dev.on("uart", (b) => { for (const f of parser.push(b)) last = f; });
  let seq = 0;
  const req = (cmd, payload = new Uint8Array(0)) => {
    dev.uartWrite(encodeRequest(cmd, (seq = (seq + 1) & 0xff), payload));
    if (!last || last.payload[0] !== 0) throw new Error(`command 0x${cmd.toString(16)} answered ${last?.payload[0]}`);
    return last.payload;
  };
  for (let r = 0; r < ROUNDS + 1; r++) {
    const img = images[(r + 1) % 2];
    req(0x08, img.subarray(0, 128)); // the header and its signature: checked before the clock starts, as in the SDK row
    const t0 = performance.now();
    for (let off = 0; off < img.length - 128; off += 1016) {
      const chunk = img.subarray(128 + off, 128 + Math.min(img.length - 128, off + 1016));
      const p = new Uint8Array(4 + chunk.length);
      new DataView(p.buffer).setUint32(0, off, true);
      p.set(chunk, 4);
      req(0x09, p);
    }
    const tLast = performance.now();
    req(0x0a);
    req(0x0c);
    const info = req(0x01);
    const tDone = performance.now();
    if (`${info[2]}.${info[3]}.${info[4]}` !== (r % 2 === 0 ? "0.2.0" : "0.1.0")) throw new Error("the update did not take");
    if (r === 0) continue;
    raw.rate.push((img.length - 128) / ((tLast - t0) / 1000));
    raw.tail.push(tDone - tLast);
  }
  dev.dispose();
}

const UART_115200 = 115200 / 10; // bytes/s on a real 115,200 baud 8N1 line, before framing
const kb = (x) => `${Math.round(x / 1000).toLocaleString("en-US")} kB/s`;
console.log(`\n## Firmware update over the serial service protocol (simulated display, ${total.toLocaleString("en-US")}-byte payload, 1,016-byte chunks; median of ${ROUNDS})\n`);
console.log("| path | throughput | ratio vs a 115,200 baud UART | last byte → new image answers INFO |");
console.log("|---|---:|---:|---:|");
for (const [name, m] of [["SDK updateFirmware, in-process transport", sdk], ["raw frames, synchronous (device side only)", raw]]) {
  const rate = median(m.rate);
  console.log(`| ${name} | ${kb(rate)} | ${(rate / UART_115200).toFixed(0)}× | ${median(m.tail).toFixed(1)} ms |`);
}
console.log(`\nA real display's UART at 115,200 baud moves ${kb(UART_115200)}: the download of this image takes ${(total / UART_115200).toFixed(1)} s on the wire; the device's own work is not the bottleneck.`);
