// authenticatorMakeCredential (CTAP 2.1 §6.1), packed attestation (batch key + x5c, or self).
import {
  RD, WR, litEq, cst, textKey, intKey, skipValue, checkDescriptorList, readDescriptor, RD2, descId, descIdLen, descPublicKey,
  openRequestMap, skipEntry,
  readUserEntity, userEntityId, userEntityIdLen, userEntityHasId, userEntityName, userEntityNameLen, userEntityDisplayName, userEntityDisplayNameLen,
} from "./ctapio";
import { CBOR_ERR_TYPE } from "./cbor";
import {
  NEED_UP, CTAP2_ERR_MISSING_PARAMETER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE, CTAP2_ERR_UNSUPPORTED_ALGORITHM,
  CTAP2_ERR_INVALID_OPTION, CTAP2_ERR_PIN_INVALID, CTAP2_ERR_PIN_NOT_SET, CTAP1_ERR_INVALID_PARAMETER,
  CTAP2_ERR_PUAT_REQUIRED, CTAP2_ERR_CREDENTIAL_EXCLUDED, CTAP2_ERR_KEY_STORE_FULL, CTAP1_ERR_OTHER,
  CTAP1_ERR_INVALID_LENGTH,
} from "./status";
import { pinIsSet, pinProtocolSupported, pinCheckAuth, pinTokenUsed } from "./pin";
import { rngFailed } from "../platform/rng";
import { credNew, credUnwrap, CRED_ID_LEN, CRED_FLAG_RK, CRED_FLAG_HMAC_SECRET } from "./credential";
import { rkFindUser, rkFreeSlot, rkBuild, rkWrite, RK_MAX_USER_ID } from "./credstore";
import { adHeader, adAttested, AD_UP, AD_UV, AD_AT, AD_ED, AD_MAX, derSignature, DER_SIG_MAX } from "./authdata";
import { attestationSign, attestationCert, attestationCertLen } from "./attestation";
import { sha256, sha256Init, sha256Update, sha256Final, SHA256_CTX_SIZE } from "../crypto/sha256";
import { p256Sign, P256_OK } from "../crypto/p256/ecdsa";
import { p256PublicKey } from "../crypto/p256/ecdh";
import { STORE_FULL } from "../storage/store";
import { secret } from "../platform/secrets";
import { L_ALG, L_CRED_PROTECT, L_HMAC_SECRET, L_ICON, L_ID, L_NAME, L_PACKED, L_PUBLIC_KEY, L_RK, L_SIG, L_TYPE, L_UP, L_UV, L_X5C } from "./lits";

const PERM_MC: u32 = 0x01;

const RPHASH: usize = memory.data(32, 16);
const ID: usize = memory.data(<i32>CRED_ID_LEN, 16);
const PRIV: usize = secret(memory.data(32, 16), 32);
const PUB: usize = memory.data(64, 16);
const AD: usize = memory.data(<i32>AD_MAX, 16);
const DIG: usize = memory.data(32, 16);
const RS: usize = memory.data(64, 16);
const SIG: usize = memory.data(<i32>DER_SIG_MAX, 16);
const HCTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const FL: usize = memory.data(4, 4);

// parsed request (slices into the request buffer)
let cdh: usize = 0, cdhLen: u32 = 0, haveCdh = false;
let rpId: usize = 0, rpIdLen: u32 = 0, haveRp = false;
let userId: usize = 0, userIdLen: u32 = 0, haveUser = false;
let uName: usize = 0, uNameLen: u32 = 0;
let uDName: usize = 0, uDNameLen: u32 = 0;
let haveParams = false, es256 = false;
let exclPtr: usize = 0, exclLen: u32 = 0;
let credProtect: u32 = 0;
let hmacSecret = false;
let optRk = false, optUp = true, optUv = false;
let puap: usize = 0, puapLen: u32 = 0, havePuap = false;
let protocol: u64 = 0, haveProtocol = false;
let haveEnterprise = false;

function reset(): void {
  haveCdh = false; haveRp = false; haveUser = false; haveParams = false; es256 = false;
  uNameLen = 0; uDNameLen = 0; exclLen = 0; credProtect = 0; hmacSecret = false;
  optRk = false; optUp = true; optUv = false; havePuap = false; puapLen = 0; haveProtocol = false;
  haveEnterprise = false;
}

function parseRp(): i32 {
  const n = RD.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = textKey(RD);
    if (k < 0) return cst(k);
    if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_ID)) {
      const e = RD.readText(); if (e < 0) return cst(e);
      rpId = RD.slicePtr; rpIdLen = RD.sliceLen; haveRp = true;
    } else if (k == 1 && (litEq(RD.slicePtr, RD.sliceLen, L_NAME) || litEq(RD.slicePtr, RD.sliceLen, L_ICON))) {
      const e = RD.readText(); if (e < 0) return cst(e);
    } else {
      if (k == 0) { const s = skipValue(RD); if (s != 0) return s; }
      const s = skipValue(RD); if (s != 0) return s;
    }
  }
  return haveRp ? 0 : CTAP2_ERR_MISSING_PARAMETER;
}

function parseUser(): i32 {
  const s = readUserEntity(RD);
  if (s != 0) return s;
  userId = userEntityId; userIdLen = userEntityIdLen; haveUser = userEntityHasId;
  uName = userEntityName; uNameLen = userEntityNameLen;
  uDName = userEntityDisplayName; uDNameLen = userEntityDisplayNameLen;
  return haveUser ? 0 : CTAP2_ERR_MISSING_PARAMETER;
}

function parseParams(): i32 {
  const n = RD.readArray();
  if (n < 0) return cst(n);
  haveParams = true;
  for (let i = 0; i < n; i++) {
    const m = RD.readMap();
    if (m < 0) return cst(m);
    let haveAlg = false, haveType = false, isPk = false;
    let alg: i64 = 0;
    for (let j = 0; j < m; j++) {
      const k = textKey(RD);
      if (k < 0) return cst(k);
      if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_ALG)) {
        const e = RD.readInt();
        if (e == CBOR_ERR_TYPE) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
        if (e < 0) { const s = skipValue(RD); if (s != 0) return s; alg = 0; } // outside int64: not ours
        else alg = RD.i;
        haveAlg = true;
      } else if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_TYPE)) {
        const e = RD.readText(); if (e < 0) return cst(e);
        isPk = litEq(RD.slicePtr, RD.sliceLen, L_PUBLIC_KEY);
        haveType = true;
      } else {
        if (k == 0) { const s = skipValue(RD); if (s != 0) return s; }
        const s = skipValue(RD); if (s != 0) return s;
      }
    }
    if (!haveAlg || !haveType) return CTAP2_ERR_MISSING_PARAMETER;
    if (isPk && alg == -7) es256 = true;
  }
  return 0;
}

function parseExtensions(): i32 {
  const n = RD.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = textKey(RD);
    if (k < 0) return cst(k);
    if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_CRED_PROTECT)) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      credProtect = RD.u >= 1 && RD.u <= 3 ? <u32>RD.u : 0; // another value: the extension is ignored
    } else if (k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_HMAC_SECRET)) {
      const e = RD.readBool(); if (e < 0) return cst(e);
      hmacSecret = e == 1;
    } else {
      if (k == 0) { const s = skipValue(RD); if (s != 0) return s; }
      const s = skipValue(RD); if (s != 0) return s; // unknown extensions are ignored
    }
  }
  return 0;
}

/** Options map {rk, up, uv, …}: known keys must be booleans; unknown keys are ignored. */
export function parseOptions(): i32 {
  const n = RD.readMap();
  if (n < 0) return cst(n);
  for (let i = 0; i < n; i++) {
    const k = textKey(RD);
    if (k < 0) return cst(k);
    const isRk = k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_RK);
    const isUp = k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_UP);
    const isUv = k == 1 && litEq(RD.slicePtr, RD.sliceLen, L_UV);
    if (isRk || isUp || isUv) {
      const e = RD.readBool(); if (e < 0) return cst(e);
      if (isRk) { optRk = e == 1; optRkPresent = true; }
      if (isUp) optUp = e == 1;
      if (isUv) optUv = e == 1;
    } else {
      if (k == 0) { const s = skipValue(RD); if (s != 0) return s; }
      const s = skipValue(RD); if (s != 0) return s;
    }
  }
  return 0;
}
/** Set by parseOptions: the "rk" key was present (getAssertion refuses it). */
export let optRkPresent = false;
export function optionsReset(): void { optRk = false; optUp = true; optUv = false; optRkPresent = false; }
export function optionUp(): bool { return optUp; }
export function optionUv(): bool { return optUv; }

function parse(p: usize, len: u32): i32 {
  reset();
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
      const e = RD.readBytes(); if (e < 0) return cst(e);
      cdh = RD.slicePtr; cdhLen = RD.sliceLen; haveCdh = true;
    } else if (key == 2) s = parseRp();
    else if (key == 3) s = parseUser();
    else if (key == 4) s = parseParams();
    else if (key == 5) {
      const start = RD.pos;
      if (RD.peekType() != 4) return RD.peekType() < 0 ? cst(RD.peekType()) : CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      s = skipValue(RD);
      if (s == 0) { exclPtr = start; exclLen = <u32>(RD.pos - start); s = checkDescriptorList(exclPtr, exclLen); }
    } else if (key == 6) s = parseExtensions();
    else if (key == 7) s = parseOptions();
    else if (key == 8) {
      const e = RD.readBytes(); if (e < 0) return cst(e);
      puap = RD.slicePtr; puapLen = RD.sliceLen; havePuap = true;
    } else if (key == 9) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      protocol = RD.u; haveProtocol = true;
    } else if (key == 10) {
      const e = RD.readUint(); if (e < 0) return cst(e);
      haveEnterprise = true;
    } else s = skipValue(RD);
    if (s != 0) return s;
  }
  return 0;
}

/** Runs makeCredential; params = CBOR map (already checked canonical by the dispatcher). */
export function makeCredential(params: usize, len: u32, upGranted: bool, out: usize, outMax: u32): i32 {
  let st = parse(params, len);
  if (st != 0) return status(out, st);
  // §6.1.2 step 1: a zero-length pinUvAuthParam asks the user to touch, then reports the PIN state.
  if (havePuap && puapLen == 0) {
    if (!upGranted) return NEED_UP;
    return status(out, pinIsSet() ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET);
  }
  if (havePuap) {
    if (!haveProtocol) return status(out, CTAP2_ERR_MISSING_PARAMETER);
    if (protocol > 0xffff || !pinProtocolSupported(<u32>protocol)) return status(out, CTAP1_ERR_INVALID_PARAMETER);
  }
  if (!haveCdh || !haveRp || !haveUser || !haveParams) return status(out, CTAP2_ERR_MISSING_PARAMETER);
  if (cdhLen != 32 || userIdLen > RK_MAX_USER_ID) return status(out, CTAP1_ERR_INVALID_LENGTH);
  if (!es256) return status(out, CTAP2_ERR_UNSUPPORTED_ALGORITHM);
  if (!optUp) return status(out, CTAP2_ERR_INVALID_OPTION);
  if (havePuap) optUv = false; // the token stands for UV
  else if (optUv) return status(out, CTAP2_ERR_INVALID_OPTION); // no built-in UV
  if (haveEnterprise) return status(out, CTAP1_ERR_INVALID_PARAMETER);
  // makeCredUvNotRqd: a PIN protects discoverable credentials only
  if (!havePuap && pinIsSet() && optRk) return status(out, CTAP2_ERR_PUAT_REQUIRED);
  let uv = false;
  if (havePuap) {
    st = pinCheckAuth(<u32>protocol, PERM_MC, rpId, rpIdLen, cdh, cdhLen, puap, puapLen);
    if (st != 0) return status(out, st);
    uv = true;
  }
  sha256(rpId, rpIdLen, RPHASH);
  // excludeList: a credential of ours for this RP (skipping level-3 ones without UV) → excluded after a touch
  if (exclLen > 0) {
    RD2.init(exclPtr, exclLen);
    const n = RD2.readArray();
    for (let i = 0; i < n; i++) {
      if (readDescriptor(RD2) != 0) break;
      if (!descPublicKey) continue;
      if (credUnwrap(descId, descIdLen, RPHASH, PRIV, FL) != 0) continue;
      memory.fill(PRIV, 0, 32);
      if ((load<u8>(FL) & 3) == 2 && !uv) continue; // userVerificationRequired and no UV: not revealed
      if (!upGranted) return NEED_UP;
      return status(out, CTAP2_ERR_CREDENTIAL_EXCLUDED);
    }
  }
  let slot: i32 = -1;
  if (optRk) {
    slot = rkFindUser(RPHASH, userId, userIdLen);
    if (slot < 0) slot = rkFreeSlot();
    if (slot < 0) return status(out, CTAP2_ERR_KEY_STORE_FULL);
  }
  if (rngFailed()) return status(out, CTAP1_ERR_OTHER); // no key can be made: refuse before asking for a touch
  if (!upGranted) return NEED_UP;

  // ---- commit: key, record, response ----
  let flags: u8 = credProtect > 0 ? <u8>(credProtect - 1) : 0;
  if (optRk) flags |= CRED_FLAG_RK;
  if (hmacSecret) flags |= CRED_FLAG_HMAC_SECRET;
  if (credNew(RPHASH, flags, ID, PRIV) != <i32>CRED_ID_LEN) return status(out, CTAP1_ERR_OTHER);
  if (p256PublicKey(PRIV, PUB) != P256_OK) { memory.fill(PRIV, 0, 32); return status(out, CTAP1_ERR_OTHER); }
  if (optRk) {
    const recLen = rkBuild(flags, RPHASH, ID, userId, userIdLen, uName, uNameLen, uDName, uDNameLen, rpId, rpIdLen, 0);
    const r = rkWrite(<u32>slot, recLen, true);
    if (r != 0) { memory.fill(PRIV, 0, 32); return status(out, r == STORE_FULL ? CTAP2_ERR_KEY_STORE_FULL : CTAP1_ERR_OTHER); }
  }
  const ext = credProtect > 0 || hmacSecret;
  let adFlags: u8 = AD_UP | AD_AT;
  if (uv) adFlags |= AD_UV;
  if (ext) adFlags |= AD_ED;
  let p = adHeader(AD, RPHASH, adFlags, 0); // a new credential's counter starts at 0
  p = adAttested(p, ID, CRED_ID_LEN, PUB);
  if (ext) {
    WR.init(p, AD_MAX - <u32>(p - AD));
    WR.map((credProtect > 0 ? 1 : 0) + (hmacSecret ? 1 : 0));
    if (credProtect > 0) { WR.textAscii(L_CRED_PROTECT); WR.uint(credProtect); }
    if (hmacSecret) { WR.textAscii(L_HMAC_SECRET); WR.bool(true); }
    p += <usize>WR.length();
  }
  const adLen = <u32>(p - AD);
  sha256Init(HCTX);
  sha256Update(HCTX, AD, adLen);
  sha256Update(HCTX, cdh, cdhLen);
  sha256Final(HCTX, DIG);
  // packed: the batch key with its certificate, else self attestation with the credential key
  const batch = attestationCertLen() > 0 && attestationSign(DIG, RS) == 0;
  if (!batch && p256Sign(PRIV, DIG, RS) != P256_OK) { memory.fill(PRIV, 0, 32); return status(out, CTAP1_ERR_OTHER); }
  memory.fill(PRIV, 0, 32);
  const sigLen = derSignature(RS, SIG);
  if (havePuap) pinTokenUsed();

  if (outMax < 1) return 0;
  WR.init(out + 1, outMax - 1);
  WR.map(3);
  WR.uint(1); WR.textAscii(L_PACKED);
  WR.uint(2); WR.bytes(AD, adLen);
  WR.uint(3);
  WR.map(batch ? 3 : 2);
  WR.textAscii(L_ALG); WR.int(-7);
  WR.textAscii(L_SIG); WR.bytes(SIG, sigLen);
  if (batch) {
    WR.textAscii(L_X5C);
    WR.array(1);
    // the certificate goes straight into the response: its length first, then the bytes
    const certLen = attestationCertLen();
    const dst = WR.bytesOpen(certLen > 0 ? <u32>certLen : 0);
    if (dst != 0 && certLen > 0) attestationCert(dst, <u32>certLen);
  }
  const n = WR.length();
  if (n < 0) return status(out, CTAP1_ERR_OTHER);
  store<u8>(out, 0);
  return n + 1;
}

function status(out: usize, st: i32): i32 {
  store<u8>(out, <u8>st);
  return 1;
}
