// Raw CTAPHID reports for firmware tests: edge cases a well-behaved client never sends.
import { Device, SimClock } from "@segl/simulator";
import { T0 } from "./service-util.js";
import { guardedImage } from "./image-util.js";

export const BROADCAST = 0xffffffff;
export const HID = { PING: 0x01, MSG: 0x03, LOCK: 0x04, INIT: 0x06, WINK: 0x08, CBOR: 0x10, CANCEL: 0x11, KEEPALIVE: 0x3b, ERROR: 0x3f, VENDOR: 0x51 } as const;

export function initReport(cid: number, cmd: number, bcnt: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const r = new Uint8Array(64);
  const v = new DataView(r.buffer);
  v.setUint32(0, cid >>> 0);
  r[4] = cmd | 0x80;
  v.setUint16(5, bcnt);
  r.set(data.subarray(0, 57), 7);
  return r;
}

export function contReport(cid: number, seq: number, data: Uint8Array): Uint8Array {
  const r = new Uint8Array(64);
  new DataView(r.buffer).setUint32(0, cid >>> 0);
  r[4] = seq;
  r.set(data.subarray(0, 59), 5);
  return r;
}

/** Splits a message into its reports. */
export function reports(cid: number, cmd: number, msg: Uint8Array): Uint8Array[] {
  const out = [initReport(cid, cmd, msg.length, msg.subarray(0, 57))];
  for (let off = 57, seq = 0; off < msg.length; off += 59, seq++) out.push(contReport(cid, seq, msg.subarray(off, off + 59)));
  return out;
}

export interface HidMessage { cid: number; cmd: number; data: Uint8Array }

/** Collects the device's reports and reassembles messages. */
export class HidPort {
  readonly messages: HidMessage[] = [];
  private cur: { cid: number; cmd: number; len: number; data: Uint8Array; got: number } | undefined;
  constructor(readonly device: Device) {
    device.on("hid", (r) => this.onReport(r));
  }
  private onReport(r: Uint8Array): void {
    if (r.length !== 64) throw new Error(`device sent a ${r.length}-byte report`);
    const v = new DataView(r.buffer, r.byteOffset);
    const cid = v.getUint32(0);
    if (r[4]! & 0x80) {
      const len = v.getUint16(5);
      this.cur = { cid, cmd: r[4]! & 0x7f, len, data: new Uint8Array(len), got: Math.min(len, 57) };
      this.cur.data.set(r.subarray(7, 7 + this.cur.got));
    } else if (this.cur && cid === this.cur.cid) {
      const n = Math.min(this.cur.len - this.cur.got, 59);
      this.cur.data.set(r.subarray(5, 5 + n), this.cur.got);
      this.cur.got += n;
    } else throw new Error("continuation without an init packet");
    if (this.cur && this.cur.got === this.cur.len) {
      this.messages.push({ cid: this.cur.cid, cmd: this.cur.cmd, data: this.cur.data });
      this.cur = undefined;
    }
  }
  /** Sends the reports; returns the messages they caused. */
  send(...rs: Uint8Array[]): HidMessage[] {
    const before = this.messages.length;
    for (const r of rs) this.device.hidWrite(r);
    return this.messages.slice(before);
  }
  request(cid: number, cmd: number, msg: Uint8Array = new Uint8Array(0)): HidMessage[] {
    return this.send(...reports(cid, cmd, msg));
  }
  /** INIT on the broadcast channel; returns the new channel id. */
  open(): number {
    const nonce = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const [m] = this.request(BROADCAST, HID.INIT, nonce);
    if (!m || m.cmd !== HID.INIT) throw new Error("no INIT answer");
    return new DataView(m.data.buffer, m.data.byteOffset).getUint32(8);
  }
}

export function newChip(): { device: Device; hid: HidPort; clock: SimClock } {
  const clock = new SimClock({ startMs: T0 });
  const device = new Device({ image: guardedImage(), clock, rngSeed: "chip" });
  return { device, hid: new HidPort(device), clock };
}
