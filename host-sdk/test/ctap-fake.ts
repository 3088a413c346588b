// Test helpers: a scripted fake CTAPHID device with its own (independent) framing, written
// from the spec's packet layout, so the client's framing is checked against a second reading.
import { ChunkQueueTransport, type IoOptions } from "../src/transport/transport.js";

export const INIT = 0x06, PING = 0x01, MSG = 0x03, LOCK = 0x04, WINK = 0x08, CBOR = 0x10, CANCEL = 0x11, KEEPALIVE = 0x3b, ERROR = 0x3f;

export function u32(b: Uint8Array, o = 0): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Independent fragmentation: a list of 64-byte reports. */
export function frames(cid: number, cmd: number, payload: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const head = new Uint8Array(64);
  new DataView(head.buffer).setUint32(0, cid);
  head[4] = 0x80 | cmd;
  new DataView(head.buffer).setUint16(5, payload.length);
  head.set(payload.slice(0, 57), 7);
  out.push(head);
  let seq = 0;
  for (let i = 57; i < payload.length; i += 59) {
    const c = new Uint8Array(64);
    new DataView(c.buffer).setUint32(0, cid);
    c[4] = seq++;
    c.set(payload.slice(i, i + 59), 5);
    out.push(c);
  }
  return out;
}

export interface Request {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

/**
 * A fake device: every report the host sends is recorded; whole requests (reassembled per CID
 * by the fake itself) go to `onRequest`, which answers with `dev.reply(...)`/`dev.push(...)`.
 * INIT on the broadcast CID is answered by default (CID 0x01020304) unless `onRequest` handles it.
 */
export class FakeHid extends ChunkQueueTransport {
  readonly kind = "fake";
  readonly sent: Uint8Array[] = [];
  readonly requests: Request[] = [];
  cid = 0x01020304;
  caps = 0x05;
  private partial = new Map<number, { cmd: number; buf: Uint8Array; got: number }>();

  constructor(public onRequest: (req: Request, dev: FakeHid) => boolean | void = () => {}) {
    super();
  }

  async send(report: Uint8Array, _opts: IoOptions = {}): Promise<void> {
    this.assertOpen();
    if (report.length !== 64) throw new Error(`host sent a ${report.length}-byte report`);
    this.sent.push(report.slice());
    const cid = u32(report);
    if (report[4]! & 0x80) {
      const len = (report[5]! << 8) | report[6]!;
      const buf = new Uint8Array(len);
      const n = Math.min(len, 57);
      buf.set(report.subarray(7, 7 + n));
      if (n === len) this.complete({ cid, cmd: report[4]! & 0x7f, payload: buf });
      else this.partial.set(cid, { cmd: report[4]! & 0x7f, buf, got: n });
    } else {
      const p = this.partial.get(cid);
      if (!p) return;
      const n = Math.min(p.buf.length - p.got, 59);
      p.buf.set(report.subarray(5, 5 + n), p.got);
      p.got += n;
      if (p.got === p.buf.length) {
        this.partial.delete(cid);
        this.complete({ cid, cmd: p.cmd, payload: p.buf });
      }
    }
  }

  private complete(req: Request): void {
    this.requests.push(req);
    if (this.onRequest(req, this) === true) return;
    if (req.cmd === INIT && req.cid === 0xffffffff) this.reply(0xffffffff, INIT, this.initAnswer(req.payload));
  }

  initAnswer(nonce: Uint8Array, cid = this.cid): Uint8Array {
    const a = new Uint8Array(17);
    a.set(nonce);
    new DataView(a.buffer).setUint32(8, cid);
    a.set([2, 1, 2, 3, this.caps], 12);
    return a;
  }

  /** Queues the reports of one message from the device. */
  reply(cid: number, cmd: number, payload: Uint8Array): void {
    for (const f of frames(cid, cmd, payload)) this.push(f);
  }

  push(report: Uint8Array): void {
    queueMicrotask(() => this.deliver(report));
  }

  keepalive(cid: number, status: number): void {
    this.reply(cid, KEEPALIVE, Uint8Array.of(status));
  }

  error(cid: number, code: number): void {
    this.reply(cid, ERROR, Uint8Array.of(code));
  }

  protected async doClose(): Promise<void> {}
}
