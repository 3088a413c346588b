// Seeded structure-aware fuzzer for the UART service port: valid, mutated, truncated and random
// frames in random chunks, with button presses, clock jumps and power cycles mixed in.
// Used by uart-fuzz.test.ts (100k frames); `node scripts/fuzz.mjs uart 10000000` runs millions.
import { encodeFrame } from "@segl/host-sdk";
import { Device, SimClock } from "@segl/simulator";
import { rng as prng } from "./cbor-util.js";
import { guardedImage } from "./image-util.js";
import { CMD, SyncPort, provisionPayload, timePayload, LOCK_PAYLOAD, T0 } from "./service-util.js";

export interface FuzzReport {
  frames: number;
  bytes: number;
  responses: number;
  traps: number;
  powerCycles: number;
  faults: string[];
  stillAnswers: boolean;
}

export function fuzzUart(seed: number, frames: number): FuzzReport {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = int(256); return b; };
  const clock = new SimClock({ startMs: T0 });
  const device = new Device({ image: guardedImage(), clock, rngSeed: `fuzz-${seed}` });
  const port = new SyncPort(device);
  let sent = 0, powerCycles = 0;

  const payloadFor = (cmd: number): Uint8Array => {
    switch (cmd) {
      case CMD.PROVISION: return provisionPayload({
        model: int(5), alg: int(5), digits: 5 + int(5), period: int(400),
        serial: "S".repeat(int(40)), seed: bytes(int(80)),
      });
      case CMD.SET_TIME: return rnd() < 0.5 ? timePayload(T0 + int(1e9)) : bytes(int(12));
      case CMD.LOCK: return rnd() < 0.02 ? LOCK_PAYLOAD : bytes(int(6));
      case CMD.PING: return bytes(rnd() < 0.05 ? int(1025) : int(40));
      default: return bytes(int(20));
    }
  };

  for (let i = 0; i < frames; i++) {
    const kind = rnd();
    const cmd = rnd() < 0.85 ? 1 + int(7) : int(256);
    let frame: Uint8Array;
    if (kind < 0.45) frame = encodeFrame(cmd, int(256), payloadFor(cmd));
    else if (kind < 0.7) { // bit flips in a valid frame
      frame = encodeFrame(cmd, int(256), payloadFor(cmd));
      for (let k = 1 + int(3); k > 0; k--) frame[int(frame.length)]! ^= 1 << int(8);
    } else if (kind < 0.8) { // truncated
      const f = encodeFrame(cmd, int(256), payloadFor(cmd));
      frame = f.subarray(0, int(f.length));
    } else if (kind < 0.9) { // sync + random header
      frame = new Uint8Array([0x53, 0x47, ...bytes(4 + int(30))]);
    } else frame = bytes(int(64)); // noise
    // deliver in random chunks
    for (let off = 0; off < frame.length;) {
      const n = 1 + int(rnd() < 0.7 ? frame.length : 8);
      device.uartWrite(frame.subarray(off, off + n));
      off += n;
    }
    sent += frame.length;
    const ev = rnd();
    if (ev < 0.01) device.click();
    else if (ev < 0.02) clock.advance(int(40_000));
    else if (ev < 0.021) { device.cutPowerAtFlashOperation(1 + int(5)); }
    else if (ev < 0.023) { device.reboot(); powerCycles++; }
    if (device.state === "off") { device.powerOn(); powerCycles++; }
    if (device.state === "crashed") break;
  }
  device.cutPowerAtFlashOperation(0);
  clock.advance(1_000); // let any partial frame expire
  const stillAnswers = device.state === "on" && port.request(CMD.INFO)?.status === 0;
  const traps = device.faults.filter((f) => f.kind !== "power");
  return {
    frames, bytes: sent, responses: port.frames.length, traps: traps.length, powerCycles,
    faults: traps.map((f) => `${f.kind}: ${f.message} (code ${f.code}, line ${f.line})`), stillAnswers,
  };
}
