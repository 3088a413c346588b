// Hash algorithm identifiers shared by HMAC, OTP and the service protocol, and a generic
// (alg-dispatching) one-shot and streaming API over sha1/sha256/sha512.
// Contexts are HASH_CTX_SIZE bytes of caller-owned static memory (layout in hashctx.ts).
import { HASH_CTX_SIZE, HCTX_ALG, HCTX_USED, HCTX_TOTAL, HCTX_STATE, HCTX_BUF } from "./hashctx";
import { sha256Init, sha256Compress, sha256IV } from "./sha256";
import { sha1Init, sha1Compress, sha1IV } from "./sha1";
import { sha512Init, sha512Compress, sha512IV } from "./sha512";

export { HASH_CTX_SIZE };

export const ALG_SHA1: i32 = 1;
export const ALG_SHA256: i32 = 2;
export const ALG_SHA512: i32 = 3;

/** Largest digest / block / chaining state of any supported hash. */
export const MAX_DIGEST_LEN: u32 = 64;
export const MAX_BLOCK_LEN: u32 = 128;
export const MAX_STATE_LEN: u32 = 64;

/** Digest length in bytes, or 0 for an unknown algorithm. */
export function digestLen(alg: i32): i32 {
  if (alg == ALG_SHA1) return 20;
  if (alg == ALG_SHA256) return 32;
  if (alg == ALG_SHA512) return 64;
  return 0;
}

/** Block length in bytes, or 0 for an unknown algorithm. */
export function blockLen(alg: i32): i32 {
  if (alg == ALG_SHA1 || alg == ALG_SHA256) return 64;
  if (alg == ALG_SHA512) return 128;
  return 0;
}

/** Size of the chaining state in bytes (= digest length for these hashes), 0 if unknown. */
export function stateLen(alg: i32): i32 {
  return digestLen(alg);
}

/** Writes the algorithm's initial chaining value (native word order) to state; false if unknown. */
export function hashIV(alg: i32, state: usize): bool {
  if (alg == ALG_SHA1) { sha1IV(state); return true; }
  if (alg == ALG_SHA256) { sha256IV(state); return true; }
  if (alg == ALG_SHA512) { sha512IV(state); return true; }
  return false;
}

/** One compression of a full block into state. alg must be valid. */
export function hashCompress(alg: i32, state: usize, block: usize): void {
  if (alg == ALG_SHA256) sha256Compress(state, block);
  else if (alg == ALG_SHA1) sha1Compress(state, block);
  else sha512Compress(state, block);
}

/** Starts a hash in ctx. Returns 0, or -1 for an unknown algorithm (ctx untouched). */
export function hashInit(ctx: usize, alg: i32): i32 {
  if (alg == ALG_SHA256) sha256Init(ctx);
  else if (alg == ALG_SHA1) sha1Init(ctx);
  else if (alg == ALG_SHA512) sha512Init(ctx);
  else return -1;
  return 0;
}

/**
 * Starts ctx from an intermediate chaining value `state` (native word order) reached after
 * `blocks` whole blocks: used by HMAC to resume from precomputed ipad/opad states.
 * Returns 0 or -1 for an unknown algorithm.
 */
export function hashResume(ctx: usize, alg: i32, state: usize, blocks: u32): i32 {
  const sl = stateLen(alg);
  if (sl == 0) return -1;
  store<u32>(ctx + HCTX_ALG, <u32>alg);
  store<u32>(ctx + HCTX_USED, 0);
  store<u64>(ctx + HCTX_TOTAL, <u64>blocks * <u64>blockLen(alg));
  memory.copy(ctx + HCTX_STATE, state, <usize>sl);
  return 0;
}

/** Feeds n bytes at p into a context set up by hashInit/hashResume (one buffering code for
 *  every algorithm; an unknown algorithm does nothing). */
export function hashUpdate(ctx: usize, p: usize, n: u32): void {
  const alg = <i32>load<u32>(ctx + HCTX_ALG);
  const bl = <u32>blockLen(alg);
  if (bl == 0) return;
  const st = ctx + HCTX_STATE, buf = ctx + HCTX_BUF;
  let used = load<u32>(ctx + HCTX_USED);
  store<u64>(ctx + HCTX_TOTAL, load<u64>(ctx + HCTX_TOTAL) + <u64>n);
  if (used != 0) {
    const take = min<u32>(bl - used, n);
    memory.copy(buf + used, p, take);
    used += take; p += take; n -= take;
    if (used < bl) { store<u32>(ctx + HCTX_USED, used); return; }
    hashCompress(alg, st, buf);
  }
  while (n >= bl) { hashCompress(alg, st, p); p += bl; n -= bl; }
  if (n != 0) memory.copy(buf, p, n);
  store<u32>(ctx + HCTX_USED, n);
}

/** Pads (64-bit length; 128-bit for SHA-512), writes the digest to out; returns the digest
 *  length, or -1 if ctx holds no valid algorithm. The context must be re-initialised before reuse. */
export function hashFinal(ctx: usize, out: usize): i32 {
  const alg = <i32>load<u32>(ctx + HCTX_ALG);
  const bl = <u32>blockLen(alg);
  if (bl == 0) return -1;
  const st = ctx + HCTX_STATE, buf = ctx + HCTX_BUF;
  const lenAt = bl - 8; // the low 64 bits of the bit length; SHA-512's high 64 bits (zero here) precede them
  const total = load<u64>(ctx + HCTX_TOTAL);
  let used = load<u32>(ctx + HCTX_USED);
  store<u8>(buf + used, 0x80);
  used++;
  if (used > bl - (bl >> 3)) {
    memory.fill(buf + used, 0, bl - used);
    hashCompress(alg, st, buf);
    used = 0;
  }
  memory.fill(buf + used, 0, lenAt - used);
  store<u64>(buf + lenAt, bswap<u64>(total << 3));
  if (alg == ALG_SHA512) store<u64>(buf + lenAt - 8, bswap<u64>(total >>> 61));
  hashCompress(alg, st, buf);
  const dl = digestLen(alg);
  if (alg == ALG_SHA512) {
    for (let i: usize = 0; i < 64; i += 8) store<u64>(out + i, bswap<u64>(load<u64>(st + i)));
  } else {
    for (let i: usize = 0; i < <usize>dl; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(st + i)));
  }
  return dl;
}

const ONESHOT: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

/** Hashes len bytes at msg into out; returns the digest length, or -1 for an unknown alg. */
export function hash(alg: i32, msg: usize, len: u32, out: usize): i32 {
  if (hashInit(ONESHOT, alg) < 0) return -1;
  hashUpdate(ONESHOT, msg, len);
  return hashFinal(ONESHOT, out);
}

/** Zeroes the one-shot context. */
export function hashWipe(): void {
  memory.fill(ONESHOT, 0, HASH_CTX_SIZE);
}
