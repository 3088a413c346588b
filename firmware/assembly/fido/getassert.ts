// authenticatorGetAssertion (CTAP 2.1 §6.2) and authenticatorGetNextAssertion (§6.3).
import { uptime_ms } from "../hal";
import { RD, RD2, WR, cst, intKey, textKey, litEq, skipValue, checkDescriptorList, readDescriptor, descId, descIdLen, descPublicKey, openRequestMap, skipEntry, writeCredDescriptor, writeUserEntity } from "./ctapio";
import { parseOptions, optionsReset, optionUp, optionUv, optRkPresent } from "./makecred";
import {
  NEED_UP, CTAP2_ERR_UNSUPPORTED_EXTENSION, CTAP2_ERR_MISSING_PARAMETER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE, CTAP2_ERR_INVALID_OPTION,
  CTAP2_ERR_UNSUPPORTED_OPTION, CTAP2_ERR_PIN_INVALID, CTAP2_ERR_PIN_NOT_SET, CTAP1_ERR_INVALID_PARAMETER,
  CTAP2_ERR_NO_CREDENTIALS, CTAP2_ERR_NOT_ALLOWED, CTAP1_ERR_OTHER, CTAP1_ERR_INVALID_LENGTH,
} from "./status";
import { pinIsSet, pinProtocolSupported, pinCheckAuth, pinTokenUsed } from "./pin";
import { credUnwrap, counterNext, CRED_ID_LEN, CRED_FLAG_HMAC_SECRET } from "./credential";
import {
  rkListRp, rkFlags, rkRead, rkFindById, REC, REC_ID, RK_CAPACITY,
} from "./credstore";
import { adHeader, AD_UP, AD_UV, AD_ED, derSignature, DER_SIG_MAX } from "./authdata";
import { hsPrepare, hsOutput, hsClear, HMAC_SECRET_OUT_MAX } from "./extensions";
import { Buf, buf, bufPtr } from "../platform/buffer";
import { sha256, sha256Init, sha256Update, sha256Final, SHA256_CTX_SIZE } from "../crypto/sha256";
import { p256Sign, P256_OK } from "../crypto/p256/ecdsa";
import { secret } from "../platform/secrets";
import { L_HMAC_SECRET } from "./lits";

const PERM_GA: u32 = 0x02;
/** getNextAssertion must come within this long of the previous assertion. */
export const NEXT_ASSERTION_MS: i64 = 30_000;

const RPHASH: usize = memory.data(32, 16);
const CDH: usize = memory.data(32, 16);
const ID: usize = memory.data(<i32>CRED_ID_LEN, 16);
const PRIV: usize = secret(memory.data(32, 16), 32);
const AD: usize = memory.data(37 + 16 + <i32>HMAC_SECRET_OUT_MAX, 16);
const DIG: usize = memory.data(32, 16);
const RS: usize = memory.data(64, 16);
const SIG: usize = memory.data(<i32>DER_SIG_MAX, 16);
const HCTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const FL: usize = memory.data(4, 4);
const HSOUT_BUF: Buf = buf(secret(memory.data(<i32>HMAC_SECRET_OUT_MAX, 16), HMAC_SECRET_OUT_MAX), HMAC_SECRET_OUT_MAX);
const HSOUT: usize = bufPtr(HSOUT_BUF);
const LIST: usize = memory.data(<i32>RK_CAPACITY, 16);

// parsed request
let rpId: usize = 0, rpIdLen: u32 = 0, haveRp = false;
let cdh: usize = 0, cdhLen: u32 = 0, haveCdh = false;
let allowPtr: usize = 0, allowLen: u32 = 0, allowCount: i32 = 0;
let hsPtr: usize = 0, hsLen: u32 = 0;
let puap: usize = 0, puapLen: u32 = 0, havePuap = false;
let protocol: u64 = 0, haveProtocol = false;

// getNextAssertion state (RAM only)
let nextActive = false;
let nextIndex: u32 = 0;
let nextCount: u32 = 0;
let nextUp = false;
let nextUv = false;
let nextAt: i64 = 0;

/** Forgets the getNextAssertion state (any other command does this). */
export function gaClear(): void {
  nextActive = false;
  nextIndex = 0;
  nextCount = 0;
  hsClear();
}

function parseExtensions(): i32 {
  const n = RD.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = textKey(RD);
    if (k < 0) return cst(k);
    if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_HMAC_SECRET)) {
      const t = RD.peekType();
      if (t < 0) return cst(t);
      if (t != 5) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      const start = RD.pos;
      const s = skipValue(RD); if (s != 0) return s;
      hsPtr = start; hsLen = <u32>(RD.pos - start);
    } else {
      if (k == 0) { const s = skipValue(RD); if (s != 0) return s; }
      const s = skipValue(RD); if (s != 0) return s;
    }
  }
  return 0;
}

function parse(p: usize, len: u32): i32 {
  haveRp = false; haveCdh = false; allowLen = 0; allowCount = 0; hsLen = 0; havePuap = false; puapLen = 0; haveProtocol = false;
  optionsReset();
  const n = openRequestMap(p, len);
  if (n < 0) return -n;
  for (let i = 0; i < n; i++) {
    const k = intKey(RD);
    if (k < 0) return cst(k);
    if (k == 0) { const s = skipEntry(RD); if (s != 0) return s; continue; }
    const key = RD.i;
    let s: i32 = 0;
    if (key == 1) {
      const e = RD.readText(); if (e < 0) return cst(e);
      rpId = RD.slicePtr; rpIdLen = RD.sliceLen; haveRp = true;
    } else if (key == 2) {
      const e = RD.readBytes(); if (e < 0) return cst(e);
      cdh = RD.slicePtr; cdhLen = RD.sliceLen; haveCdh = true;
    } else if (key == 3) {
      const t = RD.peekType();
      if (t < 0) return cst(t);
      if (t != 4) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      const start = RD.pos;
      s = skipValue(RD);
      if (s == 0) {
        allowPtr = start; allowLen = <u32>(RD.pos - start);
        s = checkDescriptorList(allowPtr, allowLen);
        RD2.init(allowPtr, allowLen);
        allowCount = RD2.readArray();
      }
    } else if (key == 4) s = parseExtensions();
    else if (key == 5) s = parseOptions();
    else if (key == 6) {
      const e = RD.readBytes(); if (e < 0) return cst(e);
      puap = RD.slicePtr; puapLen = RD.sliceLen; havePuap = true;
    } else if (key == 7) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      protocol = RD.u; haveProtocol = true;
    } else s = skipValue(RD);
    if (s != 0) return s;
  }
  return 0;
}

/** credProtect: level 3 needs UV; level 2 needs UV or the credential named in an allowList. */
@inline function protectAllows(flags: u8, uv: bool, fromList: bool): bool {
  const level = (flags & 3) + 1;
  if (level == 3) return uv;
  if (level == 2) return uv || fromList;
  return true;
}

export function getAssertion(params: usize, len: u32, upGranted: bool, out: usize, outMax: u32): i32 {
  gaClear();
  let st = parse(params, len);
  if (st != 0) return status(out, st);
  if (havePuap && puapLen == 0) {
    if (!upGranted) return NEED_UP;
    return status(out, pinIsSet() ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET);
  }
  if (havePuap) {
    if (!haveProtocol) return status(out, CTAP2_ERR_MISSING_PARAMETER);
    if (protocol > 0xffff || !pinProtocolSupported(<u32>protocol)) return status(out, CTAP1_ERR_INVALID_PARAMETER);
  }
  if (!haveRp || !haveCdh) return status(out, CTAP2_ERR_MISSING_PARAMETER);
  if (cdhLen != 32) return status(out, CTAP1_ERR_INVALID_LENGTH);
  if (optRkPresent) return status(out, CTAP2_ERR_UNSUPPORTED_OPTION);
  if (optionUv() && !havePuap) return status(out, CTAP2_ERR_INVALID_OPTION); // no built-in UV
  const up = optionUp();
  // hmac-secret releases a secret: only with a touch (disk-encryption and SSH tools treat the
  // touch as per-use consent), never with up=false
  if (hsLen > 0 && !up) return status(out, CTAP2_ERR_UNSUPPORTED_EXTENSION);
  let uv = false;
  if (havePuap) {
    st = pinCheckAuth(<u32>protocol, PERM_GA, rpId, rpIdLen, cdh, cdhLen, puap, puapLen);
    if (st != 0) return status(out, st);
    uv = true;
  }
  sha256(rpId, rpIdLen, RPHASH);

  // locate the credentials
  let fromList = false;
  let listSlot: i32 = -1; // the allowList credential's slot when it is discoverable
  let count: u32 = 0;
  if (allowCount > 0) {
    RD2.init(allowPtr, allowLen);
    const n = RD2.readArray();
    for (let i = 0; i < n; i++) {
      if (readDescriptor(RD2) != 0) break;
      if (!descPublicKey) continue;
      if (credUnwrap(descId, descIdLen, RPHASH, PRIV, FL) != 0) continue;
      memory.fill(PRIV, 0, 32);
      if (!protectAllows(load<u8>(FL), uv, true)) continue;
      memory.copy(ID, descId, CRED_ID_LEN);
      // a discoverable credential named in the allowList still answers with its user (§6.2.2)
      listSlot = rkFindById(ID, CRED_ID_LEN);
      if (listSlot >= 0 && (rkRead(<u32>listSlot) < 0 || memory.compare(REC + REC_ID, ID, CRED_ID_LEN) != 0)) listSlot = -1;
      fromList = true;
      count = 1;
      break;
    }
  } else {
    const n = rkListRp(RPHASH, LIST);
    for (let i: u32 = 0; i < n; i++) {
      const s = load<u8>(LIST + i);
      if (protectAllows(rkFlags(s), uv, false)) store<u8>(LIST + count++, s);
    }
  }
  if (count == 0) return status(out, CTAP2_ERR_NO_CREDENTIALS);
  if (hsLen > 0) {
    st = hsPrepare(hsPtr, hsLen);
    if (st != 0) { hsClear(); return status(out, st); }
  }
  if (up && !upGranted) { hsClear(); return NEED_UP; }

  memory.copy(CDH, cdh, 32);
  const n = assertOne(fromList ? listSlot : <i32>load<u8>(LIST), up, uv, fromList ? 0 : count, out, outMax);
  if (havePuap && up) pinTokenUsed();
  if (n > 1 && !fromList && count > 1) {
    nextActive = true;
    nextIndex = 1;
    nextCount = count;
    nextUp = up;
    nextUv = uv;
    nextAt = uptime_ms();
  } else hsClear();
  return n;
}

export function getNextAssertion(out: usize, outMax: u32): i32 {
  if (!nextActive || nextIndex >= nextCount || uptime_ms() - nextAt > NEXT_ASSERTION_MS) {
    gaClear();
    return status(out, CTAP2_ERR_NOT_ALLOWED);
  }
  const slot = <i32>load<u8>(LIST + nextIndex);
  nextIndex++;
  nextAt = uptime_ms();
  const n = assertOne(slot, nextUp, nextUv, 0, out, outMax);
  if (nextIndex >= nextCount) gaClear();
  return n;
}

/**
 * One assertion: slot < 0 = the allowList credential in ID, else the discoverable credential in
 * slot. Commits the counter, then signs authData ‖ clientDataHash and writes the response.
 */
function assertOne(slot: i32, up: bool, uv: bool, numberOfCredentials: u32, out: usize, outMax: u32): i32 {
  if (slot >= 0) {
    if (rkRead(<u32>slot) < 0) return status(out, CTAP1_ERR_OTHER);
    memory.copy(ID, REC + REC_ID, CRED_ID_LEN);
  }
  if (credUnwrap(ID, CRED_ID_LEN, RPHASH, PRIV, FL) != 0) return status(out, CTAP1_ERR_OTHER);
  const credFlags = load<u8>(FL);
  let hsOut: i32 = -1;
  if ((credFlags & CRED_FLAG_HMAC_SECRET) != 0) hsOut = hsOutput(ID, CRED_ID_LEN, uv, HSOUT_BUF);
  const ctr = counterNext(ID, CRED_ID_LEN); // committed before the signature exists
  if (ctr < 0) { memory.fill(PRIV, 0, 32); return status(out, CTAP1_ERR_OTHER); }
  let flags: u8 = 0;
  if (up) flags |= AD_UP;
  if (uv) flags |= AD_UV;
  if (hsOut > 0) flags |= AD_ED;
  let p = adHeader(AD, RPHASH, flags, <u32>ctr);
  if (hsOut > 0) {
    WR.init(p, 16 + HMAC_SECRET_OUT_MAX);
    WR.map(1);
    WR.textAscii(L_HMAC_SECRET);
    WR.bytes(HSOUT, <u32>hsOut);
    p += <usize>WR.length();
  }
  const adLen = <u32>(p - AD);
  sha256Init(HCTX);
  sha256Update(HCTX, AD, adLen);
  sha256Update(HCTX, CDH, 32);
  sha256Final(HCTX, DIG);
  const ok = p256Sign(PRIV, DIG, RS) == P256_OK;
  memory.fill(PRIV, 0, 32);
  if (!ok) return status(out, CTAP1_ERR_OTHER);
  const sigLen = derSignature(RS, SIG);

  if (outMax < 1) return 0;
  WR.init(out + 1, outMax - 1);
  let entries: u32 = 3;
  if (slot >= 0) entries++;
  if (numberOfCredentials > 0) entries++;
  WR.map(entries);
  WR.uint(1);
  writeCredDescriptor(ID, CRED_ID_LEN);
  WR.uint(2); WR.bytes(AD, adLen);
  WR.uint(3); WR.bytes(SIG, sigLen);
  if (slot >= 0) {
    WR.uint(4); writeUserEntity(REC, uv); // the user: only its id unless the user was verified
  }
  if (numberOfCredentials > 0) { WR.uint(5); WR.uint(numberOfCredentials); }
  const n = WR.length();
  if (n < 0) return status(out, CTAP1_ERR_OTHER);
  store<u8>(out, 0);
  return n + 1;
}

function status(out: usize, st: i32): i32 {
  store<u8>(out, <u8>st);
  return 1;
}
