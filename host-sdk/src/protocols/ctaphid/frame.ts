// CTAPHID framing (CTAP 2.1 §11.2.4): a message is cut into one initialization packet
// (CID ‖ CMD|0x80 ‖ BCNT(2) ‖ 57 data bytes) and up to 128 continuation packets
// (CID ‖ SEQ 0..127 ‖ 59 data bytes), each one 64-byte HID report.
import { SeglError, argCheck } from "../../errors.js";

export const HID_REPORT_SIZE = 64;
export const INIT_DATA_SIZE = HID_REPORT_SIZE - 7; // 57
export const CONT_DATA_SIZE = HID_REPORT_SIZE - 5; // 59
/** 57 + 128 × 59 */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + 128 * CONT_DATA_SIZE; // 7609
export const BROADCAST_CID = 0xffffffff;

/** CTAPHID command bytes (without the 0x80 init-packet bit). */
export const CtapHidCommand = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

/** CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6) → names. */
export const CTAPHID_ERROR_NAMES: Readonly<Record<number, string>> = {
  0x01: "INVALID_CMD",
  0x02: "INVALID_PAR",
  0x03: "INVALID_LEN",
  0x04: "INVALID_SEQ",
  0x05: "MSG_TIMEOUT",
  0x06: "CHANNEL_BUSY",
  0x0a: "LOCK_REQUIRED",
  0x0b: "INVALID_CHANNEL",
  0x7f: "OTHER",
};

export function ctapHidErrorName(code: number): string {
  return CTAPHID_ERROR_NAMES[code] ?? `ERR_0x${code.toString(16).padStart(2, "0")}`;
}

export function ctapHidCommandName(cmd: number): string {
  for (const [k, v] of Object.entries(CtapHidCommand)) if (v === cmd) return k;
  return `0x${cmd.toString(16).padStart(2, "0")}`;
}

/** KEEPALIVE status bytes. */
export const KeepaliveStatusCode = { PROCESSING: 1, UPNEEDED: 2 } as const;

/** Cuts a message into 64-byte reports. Throws INVALID_ARGUMENT beyond 7609 bytes. */
export function encodeCtapHidMessage(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  argCheck(Number.isInteger(cid) && cid >= 0 && cid <= 0xffffffff, "CID must be a 32-bit unsigned integer", { cid });
  argCheck(Number.isInteger(cmd) && cmd >= 0 && cmd <= 0x7f, "CTAPHID command must be 0..0x7f", { cmd });
  argCheck(payload instanceof Uint8Array && payload.length <= MAX_MESSAGE_SIZE, `a CTAPHID message holds at most ${MAX_MESSAGE_SIZE} bytes`, {
    length: payload?.length,
  });
  const reports: Uint8Array[] = [];
  const first = new Uint8Array(HID_REPORT_SIZE);
  writeCid(first, cid);
  first[4] = 0x80 | cmd;
  first[5] = payload.length >>> 8;
  first[6] = payload.length & 0xff;
  first.set(payload.subarray(0, INIT_DATA_SIZE), 7);
  reports.push(first);
  for (let off = INIT_DATA_SIZE, seq = 0; off < payload.length; off += CONT_DATA_SIZE, seq++) {
    const r = new Uint8Array(HID_REPORT_SIZE);
    writeCid(r, cid);
    r[4] = seq;
    r.set(payload.subarray(off, off + CONT_DATA_SIZE), 5);
    reports.push(r);
  }
  return reports;
}

export function writeCid(buf: Uint8Array, cid: number): void {
  buf[0] = cid >>> 24;
  buf[1] = (cid >>> 16) & 0xff;
  buf[2] = (cid >>> 8) & 0xff;
  buf[3] = cid & 0xff;
}

export function readCid(buf: Uint8Array): number {
  return ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
}

/** One report, read leniently: a report shorter than 64 bytes reads as zero-padded. */
export type CtapHidPacket =
  | { kind: "init"; cid: number; cmd: number; bcnt: number; data: Uint8Array }
  | { kind: "cont"; cid: number; seq: number; data: Uint8Array };

/** Parses one report; null for one too short to carry a CID and a command/SEQ byte. */
export function parseCtapHidPacket(report: Uint8Array): CtapHidPacket | null {
  if (!(report instanceof Uint8Array) || report.length < 5) return null;
  const r = report.length >= HID_REPORT_SIZE ? report.subarray(0, HID_REPORT_SIZE) : padReport(report);
  const cid = readCid(r);
  const b4 = r[4]!;
  if (b4 & 0x80) return { kind: "init", cid, cmd: b4 & 0x7f, bcnt: (r[5]! << 8) | r[6]!, data: r.subarray(7) };
  return { kind: "cont", cid, seq: b4, data: r.subarray(5) };
}

function padReport(r: Uint8Array): Uint8Array {
  const p = new Uint8Array(HID_REPORT_SIZE);
  p.set(r);
  return p;
}

export interface CtapHidMessage {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

/**
 * Reassembles the messages of one channel. Reports of other channels, and continuation
 * packets with no message under way, are ignored (null). Out-of-order SEQ, a length beyond
 * 7609 bytes, or a new message (other than KEEPALIVE) before the current one is complete
 * throw BAD_RESPONSE. KEEPALIVE packets come back as complete messages at once.
 */
export class CtapHidAssembler {
  private cur: { cmd: number; buf: Uint8Array; got: number; seq: number } | undefined;

  constructor(public cid: number) {}

  get busy(): boolean {
    return this.cur !== undefined;
  }

  reset(): void {
    this.cur = undefined;
  }

  push(report: Uint8Array): CtapHidMessage | null {
    const p = parseCtapHidPacket(report);
    if (!p || p.cid !== this.cid) return null;
    if (p.kind === "init") {
      if (p.cmd === CtapHidCommand.KEEPALIVE) return { cid: p.cid, cmd: p.cmd, payload: p.data.slice(0, Math.min(p.bcnt, INIT_DATA_SIZE)) };
      if (this.cur) {
        this.cur = undefined;
        throw bad(`a new message (${ctapHidCommandName(p.cmd)}) started before the previous one was complete`);
      }
      if (p.bcnt > MAX_MESSAGE_SIZE) throw bad(`message length ${p.bcnt} exceeds ${MAX_MESSAGE_SIZE}`);
      const buf = new Uint8Array(p.bcnt);
      const n = Math.min(p.bcnt, INIT_DATA_SIZE);
      buf.set(p.data.subarray(0, n));
      if (n === p.bcnt) return { cid: p.cid, cmd: p.cmd, payload: buf };
      this.cur = { cmd: p.cmd, buf, got: n, seq: 0 };
      return null;
    }
    const c = this.cur;
    if (!c) return null; // stray continuation (an answer we gave up on)
    if (p.seq !== c.seq) {
      this.cur = undefined;
      throw bad(`continuation packet SEQ ${p.seq}, expected ${c.seq}`);
    }
    const n = Math.min(c.buf.length - c.got, CONT_DATA_SIZE);
    c.buf.set(p.data.subarray(0, n), c.got);
    c.got += n;
    c.seq++;
    if (c.got < c.buf.length) return null;
    this.cur = undefined;
    return { cid: p.cid, cmd: c.cmd, payload: c.buf };
  }
}

function bad(why: string): SeglError {
  return new SeglError("BAD_RESPONSE", `CTAPHID: ${why}`);
}
