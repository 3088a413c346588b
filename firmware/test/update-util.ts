// Signed images and update sessions for the update tests: two maker keys, the guarded test build
// (version 0.1.0) and its twin that answers 0.2.0 (firmware/build/firmware-next.wasm), devices
// made with these keys, and the update commands over a synchronous service port.
import { readFileSync } from "node:fs";
import { Device, SimClock, type DeviceOptions } from "@segl/simulator";
import { buildImage, generateMakerKey, type PackOptions, type MakerKeyPair } from "@segl/host-sdk/image";
import { guardedImage } from "./image-util.js";
import { SyncPort, T0, CMD, provisionPayload, timePayload, LOCK_PAYLOAD } from "./service-util.js";

export const UPD = { BEGIN: 0x08, DATA: 0x09, FINISH: 0x0a, ABORT: 0x0b, REBOOT: 0x0c } as const;
export const ST_UPDATE_REFUSED = 0x09;
export const ERR = { FORMAT: 1, MODEL: 2, KEY: 3, SIGNATURE: 4, ROLLBACK: 5, SEQUENCE: 6, HASH: 7, FLASH: 8, UNSUPPORTED: 9 } as const;

export const KEYS: readonly MakerKeyPair[] = [generateMakerKey(), generateMakerKey()];
export const OTHER_KEY = generateMakerKey();

export const OLD_PAYLOAD = guardedImage().bytes;
let nextPayload: Uint8Array | undefined;
/** The guarded build answering 0.2.0. */
export function newPayload(): Uint8Array {
  nextPayload ??= new Uint8Array(readFileSync("firmware/build/firmware-next.wasm"));
  return nextPayload;
}

export function signed(payload: Uint8Array, o: Partial<PackOptions> & { key?: number; pem?: string } = {}): Uint8Array {
  const keyIndex = o.keyIndex ?? o.key ?? 0;
  return buildImage(payload, { version: "0.1.0", ...o, keyIndex, privateKeyPem: o.pem ?? KEYS[o.key ?? keyIndex]!.privateKeyPem });
}

/** The image shipped in slot A: 0.1.0, counter 0, key 0. */
export const OLD_IMAGE = signed(OLD_PAYLOAD);

export interface UpdDevice { device: Device; port: SyncPort; clock: SimClock }

/** A device made with maker keys 0 and 1 and OLD_IMAGE in slot A. */
export function updDevice(opts: DeviceOptions & { model?: number } = {}): UpdDevice {
  const clock = opts.clock ?? new SimClock({ startMs: T0 });
  const { model, ...rest } = opts;
  const device = new Device({
    slots: { A: OLD_IMAGE },
    bootRom: { makerKeys: KEYS.map((k) => k.publicKeyPem), ...(model !== undefined ? { model } : {}) },
    ...rest,
    clock,
  });
  return { device, port: new SyncPort(device), clock };
}

/** Provisions (code display, seed), sets the time and locks: a device as it leaves the factory. */
export function fieldDevice(port: SyncPort): void {
  for (const [cmd, p] of [[CMD.PROVISION, provisionPayload()], [CMD.SET_TIME, timePayload(T0)], [CMD.LOCK, LOCK_PAYLOAD]] as const) {
    const r = port.request(cmd, p);
    if (r?.status !== 0) throw new Error(`set-up command ${cmd} answered ${r?.status}`);
  }
}

export type Outcome = { ok: true } | { ok: false; step: "begin" | "data" | "finish"; status: number; detail: number };

const u32le = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
export const countOf = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true);

export function dataPayload(offset: number, bytes: Uint8Array): Uint8Array {
  const p = new Uint8Array(4 + bytes.length);
  p.set(u32le(offset));
  p.set(bytes, 4);
  return p;
}

/**
 * BEGIN with the file's first 128 bytes, DATA with the rest in chunks, FINISH. `stopAfter`: send
 * that many DATA chunks and stop (an interrupted download). Throws when the device stops answering.
 */
export function sendImage(port: SyncPort, file: Uint8Array, o: { chunk?: number; stopAfter?: number } = {}): Outcome {
  const chunk = o.chunk ?? 1016;
  const head = file.subarray(0, 128);
  const b = port.request(UPD.BEGIN, head);
  if (!b) throw new Error("no answer to UPDATE_BEGIN");
  if (b.status !== 0) return { ok: false, step: "begin", status: b.status, detail: b.data[0] ?? -1 };
  let off = countOf(b.data);
  const payload = file.subarray(128);
  let sent = 0;
  while (off < payload.length) {
    if (o.stopAfter !== undefined && sent++ >= o.stopAfter) return { ok: true };
    const r = port.request(UPD.DATA, dataPayload(off, payload.subarray(off, off + chunk)));
    if (!r) throw new Error("no answer to UPDATE_DATA");
    if (r.status !== 0) return { ok: false, step: "data", status: r.status, detail: r.data[0] ?? -1 };
    off = countOf(r.data);
  }
  const f = port.request(UPD.FINISH);
  if (!f) throw new Error("no answer to UPDATE_FINISH");
  if (f.status !== 0) return { ok: false, step: "finish", status: f.status, detail: f.data[0] ?? -1 };
  return { ok: true };
}

/** The version the device answers INFO with ("0.1.0"), or undefined when it does not answer. */
export function runningVersion(port: SyncPort): string | undefined {
  const r = port.request(CMD.INFO);
  if (!r || r.status !== 0) return undefined;
  return `${r.data[1]}.${r.data[2]}.${r.data[3]}`;
}

/** INFO's serial and state bytes (what provisioning and locking wrote). */
export function identity(port: SyncPort): string {
  const r = port.request(CMD.INFO);
  if (!r || r.status !== 0) return "no answer";
  const n = r.data[11]!;
  return `model ${r.data[4]} state ${r.data[5]} serial ${Buffer.from(r.data.subarray(12, 12 + n)).toString()}`;
}

/** The code the display shows after a press (the seed and the clock in use). */
export function shownCode(device: Device): string {
  device.click();
  return device.display;
}

/**
 * A minimal WebAssembly image with the entry points the simulator calls and no hal import:
 * `boot` returns 0 without confirming (`trap`: it traps instead). Signed, it is a valid image
 * that never confirms itself.
 */
export function unconfirmingPayload(trap = false): Uint8Array {
  const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  const types = [4, 0x60, 0, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0, 0x60, 1, 0x7f, 0, 0x60, 0, 0];
  // io_ptr, io_size, boot: () → i32; button: (i32, i32); uart_rx: (i32); tick: ()
  const funcs = [6, 0, 0, 0, 1, 2, 3];
  const exports: number[] = [7];
  ["io_ptr", "io_size", "boot", "button", "uart_rx", "tick"].forEach((n, i) => exports.push(...str(n), 0, i));
  exports.push(...str("memory"), 2, 0);
  const bodies = [
    [0x41, 0x00, 0x0b], // i32.const 0
    [0x41, 0xc0, 0x00, 0x0b], // i32.const 64
    trap ? [0x00, 0x0b] : [0x41, 0x00, 0x0b],
    [0x0b], [0x0b], [0x0b],
  ];
  const code = [bodies.length];
  for (const b of bodies) code.push(b.length + 1, 0, ...b);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types), ...section(3, funcs), ...section(5, [1, 0, 1]), ...section(7, exports), ...section(10, code),
  ]);
}
