// HMAC (RFC 2104 / FIPS 198-1) over SHA-1/256/512. Static memory only.
//
// Three ways in:
//  - hmac(): one-shot. Keeps the ipad/opad chaining values of the last key (≤ 128 bytes) in a
//    one-entry cache, so repeated MACs under one key (TOTP, HOTP) cost 2 compressions, not 4.
//    hmacForget() wipes that cache.
//  - hmacKey() + hmacWithKey(): an explicit precomputed key (HMAC_KEY_SIZE bytes, caller-owned).
//  - hmacInit()/hmacUpdate()/hmacFinal(): streaming (HMAC_CTX_SIZE bytes, caller-owned), e.g.
//    for RFC 6979 / HMAC-DRBG (hmacSha256Init is the SHA-256 shorthand).
import {
  ALG_SHA256, HASH_CTX_SIZE, blockLen, digestLen, hash, hashIV, hashCompress, hashResume,
  hashUpdate, hashFinal,
} from "./hash";
import { HCTX_ALG, HCTX_USED, HCTX_TOTAL, HCTX_STATE } from "./sha256";
import { ctEqual } from "../util/bytes";

/** Precomputed key: +0 u32 alg, +8 inner chaining value (64), +72 outer chaining value (64). */
export const HMAC_KEY_SIZE: u32 = 136;
const HK_ALG: usize = 0;
const HK_IN: usize = 8;
const HK_OUT: usize = 72;

/** Streaming context: an inner hash context followed by the outer chaining value (64). */
export const HMAC_CTX_SIZE: u32 = HASH_CTX_SIZE + 64;
const HC_OUT: usize = <usize>HASH_CTX_SIZE;

const IPAD64: u64 = 0x3636363636363636;
const OPAD64: u64 = 0x5c5c5c5c5c5c5c5c;

const PADBLK: usize = memory.data(128, 16); // K0 ^ pad, wiped after use
const DIG: usize = memory.data(64, 16); // inner digest
const CTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16); // one-shot hash context

// one-entry key cache for hmac()
const CACHE_MAX_KEY: u32 = 128;
const CACHE: usize = memory.data(<i32>HMAC_KEY_SIZE, 16);
const CACHE_KEY: usize = memory.data(<i32>CACHE_MAX_KEY, 16);
let cacheKeyLen: u32 = 0;
let cacheValid: bool = false;

/** Computes the inner and outer chaining values for key. Returns 0, or -1 for an unknown alg. */
function schedule(alg: i32, key: usize, keyLen: u32, inner: usize, outer: usize): i32 {
  const bl = <u32>blockLen(alg);
  if (bl == 0) return -1;
  if (keyLen > bl) {
    const dl = <u32>hash(alg, key, keyLen, PADBLK);
    memory.fill(PADBLK + dl, 0, bl - dl);
  } else {
    memory.copy(PADBLK, key, keyLen);
    memory.fill(PADBLK + keyLen, 0, bl - keyLen);
  }
  for (let i: usize = 0; i < <usize>bl; i += 8) store<u64>(PADBLK + i, load<u64>(PADBLK + i) ^ IPAD64);
  hashIV(alg, inner);
  hashCompress(alg, inner, PADBLK);
  for (let i: usize = 0; i < <usize>bl; i += 8) store<u64>(PADBLK + i, load<u64>(PADBLK + i) ^ (IPAD64 ^ OPAD64));
  hashIV(alg, outer);
  hashCompress(alg, outer, PADBLK);
  memory.fill(PADBLK, 0, 128);
  return 0;
}

/** Precomputes key into kctx (HMAC_KEY_SIZE bytes). Returns 0, or -1 for an unknown alg. */
export function hmacKey(kctx: usize, alg: i32, key: usize, keyLen: u32): i32 {
  if (schedule(alg, key, keyLen, kctx + HK_IN, kctx + HK_OUT) < 0) return -1;
  store<u32>(kctx + HK_ALG, <u32>alg);
  return 0;
}

/** MAC of msg under a precomputed key; writes it to out, returns its length (or -1). */
export function hmacWithKey(kctx: usize, msg: usize, msgLen: u32, out: usize): i32 {
  const alg = <i32>load<u32>(kctx + HK_ALG);
  if (hashResume(CTX, alg, kctx + HK_IN, 1) < 0) return -1;
  hashUpdate(CTX, msg, msgLen);
  const dl = hashFinal(CTX, DIG);
  hashResume(CTX, alg, kctx + HK_OUT, 1);
  hashUpdate(CTX, DIG, <u32>dl);
  return hashFinal(CTX, out);
}

/** Wipes the one-shot key cache. */
export function hmacForget(): void {
  cacheValid = false;
  cacheKeyLen = 0;
  memory.fill(CACHE, 0, HMAC_KEY_SIZE);
  memory.fill(CACHE_KEY, 0, CACHE_MAX_KEY);
}

/** HMAC (RFC 2104) over msg with key; writes the MAC to out; returns its length or -1. */
export function hmac(alg: i32, key: usize, keyLen: u32, msg: usize, msgLen: u32, out: usize): i32 {
  if (!(cacheValid && <i32>load<u32>(CACHE + HK_ALG) == alg && cacheKeyLen == keyLen && ctEqual(CACHE_KEY, key, keyLen))) {
    cacheValid = false;
    if (hmacKey(CACHE, alg, key, keyLen) < 0) return -1;
    if (keyLen <= CACHE_MAX_KEY) {
      memory.copy(CACHE_KEY, key, keyLen);
      cacheKeyLen = keyLen;
      cacheValid = true;
    }
  }
  return hmacWithKey(CACHE, msg, msgLen, out);
}

// ---- streaming ----

/** Starts an HMAC in ctx (HMAC_CTX_SIZE bytes). Returns 0, or -1 for an unknown alg. */
export function hmacInit(ctx: usize, alg: i32, key: usize, keyLen: u32): i32 {
  if (schedule(alg, key, keyLen, ctx + HCTX_STATE, ctx + HC_OUT) < 0) return -1;
  store<u32>(ctx + HCTX_ALG, <u32>alg);
  store<u32>(ctx + HCTX_USED, 0);
  store<u64>(ctx + HCTX_TOTAL, <u64>blockLen(alg));
  return 0;
}

/** Starts an HMAC in ctx from a precomputed key. Returns 0 or -1. */
export function hmacInitWithKey(ctx: usize, kctx: usize): i32 {
  const alg = <i32>load<u32>(kctx + HK_ALG);
  if (hashResume(ctx, alg, kctx + HK_IN, 1) < 0) return -1;
  memory.copy(ctx + HC_OUT, kctx + HK_OUT, 64);
  return 0;
}

export function hmacUpdate(ctx: usize, p: usize, n: u32): void {
  hashUpdate(ctx, p, n);
}

/** Finishes the MAC into out; returns its length, or -1 if ctx is not an HMAC context.
 * Wipes the outer key state; re-initialise ctx before reuse. */
export function hmacFinal(ctx: usize, out: usize): i32 {
  const alg = <i32>load<u32>(ctx + HCTX_ALG);
  const dl = hashFinal(ctx, DIG);
  if (dl < 0) return -1;
  hashResume(ctx, alg, ctx + HC_OUT, 1);
  memory.fill(ctx + HC_OUT, 0, 64); // key-equivalent: do not leave it behind
  hashUpdate(ctx, DIG, <u32>dl);
  return hashFinal(ctx, out);
}

// ---- HMAC-SHA-256 shorthands (ECDSA nonces, HKDF) ----
export function hmacSha256Init(ctx: usize, key: usize, keyLen: u32): void {
  hmacInit(ctx, ALG_SHA256, key, keyLen);
}
export function hmacSha256Update(ctx: usize, p: usize, n: u32): void {
  hashUpdate(ctx, p, n);
}
export function hmacSha256Final(ctx: usize, out: usize): void {
  hmacFinal(ctx, out);
}
/** Digest length of alg (re-exported for callers sizing MAC buffers). */
export function macLen(alg: i32): i32 {
  return digestLen(alg);
}

/** Zeroes the inner digest, the one-shot context and the key cache. */
export function hmacWipe(): void {
  memory.fill(DIG, 0, 64);
  memory.fill(CTX, 0, HASH_CTX_SIZE);
  hmacForget();
}
