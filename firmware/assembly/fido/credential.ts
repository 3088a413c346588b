// Credential IDs that carry their own key (non-discoverable credentials cost no storage),
// per-credential signature counters, and the master secret. See docs/fido.md.
//
// Credential ID (CRED_ID_LEN = 34 bytes):
//   0 version (0x01) | 1 flags | 2..17 nonce (16 random bytes) | 18..33 tag
//   tag = LEFT16(HMAC-SHA-256(Kmac, version ‖ flags ‖ nonce ‖ rpIdHash))
//   private key d = HMAC-SHA-256(Kkey, version ‖ flags ‖ nonce ‖ rpIdHash ‖ i) for the first
//   i = 0, 1, … that gives 1 ≤ d ≤ n − 1 (rejection sampling: uniform, deterministic).
//   Kmac, Kkey, Kcr = HMAC-SHA-256(master, "segl/mac" | "segl/key" | "segl/credrandom").
// flags: bits 0-1 credProtect level − 1, bit 2 discoverable, bit 3 hmac-secret; others zero.
import { randomBytes, rngFailed } from "../platform/rng";
import { hmacInit, hmacUpdate, hmacFinal, HMAC_CTX_SIZE } from "../crypto/hmac";
import { ALG_SHA256 } from "../crypto/hash";
import { sha256 } from "../crypto/sha256";
import { p256ValidPrivate } from "../crypto/p256/ecdh";
import { ctEqual } from "../util/bytes";
import { storeGet, storePut, txnBegin, txnDelete, txnCommit, txnAbort, STORE_OK } from "../storage/store";
import { KEY_FIDO_MASTER, KEY_COUNTER_FIRST } from "./keys";
import { rkFindById, rkCounterKey, rkLoad, rkWipeAll, RK_ID_LEN } from "./credstore";
import { secret } from "../platform/secrets";

export const CRED_ID_LEN: u32 = 34; // J may change this; users read it
export const CRED_VERSION: u8 = 0x01;
export const CRED_FLAG_PROTECT_MASK: u8 = 0x03;
export const CRED_FLAG_RK: u8 = 0x04;
export const CRED_FLAG_HMAC_SECRET: u8 = 0x08;
const FLAGS_KNOWN: u8 = 0x0f;
const TAG_LEN: u32 = 16;
const NONCE_LEN: u32 = 16;
/** Counter buckets of non-discoverable credentials: KEY_COUNTER_FIRST .. + COUNTER_BUCKETS − 1. */
export const COUNTER_BUCKETS: u32 = 128;

export const CRED_ERR_NO_MASTER: i32 = -2;
export const CRED_ERR_STORE: i32 = -3;
export const CRED_ERR_INVALID: i32 = -1;
/** The entropy source failed its health tests: no key, nonce or master secret is made. */
export const CRED_ERR_RNG: i32 = -4;

const MASTER: usize = memory.data(32, 16);
const KMAC: usize = memory.data(32, 16);
const KKEY: usize = memory.data(32, 16);
const KCR: usize = memory.data(32, 16);
const CTX: usize = secret(memory.data(<i32>HMAC_CTX_SIZE, 16), HMAC_CTX_SIZE);
const TAG: usize = secret(memory.data(32, 16), 32);
const ONE: usize = memory.data(16, 16);
const HBUF: usize = memory.data(32, 16);
const CBUF: usize = memory.data(8, 8);
let haveMaster = false;

// ASCII labels (static data, never allocated at run time)
const L_MAC: usize = memory.data<u8>([0x73, 0x65, 0x67, 0x6c, 0x2f, 0x6d, 0x61, 0x63]); // "segl/mac"
const L_KEY: usize = memory.data<u8>([0x73, 0x65, 0x67, 0x6c, 0x2f, 0x6b, 0x65, 0x79]); // "segl/key"
const L_CR: usize = memory.data<u8>([0x73, 0x65, 0x67, 0x6c, 0x2f, 0x63, 0x72, 0x65, 0x64, 0x72, 0x61, 0x6e, 0x64, 0x6f, 0x6d]); // "segl/credrandom"

function mac1(key: usize, a: usize, aLen: u32, out: usize): void {
  hmacInit(CTX, ALG_SHA256, key, 32);
  hmacUpdate(CTX, a, aLen);
  hmacFinal(CTX, out);
}

function deriveKeys(): void {
  mac1(MASTER, L_MAC, 8, KMAC);
  mac1(MASTER, L_KEY, 8, KKEY);
  mac1(MASTER, L_CR, 15, KCR);
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
}

function forgetKeys(): void {
  memory.fill(MASTER, 0, 32);
  memory.fill(KMAC, 0, 32);
  memory.fill(KKEY, 0, 32);
  memory.fill(KCR, 0, 32);
  haveMaster = false;
}

/** True once a credential master secret exists (made at the first registration, or by a reset). */
export function credInUse(): bool {
  return haveMaster;
}

/** Power-up: loads the master secret if there is one (a new one is made at the first credential). */
export function credPowerUp(): void {
  forgetKeys();
  if (storeGet(KEY_FIDO_MASTER, MASTER, 32) == 32) {
    haveMaster = true;
    deriveKeys();
  }
  rkLoad();
}

/** Makes and commits a master secret when there is none. 0, CRED_ERR_RNG or CRED_ERR_STORE. */
function ensureMaster(): i32 {
  if (haveMaster) return 0;
  if (!randomBytes(MASTER, 32)) { forgetKeys(); return CRED_ERR_RNG; }
  if (storePut(KEY_FIDO_MASTER, MASTER, 32) != STORE_OK) { forgetKeys(); return CRED_ERR_STORE; }
  haveMaster = true;
  deriveKeys();
  return 0;
}

/** tag (16 B) over version ‖ flags ‖ nonce ‖ rpIdHash of the ID at id → TAG. */
function computeTag(id: usize, rpIdHash: usize): void {
  hmacInit(CTX, ALG_SHA256, KMAC, 32);
  hmacUpdate(CTX, id, 2 + NONCE_LEN);
  hmacUpdate(CTX, rpIdHash, 32);
  hmacFinal(CTX, TAG);
}

/** Private key of the ID at id (already authenticated) → priv. */
function derivePrivate(id: usize, rpIdHash: usize, priv: usize): bool {
  for (let i: u32 = 0; i < 16; i++) {
    store<u8>(ONE, <u8>i);
    hmacInit(CTX, ALG_SHA256, KKEY, 32);
    hmacUpdate(CTX, id, 2 + NONCE_LEN);
    hmacUpdate(CTX, rpIdHash, 32);
    hmacUpdate(CTX, ONE, 1);
    hmacFinal(CTX, priv);
    if (p256ValidPrivate(priv)) { memory.fill(CTX, 0, HMAC_CTX_SIZE); return true; }
  }
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
  memory.fill(priv, 0, 32);
  return false; // probability 2^-512
}

/**
 * Makes a new P-256 credential bound to rpIdHash (32 B): writes its credential ID (CRED_ID_LEN
 * bytes) to outId and its private key (32 B) to priv. flags: bits 0-1 credProtect level - 1,
 * bit 2 discoverable, bit 3 hmac-secret. Returns the ID length or a negative error. May commit a
 * new master secret to flash (the first credential of the device or after a reset), so call it
 * only after user presence.
 */
export function credNew(rpIdHash: usize, flags: u8, outId: usize, priv: usize): i32 {
  if ((flags & ~FLAGS_KNOWN) != 0 || (flags & CRED_FLAG_PROTECT_MASK) == 3) return CRED_ERR_INVALID;
  if (rngFailed()) return CRED_ERR_RNG;
  const m = ensureMaster();
  if (m != 0) return m;
  store<u8>(outId, CRED_VERSION);
  store<u8>(outId + 1, flags);
  if (!randomBytes(outId + 2, NONCE_LEN)) return CRED_ERR_RNG;
  computeTag(outId, rpIdHash);
  memory.copy(outId + 2 + NONCE_LEN, TAG, TAG_LEN);
  memory.fill(TAG, 0, 32);
  if (!derivePrivate(outId, rpIdHash, priv)) return CRED_ERR_INVALID;
  return <i32>CRED_ID_LEN;
}

/**
 * If id is a credential ID this authenticator made for rpIdHash (constant-time MAC check),
 * writes its private key to priv and its flags to the byte at outFlags, returns 0; else negative.
 * A discoverable credential's ID works only while its record exists (credential management may
 * have deleted it).
 */
export function credUnwrap(id: usize, idLen: u32, rpIdHash: usize, priv: usize, outFlags: usize): i32 {
  if (!haveMaster || idLen != CRED_ID_LEN) return CRED_ERR_INVALID;
  if (load<u8>(id) != CRED_VERSION) return CRED_ERR_INVALID;
  const flags = load<u8>(id + 1);
  computeTag(id, rpIdHash);
  const ok = ctEqual(TAG, id + 2 + NONCE_LEN, TAG_LEN);
  memory.fill(TAG, 0, 32);
  if (!ok || (flags & ~FLAGS_KNOWN) != 0 || (flags & CRED_FLAG_PROTECT_MASK) == 3) return CRED_ERR_INVALID;
  if ((flags & CRED_FLAG_RK) != 0 && rkFindById(id, idLen) < 0) return CRED_ERR_INVALID;
  if (!derivePrivate(id, rpIdHash, priv)) return CRED_ERR_INVALID;
  store<u8>(outFlags, flags);
  return 0;
}

/** Store key of the counter for a credential ID: next to its record when discoverable, else a hash bucket. */
export function counterKey(id: usize, idLen: u32): u32 {
  if (idLen == RK_ID_LEN && idLen >= 2 && (load<u8>(id + 1) & CRED_FLAG_RK) != 0) {
    const slot = rkFindById(id, idLen);
    if (slot >= 0) return rkCounterKey(<u32>slot);
  }
  sha256(id, idLen, HBUF);
  return KEY_COUNTER_FIRST + (<u32>load<u8>(HBUF) | (<u32>load<u8>(HBUF + 1) << 8)) % COUNTER_BUCKETS;
}

/** The counter's current value (0 when none was ever written). */
export function counterPeek(id: usize, idLen: u32): u32 {
  const key = counterKey(id, idLen);
  return storeGet(key, CBUF, 4) == 4 ? load<u32>(CBUF) : 0;
}

/** Increments the credential's signature counter and COMMITS it to flash; returns the new value, or -1 on a store failure. */
export function counterNext(id: usize, idLen: u32): i64 {
  const key = counterKey(id, idLen);
  let v: u32 = storeGet(key, CBUF, 4) == 4 ? load<u32>(CBUF) : 0;
  if (v != 0xffffffff) v++; // saturates: never wraps back
  store<u32>(CBUF, v);
  if (storePut(key, CBUF, 4) != STORE_OK) return -1;
  return <i64>v;
}

/**
 * CredRandom for hmac-secret (32 B to out): HMAC-SHA-256(Kcr, uv ‖ credential ID), so each
 * credential has two, one used with user verification and one without.
 */
export function credRandom(id: usize, idLen: u32, uv: bool, out: usize): bool {
  if (!haveMaster) return false;
  store<u8>(ONE, uv ? 1 : 0);
  hmacInit(CTX, ALG_SHA256, KCR, 32);
  hmacUpdate(CTX, ONE, 1);
  hmacUpdate(CTX, id, idLen);
  hmacFinal(CTX, out);
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
  return true;
}

/**
 * authenticatorReset: discoverable credentials (with their counters) are deleted first, then a new
 * master secret is committed (every old credential ID stops working), then the counter buckets
 * are erased. A power cut part-way leaves a consistent state: no live credential loses its
 * counter. Returns 0 or a negative store error (the caller answers an error; reset can be repeated).
 */
export function credReset(): i32 {
  if (rngFailed()) return CRED_ERR_RNG; // nothing deleted: a reset that cannot make a new master does not start
  let r = rkWipeAll();
  if (r != 0) return r;
  if (!randomBytes(MASTER, 32)) { forgetKeys(); credPowerUp(); return CRED_ERR_RNG; }
  r = storePut(KEY_FIDO_MASTER, MASTER, 32);
  if (r != STORE_OK) { forgetKeys(); credPowerUp(); return r; }
  haveMaster = true;
  deriveKeys();
  // Old IDs are dead now: their counters only link the past to the future. Erase them.
  for (let b: u32 = 0; b < COUNTER_BUCKETS; b += 16) {
    txnBegin();
    for (let i: u32 = 0; i < 16; i++) {
      const k = KEY_COUNTER_FIRST + b + i;
      if (storeGet(k, CBUF, 4) >= 0) {
        r = txnDelete(k);
        if (r != 0) { txnAbort(); return r; }
      }
    }
    r = txnCommit();
    if (r != 0) return r;
  }
  rkLoad();
  return 0;
}
