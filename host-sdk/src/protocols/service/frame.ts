// Frames of the UART service protocol (docs/serial-protocol.md):
// SYNC "SG" | TYPE | SEQ | LEN (u16 BE) | PAYLOAD | CRC-32 (BE) over TYPE..PAYLOAD.
import { SeglError } from "../../errors.js";
import { crc32 } from "./crc32.js";

export const SYNC0 = 0x53;
export const SYNC1 = 0x47;
export const HEADER_SIZE = 6;
export const CRC_SIZE = 4;
export const MAX_PAYLOAD = 1024;
export const MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;
export const INTER_BYTE_TIMEOUT_MS = 250;
export const RESPONSE_BIT = 0x80;

export interface Frame {
  /** Request: command code 0x01..0x7F; response: command | 0x80. */
  type: number;
  seq: number;
  payload: Uint8Array;
}

/** Encodes one frame (either direction). Throws FRAME_ERROR for an unencodable frame. */
export function encodeFrame(type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new SeglError("FRAME_ERROR", `frame type ${type} is not a byte`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xff) throw new SeglError("FRAME_ERROR", `frame seq ${seq} is not a byte`);
  if (payload.length > MAX_PAYLOAD)
    throw new SeglError("FRAME_ERROR", `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`, { details: { length: payload.length } });
  const f = new Uint8Array(HEADER_SIZE + payload.length + CRC_SIZE);
  const v = new DataView(f.buffer);
  f[0] = SYNC0;
  f[1] = SYNC1;
  f[2] = type;
  f[3] = seq;
  v.setUint16(4, payload.length);
  f.set(payload, HEADER_SIZE);
  v.setUint32(HEADER_SIZE + payload.length, crc32(f.subarray(2, HEADER_SIZE + payload.length)));
  return f;
}

/** A request frame: command 0x01..0x7F. */
export function encodeRequest(command: number, seq: number, payload?: Uint8Array): Uint8Array {
  if (!Number.isInteger(command) || command < 0x01 || command > 0x7f) throw new SeglError("FRAME_ERROR", `command ${command} is outside 0x01..0x7F`);
  return encodeFrame(command, seq, payload);
}

/** A response frame: TYPE = command | 0x80, payload = status ‖ data. */
export function encodeResponse(command: number, seq: number, status: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const p = new Uint8Array(1 + data.length);
  p[0] = status;
  p.set(data, 1);
  return encodeFrame((command | RESPONSE_BIT) & 0xff, seq, p);
}

export interface FrameParserOptions {
  /** Drop a partial frame when the next bytes come more than this many ms later (default 250; 0 = never). */
  interByteTimeoutMs?: number;
  /** Clock for the inter-byte timeout (default Date.now). */
  now?: () => number;
}

export interface FrameParserStats {
  /** Bytes dropped while scanning for a sync. */
  garbageBytes: number;
  /** Syncs abandoned because LEN > 1024. */
  falseSyncs: number;
  /** Candidate frames whose CRC did not match. */
  crcErrors: number;
  /** Partial frames dropped by the inter-byte timeout. */
  stalled: number;
  frames: number;
}

/**
 * Streaming parser with the protocol's resync rules: scan for "SG"; LEN > 1024 or a bad CRC
 * drops only the first sync byte and scanning resumes after it; a stalled partial frame is
 * dropped after the inter-byte timeout.
 */
export class FrameParser {
  private buf = new Uint8Array(2 * MAX_FRAME);
  private len = 0;
  private lastPush = -Infinity;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  readonly stats: FrameParserStats = { garbageBytes: 0, falseSyncs: 0, crcErrors: 0, stalled: 0, frames: 0 };

  constructor(opts: FrameParserOptions = {}) {
    this.timeoutMs = opts.interByteTimeoutMs ?? INTER_BYTE_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.len;
  }

  /** Forgets any partial frame. */
  reset(): void {
    this.len = 0;
  }

  /** Feeds bytes; returns every complete, CRC-valid frame they finish, in order. */
  push(bytes: Uint8Array): Frame[] {
    const now = this.now();
    if (this.len > 0 && this.timeoutMs > 0 && now - this.lastPush > this.timeoutMs) {
      this.stats.stalled++;
      this.len = 0;
    }
    this.lastPush = now;
    const out: Frame[] = [];
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(this.buf.length - this.len, bytes.length - off);
      this.buf.set(bytes.subarray(off, off + n), this.len);
      this.len += n;
      off += n;
      for (let f = this.next(); f; f = this.next()) out.push(f);
      // The buffer holds two maximal frames; after parsing it can never be full, but never spin.
      if (this.len === this.buf.length) this.drop(1);
    }
    return out;
  }

  private drop(n: number): void {
    if (n >= this.len) { this.len = 0; return; }
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }

  private next(): Frame | undefined {
    const b = this.buf;
    for (;;) {
      let i = 0;
      while (i < this.len && !(b[i] === SYNC0 && (i + 1 === this.len || b[i + 1] === SYNC1))) i++;
      if (i > 0) { this.stats.garbageBytes += i; this.drop(i); }
      if (this.len < HEADER_SIZE) return undefined;
      const plen = (b[4]! << 8) | b[5]!;
      if (plen > MAX_PAYLOAD) { this.stats.falseSyncs++; this.stats.garbageBytes++; this.drop(1); continue; }
      const total = HEADER_SIZE + plen + CRC_SIZE;
      if (this.len < total) return undefined;
      const want = ((b[total - 4]! << 24) | (b[total - 3]! << 16) | (b[total - 2]! << 8) | b[total - 1]!) >>> 0;
      if (crc32(b.subarray(2, HEADER_SIZE + plen)) !== want) { this.stats.crcErrors++; this.stats.garbageBytes++; this.drop(1); continue; }
      const frame: Frame = { type: b[2]!, seq: b[3]!, payload: b.slice(HEADER_SIZE, HEADER_SIZE + plen) };
      this.drop(total);
      this.stats.frames++;
      return frame;
    }
  }
}
