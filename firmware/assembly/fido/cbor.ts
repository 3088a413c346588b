// CTAP2 canonical CBOR (CTAP 2.1 §8, RFC 8949): a strict validator, an allocation-free cursor
// reader over (ptr, len), and an encoder into a caller-owned buffer. See docs/cbor.md.
//
// Nothing here allocates: readers and writers are @unmanaged structs placed in static memory
// (`CborReader.at(memory.data(CBOR_READER_SIZE))`). Every length from the input is checked
// against the bytes that remain before it is used; errors are negative codes (CBOR_ERR_*),
// never traps.

// ---- error codes (all negative; map to CTAP status with cborErrToCtap) ----
/** Input ends inside an item, or a declared length/count is larger than the bytes that remain. */
export const CBOR_ERR_TRUNCATED: i32 = -1;
/** An argument (int value, length, count) not in its shortest form. */
export const CBOR_ERR_NON_CANONICAL: i32 = -2;
/** Indefinite length (additional info 31) or a stray "break". */
export const CBOR_ERR_INDEFINITE: i32 = -3;
/** Major type 6 (tag): CTAP forbids tags. */
export const CBOR_ERR_TAG: i32 = -4;
/** Not well-formed: additional info 28..30, or a two-byte simple value below 32. */
export const CBOR_ERR_MALFORMED: i32 = -5;
/** More nested arrays/maps than the depth limit. */
export const CBOR_ERR_DEPTH: i32 = -6;
/** A text string that is not valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
export const CBOR_ERR_UTF8: i32 = -7;
/** Map keys not in canonical (bytewise) order. */
export const CBOR_ERR_KEY_ORDER: i32 = -8;
/** The same map key twice. */
export const CBOR_ERR_KEY_DUP: i32 = -9;
/** A map key that is not an integer, byte string or text string. */
export const CBOR_ERR_KEY_TYPE: i32 = -10;
/** The item has another type than the accessor asked for (nothing is consumed). */
export const CBOR_ERR_TYPE: i32 = -11;
/** An integer outside the range asked for (int64 for readInt). */
export const CBOR_ERR_RANGE: i32 = -12;
/** Bytes after the single top-level item. */
export const CBOR_ERR_TRAILING: i32 = -13;
/** Bad arguments from the caller (depth limit > CBOR_MAX_DEPTH, ...). */
export const CBOR_ERR_ARGS: i32 = -14;
/** The encoder's output buffer is full. */
export const CBOR_ERR_OVERFLOW: i32 = -15;

// ---- CTAP status bytes ----
export const CTAP2_ERR_CBOR_UNEXPECTED_TYPE: i32 = 0x11;
export const CTAP2_ERR_INVALID_CBOR: i32 = 0x12;
export const CTAP1_ERR_OTHER: i32 = 0x7f;

/** CTAP status for a CBOR error code: type mismatch → 0x11, encoder overflow → 0x7F, every
 *  decoding error → CTAP2_ERR_INVALID_CBOR (0x12); 0 for a non-negative value. */
export function cborErrToCtap(err: i32): i32 {
  if (err >= 0) return 0;
  if (err == CBOR_ERR_TYPE) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
  if (err == CBOR_ERR_OVERFLOW || err == CBOR_ERR_ARGS) return CTAP1_ERR_OTHER;
  return CTAP2_ERR_INVALID_CBOR;
}

/** Nesting limit of CTAP 2.1 §8 (maps/arrays). */
export const CBOR_CTAP_DEPTH: u32 = 4;
/** Largest depth limit the validator accepts. */
export const CBOR_MAX_DEPTH: u32 = 8;

export const CBOR_UINT: u32 = 0;
export const CBOR_NINT: u32 = 1;
export const CBOR_BYTES: u32 = 2;
export const CBOR_TEXT: u32 = 3;
export const CBOR_ARRAY: u32 = 4;
export const CBOR_MAP: u32 = 5;
export const CBOR_TAG: u32 = 6;
export const CBOR_SIMPLE: u32 = 7;

export const CBOR_FALSE: u32 = 20;
export const CBOR_TRUE: u32 = 21;
export const CBOR_NULL: u32 = 22;
export const CBOR_UNDEFINED: u32 = 23;

// ---- item heads ----
// parseHead leaves its results in these globals (a wasm function returns one value).
let hMajor: u32 = 0;
let hAi: u32 = 0;
let hArg: u64 = 0;
let hEnd: usize = 0; // first byte after the head

/** Parses the head at p (p <= end). Strict: shortest arguments, no indefinite lengths, no tags,
 *  no reserved additional info. Sets hMajor/hAi/hArg/hEnd; returns 0 or an error. Does not
 *  look at the payload of strings. */
function parseHead(p: usize, end: usize): i32 {
  if (p >= end) return CBOR_ERR_TRUNCATED;
  const ib = <u32>load<u8>(p);
  const major = ib >> 5;
  const ai = ib & 31;
  if (major == CBOR_TAG) return ai == 31 || (ai >= 28) ? CBOR_ERR_MALFORMED : CBOR_ERR_TAG;
  let q = p + 1;
  let arg: u64 = 0;
  if (ai < 24) {
    arg = <u64>ai;
  } else if (ai == 24) {
    if (end - q < 1) return CBOR_ERR_TRUNCATED;
    arg = <u64>load<u8>(q);
    q += 1;
    if (major == CBOR_SIMPLE) {
      if (arg < 32) return CBOR_ERR_MALFORMED; // RFC 8949 §3.3
    } else if (arg < 24) return CBOR_ERR_NON_CANONICAL;
  } else if (ai == 25) {
    if (end - q < 2) return CBOR_ERR_TRUNCATED;
    arg = <u64>((<u32>load<u8>(q) << 8) | <u32>load<u8>(q + 1));
    q += 2;
    if (major != CBOR_SIMPLE && arg < 0x100) return CBOR_ERR_NON_CANONICAL;
  } else if (ai == 26) {
    if (end - q < 4) return CBOR_ERR_TRUNCATED;
    arg = <u64>bswap<u32>(load<u32>(q));
    q += 4;
    if (major != CBOR_SIMPLE && arg < 0x10000) return CBOR_ERR_NON_CANONICAL;
  } else if (ai == 27) {
    if (end - q < 8) return CBOR_ERR_TRUNCATED;
    arg = bswap<u64>(load<u64>(q));
    q += 8;
    if (major != CBOR_SIMPLE && arg < 0x100000000) return CBOR_ERR_NON_CANONICAL;
  } else if (ai == 31) {
    return major == CBOR_UINT || major == CBOR_NINT ? CBOR_ERR_MALFORMED : CBOR_ERR_INDEFINITE;
  } else {
    return CBOR_ERR_MALFORMED; // 28..30
  }
  hMajor = major;
  hAi = ai;
  hArg = arg;
  hEnd = q;
  return 0;
}

// ---- UTF-8 ----

/** Number of code points in a strict UTF-8 string (RFC 3629), or CBOR_ERR_UTF8. */
export function utf8CodePoints(ptr: usize, len: u32): i32 {
  let i: u32 = 0;
  let n: i32 = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) { i++; n++; continue; }
    let need: u32;
    let lo: u32 = 0x80;
    let hi: u32 = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 == 0xe0) lo = 0xa0; // overlong
      else if (b0 == 0xed) hi = 0x9f; // surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 == 0xf0) lo = 0x90; // overlong
      else if (b0 == 0xf4) hi = 0x8f; // > U+10FFFF
    } else return CBOR_ERR_UTF8; // continuation byte, C0/C1, F5..FF
    if (len - i - 1 < need) return CBOR_ERR_UTF8;
    const b1 = <u32>load<u8>(ptr + i + 1);
    if (b1 < lo || b1 > hi) return CBOR_ERR_UTF8;
    for (let k: u32 = 2; k <= need; k++) {
      const b = <u32>load<u8>(ptr + i + k);
      if ((b & 0xc0) != 0x80) return CBOR_ERR_UTF8;
    }
    i += need + 1;
    n++;
  }
  return n;
}

// ---- canonical key order ----

/** Bytewise comparison of two encoded map keys: <0, 0, >0. For keys of major types 0..3 this is
 *  the CTAP2 canonical order (major type, then shorter encoding, then bytes). */
export function cborKeyCompare(a: usize, aLen: u32, b: usize, bLen: u32): i32 {
  const n = aLen < bLen ? aLen : bLen;
  for (let i: u32 = 0; i < n; i++) {
    const x = <i32>load<u8>(a + i);
    const y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
  }
  return aLen == bLen ? 0 : (aLen < bLen ? -1 : 1);
}

// ---- validator ----
// Stack of open containers: per level remaining items (u32), isMap (u32), previous key ptr, len.
const STACK: usize = memory.data(<i32>(16 * (CBOR_MAX_DEPTH + 1)), 16);

/** Validates the single CBOR item at the start of (ptr, len) against every CTAP2 canonical rule:
 *  well-formed, definite lengths, shortest arguments, no tags, nesting <= maxDepth (top-level
 *  map = 1), map keys of major type 0..3 in strictly increasing bytewise order (no duplicates),
 *  text strings valid UTF-8. Floats and unassigned simple values are accepted as opaque items.
 *  Returns the number of bytes the item occupies, or a negative error. */
export function cborCheck(ptr: usize, len: u32, maxDepth: u32): i32 {
  if (maxDepth > CBOR_MAX_DEPTH || len > 0x7fffffff) return CBOR_ERR_ARGS;
  const end = ptr + <usize>len;
  let p = ptr;
  let sp: usize = 0;
  store<u32>(STACK, 1);
  store<u32>(STACK, 0, 4);
  while (true) {
    let frame = STACK + (sp << 4);
    let rem = load<u32>(frame);
    while (rem == 0) {
      if (sp == 0) return <i32>(p - ptr);
      sp--;
      frame = STACK + (sp << 4);
      rem = load<u32>(frame);
    }
    const inMap = load<u32>(frame, 4) != 0;
    const isKey = inMap && (rem & 1) == 0;
    store<u32>(frame, rem - 1);
    const start = p;
    const e = parseHead(p, end);
    if (e < 0) return e;
    const major = hMajor;
    const arg = hArg;
    p = hEnd;
    const avail = <u64>(end - p);
    if (isKey && major > CBOR_TEXT) return CBOR_ERR_KEY_TYPE;
    if (major == CBOR_BYTES || major == CBOR_TEXT) {
      if (arg > avail) return CBOR_ERR_TRUNCATED;
      if (major == CBOR_TEXT) {
        const u = utf8CodePoints(p, <u32>arg);
        if (u < 0) return u;
      }
      p += <usize>arg;
    } else if (major == CBOR_ARRAY || major == CBOR_MAP) {
      const items = major == CBOR_MAP ? arg << 1 : arg; // arg < 2^64: check before doubling
      if (arg > avail || items > avail) return CBOR_ERR_TRUNCATED;
      if (<u32>sp + 1 > maxDepth) return CBOR_ERR_DEPTH;
      sp++;
      const f = STACK + (sp << 4);
      store<u32>(f, <u32>items);
      store<u32>(f, major == CBOR_MAP ? 1 : 0, 4);
      store<u32>(f, 0, 12); // no previous key
    }
    if (isKey) {
      const kLen = <u32>(p - start);
      const prevLen = load<u32>(frame, 12);
      if (prevLen != 0) {
        const c = cborKeyCompare(<usize>load<u32>(frame, 8), prevLen, start, kLen);
        if (c == 0) return CBOR_ERR_KEY_DUP;
        if (c > 0) return CBOR_ERR_KEY_ORDER;
      }
      store<u32>(frame, <u32>start, 8);
      store<u32>(frame, kLen, 12);
    }
  }
  return 0; // unreachable in practice; keeps the compiler happy
}

/** cborCheck, and the item must fill the whole buffer. Returns len or a negative error. */
export function cborCheckExact(ptr: usize, len: u32, maxDepth: u32): i32 {
  const n = cborCheck(ptr, len, maxDepth);
  if (n < 0) return n;
  return <u32>n == len ? n : CBOR_ERR_TRAILING;
}

// ---- reader ----

/** A cursor over one buffer. Each read* checks the head at the cursor; on success it consumes
 *  the item (containers: only the head, the caller then reads count items / 2·count for maps),
 *  on failure nothing is consumed. The reader checks bounds and the canonical form of every head
 *  it reads, but not nesting depth, key order or UTF-8 across the message: run cborCheck first
 *  (`open` does both). */
@unmanaged
export class CborReader {
  start: usize;
  end: usize;
  pos: usize;
  /** Slice of the last byte/text string read. */
  slicePtr: usize;
  sliceLen: u32;
  /** Value of the last readUint / readSimple. */
  u: u64;
  /** Value of the last readInt. */
  i: i64;

  /** Treats static memory at ptr (CBOR_READER_SIZE bytes) as a reader. */
  @inline static at(ptr: usize): CborReader { return changetype<CborReader>(ptr); }

  /** Starts reading (ptr, len) with no validation. */
  init(ptr: usize, len: u32): void {
    this.start = ptr;
    this.end = ptr + <usize>len;
    this.pos = ptr;
    this.slicePtr = ptr;
    this.sliceLen = 0;
    this.u = 0;
    this.i = 0;
  }

  /** Validates (ptr, len) as exactly one canonical item (cborCheckExact) and starts reading it.
   *  Returns 0 or a negative error. */
  open(ptr: usize, len: u32, maxDepth: u32): i32 {
    this.init(ptr, 0);
    const n = cborCheckExact(ptr, len, maxDepth);
    if (n < 0) return n;
    this.init(ptr, len);
    return 0;
  }

  atEnd(): bool { return this.pos >= this.end; }
  /** Bytes consumed so far. */
  offset(): u32 { return <u32>(this.pos - this.start); }

  /** Major type (0..7) of the next item, or a negative error. */
  peekType(): i32 {
    const e = parseHead(this.pos, this.end);
    return e < 0 ? e : <i32>hMajor;
  }

  /** Unsigned integer (major 0) into this.u. */
  readUint(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_UINT) return CBOR_ERR_TYPE;
    this.u = hArg;
    this.pos = hEnd;
    return 0;
  }

  /** Integer of major type 0 or 1 in the int64 range into this.i. */
  readInt(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor > CBOR_NINT) return CBOR_ERR_TYPE;
    if (hArg > <u64>i64.MAX_VALUE) return CBOR_ERR_RANGE;
    this.i = hMajor == CBOR_UINT ? <i64>hArg : -1 - <i64>hArg;
    this.pos = hEnd;
    return 0;
  }

  /** Negative integer of any size (major 1): stores n in this.u, the value being -1 - n. */
  readNint(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_NINT) return CBOR_ERR_TYPE;
    this.u = hArg;
    this.pos = hEnd;
    return 0;
  }

  /** Byte string: returns its length (slice in slicePtr/sliceLen) or a negative error. */
  readBytes(): i32 { return this.readString(CBOR_BYTES); }

  /** Text string (UTF-8 checked): returns its length in bytes or a negative error. */
  readText(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_TEXT) return CBOR_ERR_TYPE;
    if (hArg > <u64>(this.end - hEnd)) return CBOR_ERR_TRUNCATED;
    const u = utf8CodePoints(hEnd, <u32>hArg);
    if (u < 0) return u;
    return this.readString(CBOR_TEXT);
  }

  private readString(major: u32): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != major) return CBOR_ERR_TYPE;
    if (hArg > <u64>(this.end - hEnd)) return CBOR_ERR_TRUNCATED;
    this.slicePtr = hEnd;
    this.sliceLen = <u32>hArg;
    this.pos = hEnd + <usize>hArg;
    return <i32>hArg;
  }

  /** Array head: returns the element count or a negative error. */
  readArray(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_ARRAY) return CBOR_ERR_TYPE;
    if (hArg > <u64>(this.end - hEnd)) return CBOR_ERR_TRUNCATED;
    this.pos = hEnd;
    return <i32>hArg;
  }

  /** Map head: returns the number of pairs or a negative error. */
  readMap(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_MAP) return CBOR_ERR_TYPE;
    if (hArg > <u64>(this.end - hEnd) >> 1) return CBOR_ERR_TRUNCATED;
    this.pos = hEnd;
    return <i32>hArg;
  }

  /** Simple value (major 7, not a float): returns it (20 false, 21 true, 22 null, 23 undefined). */
  readSimple(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_SIMPLE || hAi > 24) return CBOR_ERR_TYPE;
    this.u = hArg;
    this.pos = hEnd;
    return <i32>hArg;
  }

  /** Boolean: 0 or 1, or a negative error (CBOR_ERR_TYPE for anything else). */
  readBool(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_SIMPLE || (hArg != CBOR_FALSE && hArg != CBOR_TRUE) || hAi > 23) return CBOR_ERR_TYPE;
    this.pos = hEnd;
    return hArg == CBOR_TRUE ? 1 : 0;
  }

  /** null: 0 or a negative error. */
  readNull(): i32 {
    const e = parseHead(this.pos, this.end);
    if (e < 0) return e;
    if (hMajor != CBOR_SIMPLE || hArg != CBOR_NULL || hAi > 23) return CBOR_ERR_TYPE;
    this.pos = hEnd;
    return 0;
  }

  /** Skips one whole item (with everything nested in it). Iterative, no stack: bounded by the
   *  input because every item takes at least one byte. Returns 0 or a negative error. */
  skip(): i32 {
    let p = this.pos;
    let pending: u64 = 1;
    while (pending > 0) {
      const e = parseHead(p, this.end);
      if (e < 0) return e;
      pending--;
      p = hEnd;
      const avail = <u64>(this.end - p);
      const major = hMajor;
      if (major == CBOR_BYTES || major == CBOR_TEXT) {
        if (hArg > avail) return CBOR_ERR_TRUNCATED;
        p += <usize>hArg;
      } else if (major == CBOR_ARRAY) {
        if (hArg > avail) return CBOR_ERR_TRUNCATED;
        pending += hArg;
      } else if (major == CBOR_MAP) {
        if (hArg > avail >> 1) return CBOR_ERR_TRUNCATED;
        pending += hArg << 1;
      }
      // every pending item needs at least one byte
      if (pending > <u64>(this.end - p)) return CBOR_ERR_TRUNCATED;
    }
    this.pos = p;
    return 0;
  }
}

/** Bytes of static memory a CborReader needs. */
export const CBOR_READER_SIZE: i32 = <i32>offsetof<CborReader>();

// ---- writer ----

/** Encoder into a caller-owned buffer. Errors are sticky: after the first overflow nothing more
 *  is written and length() returns CBOR_ERR_OVERFLOW, so a response can be written in one go and
 *  checked once. The writer emits shortest heads; the caller writes map keys in canonical order
 *  (cborKeyCompare / cborCheck verify it). */
@unmanaged
export class CborWriter {
  start: usize;
  end: usize;
  pos: usize;
  err: i32;

  @inline static at(ptr: usize): CborWriter { return changetype<CborWriter>(ptr); }

  init(ptr: usize, cap: u32): void {
    this.start = ptr;
    this.end = ptr + <usize>cap;
    this.pos = ptr;
    this.err = 0;
  }

  /** Bytes written, or CBOR_ERR_OVERFLOW. */
  length(): i32 { return this.err < 0 ? this.err : <i32>(this.pos - this.start); }

  /** Reserves n bytes: returns their address, or 0 (and sets the sticky error). */
  reserve(n: u32): usize {
    if (this.err < 0) return 0;
    if (<u64>n > <u64>(this.end - this.pos)) {
      this.err = CBOR_ERR_OVERFLOW;
      return 0;
    }
    const p = this.pos;
    this.pos = p + <usize>n;
    return p;
  }

  head(major: u32, arg: u64): void {
    const m = <u8>(major << 5);
    if (arg < 24) {
      const p = this.reserve(1);
      if (this.err == 0) store<u8>(p, m | <u8>arg);
    } else if (arg < 0x100) {
      const p = this.reserve(2);
      if (this.err == 0) { store<u8>(p, m | 24); store<u8>(p, <u8>arg, 1); }
    } else if (arg < 0x10000) {
      const p = this.reserve(3);
      if (this.err == 0) { store<u8>(p, m | 25); store<u8>(p, <u8>(arg >> 8), 1); store<u8>(p, <u8>arg, 2); }
    } else if (arg < 0x100000000) {
      const p = this.reserve(5);
      if (this.err == 0) { store<u8>(p, m | 26); store<u32>(p + 1, bswap<u32>(<u32>arg)); }
    } else {
      const p = this.reserve(9);
      if (this.err == 0) { store<u8>(p, m | 27); store<u64>(p + 1, bswap<u64>(arg)); }
    }
  }

  uint(v: u64): void { this.head(CBOR_UINT, v); }
  /** Negative integer -1 - n (n = 0 encodes -1). */
  nint(n: u64): void { this.head(CBOR_NINT, n); }
  int(v: i64): void {
    if (v >= 0) this.head(CBOR_UINT, <u64>v);
    else this.head(CBOR_NINT, <u64>(-1 - v));
  }
  bytes(ptr: usize, len: u32): void {
    this.head(CBOR_BYTES, <u64>len);
    const p = this.reserve(len);
    if (this.err == 0) memory.copy(p, ptr, len);
  }
  /** Byte-string head only; returns where the len content bytes go (or 0 on overflow). */
  bytesOpen(len: u32): usize {
    this.head(CBOR_BYTES, <u64>len);
    return this.reserve(len);
  }
  /** UTF-8 text (the caller vouches for the encoding). */
  text(ptr: usize, len: u32): void {
    this.head(CBOR_TEXT, <u64>len);
    const p = this.reserve(len);
    if (this.err == 0) memory.copy(p, ptr, len);
  }
  /** Text from a static ASCII literal of lits.ts (a length byte, then the characters). */
  textAscii(lit: usize): void {
    this.text(lit + 1, <u32>load<u8>(lit));
  }
  /** Text from an ASCII string literal (static data; nothing is allocated). The firmware uses
   *  textAscii (a string literal costs twice its text plus a header in the image). */
  textLit(s: string): void {
    const n = <u32>s.length;
    const src = changetype<usize>(s);
    this.head(CBOR_TEXT, <u64>n);
    const p = this.reserve(n);
    if (this.err < 0) return;
    for (let i: u32 = 0; i < n; i++) {
      const c = load<u16>(src + (<usize>i << 1));
      if (c > 0x7f) { this.err = CBOR_ERR_ARGS; return; }
      store<u8>(p + i, <u8>c);
    }
  }
  array(n: u32): void { this.head(CBOR_ARRAY, <u64>n); }
  map(n: u32): void { this.head(CBOR_MAP, <u64>n); }
  bool(b: bool): void { this.head(CBOR_SIMPLE, b ? CBOR_TRUE : CBOR_FALSE); }
  null(): void { this.head(CBOR_SIMPLE, CBOR_NULL); }
  undefined(): void { this.head(CBOR_SIMPLE, CBOR_UNDEFINED); }
  /** Simple value 0..23 or 32..255 (24..31 are not well-formed). */
  simple(v: u32): void {
    if (v > 255 || (v >= 24 && v < 32)) { if (this.err == 0) this.err = CBOR_ERR_ARGS; return; }
    this.head(CBOR_SIMPLE, <u64>v);
  }
  /** Appends already-encoded CBOR (e.g. a COSE key built elsewhere). */
  raw(ptr: usize, len: u32): void {
    const p = this.reserve(len);
    if (this.err == 0) memory.copy(p, ptr, len);
  }
}

/** Bytes of static memory a CborWriter needs. */
export const CBOR_WRITER_SIZE: i32 = <i32>offsetof<CborWriter>();
