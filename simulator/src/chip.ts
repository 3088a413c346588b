// In-process CTAPHID for the simulator's own needs: one request/response on a fresh channel, and
// factory provisioning of a blank device as a chip through the vendor command (0x51, the service
// protocol tunnelled over HID). The device answers synchronously, so no waiting is involved; a
// request that needs a touch is not what this is for (it would be parked, see presence.ts).
import { randomFill } from "./host.js";
import type { Device } from "./device.js";

const BROADCAST = 0xffffffff;
const CMD_INIT = 0x06;
const CMD_ERROR = 0x3f;
const CMD_KEEPALIVE = 0x3b;
export const HID_VENDOR_SERVICE = 0x51;

export class ChipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChipError";
  }
}

function reportsFor(cid: number, cmd: number, msg: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const first = new Uint8Array(64);
  const v = new DataView(first.buffer);
  v.setUint32(0, cid >>> 0);
  first[4] = cmd | 0x80;
  v.setUint16(5, msg.length);
  first.set(msg.subarray(0, 57), 7);
  out.push(first);
  for (let off = 57, seq = 0; off < msg.length; off += 59, seq++) {
    const r = new Uint8Array(64);
    new DataView(r.buffer).setUint32(0, cid >>> 0);
    r[4] = seq;
    r.set(msg.subarray(off, off + 59), 5);
    out.push(r);
  }
  return out;
}

/** Sends one CTAPHID message and returns the answer's payload (same cid). Throws on CTAPHID_ERROR. */
function transact(device: Device, cid: number, cmd: number, msg: Uint8Array): Uint8Array {
  if (device.state !== "on") throw new ChipError(`${device.name} is ${device.state}`);
  let cur: { cmd: number; data: Uint8Array; got: number } | undefined;
  let done: { cmd: number; data: Uint8Array } | undefined;
  const onReport = (r: Uint8Array) => {
    if (done || r.length !== 64) return;
    const dv = new DataView(r.buffer, r.byteOffset);
    if (dv.getUint32(0) !== cid >>> 0) return;
    if (r[4]! & 0x80) {
      const c = r[4]! & 0x7f;
      if (c === CMD_KEEPALIVE) return;
      const len = dv.getUint16(5);
      cur = { cmd: c, data: new Uint8Array(len), got: Math.min(len, 57) };
      cur.data.set(r.subarray(7, 7 + cur.got));
    } else if (cur) {
      const n = Math.min(cur.data.length - cur.got, 59);
      cur.data.set(r.subarray(5, 5 + n), cur.got);
      cur.got += n;
    }
    if (cur && cur.got === cur.data.length) { done = cur; cur = undefined; }
  };
  device.on("hid", onReport);
  try {
    for (const r of reportsFor(cid, cmd, msg)) device.hidWrite(r);
  } finally {
    device.off("hid", onReport);
  }
  if (!done) throw new ChipError(`${device.name} did not answer CTAPHID command 0x${cmd.toString(16)} (does its image speak CTAPHID?)`);
  if (done.cmd === CMD_ERROR) throw new ChipError(`${device.name} answered CTAPHID_ERROR 0x${(done.data[0] ?? 0).toString(16)}`);
  if (done.cmd !== cmd) throw new ChipError(`${device.name} answered command 0x${done.cmd.toString(16)} to 0x${cmd.toString(16)}`);
  return done.data;
}

/** Opens a CTAPHID channel (INIT on the broadcast channel) and returns its id. */
export function hidOpenChannel(device: Device): number {
  const nonce = new Uint8Array(8);
  randomFill(nonce);
  const r = transact(device, BROADCAST, CMD_INIT, nonce);
  if (r.length < 17 || !r.subarray(0, 8).every((b, i) => b === nonce[i])) throw new ChipError("bad CTAPHID INIT answer");
  return new DataView(r.buffer, r.byteOffset).getUint32(8);
}

/** One CTAPHID request on a fresh channel, in process. Not for requests that wait for a touch. */
export function hidCall(device: Device, cmd: number, msg: Uint8Array = new Uint8Array(0)): Uint8Array {
  const cid = hidOpenChannel(device);
  return transact(device, cid, cmd, msg);
}

export interface ChipInfo {
  /** 0 none, 1 code display, 2 audio reader, 3 chip. */
  model: number;
  state: "blank" | "provisioned" | "locked";
  serial: string;
  firmware: string;
}

const SERVICE_STATUS = ["OK", "UNKNOWN_COMMAND", "BAD_LENGTH", "BAD_PARAMETER", "BAD_STATE", "LOCKED", "STORAGE_FAILURE", "ENTROPY_FAILURE", "IN_USE"];

function service(device: Device, cmd: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const msg = new Uint8Array(1 + payload.length);
  msg[0] = cmd;
  msg.set(payload, 1);
  const r = hidCall(device, HID_VENDOR_SERVICE, msg);
  if (r.length < 1) throw new ChipError("empty service answer");
  if (r[0] !== 0) throw new ChipError(`service command 0x${cmd.toString(16)} answered ${SERVICE_STATUS[r[0]!] ?? `status ${r[0]}`}`);
  return r.subarray(1);
}

/** INFO over the vendor command (docs/serial-protocol.md). */
export function chipInfo(device: Device): ChipInfo {
  const info = decodeInfo(service(device, 0x01));
  if (!info) throw new ChipError("short INFO answer");
  return info;
}

/** INFO's data after the status byte (docs/serial-protocol.md), or undefined when it is short. */
export function decodeInfo(d: Uint8Array): ChipInfo | undefined {
  if (d.length < 12 || d.length < 12 + d[11]!) return undefined;
  const states = ["blank", "provisioned", "locked"] as const;
  return {
    model: d[4]!,
    state: states[d[5]!] ?? "blank",
    serial: new TextDecoder().decode(d.subarray(12, 12 + d[11]!)),
    firmware: `${d[1]}.${d[2]}.${d[3]}`,
  };
}

export interface ProvisionChipOptions {
  /** 1..32 printable ASCII characters. */
  serial: string;
  /**
   * Lock it afterwards (default true, as a chip leaves the factory): SET_TIME from the simulator's
   * clock, then LOCK, so no program on the host can re-provision it or replace its attestation.
   * false leaves it unlocked (development: ATTESTATION can still be provisioned over the tunnel).
   */
  lock?: boolean;
}

/**
 * Makes a blank (or re-provisionable) device a chip: PROVISION with model 3 over the vendor
 * command. The OTP fields the protocol requires are filled with fixed values and a random seed
 * (a chip does not use them), then locks it unless told otherwise (opts.lock). A device that is
 * already a chip is left as it is. Returns INFO.
 */
export function provisionChip(device: Device, opts: ProvisionChipOptions): ChipInfo {
  const before = chipInfo(device);
  if (before.model === 3 && before.state !== "blank") return before;
  if (before.state === "locked") throw new ChipError(`${device.name} is locked as model ${before.model}; it cannot become a chip`);
  const serial = new TextEncoder().encode(opts.serial);
  if (serial.length < 1 || serial.length > 32 || serial.some((c) => c < 0x21 || c > 0x7e)) {
    throw new ChipError("a serial is 1..32 printable ASCII characters");
  }
  const seed = new Uint8Array(20);
  randomFill(seed);
  // model 3, SHA-1, 6 digits, period 30 s, serial, seed
  const p = new Uint8Array(7 + serial.length + seed.length);
  p.set([3, 1, 6, 0, 30, serial.length]);
  p.set(serial, 6);
  p[6 + serial.length] = seed.length;
  p.set(seed, 7 + serial.length);
  service(device, 0x02, p);
  seed.fill(0);
  if (opts.lock ?? true) {
    const t = new Uint8Array(8);
    new DataView(t.buffer).setBigUint64(0, BigInt(device.clock.now()));
    service(device, 0x03, t); // SET_TIME: LOCK needs the clock set
    service(device, 0x05, new TextEncoder().encode("LOCK"));
  }
  // The chip side starts at power-up: reboot so the device runs as a chip from a clean state.
  device.reboot();
  const after = chipInfo(device);
  if (after.model !== 3) throw new ChipError(`${device.name} does not report model 3 after PROVISION`);
  return after;
}
