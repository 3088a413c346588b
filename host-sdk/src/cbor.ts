// CBOR (RFC 8949) for CTAP2 and WebAuthn: a canonical encoder (CTAP 2.1 §8) and a strict decoder.
//
// Encoder: shortest integer/length heads, definite lengths only, map keys sorted bytewise by their
// encoded form (RFC 8949 §4.2.1; for keys of major types 0–3 this is the CTAP2 order too), no tags.
// Non-integer numbers use the shortest float (half/single/double) that holds the value exactly.
// Decoder: definite lengths only, no tags, simple values false/true/null/undefined only, strict
// UTF-8, duplicate map keys rejected, depth limit, no trailing bytes unless asked. Malformed input
// raises SeglError("BAD_RESPONSE") with `details.offset`; it never allocates more than the input
// could describe.

import { SeglError } from "./errors.js";
import { hex } from "./platform/encoding.js";

/** A CBOR data item as JavaScript sees it. Integers outside ±(2^53−1) decode as bigint. */
export type CborValue =
  | number
  | bigint
  | Uint8Array
  | string
  | boolean
  | null
  | undefined
  | CborValue[]
  | Map<CborValue, CborValue>;

export interface CborDecodeOptions {
  /** Accept bytes after the first data item (they are ignored; see cborDecodePrefix to get the length). */
  allowTrailing?: boolean;
  /** Deepest nesting of arrays/maps accepted (a top-level array or map counts 1). Default 16. */
  maxDepth?: number;
  /**
   * Also require CTAP2 canonical form: shortest heads, map keys in bytewise order of their encoding,
   * and no floats that a shorter float could hold. Default false (duplicates are always rejected).
   */
  requireCanonical?: boolean;
  /** Most data items (every scalar, array, map, key and value counts 1) accepted. Default unlimited (bounded by the input length). */
  maxItems?: number;
  /** Accept floating-point numbers. Default true; COSE keys and WebAuthn structures decode with false. */
  allowFloats?: boolean;
}

const MAX_U64 = (1n << 64n) - 1n;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------
// Encoder

class Writer {
  buf: Uint8Array;
  len = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  head(major: number, n: number | bigint): void {
    const m = major << 5;
    if (typeof n === "number") {
      if (n < 24) this.byte(m | n);
      else if (n < 0x100) { this.byte(m | 24); this.byte(n); }
      else if (n < 0x10000) { this.byte(m | 25); this.byte(n >>> 8); this.byte(n & 0xff); }
      else if (n < 0x100000000) {
        this.byte(m | 26);
        this.byte(n >>> 24); this.byte((n >>> 16) & 0xff); this.byte((n >>> 8) & 0xff); this.byte(n & 0xff);
      } else this.head(major, BigInt(n));
      return;
    }
    if (n < 0x100000000n) { this.head(major, Number(n)); return; }
    this.byte(m | 27);
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.byte(Number((n >> shift) & 0xffn));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function encodeFloat(w: Writer, v: number): void {
  if (Number.isNaN(v)) { w.bytes(Uint8Array.of(0xf9, 0x7e, 0x00)); return; }
  const half = toHalf(v);
  if (half !== undefined) { w.byte(0xf9); w.byte(half >>> 8); w.byte(half & 0xff); return; }
  if (Math.fround(v) === v) {
    const b = new Uint8Array(5);
    b[0] = 0xfa;
    new DataView(b.buffer).setFloat32(1, v);
    w.bytes(b);
    return;
  }
  const b = new Uint8Array(9);
  b[0] = 0xfb;
  new DataView(b.buffer).setFloat64(1, v);
  w.bytes(b);
}

/** The binary16 bits of v when v is exactly representable as a half float, else undefined. */
function toHalf(v: number): number | undefined {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  if (!Number.isFinite(v)) return v > 0 ? 0x7c00 : 0xfc00;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return undefined;
  // Subnormal halves: multiples of 2^-24 below 2^-14.
  if (a < 2 ** -14) {
    const m = a * 2 ** 24;
    return Number.isInteger(m) ? sign | m : undefined;
  }
  const e = Math.floor(Math.log2(a));
  // Guard against log2 rounding at exact powers of two.
  const exp = 2 ** e > a ? e - 1 : 2 ** (e + 1) <= a ? e + 1 : e;
  const mant = a / 2 ** exp - 1; // in [0,1)
  const m10 = mant * 1024;
  if (!Number.isInteger(m10) || exp > 15 || exp < -14) return undefined;
  return sign | ((exp + 15) << 10) | m10;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function encodeInto(w: Writer, v: CborValue, depth: number): void {
  if (depth > 64) throw new SeglError("INVALID_ARGUMENT", "CBOR value nested too deeply (or cyclic)");
  switch (typeof v) {
    case "number":
      if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER && !Object.is(v, -0)) {
        if (v >= 0) w.head(0, v);
        else w.head(1, -1 - v);
      } else if (Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) <= 2 ** 64) {
        const big = BigInt(v);
        if (big >= 0n) {
          if (big <= MAX_U64) w.head(0, big);
          else encodeFloat(w, v); // 2^64 itself: only a float holds it
        } else w.head(1, -1n - big);
      } else encodeFloat(w, v);
      return;
    case "bigint":
      if (v >= 0n && v <= MAX_U64) w.head(0, v);
      else if (v < 0n && -1n - v <= MAX_U64) w.head(1, -1n - v);
      else throw new SeglError("INVALID_ARGUMENT", "CBOR integer outside the 64-bit range (bignum tags are not supported)");
      return;
    case "string": {
      const b = textEncoder.encode(v);
      w.head(3, b.length);
      w.bytes(b);
      return;
    }
    case "boolean":
      w.byte(v ? 0xf5 : 0xf4);
      return;
    case "undefined":
      w.byte(0xf7);
      return;
    case "object":
      if (v === null) { w.byte(0xf6); return; }
      if (v instanceof Uint8Array) { w.head(2, v.length); w.bytes(v); return; }
      if (Array.isArray(v)) {
        w.head(4, v.length);
        for (const item of v) encodeInto(w, item, depth + 1);
        return;
      }
      if (v instanceof Map) {
        const entries: Array<[Uint8Array, CborValue]> = [];
        for (const [k, val] of v) {
          const kw = new Writer(16);
          encodeInto(kw, k, depth + 1);
          entries.push([kw.result(), val]);
        }
        entries.sort((a, b) => compareBytes(a[0], b[0]));
        for (let i = 1; i < entries.length; i++) {
          if (compareBytes(entries[i - 1]![0], entries[i]![0]) === 0) {
            throw new SeglError("INVALID_ARGUMENT", "CBOR map has two keys with the same encoding");
          }
        }
        w.head(5, entries.length);
        for (const [kb, val] of entries) {
          w.bytes(kb);
          encodeInto(w, val, depth + 1);
        }
        return;
      }
      break;
    default:
      break;
  }
  throw new SeglError("INVALID_ARGUMENT", `cannot encode a ${Object.prototype.toString.call(v)} as CBOR`);
}

/** Canonical CTAP2 CBOR of `v`. Throws SeglError("INVALID_ARGUMENT") for values CBOR cannot hold here. */
export function cborEncode(v: CborValue): Uint8Array {
  const w = new Writer();
  encodeInto(w, v, 0);
  return w.result();
}

// ---------------------------------------------------------------------------------------------
// Decoder

class Reader {
  pos = 0;
  items = 0;
  constructor(
    readonly b: Uint8Array,
    readonly maxDepth: number,
    readonly canonical: boolean,
    readonly maxItems: number,
    readonly floats: boolean,
  ) {}

  fail(msg: string, at = this.pos): never {
    throw new SeglError("BAD_RESPONSE", `malformed CBOR at byte ${at}: ${msg}`, { details: { offset: at } });
  }

  need(n: number): void {
    if (n > this.b.length - this.pos) this.fail(`needs ${n} more byte(s), ${this.b.length - this.pos} left`);
  }

  /** Reads the argument of a head whose low 5 bits are `ai`; returns number when safe, else bigint. */
  arg(ai: number, start: number): number | bigint {
    if (ai < 24) return ai;
    let v: number | bigint;
    let min: number | bigint;
    switch (ai) {
      case 24:
        this.need(1);
        v = this.b[this.pos++]!;
        min = 24;
        break;
      case 25:
        this.need(2);
        v = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
        this.pos += 2;
        min = 0x100;
        break;
      case 26:
        this.need(4);
        v = ((this.b[this.pos]! << 24) >>> 0) + (this.b[this.pos + 1]! << 16) + (this.b[this.pos + 2]! << 8) + this.b[this.pos + 3]!;
        this.pos += 4;
        min = 0x10000;
        break;
      case 27: {
        this.need(8);
        let big = 0n;
        for (let i = 0; i < 8; i++) big = (big << 8n) | BigInt(this.b[this.pos + i]!);
        this.pos += 8;
        min = 0x100000000;
        v = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
        break;
      }
      case 31:
        return this.fail("indefinite-length items are not allowed", start);
      default:
        return this.fail(`reserved additional information ${ai}`, start);
    }
    if (this.canonical && v < min) this.fail("integer or length not in its shortest form", start);
    return v;
  }

  length(ai: number, start: number): number {
    const n = this.arg(ai, start);
    if (typeof n === "bigint" || n > this.b.length - this.pos) this.fail(`length ${n} runs past the end of the input`, start);
    return n;
  }

  item(depth: number): CborValue {
    this.need(1);
    const start = this.pos;
    if (++this.items > this.maxItems) this.fail(`more than ${this.maxItems} data items`, start);
    const ib = this.b[this.pos++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    switch (major) {
      case 0:
        return this.arg(ai, start);
      case 1: {
        const n = this.arg(ai, start);
        if (typeof n === "number" && n < Number.MAX_SAFE_INTEGER) return -1 - n;
        const r = -1n - BigInt(n);
        return r >= BigInt(-Number.MAX_SAFE_INTEGER) ? Number(r) : r;
      }
      case 2: {
        const n = this.length(ai, start);
        const out = this.b.slice(this.pos, this.pos + n);
        this.pos += n;
        return out;
      }
      case 3: {
        const n = this.length(ai, start);
        let s: string;
        try {
          s = textDecoder.decode(this.b.subarray(this.pos, this.pos + n));
        } catch {
          return this.fail("text string is not valid UTF-8", start);
        }
        this.pos += n;
        return s;
      }
      case 4: {
        if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, start);
        const n = this.length(ai, start); // each element takes at least one byte
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, start);
        const n = this.arg(ai, start);
        if (typeof n === "bigint" || n * 2 > this.b.length - this.pos) this.fail(`map of ${n} pairs runs past the end of the input`, start);
        const out = new Map<CborValue, CborValue>();
        const seen = new Set<string>();
        let prevKey: Uint8Array | undefined;
        for (let i = 0; i < n; i++) {
          const kStart = this.pos;
          const k = this.item(depth + 1);
          const kBytes = this.b.subarray(kStart, this.pos);
          if (this.canonical && prevKey !== undefined && compareBytes(prevKey, kBytes) >= 0) {
            this.fail("map keys are not in canonical (bytewise) order", kStart);
          }
          prevKey = kBytes;
          const id = keyId(k, kBytes);
          if (seen.has(id)) this.fail("duplicate map key", kStart);
          seen.add(id);
          out.set(k, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        return this.fail("tags are not allowed", start);
      default: // 7
        return this.simple(ai, start);
    }
  }

  simple(ai: number, start: number): CborValue {
    if (!this.floats && ai >= 25 && ai <= 27) this.fail("floating-point numbers are not allowed here", start);
    switch (ai) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 25: {
        this.need(2);
        const h = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
        this.pos += 2;
        return fromHalf(h);
      }
      case 26: {
        this.need(4);
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getFloat32(0);
        this.pos += 4;
        if (this.canonical && (Number.isNaN(v) || toHalf(v) !== undefined)) this.fail("float not in its shortest form", start);
        return v;
      }
      case 27: {
        this.need(8);
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0);
        this.pos += 8;
        if (this.canonical && (Number.isNaN(v) || Math.fround(v) === v)) this.fail("float not in its shortest form", start);
        return v;
      }
      case 31:
        return this.fail("break outside an indefinite-length item", start);
      default:
        return this.fail(`simple value ${ai < 24 ? ai : "(1-byte)"} is not supported`, start);
    }
  }
}

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

function keyId(k: CborValue, raw: Uint8Array): string {
  if (typeof k === "number" || typeof k === "bigint") return `n${String(k)}`;
  if (typeof k === "string") return `s${k}`;
  if (k instanceof Uint8Array) return `b${hex(k)}`;
  return `r${hex(raw)}`;
}

function makeReader(bytes: Uint8Array, opts: CborDecodeOptions): Reader {
  if (!(bytes instanceof Uint8Array)) throw new SeglError("INVALID_ARGUMENT", "cborDecode expects a Uint8Array");
  return new Reader(bytes, opts.maxDepth ?? 16, opts.requireCanonical ?? false, opts.maxItems ?? Infinity, opts.allowFloats ?? true);
}

/**
 * Decodes the first CBOR data item of `bytes` and returns it with the number of bytes it took.
 * Bytes after it are left alone (authenticatorData: COSE key followed by extensions).
 */
export function cborDecodePrefix(bytes: Uint8Array, opts: Omit<CborDecodeOptions, "allowTrailing"> = {}): { value: CborValue; length: number } {
  const r = makeReader(bytes, opts);
  const value = r.item(0);
  return { value, length: r.pos };
}

/** Decodes exactly one CBOR data item. Throws SeglError("BAD_RESPONSE") on malformed input. */
export function cborDecode(bytes: Uint8Array, opts: CborDecodeOptions = {}): CborValue {
  const r = makeReader(bytes, opts);
  const value = r.item(0);
  if (!opts.allowTrailing && r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} trailing byte(s) after the data item`);
  return value;
}

/** True when `v` is a decoded CBOR map. */
export function isCborMap(v: CborValue): v is Map<CborValue, CborValue> {
  return v instanceof Map;
}
