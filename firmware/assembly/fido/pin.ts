// authenticatorClientPIN (CTAP 2.1 §6.5) with PIN/UV auth protocols 1 and 2, and the services
// makeCredential / getAssertion / hmac-secret need from it. See docs/fido-pin.md.
//
// Persistent state (KEY_PIN_STATE, 20 bytes): version 1, retries (0..8), flags (bit 0: PIN set),
// minimum length in code points, LEFT(SHA-256(PIN), 16). Every retry decrement is committed
// before the PIN hash is compared; a correct PIN puts the retries back to 8 (committed).
// RAM state (lost at power-off, as CTAP wants): key agreement keys, the pinUvAuthToken and its
// permissions / RP binding / timers, and the count of consecutive mismatches of this power cycle.
import { uptime_ms } from "../hal";
import { randomBytes, rngFailed } from "../platform/rng";
import { sha256 } from "../crypto/sha256";
import { storeGet, storePut, txnBegin, txnDelete, txnCommit, STORE_OK } from "../storage/store";
import { KEY_PIN_STATE } from "./keys";
import {
  CborReader, CborWriter, CBOR_READER_SIZE, CBOR_WRITER_SIZE, CBOR_CTAP_DEPTH, CBOR_MAP, cborErrToCtap,
  utf8CodePoints,
} from "./cbor";
import {
  CTAP2_OK, CTAP1_ERR_INVALID_PARAMETER, CTAP1_ERR_OTHER, CTAP2_ERR_CBOR_UNEXPECTED_TYPE, CTAP2_ERR_MISSING_PARAMETER,
  CTAP2_ERR_NOT_ALLOWED, CTAP2_ERR_PIN_INVALID, CTAP2_ERR_PIN_BLOCKED, CTAP2_ERR_PIN_AUTH_INVALID,
  CTAP2_ERR_PIN_AUTH_BLOCKED, CTAP2_ERR_PIN_NOT_SET, CTAP2_ERR_PIN_POLICY_VIOLATION, CTAP2_ERR_INVALID_SUBCOMMAND,
  CTAP2_ERR_UNAUTHORIZED_PERMISSION,
} from "./status";
import {
  SHARED_LEN, protoSupported, kaInvalidate, kaPublic, coseParse, decapsulate, protoEncrypt, protoDecrypt,
  protoVerify,
} from "./pin_proto";
import { ctEqual } from "../util/bytes";
import { secret } from "../platform/secrets";
import { Buf, buf, bufPtr } from "../platform/buffer";

export const PIN_MAX_RETRIES: u32 = 8;
/** Consecutive mismatches in one power cycle before PIN_AUTH_BLOCKED. */
export const PIN_MAX_MISMATCHES: u32 = 3;
export const PIN_MIN_CODE_POINTS: u32 = 4;
export const PIN_MAX_BYTES: u32 = 63;
/** A token must be used within this long of being issued (CTAP 2.1 initial usage time limit). */
export const TOKEN_INITIAL_MS: i64 = 30_000;
/** … and is never usable longer than this (CTAP 2.1 maxUsageTimePeriod default). */
export const TOKEN_MAX_MS: i64 = 600_000;

export const PERM_MC: u32 = 0x01;
export const PERM_GA: u32 = 0x02;
export const PERM_CM: u32 = 0x04;
export const PERM_BE: u32 = 0x08;
export const PERM_LBW: u32 = 0x10;
export const PERM_ACFG: u32 = 0x20;
/** Asked by credentialManagement preview (0x41): cm, or a token from getPinToken (the preview had no permissions). */
export const PERM_CM_PREVIEW: u32 = 0x8000;
/** Permissions this authenticator grants (no bio enrollment, large blobs or config). */
export const PERM_SUPPORTED: u32 = PERM_MC | PERM_GA | PERM_CM;

export const SUB_GET_RETRIES: u32 = 0x01;
export const SUB_GET_KEY_AGREEMENT: u32 = 0x02;
export const SUB_SET_PIN: u32 = 0x03;
export const SUB_CHANGE_PIN: u32 = 0x04;
export const SUB_GET_PIN_TOKEN: u32 = 0x05;
export const SUB_GET_TOKEN_WITH_PERMISSIONS: u32 = 0x09;

const REC_LEN: u32 = 20;
const REC: usize = memory.data(<i32>REC_LEN, 16);

// mirror of the persistent record
let pinSet = false;
let retries: u32 = PIN_MAX_RETRIES;
let minLen: u32 = PIN_MIN_CODE_POINTS;
const PIN_HASH: usize = memory.data(16, 16);

// power-cycle state
let mismatches: u32 = 0;
const TOKEN: usize = memory.data(32, 16);
let tokenInUse = false;
let tokenProtocol: u32 = 0;
let tokenPerms: u32 = 0;
let tokenRpBound = false;
let tokenLegacy = false; // issued by getPinToken (0x05)
const TOKEN_RP: usize = memory.data(32, 16); // SHA-256 of the bound rpId
let tokenIssuedAt: i64 = 0;
let tokenEverUsed = false;

// hmac-secret's shared secret
const HS: usize = memory.data(<i32>SHARED_LEN, 16);
let hsProtocol: u32 = 0;

// scratch
const SHARED: usize = secret(memory.data(<i32>SHARED_LEN, 16), SHARED_LEN);
const PEER: usize = memory.data(64, 16);
const PT_BUF: Buf = buf(secret(memory.data(96, 16), 96), 96); // decrypted newPin / pinHash
const PT: usize = bufPtr(PT_BUF);
const DIG: usize = secret(memory.data(32, 16), 32);
const ENC_BUF: Buf = buf(secret(memory.data(64, 16), 64), 64); // encrypted token
const ENC: usize = bufPtr(ENC_BUF);
const RD: usize = memory.data(CBOR_READER_SIZE, 16);
const WR: usize = memory.data(CBOR_WRITER_SIZE, 16);

// parsed request
let hasProto = false; let proto: u64 = 0;
let hasSub = false; let sub: u64 = 0;
let kaPtr: usize = 0; let kaLen: u32 = 0; let hasKa = false;
let authPtr: usize = 0; let authLen: u32 = 0; let hasAuth = false;
let newPinPtr: usize = 0; let newPinLen: u32 = 0; let hasNewPin = false;
let pinHashPtr: usize = 0; let pinHashLen: u32 = 0; let hasPinHash = false;
let hasPerms = false; let perms: u64 = 0;
let rpPtr: usize = 0; let rpLen: u32 = 0; let hasRp = false;

// ---------------- persistent state ----------------

function loadState(): void {
  pinSet = false;
  retries = PIN_MAX_RETRIES;
  minLen = PIN_MIN_CODE_POINTS;
  memory.fill(PIN_HASH, 0, 16);
  if (storeGet(KEY_PIN_STATE, REC, REC_LEN) != <i32>REC_LEN || load<u8>(REC) != 1) return;
  const r = <u32>load<u8>(REC, 1);
  retries = r > PIN_MAX_RETRIES ? PIN_MAX_RETRIES : r;
  pinSet = (load<u8>(REC, 2) & 1) != 0;
  const m = <u32>load<u8>(REC, 3);
  minLen = m < PIN_MIN_CODE_POINTS || m > PIN_MAX_BYTES ? PIN_MIN_CODE_POINTS : m;
  memory.copy(PIN_HASH, REC + 4, 16);
  memory.fill(REC, 0, REC_LEN);
}

/** Commits (set, retries, hash); the RAM mirror follows only when the commit is durable. */
function saveState(set: bool, newRetries: u32, hash: usize): i32 {
  store<u8>(REC, 1);
  store<u8>(REC, <u8>newRetries, 1);
  store<u8>(REC, set ? 1 : 0, 2);
  store<u8>(REC, <u8>minLen, 3);
  memory.copy(REC + 4, hash, 16);
  const r = storePut(KEY_PIN_STATE, REC, REC_LEN);
  memory.fill(REC, 0, REC_LEN);
  if (r != STORE_OK) return r;
  pinSet = set;
  retries = newRetries;
  if (hash != PIN_HASH) memory.copy(PIN_HASH, hash, 16);
  return STORE_OK;
}

// ---------------- token ----------------

/** A fresh random token, not in use; false when the entropy source failed (no token may be issued). */
function resetToken(): bool {
  const ok = randomBytes(TOKEN, 32);
  tokenInUse = false;
  tokenProtocol = 0;
  tokenPerms = 0;
  tokenRpBound = false;
  tokenLegacy = false;
  memory.fill(TOKEN_RP, 0, 32);
  tokenEverUsed = false;
  return ok;
}

function tokenLive(): bool {
  if (!tokenInUse) return false;
  const age = uptime_ms() - tokenIssuedAt;
  if (age < 0 || age > TOKEN_MAX_MS || (!tokenEverUsed && age > TOKEN_INITIAL_MS)) {
    resetToken();
    return false;
  }
  return true;
}

// ---------------- services ----------------

/** Power-up: fresh key-agreement keys and pinUvAuthToken, per-boot retry allowance back to 3. */
export function pinPowerUp(): void {
  loadState();
  mismatches = 0;
  kaInvalidate(1);
  kaInvalidate(2);
  resetToken();
  memory.fill(HS, 0, SHARED_LEN);
  hsProtocol = 0;
}

/** authenticatorReset: forget the PIN and tokens (commits its own transaction). Returns 0 or a store error. */
export function pinReset(): i32 {
  txnBegin();
  txnDelete(KEY_PIN_STATE);
  const r = txnCommit();
  if (r != STORE_OK) return r;
  pinPowerUp();
  return 0;
}

export function pinIsSet(): bool { return pinSet; }
/** Minimum PIN length in code points (getInfo 0x0D). */
export function pinMinLength(): u32 { return minLen; }
export function pinProtocolSupported(protocol: u32): bool { return protoSupported(<u64>protocol); }
/** PIN retries left (getInfo has no field for it; for tests and the status page). */
export function pinRetries(): u32 { return retries; }

/**
 * Checks pinUvAuthParam = authenticate(pinUvAuthToken, msg) for a command needing `permission`
 * (0x01 mc, 0x02 ga, 0x04 cm, …) and, when rpId is given (rpIdLen > 0), the token's RP binding
 * (binds it on first use). Returns a CTAP status: 0, PIN_AUTH_INVALID (also for a token that lacks
 * the permission or is bound to another RP: CTAP 2.1 §6.1.2 step 11, §6.2.2, §6.8), PIN_NOT_SET,
 * INVALID_PARAMETER (unsupported protocol).
 * The token must have come from the same protocol, and it expires 30 s after issue if unused,
 * 10 min after issue in any case.
 */
export function pinCheckAuth(
  protocol: u32, permission: u32, rpId: usize, rpIdLen: u32, msg: usize, msgLen: u32, param: usize, paramLen: u32,
): u8 {
  if (!protoSupported(<u64>protocol)) return CTAP1_ERR_INVALID_PARAMETER;
  if (!pinSet) return CTAP2_ERR_PIN_NOT_SET;
  if (!tokenLive() || tokenProtocol != protocol) return CTAP2_ERR_PIN_AUTH_INVALID;
  if (!protoVerify(protocol, TOKEN, msg, msgLen, 0, 0, param, paramLen)) return CTAP2_ERR_PIN_AUTH_INVALID;
  let have = tokenPerms;
  if (permission == PERM_CM_PREVIEW) {
    permission = PERM_CM;
    if (tokenLegacy) have |= PERM_CM;
  }
  if (permission == 0 || (have & permission) != permission) return CTAP2_ERR_PIN_AUTH_INVALID;
  if (rpIdLen > 0) {
    sha256(rpId, rpIdLen, DIG);
    if (tokenRpBound) {
      if (!ctEqual(DIG, TOKEN_RP, 32)) return CTAP2_ERR_PIN_AUTH_INVALID;
    } else {
      memory.copy(TOKEN_RP, DIG, 32);
      tokenRpBound = true;
    }
  }
  tokenEverUsed = true;
  return CTAP2_OK;
}

/**
 * The token's RP binding, for credentialManagement (CTAP 2.1 §6.8): true when the token is not
 * bound to an RP, or is bound to the RP whose SHA-256 is rpIdHash (0 = "no RP": only unbound tokens pass).
 */
export function pinTokenAllowsRp(rpIdHash: usize): bool {
  if (!tokenRpBound) return true;
  return rpIdHash != 0 && ctEqual(rpIdHash, TOKEN_RP, 32);
}

/** After a makeCredential/getAssertion that used the token with user presence (CTAP 2.1 §6.1.2
 *  step 14 / §6.2.2): clear the user-present and user-verified flags and every permission except lbw. */
export function pinTokenUsed(): void {
  // PIN-obtained tokens never carry the user-present flag here (beginUsingPinUvAuthToken(false)),
  // so clearing the flags reduces to clearing the permissions.
  tokenPerms &= PERM_LBW;
}

// ---- hmac-secret: the platform's key agreement and the shared secret derived from it ----
/** Decapsulates keyAgreement (COSE_Key CBOR) for protocol and keeps the shared secret. Returns a CTAP status. */
export function pinSharedFromCose(protocol: u32, cose: usize, coseLen: u32): u8 {
  hsProtocol = 0;
  memory.fill(HS, 0, SHARED_LEN);
  if (!protoSupported(<u64>protocol)) return CTAP1_ERR_INVALID_PARAMETER;
  if (!coseParse(cose, coseLen, PEER)) return CTAP1_ERR_INVALID_PARAMETER;
  if (!decapsulate(protocol, PEER, HS)) return CTAP1_ERR_INVALID_PARAMETER;
  hsProtocol = protocol;
  return CTAP2_OK;
}
/** verify(sharedSecret, msg, sig) of the protocol (16-byte LEFT for v1, 32 bytes for v2). */
export function pinSharedVerify(msg: usize, msgLen: u32, sig: usize, sigLen: u32): bool {
  if (hsProtocol == 0) return false;
  return protoVerify(hsProtocol, HS, msg, msgLen, 0, 0, sig, sigLen);
}
/** decrypt(sharedSecret, ct) → plaintext length, -1, or BUF_ERR_FIT (does not fit out). out must not overlap ct. */
export function pinSharedDecrypt(ct: usize, ctLen: u32, out: Buf): i32 {
  if (hsProtocol == 0) return -1;
  return protoDecrypt(hsProtocol, HS, ct, ctLen, out);
}
/** encrypt(sharedSecret, pt) → ciphertext length (v2 prepends a random IV), -1 (length not a multiple
 *  of 16) or BUF_ERR_FIT (does not fit out). */
export function pinSharedEncrypt(pt: usize, ptLen: u32, out: Buf): i32 {
  if (hsProtocol == 0) return -1;
  return protoEncrypt(hsProtocol, HS, pt, ptLen, out);
}

// ---------------- authenticatorClientPIN ----------------

function fail(out: usize, status: u8): i32 {
  store<u8>(out, status);
  return 1;
}

/** authenticatorClientPIN: params = the CBOR map after the command byte. Writes status ‖ CBOR to out; returns the length. */
export function clientPinCommand(params: usize, len: u32, out: usize, outMax: u32): i32 {
  if (outMax == 0) return 0;
  const st = parse(params, len);
  let res: i32;
  if (st != CTAP2_OK) res = fail(out, st);
  else res = run(out, outMax);
  memory.fill(SHARED, 0, SHARED_LEN);
  memory.fill(PT, 0, 96);
  memory.fill(DIG, 0, 32);
  return res;
}

function parse(params: usize, len: u32): u8 {
  hasProto = false; hasSub = false; hasKa = false; hasAuth = false; hasNewPin = false;
  hasPinHash = false; hasPerms = false; hasRp = false;
  if (len == 0) return CTAP2_ERR_MISSING_PARAMETER;
  const r = CborReader.at(RD);
  const e = r.open(params, len, CBOR_CTAP_DEPTH);
  if (e < 0) return <u8>cborErrToCtap(e);
  const n = r.readMap();
  if (n < 0) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
  for (let i = 0; i < n; i++) {
    if (r.readUint() < 0) { // not an unsigned key: not one of ours
      if (r.skip() < 0 || r.skip() < 0) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      continue;
    }
    const k = r.u;
    let bad = false;
    if (k == 1) { bad = r.readUint() < 0; proto = r.u; hasProto = true; }
    else if (k == 2) { bad = r.readUint() < 0; sub = r.u; hasSub = true; }
    else if (k == 3) {
      if (r.peekType() != <i32>CBOR_MAP) bad = true;
      else {
        const start = r.pos;
        bad = r.skip() < 0;
        kaPtr = start; kaLen = <u32>(r.pos - start); hasKa = true;
      }
    }
    else if (k == 4) { bad = r.readBytes() < 0; authPtr = r.slicePtr; authLen = r.sliceLen; hasAuth = true; }
    else if (k == 5) { bad = r.readBytes() < 0; newPinPtr = r.slicePtr; newPinLen = r.sliceLen; hasNewPin = true; }
    else if (k == 6) { bad = r.readBytes() < 0; pinHashPtr = r.slicePtr; pinHashLen = r.sliceLen; hasPinHash = true; }
    else if (k == 9) { bad = r.readUint() < 0; perms = r.u; hasPerms = true; }
    else if (k == 0x0a) { bad = r.readText() < 0; rpPtr = r.slicePtr; rpLen = r.sliceLen; hasRp = true; }
    else bad = r.skip() < 0;
    if (bad) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
  }
  if (!hasSub) return CTAP2_ERR_MISSING_PARAMETER;
  return CTAP2_OK;
}

function run(out: usize, outMax: u32): i32 {
  if (sub == <u64>SUB_GET_RETRIES) return getRetries(out, outMax);
  if (sub != <u64>SUB_GET_KEY_AGREEMENT && sub != <u64>SUB_SET_PIN && sub != <u64>SUB_CHANGE_PIN
    && sub != <u64>SUB_GET_PIN_TOKEN && sub != <u64>SUB_GET_TOKEN_WITH_PERMISSIONS) {
    return fail(out, CTAP2_ERR_INVALID_SUBCOMMAND); // 0x06/0x07 (built-in UV) and anything unknown
  }
  if (!hasProto) return fail(out, CTAP2_ERR_MISSING_PARAMETER);
  if (!protoSupported(proto)) return fail(out, CTAP1_ERR_INVALID_PARAMETER);
  if (rngFailed()) return fail(out, CTAP1_ERR_OTHER); // no key agreement key, PIN or token without entropy
  const p = <u32>proto;
  if (sub == <u64>SUB_GET_KEY_AGREEMENT) return getKeyAgreement(p, out, outMax);
  if (sub == <u64>SUB_SET_PIN) return fail(out, setPin(p));
  if (sub == <u64>SUB_CHANGE_PIN) return fail(out, changePin(p));
  return getToken(p, out, outMax);
}

function getRetries(out: usize, outMax: u32): i32 {
  const w = CborWriter.at(WR);
  w.init(out + 1, outMax - 1);
  w.map(2);
  w.uint(3); w.uint(<u64>retries);
  w.uint(4); w.bool(mismatches >= PIN_MAX_MISMATCHES);
  return finish(w, out);
}

function getKeyAgreement(p: u32, out: usize, outMax: u32): i32 {
  const pub = kaPublic(p);
  if (pub == 0) return fail(out, CTAP1_ERR_OTHER);
  const w = CborWriter.at(WR);
  w.init(out + 1, outMax - 1);
  w.map(1);
  w.uint(1);
  w.map(5);
  w.uint(1); w.uint(2); // kty EC2
  w.uint(3); w.int(-25); // alg ECDH-ES+HKDF-256 (what CTAP asks for, whatever the protocol)
  w.int(-1); w.uint(1); // crv P-256
  w.int(-2); w.bytes(pub, 32);
  w.int(-3); w.bytes(pub + 32, 32);
  return finish(w, out);
}

function finish(w: CborWriter, out: usize): i32 {
  const n = w.length();
  if (n < 0) return fail(out, CTAP1_ERR_OTHER);
  store<u8>(out, CTAP2_OK);
  return n + 1;
}

/** Decapsulates the request's keyAgreement into SHARED. */
function shared(p: u32): bool {
  return coseParse(kaPtr, kaLen, PEER) && decapsulate(p, PEER, SHARED);
}

/** Decrypts newPinEnc and applies the PIN policy; on success DIG = LEFT(SHA-256(newPin), 16). */
function newPin(p: u32): u8 {
  // newPinEnc is exactly 64 bytes of padded PIN (+ the IV for v2); the decrypt refuses anything
  // longer than PT_BUF in any case
  if (newPinLen != (p == 1 ? <u32>64 : <u32>80)) return CTAP1_ERR_INVALID_PARAMETER;
  const n = protoDecrypt(p, SHARED, newPinPtr, newPinLen, PT_BUF);
  if (n < 0) return CTAP2_ERR_PIN_AUTH_INVALID;
  if (n != 64) return CTAP1_ERR_INVALID_PARAMETER;
  let l: u32 = 64;
  while (l > 0 && load<u8>(PT + l - 1) == 0) l--;
  if (l > PIN_MAX_BYTES) return CTAP2_ERR_PIN_POLICY_VIOLATION;
  for (let i: u32 = 0; i < l; i++) if (load<u8>(PT + i) == 0) return CTAP2_ERR_PIN_POLICY_VIOLATION;
  const cps = utf8CodePoints(PT, l);
  if (cps < 0 || <u32>cps < minLen) return CTAP2_ERR_PIN_POLICY_VIOLATION;
  sha256(PT, l, DIG);
  return CTAP2_OK;
}

function setPin(p: u32): u8 {
  if (!hasKa || !hasAuth || !hasNewPin) return CTAP2_ERR_MISSING_PARAMETER;
  if (pinSet) return CTAP2_ERR_NOT_ALLOWED;
  if (!shared(p)) return CTAP1_ERR_INVALID_PARAMETER;
  if (!protoVerify(p, SHARED, newPinPtr, newPinLen, 0, 0, authPtr, authLen)) return CTAP2_ERR_PIN_AUTH_INVALID;
  const st = newPin(p);
  if (st != CTAP2_OK) return st;
  if (saveState(true, PIN_MAX_RETRIES, DIG) != STORE_OK) return CTAP1_ERR_OTHER;
  memory.fill(DIG, 0, 32);
  resetToken();
  return CTAP2_OK;
}

/**
 * The PIN check shared by changePIN and the token subcommands: blocked states, then the retry
 * decrement COMMITTED, then the constant-time compare of the decrypted pinHashEnc. A mismatch
 * regenerates protocol p's key agreement key. Returns 0 when the PIN is right (retries back to 8).
 */
function checkPin(p: u32): u8 {
  if (!pinSet) return CTAP2_ERR_PIN_NOT_SET;
  if (retries == 0) return CTAP2_ERR_PIN_BLOCKED;
  if (mismatches >= PIN_MAX_MISMATCHES) return CTAP2_ERR_PIN_AUTH_BLOCKED;
  if (!shared(p)) return CTAP1_ERR_INVALID_PARAMETER;
  if (hasAuth) { // changePIN: pinUvAuthParam = authenticate(shared, newPinEnc ‖ pinHashEnc)
    if (!protoVerify(p, SHARED, newPinPtr, newPinLen, pinHashPtr, pinHashLen, authPtr, authLen)) return CTAP2_ERR_PIN_AUTH_INVALID;
  }
  if (pinHashLen != (p == 1 ? <u32>16 : <u32>32)) return CTAP2_ERR_PIN_AUTH_INVALID;
  // decrement first, durable before the compare
  if (saveState(true, retries - 1, PIN_HASH) != STORE_OK) return CTAP1_ERR_OTHER;
  if (protoDecrypt(p, SHARED, pinHashPtr, pinHashLen, PT_BUF) != 16) return CTAP2_ERR_PIN_AUTH_INVALID;
  const same = ctEqual(PT, PIN_HASH, 16);
  memory.fill(PT, 0, 16);
  if (!same) {
    kaInvalidate(p);
    mismatches++;
    if (retries == 0) return CTAP2_ERR_PIN_BLOCKED;
    if (mismatches >= PIN_MAX_MISMATCHES) return CTAP2_ERR_PIN_AUTH_BLOCKED;
    return CTAP2_ERR_PIN_INVALID;
  }
  mismatches = 0;
  return CTAP2_OK;
}

function changePin(p: u32): u8 {
  if (!hasKa || !hasAuth || !hasNewPin || !hasPinHash) return CTAP2_ERR_MISSING_PARAMETER;
  const st = checkPin(p);
  if (st != CTAP2_OK) return st;
  const pol = newPin(p);
  // the PIN was right: retries back to 8 whatever happens to the new PIN
  const r = saveState(true, PIN_MAX_RETRIES, pol == CTAP2_OK ? DIG : PIN_HASH);
  memory.fill(DIG, 0, 32);
  if (r != STORE_OK) return CTAP1_ERR_OTHER;
  if (pol != CTAP2_OK) return pol;
  resetToken();
  return CTAP2_OK;
}

function getToken(p: u32, out: usize, outMax: u32): i32 {
  if (!hasKa || !hasPinHash) return fail(out, CTAP2_ERR_MISSING_PARAMETER);
  hasAuth = false; // not part of these subcommands
  let grant: u32 = PERM_MC | PERM_GA;
  if (sub == <u64>SUB_GET_PIN_TOKEN) {
    if (hasPerms || hasRp) return fail(out, CTAP1_ERR_INVALID_PARAMETER);
  } else {
    if (!hasPerms) return fail(out, CTAP2_ERR_MISSING_PARAMETER);
    if (perms == 0) return fail(out, CTAP1_ERR_INVALID_PARAMETER);
    if ((perms & ~<u64>PERM_SUPPORTED) != 0) return fail(out, CTAP2_ERR_UNAUTHORIZED_PERMISSION);
    grant = <u32>perms;
    if ((grant & (PERM_MC | PERM_GA)) != 0 && !hasRp) return fail(out, CTAP2_ERR_MISSING_PARAMETER);
  }
  const st = checkPin(p);
  if (st != CTAP2_OK) return fail(out, st);
  if (saveState(true, PIN_MAX_RETRIES, PIN_HASH) != STORE_OK) return fail(out, CTAP1_ERR_OTHER);
  if (!resetToken()) return fail(out, CTAP1_ERR_OTHER);
  tokenInUse = true;
  tokenProtocol = p;
  tokenPerms = grant;
  tokenLegacy = sub == <u64>SUB_GET_PIN_TOKEN;
  tokenIssuedAt = uptime_ms();
  if (hasRp) {
    sha256(rpPtr, rpLen, TOKEN_RP);
    tokenRpBound = true;
  }
  const n = protoEncrypt(p, SHARED, TOKEN, 32, ENC_BUF);
  if (n < 0) return fail(out, CTAP1_ERR_OTHER);
  const w = CborWriter.at(WR);
  w.init(out + 1, outMax - 1);
  w.map(1);
  w.uint(2);
  w.bytes(ENC, <u32>n);
  memory.fill(ENC, 0, 64);
  return finish(w, out);
}
