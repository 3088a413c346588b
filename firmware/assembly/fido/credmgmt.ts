// authenticatorCredentialManagement (CTAP 2.1 §6.8): metadata, enumerate RPs and credentials,
// delete, update user information. Authorised by a pinUvAuthToken with the cm permission over
// subCommand ‖ subCommandParams (pin.ts pinCheckAuth).
import {
  RD, RD2, WR, cst, intKey, textKey, litEq, skipValue, readDescriptor, descId, descIdLen, openRequestMap, skipEntry,
  readUserEntity, userEntityId, userEntityIdLen, userEntityHasId, userEntityName, userEntityNameLen, userEntityDisplayName, userEntityDisplayNameLen,
  writeCredDescriptor, writeUserEntity,
} from "./ctapio";
import { CBOR_ERR_TYPE } from "./cbor";
import {
  CTAP2_ERR_MISSING_PARAMETER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE, CTAP1_ERR_INVALID_PARAMETER, CTAP2_ERR_PUAT_REQUIRED,
  CTAP2_ERR_NO_CREDENTIALS, CTAP2_ERR_NOT_ALLOWED, CTAP2_ERR_INVALID_SUBCOMMAND, CTAP1_ERR_OTHER, CTAP1_ERR_INVALID_LENGTH,
  CTAP2_ERR_PIN_AUTH_INVALID,
} from "./status";
import { pinProtocolSupported, pinCheckAuth, pinTokenAllowsRp, PERM_CM_PREVIEW } from "./pin";
import { Buf, buf, bufPtr, bufCopy, BUF_OK } from "../platform/buffer";
import { credUnwrap, CRED_ID_LEN } from "./credential";
import {
  rkCount, rkListRps, rkListRp, rkRead, rkFindById, rkBuild, rkWrite, rkDelete, rkRpIdHash, rkFlags,
  REC, REC_MAX, REC_ID, REC_SEQ, REC_FLAGS, REC_RPHASH, REC_UID_LEN, REC_RPID_LEN,
  recUserId, recRpId, RK_CAPACITY, RK_MAX_USER_ID,
} from "./credstore";
import { coseKey, COSE_KEY_LEN } from "./authdata";
import { p256PublicKey, } from "../crypto/p256/ecdh";
import { L_ID } from "./lits";

const PERM_CM: u32 = 0x04;
const SUB_METADATA: u64 = 0x01;
const SUB_RPS_BEGIN: u64 = 0x02;
const SUB_RPS_NEXT: u64 = 0x03;
const SUB_CREDS_BEGIN: u64 = 0x04;
const SUB_CREDS_NEXT: u64 = 0x05;
const SUB_DELETE: u64 = 0x06;
const SUB_UPDATE: u64 = 0x07;

const MSG_MAX: u32 = 1024;
const MSG_BUF: Buf = buf(memory.data(<i32>MSG_MAX, 16), MSG_MAX);
const MSG: usize = bufPtr(MSG_BUF);
const OLD: usize = memory.data(<i32>REC_MAX, 16);
const PRIV: usize = memory.data(32, 16);
const PUB: usize = memory.data(64, 16);
const COSE: usize = memory.data(<i32>COSE_KEY_LEN, 16);
const FL: usize = memory.data(4, 4);
const RPS: usize = memory.data(<i32>RK_CAPACITY, 16);
const CREDS: usize = memory.data(<i32>RK_CAPACITY, 16);

let rpsIdx: u32 = 0, rpsCount: u32 = 0, rpsActive = false;
let credsIdx: u32 = 0, credsCount: u32 = 0, credsActive = false;

/** Forgets the enumeration state (any other command does this). */
export function cmClear(): void {
  rpsActive = false; rpsIdx = 0; rpsCount = 0;
  credsActive = false; credsIdx = 0; credsCount = 0;
}

// parsed request
let sub: u64 = 0, haveSub = false;
let scpPtr: usize = 0, scpLen: u32 = 0;
let protocol: u64 = 0, haveProtocol = false;
let puap: usize = 0, puapLen: u32 = 0, havePuap = false;
// parsed subCommandParams
let rpHash: usize = 0, haveRpHash = false, rpHashLen: u32 = 0;
let cid: usize = 0, cidLen: u32 = 0, haveCid = false;
let uId: usize = 0, uIdLen: u32 = 0, haveUser = false, haveUid = false;
let uName: usize = 0, uNameLen: u32 = 0;
let uDName: usize = 0, uDNameLen: u32 = 0;

function parse(p: usize, len: u32): i32 {
  haveSub = false; scpLen = 0; haveProtocol = false; havePuap = false; puapLen = 0;
  const n = openRequestMap(p, len);
  if (n < 0) return -n;
  for (let i = 0; i < n; i++) {
    const k = intKey(RD);
    if (k < 0) return cst(k);
    if (k == 0) { const s = skipEntry(RD); if (s != 0) return s; continue; }
    const key = RD.i;
    if (key == 1) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      sub = RD.u; haveSub = true;
    } else if (key == 2) {
      const t = RD.peekType();
      if (t < 0) return cst(t);
      if (t != 5) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      const start = RD.pos;
      const s = skipValue(RD); if (s != 0) return s;
      scpPtr = start; scpLen = <u32>(RD.pos - start);
    } else if (key == 3) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      protocol = RD.u; haveProtocol = true;
    } else if (key == 4) {
      const e = RD.readBytes(); if (e < 0) return cst(e);
      puap = RD.slicePtr; puapLen = RD.sliceLen; havePuap = true;
    } else {
      const s = skipValue(RD); if (s != 0) return s;
    }
  }
  return haveSub ? 0 : CTAP2_ERR_MISSING_PARAMETER;
}

function parseSubParams(): i32 {
  haveRpHash = false; haveCid = false; haveUser = false; haveUid = false; uNameLen = 0; uDNameLen = 0;
  if (scpLen == 0) return 0;
  const r = RD2;
  r.init(scpPtr, scpLen);
  const n = r.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = intKey(r);
    if (k < 0) return cst(k);
    if (k == 0) { const s = skipEntry(r); if (s != 0) return s; continue; }
    const key = r.i;
    if (key == 1) {
      const e = r.readBytes(); if (e < 0) return cst(e);
      rpHash = r.slicePtr; rpHashLen = r.sliceLen; haveRpHash = true;
    } else if (key == 2) {
      const s = readDescriptor(r); if (s != 0) return s;
      cid = descId; cidLen = descIdLen; haveCid = true;
    } else if (key == 3) {
      const s = readUserEntity(r); if (s != 0) return s;
      haveUser = true;
      if (userEntityHasId) { uId = userEntityId; uIdLen = userEntityIdLen; haveUid = true; }
      uName = userEntityName; uNameLen = userEntityNameLen;
      uDName = userEntityDisplayName; uDNameLen = userEntityDisplayNameLen;
    } else {
      const s = skipValue(r); if (s != 0) return s;
    }
  }
  return 0;
}

function status(out: usize, st: i32): i32 {
  store<u8>(out, <u8>st);
  return 1;
}

function finish(out: usize): i32 {
  const n = WR.length();
  if (n < 0) return status(out, CTAP1_ERR_OTHER);
  store<u8>(out, 0);
  return n + 1;
}

/** Slot of the credential named by (cid, cidLen): its record must hold exactly that ID. */
function findCredential(): i32 {
  if (cidLen != CRED_ID_LEN) return -1;
  const s = rkFindById(cid, cidLen);
  if (s < 0 || rkRead(<u32>s) < 0) return -1;
  return memory.compare(REC + REC_ID, cid, CRED_ID_LEN) == 0 ? s : -1;
}

function writeRp(slot: u32, withTotal: bool, out: usize, outMax: u32): i32 {
  if (rkRead(slot) < 0) return status(out, CTAP1_ERR_OTHER);
  WR.init(out + 1, outMax - 1);
  WR.map(withTotal ? 3 : 2);
  WR.uint(3);
  WR.map(1); WR.textAscii(L_ID); WR.text(recRpId(REC), <u32>load<u8>(REC + REC_RPID_LEN));
  WR.uint(4); WR.bytes(rkRpIdHash(slot), 32);
  if (withTotal) { WR.uint(5); WR.uint(rpsCount); }
  return finish(out);
}

function writeCred(slot: u32, withTotal: bool, out: usize, outMax: u32): i32 {
  if (rkRead(slot) < 0) return status(out, CTAP1_ERR_OTHER);
  if (credUnwrap(REC + REC_ID, CRED_ID_LEN, REC + REC_RPHASH, PRIV, FL) != 0) return status(out, CTAP1_ERR_OTHER);
  const ok = p256PublicKey(PRIV, PUB) == 0;
  memory.fill(PRIV, 0, 32);
  if (!ok) return status(out, CTAP1_ERR_OTHER);
  coseKey(COSE, PUB);
  WR.init(out + 1, outMax - 1);
  WR.map(withTotal ? 5 : 4);
  WR.uint(6); writeUserEntity(REC, true);
  WR.uint(7); writeCredDescriptor(REC + REC_ID, CRED_ID_LEN);
  WR.uint(8); WR.raw(COSE, COSE_KEY_LEN);
  if (withTotal) { WR.uint(9); WR.uint(credsCount); }
  WR.uint(0x0a); WR.uint(<u64>(rkFlags(slot) & 3) + 1);
  return finish(out);
}

/** authenticatorCredentialManagement (0x0a), or with preview (0x41, the CTAP 2.1 preview command:
 *  same handler, and a token from getPinToken is enough, as preview platforms obtain no permissions). */
export function credentialManagement(params: usize, len: u32, out: usize, outMax: u32, preview: bool = false): i32 {
  if (outMax < 1) return 0;
  let st = parse(params, len);
  if (st != 0) { cmClear(); return status(out, st); }
  if (sub == SUB_RPS_NEXT) {
    credsActive = false;
    if (!rpsActive || rpsIdx >= rpsCount) { cmClear(); return status(out, CTAP2_ERR_NOT_ALLOWED); }
    const s = <u32>load<u8>(RPS + rpsIdx++);
    if (rpsIdx >= rpsCount) rpsActive = false;
    return writeRp(s, false, out, outMax);
  }
  if (sub == SUB_CREDS_NEXT) {
    rpsActive = false;
    if (!credsActive || credsIdx >= credsCount) { cmClear(); return status(out, CTAP2_ERR_NOT_ALLOWED); }
    const s = <u32>load<u8>(CREDS + credsIdx++);
    if (credsIdx >= credsCount) credsActive = false;
    return writeCred(s, false, out, outMax);
  }
  cmClear();
  if (sub < SUB_METADATA || sub > SUB_UPDATE) return status(out, CTAP2_ERR_INVALID_SUBCOMMAND);
  st = parseSubParams();
  if (st != 0) return status(out, st);
  // authorisation: pinUvAuthParam over subCommand ‖ subCommandParams
  if (!havePuap) return status(out, CTAP2_ERR_PUAT_REQUIRED);
  if (!haveProtocol) return status(out, CTAP2_ERR_MISSING_PARAMETER);
  if (protocol > 0xffff || !pinProtocolSupported(<u32>protocol)) return status(out, CTAP1_ERR_INVALID_PARAMETER);
  store<u8>(MSG, <u8>sub);
  if (bufCopy(MSG_BUF, 1, scpPtr, scpLen) != BUF_OK) return status(out, CTAP1_ERR_INVALID_LENGTH);
  st = pinCheckAuth(<u32>protocol, preview ? PERM_CM_PREVIEW : PERM_CM, 0, 0, MSG, 1 + scpLen, puap, puapLen);
  if (st != 0) return status(out, st);
  // A token bound to one RP manages only that RP's credentials; listing every RP needs an unbound one.
  if ((sub == SUB_METADATA || sub == SUB_RPS_BEGIN) && !pinTokenAllowsRp(0)) return status(out, CTAP2_ERR_PIN_AUTH_INVALID);

  if (sub == SUB_METADATA) {
    WR.init(out + 1, outMax - 1);
    WR.map(2);
    WR.uint(1); WR.uint(rkCount());
    WR.uint(2); WR.uint(RK_CAPACITY - rkCount());
    return finish(out);
  }
  if (sub == SUB_RPS_BEGIN) {
    rpsCount = rkListRps(RPS);
    if (rpsCount == 0) return status(out, CTAP2_ERR_NO_CREDENTIALS);
    rpsIdx = 1;
    rpsActive = rpsCount > 1;
    return writeRp(<u32>load<u8>(RPS), true, out, outMax);
  }
  if (sub == SUB_CREDS_BEGIN) {
    if (!haveRpHash) return status(out, CTAP2_ERR_MISSING_PARAMETER);
    if (rpHashLen != 32) return status(out, CTAP1_ERR_INVALID_PARAMETER);
    if (!pinTokenAllowsRp(rpHash)) return status(out, CTAP2_ERR_PIN_AUTH_INVALID);
    credsCount = rkListRp(rpHash, CREDS);
    if (credsCount == 0) return status(out, CTAP2_ERR_NO_CREDENTIALS);
    credsIdx = 1;
    credsActive = credsCount > 1;
    return writeCred(<u32>load<u8>(CREDS), true, out, outMax);
  }
  if (sub == SUB_DELETE) {
    if (!haveCid) return status(out, CTAP2_ERR_MISSING_PARAMETER);
    const s = findCredential();
    if (s < 0) return status(out, CTAP2_ERR_NO_CREDENTIALS);
    if (!pinTokenAllowsRp(rkRpIdHash(<u32>s))) return status(out, CTAP2_ERR_PIN_AUTH_INVALID);
    if (rkDelete(<u32>s) != 0) return status(out, CTAP1_ERR_OTHER);
    return status(out, 0);
  }
  // SUB_UPDATE
  if (!haveCid || !haveUser) return status(out, CTAP2_ERR_MISSING_PARAMETER);
  if (!haveUid) return status(out, CTAP2_ERR_MISSING_PARAMETER);
  const s = findCredential();
  if (s < 0) return status(out, CTAP2_ERR_NO_CREDENTIALS);
  if (!pinTokenAllowsRp(rkRpIdHash(<u32>s))) return status(out, CTAP2_ERR_PIN_AUTH_INVALID);
  const old = rkRead(<u32>s);
  if (old < 0) return status(out, CTAP1_ERR_OTHER);
  const oldUidLen = <u32>load<u8>(REC + REC_UID_LEN);
  if (uIdLen > RK_MAX_USER_ID || uIdLen != oldUidLen || memory.compare(recUserId(REC), uId, uIdLen) != 0) {
    return status(out, CTAP1_ERR_INVALID_PARAMETER);
  }
  memory.copy(OLD, REC, <usize>old); // rkBuild writes REC: keep the old fields apart
  const recLen = rkBuild(
    load<u8>(OLD + REC_FLAGS), OLD + REC_RPHASH, OLD + REC_ID, recUserId(OLD), oldUidLen,
    uName, uNameLen, uDName, uDNameLen, recRpId(OLD), <u32>load<u8>(OLD + REC_RPID_LEN), load<u32>(OLD + REC_SEQ),
  );
  if (rkWrite(<u32>s, recLen, false) != 0) return status(out, CTAP1_ERR_OTHER);
  return status(out, 0);
}
