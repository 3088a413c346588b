// Test helpers for the CBOR harness: loading it, an independent reference encoder/validator in
// TypeScript (recursive, written separately from the firmware's iterative one), and the decoder
// of the harness's token stream.
import { Device, SimClock } from "@segl/simulator";
import { harnessImage } from "./image-util.js";

export interface CborHarness {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  io_size(): number;
  cbor_check(ptr: number, len: number, maxDepth: number): number;
  cbor_check_exact(ptr: number, len: number, maxDepth: number): number;
  cbor_ctap_status(err: number): number;
  cbor_utf8_count(ptr: number, len: number): number;
  cbor_key_compare(a: number, aLen: number, b: number, bLen: number): number;
  cbor_skip(ptr: number, len: number): number;
  cbor_walk(ptr: number, len: number, validate: number, maxDepth: number,
    tok: number, tokCap: number, enc: number, encCap: number): number;
  cbor_enc_len(): number;
  cbor_read_one(ptr: number, len: number, which: number): number;
  cbor_last_offset(): number;
  cbor_last_int(): bigint;
  cbor_last_uint(): bigint;
  cbor_enc_uint(v: bigint, out: number, cap: number): number;
  cbor_enc_int(v: bigint, out: number, cap: number): number;
  cbor_enc_sample(aaguid: number, out: number, cap: number): number;
}

export const ERR = {
  TRUNCATED: -1, NON_CANONICAL: -2, INDEFINITE: -3, TAG: -4, MALFORMED: -5, DEPTH: -6, UTF8: -7,
  KEY_ORDER: -8, KEY_DUP: -9, KEY_TYPE: -10, TYPE: -11, RANGE: -12, TRAILING: -13, ARGS: -14, OVERFLOW: -15,
} as const;

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Boots the harness image in a simulated device and wraps its exports. */
export class Cbor {
  readonly dev: Device;
  readonly x: CborHarness;
  readonly io: number;
  // Layout of the exchange buffer: input at 0, tokens at 3072, re-encoding at 6144.
  static readonly IN = 0;
  static readonly TOK = 3072;
  static readonly ENC = 6144;
  static readonly CAP = 2048;

  constructor() {
    const img = harnessImage("cbor");
    this.dev = new Device({ image: img, clock: new SimClock({ startMs: 0 }) });
    this.x = this.dev.raw as unknown as CborHarness;
    this.io = this.x.io_ptr();
  }
  put(b: Uint8Array, off = Cbor.IN): number {
    return this.dev.ioWrite(off, b);
  }
  check(b: Uint8Array, depth = 4): number {
    return this.x.cbor_check(this.put(b), b.length, depth);
  }
  checkExact(b: Uint8Array, depth = 4): number {
    return this.x.cbor_check_exact(this.put(b), b.length, depth);
  }
  /** Walks with the reader; returns [status, decoded value, re-encoding]. */
  walk(b: Uint8Array, validate: boolean, depth = 4): { status: number; value?: CborValue; enc?: Uint8Array } {
    const p = this.put(b);
    const n = this.x.cbor_walk(p, b.length, validate ? 1 : 0, depth,
      this.io + Cbor.TOK, Cbor.CAP, this.io + Cbor.ENC, Cbor.CAP);
    if (n < 0) return { status: n };
    const value = decodeTokens(this.dev.ioRead(Cbor.TOK, n));
    const encLen = this.x.cbor_enc_len();
    return { status: n, value, enc: encLen >= 0 ? this.dev.ioRead(Cbor.ENC, encLen) : new Uint8Array(0) };
  }
  skip(b: Uint8Array): number {
    return this.x.cbor_skip(this.put(b), b.length);
  }
}

// ---- values ----
export class Simple { constructor(readonly value: number) {} }
export class Float { constructor(readonly raw: string) {} }
export class CMap { constructor(readonly entries: [CborValue, CborValue][]) {} }
export type CborValue = bigint | Uint8Array | string | CborValue[] | CMap | boolean | null | undefined | Simple | Float;

/** Canonical (CTAP2) encoder: shortest heads, map keys sorted bytewise by their encoding. */
export function encode(v: CborValue): Uint8Array {
  const out: number[] = [];
  const head = (major: number, arg: bigint): void => {
    const m = major << 5;
    if (arg < 24n) out.push(m | Number(arg));
    else if (arg < 0x100n) out.push(m | 24, Number(arg));
    else if (arg < 0x10000n) out.push(m | 25, Number(arg >> 8n), Number(arg & 0xffn));
    else if (arg < 0x100000000n) { out.push(m | 26); for (let s = 24n; s >= 0n; s -= 8n) out.push(Number((arg >> s) & 0xffn)); }
    else { out.push(m | 27); for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((arg >> s) & 0xffn)); }
  };
  const enc = (x: CborValue): void => {
    if (typeof x === "bigint") { if (x >= 0n) head(0, x); else head(1, -1n - x); }
    else if (x instanceof Uint8Array) { head(2, BigInt(x.length)); out.push(...x); }
    else if (typeof x === "string") { const b = Buffer.from(x, "utf8"); head(3, BigInt(b.length)); out.push(...b); }
    else if (Array.isArray(x)) { head(4, BigInt(x.length)); x.forEach(enc); }
    else if (x instanceof CMap) {
      const pairs = x.entries.map(([k, val]) => [encode(k), encode(val)] as const);
      pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
      head(5, BigInt(pairs.length));
      for (const [k, val] of pairs) out.push(...k, ...val);
    } else if (x === false) out.push(0xf4);
    else if (x === true) out.push(0xf5);
    else if (x === null) out.push(0xf6);
    else if (x === undefined) out.push(0xf7);
    else if (x instanceof Simple) head(7, BigInt(x.value));
    else out.push(...hex(x.raw));
  };
  enc(v);
  return new Uint8Array(out);
}

/** Independent reference validator: the same rules as cborCheck, written recursively.
 *  Returns the length of the item at the start of b, or null if b is not acceptable. */
export function refCheck(b: Uint8Array, maxDepth: number): number | null {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  class Bad extends Error {}
  let pos = 0;
  const need = (n: bigint): number => {
    if (BigInt(pos) + n > BigInt(b.length)) throw new Bad();
    const p = pos;
    pos += Number(n);
    return p;
  };
  const uint = (n: number): bigint => {
    const p = need(BigInt(n));
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[p + i]!);
    return v;
  };
  const item = (depth: number, isKey: boolean): void => {
    const ib = b[need(1n)]!;
    const major = ib >> 5, ai = ib & 31;
    if (isKey && major > 3) throw new Bad();
    if (ai >= 28) throw new Bad();
    const sizes: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const arg = ai < 24 ? BigInt(ai) : uint(sizes[ai]!);
    if (major === 7) {
      if (ai === 24 && arg < 32n) throw new Bad();
      return;
    }
    const min: Record<number, bigint> = { 24: 24n, 25: 0x100n, 26: 0x10000n, 27: 0x100000000n };
    if (ai >= 24 && arg < min[ai]!) throw new Bad();
    switch (major) {
      case 0: case 1: return;
      case 2: need(arg); return;
      case 3: {
        const p = need(arg);
        try { fatal.decode(b.subarray(p, pos)); } catch { throw new Bad(); }
        return;
      }
      case 4: case 5: {
        if (depth + 1 > maxDepth) throw new Bad();
        if (arg > BigInt(b.length)) throw new Bad();
        let prev: Buffer | null = null;
        for (let i = 0n; i < arg; i++) {
          if (major === 5) {
            const start = pos;
            item(depth + 1, true);
            const key = Buffer.from(b.subarray(start, pos));
            if (prev && Buffer.compare(prev, key) >= 0) throw new Bad();
            prev = key;
          }
          item(depth + 1, false);
        }
        return;
      }
      default: throw new Bad(); // tags
    }
  };
  try {
    item(0, false);
    return pos;
  } catch (e) {
    if (e instanceof Bad) return null;
    throw e;
  }
}

/** Decodes the harness's token stream (see firmware/harness/cbor.ts) into a value. */
export function decodeTokens(t: Uint8Array): CborValue {
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  let p = 0;
  const one = (): CborValue => {
    const k = t[p++]!;
    switch (k) {
      case 0x00: { const v = dv.getBigUint64(p, true); p += 8; return v; }
      case 0x01: { const v = dv.getBigInt64(p, true); p += 8; return v; }
      case 0x09: { const v = dv.getBigUint64(p, true); p += 8; return -1n - v; }
      case 0x02: case 0x03: {
        const n = dv.getUint32(p, true); p += 4;
        const s = t.slice(p, p + n); p += n;
        return k === 2 ? s : new TextDecoder("utf-8", { ignoreBOM: true }).decode(s);
      }
      case 0x04: { const n = dv.getUint32(p, true); p += 4; const a: CborValue[] = []; for (let i = 0; i < n; i++) a.push(one()); return a; }
      case 0x05: {
        const n = dv.getUint32(p, true); p += 4;
        const e: [CborValue, CborValue][] = [];
        for (let i = 0; i < n; i++) { const key = one(); e.push([key, one()]); }
        return new CMap(e);
      }
      case 0x14: return false;
      case 0x15: return true;
      case 0x16: return null;
      case 0x07: { const v = t[p++]!; return v === 23 ? undefined : new Simple(v); }
      case 0x0f: { const n = t[p++]!; const raw = toHex(t.subarray(p, p + n)); p += n; return new Float(raw); }
      default: throw new Error(`bad token ${k} at ${p - 1}`);
    }
  };
  const v = one();
  if (p !== t.length) throw new Error("trailing tokens");
  return v;
}

/** Deterministic PRNG (xorshift32) for reproducible fuzzing. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

/** A makeCredential-shaped request map using nesting depth exactly 4. */
export function makeCredentialRequest(): Uint8Array {
  const b = (n: number, f = 0xab): Uint8Array => new Uint8Array(n).fill(f);
  return encode(new CMap([
    [1n, b(32)],
    [2n, new CMap([["id", "example.com"], ["name", "Example"]])],
    [3n, new CMap([["id", b(16, 1)], ["name", "ole@example.com"], ["displayName", "Øle Ærø 水"]])],
    [4n, [new CMap([["alg", -7n], ["type", "public-key"]]), new CMap([["alg", -257n], ["type", "public-key"]])]],
    [5n, [new CMap([["id", b(64, 2)], ["type", "public-key"], ["transports", ["usb", "nfc"]]])]],
    [6n, new CMap([["credProtect", 2n], ["hmac-secret", true]])],
    [7n, new CMap([["rk", true], ["uv", false]])],
    [8n, b(16, 3)],
    [9n, 1n],
  ]));
}
