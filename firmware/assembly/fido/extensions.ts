// Extensions: credProtect (levels, CTAP 2.1 §12.1) and hmac-secret (§12.5) on getAssertion.
// The key agreement, the MAC over the salts and the encryption are pin.ts's (helper K): this
// module parses the input, keeps the decrypted salts for the assertions of one request and
// computes the outputs with the credential's CredRandom (credential.ts).
import { CborReader } from "./cbor";
import { RD2, intKey, cst, skipValue, skipEntry } from "./ctapio";
import { pinSharedFromCose, pinSharedVerify, pinSharedDecrypt, pinSharedEncrypt, pinProtocolSupported } from "./pin";
import { credRandom } from "./credential";
import { hmac, hmacForget } from "../crypto/hmac";
import { ALG_SHA256 } from "../crypto/hash";
import {
  CTAP2_ERR_MISSING_PARAMETER, CTAP1_ERR_INVALID_PARAMETER, CTAP2_ERR_PIN_AUTH_INVALID, CTAP1_ERR_INVALID_LENGTH,
  CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
} from "./status";
import { CBOR_ERR_TYPE } from "./cbor";
import { Buf, buf, bufPtr } from "../platform/buffer";

export const CRED_PROTECT_OPTIONAL: u32 = 1;
export const CRED_PROTECT_OPTIONAL_WITH_LIST: u32 = 2;
export const CRED_PROTECT_REQUIRED: u32 = 3;

const SALT: usize = memory.data(64, 16);
const CR: usize = memory.data(32, 16);
const OUTPT_BUF: Buf = buf(memory.data(64, 16), 64); // decrypted salts, then the HMAC outputs
const OUTPT: usize = bufPtr(OUTPT_BUF);
/** Largest hmac-secret output: protocol 2 prepends a 16-byte IV to 64 bytes. */
export const HMAC_SECRET_OUT_MAX: u32 = 80;
let saltLen: u32 = 0;

/** The salts of the current request are ready (hsPrepare succeeded). */
export let hsReady: bool = false;

/**
 * Parses the hmac-secret input map at (p, len) (raw CBOR), agrees the shared secret, checks saltAuth
 * and decrypts the salts. Returns 0 or a CTAP status. Commits nothing.
 */
export function hsPrepare(p: usize, len: u32): i32 {
  hsReady = false;
  saltLen = 0;
  const r: CborReader = RD2;
  r.init(p, len);
  const n = r.readMap();
  if (n < 0) return n == CBOR_ERR_TYPE ? CTAP2_ERR_CBOR_UNEXPECTED_TYPE : cst(n);
  let kaPtr: usize = 0, kaLen: u32 = 0;
  let sePtr: usize = 0, seLen: u32 = 0;
  let saPtr: usize = 0, saLen: u32 = 0;
  let protocol: u64 = 1;
  let haveKa = false, haveSe = false, haveSa = false;
  for (let i = 0; i < n; i++) {
    const k = intKey(r);
    if (k < 0) return cst(k);
    if (k == 0) { const s = skipEntry(r); if (s != 0) return s; continue; }
    const key = r.i;
    if (key == 1) {
      const start = r.pos;
      if (r.peekType() != 5) return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
      const e = r.skip();
      if (e < 0) return cst(e);
      kaPtr = start; kaLen = <u32>(r.pos - start); haveKa = true;
    } else if (key == 2) {
      const e = r.readBytes(); if (e < 0) return cst(e);
      sePtr = r.slicePtr; seLen = r.sliceLen; haveSe = true;
    } else if (key == 3) {
      const e = r.readBytes(); if (e < 0) return cst(e);
      saPtr = r.slicePtr; saLen = r.sliceLen; haveSa = true;
    } else if (key == 4) {
      const e = r.readUint(); if (e < 0) return cst(e);
      protocol = r.u;
    } else {
      const s = skipValue(r); if (s != 0) return s;
    }
  }
  if (!haveKa || !haveSe || !haveSa) return CTAP2_ERR_MISSING_PARAMETER;
  if (protocol > 0xffff || !pinProtocolSupported(<u32>protocol)) return CTAP1_ERR_INVALID_PARAMETER;
  const st = pinSharedFromCose(<u32>protocol, kaPtr, kaLen);
  if (st != 0) return st;
  if (!pinSharedVerify(sePtr, seLen, saPtr, saLen)) return CTAP2_ERR_PIN_AUTH_INVALID;
  // one or two 32-byte salts (+ the IV for v2); the decrypt refuses anything longer than OUTPT
  const m = pinSharedDecrypt(sePtr, seLen, OUTPT_BUF);
  if (m != 32 && m != 64) { memory.fill(OUTPT, 0, 64); return CTAP1_ERR_INVALID_LENGTH; }
  memory.copy(SALT, OUTPT, <usize>m);
  memory.fill(OUTPT, 0, 64);
  saltLen = <u32>m;
  hsReady = true;
  return 0;
}

/**
 * The hmac-secret output for one credential: encrypt(shared, HMAC(CredRandom, salt1) [‖ HMAC(CredRandom, salt2)])
 * to out (HMAC_SECRET_OUT_MAX bytes room). Returns its length or -1.
 */
export function hsOutput(id: usize, idLen: u32, uv: bool, out: Buf): i32 {
  if (!hsReady) return -1;
  if (!credRandom(id, idLen, uv, CR)) return -1;
  hmac(ALG_SHA256, CR, 32, SALT, 32, OUTPT);
  if (saltLen == 64) hmac(ALG_SHA256, CR, 32, SALT + 32, 32, OUTPT + 32);
  memory.fill(CR, 0, 32);
  hmacForget(); // hmac() caches its key: CredRandom must not stay behind
  const n = pinSharedEncrypt(OUTPT, saltLen, out);
  memory.fill(OUTPT, 0, 64);
  return n;
}

/** Forgets the salts (end of a getAssertion sequence). */
export function hsClear(): void {
  memory.fill(SALT, 0, 64);
  saltLen = 0;
  hsReady = false;
}
