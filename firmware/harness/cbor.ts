// Test-only entry: the CBOR validator, reader and writer over the exchange buffer.
// Self-contained (does not pull in main.ts): the entry points the simulator expects, inert.
import { inIo } from "../assembly/io";
export { io_ptr, io_size, boot, button, uart_rx, tick } from "./lib/inert";
import {
  cborCheck, cborCheckExact, cborKeyCompare, utf8CodePoints, cborErrToCtap,
  CborReader, CborWriter, CBOR_READER_SIZE, CBOR_WRITER_SIZE,
  CBOR_UINT, CBOR_NINT, CBOR_BYTES, CBOR_TEXT, CBOR_ARRAY, CBOR_MAP,
  CBOR_ERR_RANGE, CBOR_ERR_TRAILING, CBOR_ERR_OVERFLOW, CBOR_ERR_ARGS, CBOR_ERR_TYPE,
} from "../assembly/fido/cbor";

const R = CborReader.at(memory.data(CBOR_READER_SIZE, 16));
const W = CborWriter.at(memory.data(CBOR_WRITER_SIZE, 16));
const T = CborWriter.at(memory.data(CBOR_WRITER_SIZE, 16)); // token output


export function cbor_check(ptr: usize, len: u32, maxDepth: u32): i32 {
  if (!inIo(ptr, len)) return CBOR_ERR_ARGS;
  return cborCheck(ptr, len, maxDepth);
}
export function cbor_check_exact(ptr: usize, len: u32, maxDepth: u32): i32 {
  if (!inIo(ptr, len)) return CBOR_ERR_ARGS;
  return cborCheckExact(ptr, len, maxDepth);
}
export function cbor_ctap_status(err: i32): i32 { return cborErrToCtap(err); }
export function cbor_utf8_count(ptr: usize, len: u32): i32 {
  if (!inIo(ptr, len)) return CBOR_ERR_ARGS;
  return utf8CodePoints(ptr, len);
}
export function cbor_key_compare(a: usize, aLen: u32, b: usize, bLen: u32): i32 {
  if (!inIo(a, aLen) || !inIo(b, bLen)) return CBOR_ERR_ARGS;
  const c = cborKeyCompare(a, aLen, b, bLen);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}
/** Reader.skip over the buffer from the start: returns the bytes skipped or an error. */
export function cbor_skip(ptr: usize, len: u32): i32 {
  if (!inIo(ptr, len)) return CBOR_ERR_ARGS;
  R.init(ptr, len);
  const e = R.skip();
  return e < 0 ? e : <i32>R.offset();
}

// Token stream written by cbor_walk (little endian):
//   0x00 u64 uint | 0x01 i64 int | 0x09 u64 n (nint -1-n beyond int64) | 0x02/0x03 u32 len, bytes
//   0x04/0x05 u32 count | 0x14 false | 0x15 true | 0x16 null | 0x07 u8 simple | 0x0f u8 n, raw float bytes

function tok(b: u32): void { const p = T.reserve(1); if (T.err == 0) store<u8>(p, <u8>b); }
function tokU32(v: u32): void { const p = T.reserve(4); if (T.err == 0) store<u32>(p, v); }
function tokU64(v: u64): void { const p = T.reserve(8); if (T.err == 0) store<u64>(p, v); }
function tokRaw(src: usize, n: u32): void { const p = T.reserve(n); if (T.err == 0) memory.copy(p, src, n); }

/** Walks one item with the reader. validate = 1: reader.open (full validation) first; 0: the
 *  reader alone on raw input. Writes tokens to (tokOut, tokCap) and re-encodes every item with
 *  the writer to (encOut, encCap). Returns the token length; the encoding length is in
 *  cbor_enc_len(). */
let encLen: i32 = 0;
export function cbor_enc_len(): i32 { return encLen; }

export function cbor_walk(ptr: usize, len: u32, validate: u32, maxDepth: u32,
  tokOut: usize, tokCap: u32, encOut: usize, encCap: u32): i32 {
  if (!inIo(ptr, len) || !inIo(tokOut, tokCap) || !inIo(encOut, encCap)) return CBOR_ERR_ARGS;
  encLen = 0;
  if (validate) {
    const e = R.open(ptr, len, maxDepth);
    if (e < 0) return e;
  } else R.init(ptr, len);
  T.init(tokOut, tokCap);
  W.init(encOut, encCap);
  let pending: u64 = 1;
  while (pending > 0) {
    pending--;
    const t = R.peekType();
    if (t < 0) return t;
    const major = <u32>t;
    let e: i32 = 0;
    if (major == CBOR_UINT) {
      e = R.readUint();
      if (e < 0) return e;
      tok(0); tokU64(R.u); W.uint(R.u);
    } else if (major == CBOR_NINT) {
      e = R.readInt();
      if (e == CBOR_ERR_RANGE) {
        e = R.readNint();
        if (e < 0) return e;
        tok(9); tokU64(R.u); W.nint(R.u);
      } else {
        if (e < 0) return e;
        tok(1); tokU64(<u64>R.i); W.int(R.i);
      }
    } else if (major == CBOR_BYTES || major == CBOR_TEXT) {
      e = major == CBOR_BYTES ? R.readBytes() : R.readText();
      if (e < 0) return e;
      tok(major); tokU32(R.sliceLen); tokRaw(R.slicePtr, R.sliceLen);
      if (major == CBOR_BYTES) W.bytes(R.slicePtr, R.sliceLen); else W.text(R.slicePtr, R.sliceLen);
    } else if (major == CBOR_ARRAY) {
      e = R.readArray();
      if (e < 0) return e;
      tok(4); tokU32(<u32>e); W.array(<u32>e);
      pending += <u64>e;
    } else if (major == CBOR_MAP) {
      e = R.readMap();
      if (e < 0) return e;
      tok(5); tokU32(<u32>e); W.map(<u32>e);
      pending += <u64>e << 1;
    } else {
      const b = R.readBool();
      if (b >= 0) {
        tok(0x14 + <u32>b); W.bool(b == 1);
      } else if (R.readNull() == 0) {
        tok(0x16); W.null();
      } else {
        const s = R.readSimple();
        if (s >= 0) {
          tok(7); tok(<u32>s);
          if (s == 23) W.undefined(); else W.simple(<u32>s);
        } else if (s == CBOR_ERR_TYPE) { // a float: opaque
          const at = R.pos;
          e = R.skip();
          if (e < 0) return e;
          const n = <u32>(R.pos - at);
          tok(0x0f); tok(n); tokRaw(at, n); W.raw(at, n);
        } else return s;
      }
    }
  }
  if (!R.atEnd()) return CBOR_ERR_TRAILING;
  encLen = W.length();
  return T.err < 0 ? CBOR_ERR_OVERFLOW : T.length();
}

/** Applies one accessor (0 uint, 1 int, 2 nint, 3 bytes, 4 text, 5 array, 6 map, 7 simple,
 *  8 bool, 9 null, 10 skip, 11 peekType) to a fresh reader; cbor_last_offset() gives the cursor. */
let lastOffset: u32 = 0;
export function cbor_last_offset(): u32 { return lastOffset; }
export function cbor_read_one(ptr: usize, len: u32, which: u32): i32 {
  if (!inIo(ptr, len)) return CBOR_ERR_ARGS;
  R.init(ptr, len);
  let r: i32 = CBOR_ERR_ARGS;
  switch (which) {
    case 0: r = R.readUint(); break;
    case 1: r = R.readInt(); break;
    case 2: r = R.readNint(); break;
    case 3: r = R.readBytes(); break;
    case 4: r = R.readText(); break;
    case 5: r = R.readArray(); break;
    case 6: r = R.readMap(); break;
    case 7: r = R.readSimple(); break;
    case 8: r = R.readBool(); break;
    case 9: r = R.readNull(); break;
    case 10: r = R.skip(); break;
    case 11: r = R.peekType(); break;
  }
  lastOffset = R.offset();
  return r;
}
/** The int64 value of the last readInt. */
export function cbor_last_int(): i64 { return R.i; }
/** The u64 value of the last readUint / readNint / readSimple. */
export function cbor_last_uint(): u64 { return R.u; }

// ---- writer ----
export function cbor_enc_uint(v: u64, out: usize, cap: u32): i32 {
  if (!inIo(out, cap)) return CBOR_ERR_ARGS;
  W.init(out, cap); W.uint(v); return W.length();
}
export function cbor_enc_int(v: i64, out: usize, cap: u32): i32 {
  if (!inIo(out, cap)) return CBOR_ERR_ARGS;
  W.init(out, cap); W.int(v); return W.length();
}
/** A getInfo-shaped response built with every writer call; cap exercises overflow. */
export function cbor_enc_sample(aaguid: usize, out: usize, cap: u32): i32 {
  if (!inIo(aaguid, 16) || !inIo(out, cap)) return CBOR_ERR_ARGS;
  W.init(out, cap);
  W.map(6);
  W.uint(1); W.array(2); W.textLit("U2F_V2"); W.textLit("FIDO_2_0");
  W.uint(3); W.bytes(aaguid, 16);
  W.uint(4); W.map(3); W.textLit("rk"); W.bool(false); W.textLit("up"); W.bool(true); W.textLit("plat"); W.bool(false);
  W.uint(5); W.uint(1200);
  W.uint(6); W.array(1); W.uint(1);
  W.int(-1); W.array(4); W.null(); W.undefined(); W.simple(16); W.int(-1000000000000);
  return W.length();
}
