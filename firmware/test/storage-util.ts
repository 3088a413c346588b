// Test helpers for the key-value store harness (firmware/harness/store.ts): one simulated device
// with its own NorFlash, wrappers over the exports, and a power-cut aware runner.
import { crc32 } from "node:zlib";
import { Device, SimClock, NorFlash, PowerCut, type FirmwareImage, type FlashGeometry } from "@segl/simulator";
import { harnessImage } from "./image-util.js";

export const ST = {
  OK: 0, NOT_FOUND: -1, TOO_LARGE: -2, FULL: -3, FLASH: -4, CORRUPT: -5, NO_TXN: -6, BAD_KEY: -7,
} as const;

interface StoreExports {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  io_size(): number;
  store_mount(): number;
  store_format(): number;
  store_get(key: number, out: number, max: number): number;
  txn_begin(): void;
  txn_put(key: number, src: number, len: number): number;
  txn_delete(key: number): number;
  txn_commit(): number;
  txn_abort(): void;
  store_put(key: number, src: number, len: number): number;
  store_free_bytes(): number;
  store_max_erase_count(): number;
  store_min_erase_count(): number;
  store_was_recovered(): number;
  store_key_count(): number;
  store_max_value(): number;
  store_active_pages(): number;
}

let image: FirmwareImage | undefined;
function storeImage(): FirmwareImage {
  image ??= harnessImage("store");
  return image;
}

/** A put (value) or a delete (null). */
export type Op = [key: number, value: Uint8Array | null];

const OUT = 4096;

export class StoreDev {
  readonly dev: Device;
  readonly flash: NorFlash;

  constructor(geometry: Partial<FlashGeometry> = {}, flash?: NorFlash) {
    this.flash = flash ?? new NorFlash(geometry);
    this.dev = new Device({ image: storeImage(), flash: this.flash, clock: new SimClock({ startMs: 0 }) });
  }

  get x(): StoreExports {
    return this.dev.raw as unknown as StoreExports;
  }

  /** Power off and on (RAM lost); does not mount. */
  reboot(): void {
    this.dev.cutPower();
    this.dev.powerOn();
  }

  mount(): number {
    return this.x.store_mount();
  }
  format(): number {
    return this.x.store_format();
  }

  /** The value, undefined when absent; throws on any other error. */
  get(key: number): Uint8Array | undefined {
    const x = this.x;
    const r = x.store_get(key, x.io_ptr() + OUT, 2048);
    if (r === ST.NOT_FOUND) return undefined;
    if (r < 0) throw new Error(`store_get(${key}) = ${r}`);
    return this.dev.ioRead(OUT, r);
  }
  getRaw(key: number, max = 2048): number {
    const x = this.x;
    return x.store_get(key, x.io_ptr() + OUT, max);
  }

  put(key: number, value: Uint8Array): number {
    const a = this.dev.ioWrite(0, value);
    return this.x.store_put(key, a, value.length);
  }

  /** Runs one transaction; returns txn_commit's result (or the first staging error). */
  txn(ops: Op[]): number {
    const x = this.x;
    x.txn_begin();
    for (const [key, value] of ops) {
      let r: number;
      if (value === null) r = x.txn_delete(key);
      else r = x.txn_put(key, this.dev.ioWrite(0, value), value.length);
      if (r !== ST.OK) {
        x.txn_abort();
        return r;
      }
    }
    return x.txn_commit();
  }

  get recovered(): boolean {
    return this.x.store_was_recovered() === 1;
  }
}

/** Deterministic PRNG (xorshift32) so failures reproduce. */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.s = s;
    return s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

export function isPowerCut(e: unknown): boolean {
  return e instanceof PowerCut;
}

/** Applies a committed transaction to a model. */
export function applyModel(model: Map<number, Uint8Array>, ops: Op[]): void {
  for (const [k, v] of ops) {
    if (v === null) model.delete(k);
    else model.set(k, v);
  }
}

export function eq(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Reads the store from raw flash per docs/storage.md: pages with a valid header ordered by
 * sequence number, records until an erased or invalid slot, transactions applied at END.
 */
export function parseFlash(bytes: Uint8Array, pageSize: number, pageCount: number): Map<number, Uint8Array> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crc = (a: number, b: number): number => crc32(bytes.subarray(a, b));
  const pages: Array<{ p: number; seq: number }> = [];
  for (let p = 0; p < pageCount; p++) {
    const b = p * pageSize;
    if (dv.getUint32(b, true) !== 0x314c4753 || crc(b, b + 8) !== dv.getUint32(b + 8, true)) continue;
    if (crc(b, b + 16) !== dv.getUint32(b + 16, true)) continue;
    pages.push({ p, seq: dv.getUint32(b + 12, true) });
  }
  pages.sort((x, y) => x.seq - y.seq);
  const kv = new Map<number, Uint8Array>();
  let pending: { txn: number; next: number; recs: Array<[number, Uint8Array | null | "wipe"]> } | undefined;
  let first = true;
  let prevSeq = -1;
  for (const { p, seq } of pages) {
    if (!first && seq !== prevSeq + 1) pending = undefined; // a page is missing
    prevSeq = seq;
    const end = (p + 1) * pageSize;
    let o = p * pageSize + 20;
    while (o + 16 <= end) {
      if (dv.getUint32(o, true) === 0xffffffff) break;
      const key = dv.getUint16(o, true), len = dv.getUint16(o + 2, true);
      const flags = bytes[o + 4]!, idx = bytes[o + 5]!, tag = dv.getUint32(o + 8, true);
      const size = 16 + ((len + 3) & ~3);
      if (key === 0xffff || len > 1024 || o + size > end) { pending = undefined; break; }
      const c = crc32(bytes.subarray(o + 16, o + size), crc(o, o + 12));
      if (c !== dv.getUint32(o + 12, true)) { pending = undefined; break; }
      const value = bytes.slice(o + 16, o + 16 + len);
      if (flags & 4) {
        // compaction copy: counts once no page with sequence number `tag` is left
        pending = undefined;
        if (!pages.some((x) => x.seq === tag)) kv.set(key, value);
      } else {
        if (idx === 0) pending = { txn: tag, next: 0, recs: [] };
        else if (pending === undefined && first && o === p * pageSize + 20) pending = { txn: tag, next: idx, recs: [] };
        if (pending !== undefined && pending.txn === tag && pending.next === idx) {
          pending.recs.push([key, flags & 8 ? "wipe" : flags & 2 ? null : value]);
          pending.next++;
          if (flags & 1) {
            for (const [k, v] of pending.recs) {
              if (v === "wipe") kv.clear();
              else if (v === null) kv.delete(k);
              else kv.set(k, v);
            }
            pending = undefined;
          }
        } else pending = undefined;
      }
      o += size;
    }
    first = false;
  }
  return kv;
}
