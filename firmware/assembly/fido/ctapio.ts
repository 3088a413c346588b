// Shared pieces of the CTAP2 command handlers: readers and a writer in static memory, literal
// comparison without strings at run time, and the PublicKeyCredentialDescriptor parser.
import { CborReader, CborWriter, CBOR_READER_SIZE, CBOR_WRITER_SIZE, CBOR_ERR_TYPE, cborErrToCtap } from "./cbor";
import { CTAP2_ERR_MISSING_PARAMETER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE } from "./status";
import { L_DISPLAY_NAME, L_ICON, L_ID, L_NAME, L_PUBLIC_KEY, L_TYPE } from "./lits";
import { recUserId, recName, recDisplayName, REC_UID_LEN, REC_NAME_LEN, REC_DNAME_LEN } from "./credstore";

/** The request reader (top-level map). */
export const RD: CborReader = CborReader.at(memory.data(CBOR_READER_SIZE, 16));
/** A second reader for nested items read again later (lists, extension maps). */
export const RD2: CborReader = CborReader.at(memory.data(CBOR_READER_SIZE, 16));
/** A third reader (descriptors inside a list being walked by RD2). */
export const RD3: CborReader = CborReader.at(memory.data(CBOR_READER_SIZE, 16));
/** The response writer. */
export const WR: CborWriter = CborWriter.at(memory.data(CBOR_WRITER_SIZE, 16));

/** True when the UTF-8/ASCII bytes (p, len) equal the literal lit (lits.ts: length byte, then ASCII). */
export function litEq(p: usize, len: u32, lit: usize): bool {
  if (<u32>load<u8>(lit) != len) return false;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(p + i) != load<u8>(lit + 1 + i)) return false;
  }
  return true;
}

/** CTAP status for a negative CBOR error (0 for success). */
@inline export function cst(e: i32): i32 { return e < 0 ? cborErrToCtap(e) : 0; }

/** Reads a text key of a map: 1 when it is text (slice in r.slicePtr/sliceLen), 0 when it is
 * another (valid) type, or a negative CBOR error. */
export function textKey(r: CborReader): i32 {
  const e = r.readText();
  if (e >= 0) return 1;
  if (e == CBOR_ERR_TYPE) return 0;
  return e;
}

/** Reads an integer key: 1 when it is one (value in r.i), 0 when it is another type, or an error. */
export function intKey(r: CborReader): i32 {
  const e = r.readInt();
  if (e >= 0) return 1;
  if (e == CBOR_ERR_TYPE) return 0;
  return e;
}

// ---- PublicKeyCredentialDescriptor {id: bytes, type: text, transports?: [...]} ----
export let descId: usize = 0;
export let descIdLen: u32 = 0;
export let descPublicKey: bool = false;

/** Reads one descriptor map with r. Returns 0 or a CTAP status. */
export function readDescriptor(r: CborReader): i32 {
  const n = r.readMap();
  if (n < 0) return cst(n);
  let haveId = false;
  let haveType = false;
  descPublicKey = false;
  for (let i = 0; i < n; i++) {
    const k = textKey(r);
    if (k < 0) return cst(k);
    if (k == 0) { const e = r.skip(); if (e < 0) return cst(e); const f = r.skip(); if (f < 0) return cst(f); continue; }
    const kp = r.slicePtr;
    const kl = r.sliceLen;
    if (litEq(kp, kl, L_ID)) {
      const e = r.readBytes();
      if (e < 0) return cst(e);
      descId = r.slicePtr;
      descIdLen = r.sliceLen;
      haveId = true;
    } else if (litEq(kp, kl, L_TYPE)) {
      const e = r.readText();
      if (e < 0) return cst(e);
      descPublicKey = litEq(r.slicePtr, r.sliceLen, L_PUBLIC_KEY);
      haveType = true;
    } else {
      const e = r.skip();
      if (e < 0) return cst(e);
    }
  }
  if (!haveId || !haveType) return CTAP2_ERR_MISSING_PARAMETER;
  return 0;
}

// ---- PublicKeyCredentialUserEntity {id: bytes, name?: text, displayName?: text, icon?: text} ----
export let userEntityId: usize = 0;
export let userEntityIdLen: u32 = 0;
export let userEntityHasId = false;
export let userEntityName: usize = 0;
export let userEntityNameLen: u32 = 0;
export let userEntityDisplayName: usize = 0;
export let userEntityDisplayNameLen: u32 = 0;

/** Reads one user entity map with r (unknown keys skipped). Returns 0 or a CTAP status. */
export function readUserEntity(r: CborReader): i32 {
  userEntityHasId = false;
  userEntityNameLen = 0;
  userEntityDisplayNameLen = 0;
  const n = r.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = textKey(r);
    if (k < 0) return cst(k);
    if (k == 1 && litEq(r.slicePtr, r.sliceLen, L_ID)) {
      const e = r.readBytes(); if (e < 0) return cst(e);
      userEntityId = r.slicePtr; userEntityIdLen = r.sliceLen; userEntityHasId = true;
    } else if (k == 1 && litEq(r.slicePtr, r.sliceLen, L_NAME)) {
      const e = r.readText(); if (e < 0) return cst(e);
      userEntityName = r.slicePtr; userEntityNameLen = r.sliceLen;
    } else if (k == 1 && litEq(r.slicePtr, r.sliceLen, L_DISPLAY_NAME)) {
      const e = r.readText(); if (e < 0) return cst(e);
      userEntityDisplayName = r.slicePtr; userEntityDisplayNameLen = r.sliceLen;
    } else if (k == 1 && litEq(r.slicePtr, r.sliceLen, L_ICON)) {
      const e = r.readText(); if (e < 0) return cst(e);
    } else {
      if (k == 0) { const s = skipValue(r); if (s != 0) return s; }
      const s = skipValue(r); if (s != 0) return s;
    }
  }
  return 0;
}

/** Validates a descriptor list (array of descriptors) at (p, len), the raw CBOR array. Returns 0 or a CTAP status. */
export function checkDescriptorList(p: usize, len: u32): i32 {
  RD2.init(p, len);
  const n = RD2.readArray();
  if (n < 0) return n == CBOR_ERR_TYPE ? CTAP2_ERR_CBOR_UNEXPECTED_TYPE : cst(n);
  for (let i = 0; i < n; i++) {
    const s = readDescriptor(RD2);
    if (s != 0) return s;
  }
  return 0;
}

/**
 * Opens a command's parameter map (CTAP2: the CBOR after the command byte) with RD: the entry
 * count, or the negated CTAP status (an empty request misses its parameters).
 */
export function openRequestMap(p: usize, len: u32): i32 {
  RD.init(p, len);
  if (len == 0) return -<i32>CTAP2_ERR_MISSING_PARAMETER;
  const n = RD.readMap();
  return n < 0 ? -cst(n) : n;
}

/** Skips a whole map entry (key and value) whose key is of a type the command ignores. */
export function skipEntry(r: CborReader): i32 {
  const s = skipValue(r);
  return s != 0 ? s : skipValue(r);
}

/** Skips the value under an unknown key and returns 0 or a CTAP status. */
export function skipValue(r: CborReader): i32 {
  const e = r.skip();
  return e < 0 ? cst(e) : 0;
}

/** A response that is just a status byte. */
export function statusOnly(out: usize, outMax: u32, st: i32): i32 {
  if (outMax < 1) return 0;
  store<u8>(out, <u8>st);
  return 1;
}

// ---------------------------------------------------------------- response pieces (WR)

/** A PublicKeyCredentialDescriptor: {"id": the idLen bytes at id, "type": "public-key"}. */
export function writeCredDescriptor(id: usize, idLen: u32): void {
  WR.map(2); WR.textAscii(L_ID); WR.bytes(id, idLen); WR.textAscii(L_TYPE); WR.textAscii(L_PUBLIC_KEY);
}

/** The user entity of the resident-credential record rec: its id, then name and displayName
 *  when withNames and not empty. */
export function writeUserEntity(rec: usize, withNames: bool): void {
  const nl = withNames ? <u32>load<u8>(rec + REC_NAME_LEN) : 0;
  const dl = withNames ? <u32>load<u8>(rec + REC_DNAME_LEN) : 0;
  WR.map(1 + (nl > 0 ? 1 : 0) + (dl > 0 ? 1 : 0));
  WR.textAscii(L_ID); WR.bytes(recUserId(rec), <u32>load<u8>(rec + REC_UID_LEN));
  if (nl > 0) { WR.textAscii(L_NAME); WR.text(recName(rec), nl); }
  if (dl > 0) { WR.textAscii(L_DISPLAY_NAME); WR.text(recDisplayName(rec), dl); }
}
