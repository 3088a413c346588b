// A small update receiver that follows the semantics of docs/image-format.md (header checked
// before any payload byte, resume by identical header, offsets in sequence, hash at finish), for
// testing the DFU state machine and the SDK's DFU client apart from the firmware. Its
// "signature" is SHA-256 of header bytes 0..63 in bytes 64..95 (no key), enough to refuse a
// tampered header with SIGNATURE as the real receiver does.
import { createHash } from "node:crypto";
import type { UpdateReceiver } from "../src/index.js";

const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

/** An image file in the format of docs/image-format.md, signed with the fake's "signature". */
export function fakeImage(payload: Uint8Array, o: { model?: number; badSignature?: boolean; badHash?: boolean; version?: number } = {}): Uint8Array {
  const f = new Uint8Array(128 + payload.length);
  const v = new DataView(f.buffer);
  f.set([0x53, 0x47, 0x46, 0x57, 1, 0, 0, 0]);
  v.setUint32(8, o.model ?? 0x0f, true);
  v.setUint32(12, o.version ?? 0x000100, true); // 0.1.0: what the simulated chip reports (a fake receiver changes no image)
  v.setUint32(20, payload.length, true);
  const h = sha(payload);
  if (o.badHash) h[0]! ^= 1;
  f.set(h, 24);
  const s = sha(f.subarray(0, 64));
  if (o.badSignature) s[5]! ^= 0x40;
  f.set(s, 64);
  f.set(payload, 128);
  return f;
}

export class FakeReceiver implements UpdateReceiver {
  header: Uint8Array | undefined;
  payload = new Uint8Array(0);
  received = 0;
  pending = false;
  aborts = 0;
  /** Payload bytes written through data() (a resumed download writes fewer). */
  written = 0;
  /** data() answers FLASH (-8) once the count would pass this. */
  failFlashAt = Infinity;
  readonly calls: string[] = [];

  begin(header: Uint8Array): number {
    this.calls.push("begin");
    const v = new DataView(header.buffer, header.byteOffset, header.byteLength);
    if (header.length !== 128 || v.getUint32(0) !== 0x53474657 || header[4] !== 1) return -1;
    if ((v.getUint32(8, true) & (1 << 3)) === 0) return -2;
    const sig = sha(header.subarray(0, 64));
    if (!sig.every((b, i) => b === header[64 + i])) return -4;
    const len = v.getUint32(20, true);
    if (len < 8 || len > 69_632 - 128) return -1;
    if (this.header && this.header.every((b, i) => b === header[i])) return this.received;
    this.header = header.slice();
    this.payload = new Uint8Array(len);
    this.received = 0;
    this.pending = false;
    return 0;
  }

  data(offset: number, bytes: Uint8Array): number {
    this.calls.push("data");
    if (!this.header || offset !== this.received || offset + bytes.length > this.payload.length) return -6;
    if (offset + bytes.length > this.failFlashAt) return -8;
    this.payload.set(bytes, offset);
    this.received += bytes.length;
    this.written += bytes.length;
    return this.received;
  }

  finish(): number {
    this.calls.push("finish");
    if (!this.header || this.received !== this.payload.length) return -6;
    const h = sha(this.payload);
    if (!h.every((b, i) => b === this.header![24 + i])) return -7;
    this.pending = true;
    return 0;
  }

  abort(): void {
    this.calls.push("abort");
    this.aborts++;
    this.header = undefined;
    this.received = 0;
  }
}
