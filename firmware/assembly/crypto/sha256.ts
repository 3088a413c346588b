// SHA-256 (FIPS 180-4 §6.2). Static memory only: no allocation, no per-call table setup.
//
// Hash contexts: layout in hashctx.ts (re-exported here).

import { HASH_CTX_SIZE, HCTX_ALG, HCTX_USED, HCTX_TOTAL, HCTX_STATE, HCTX_BUF } from "./hashctx";
import { hashUpdate, hashFinal } from "./hash";
export { HASH_CTX_SIZE, HCTX_ALG, HCTX_USED, HCTX_TOTAL, HCTX_STATE, HCTX_BUF };

export const SHA256_CTX_SIZE: u32 = HASH_CTX_SIZE;
export const SHA256_DIGEST_LEN: u32 = 32;
export const SHA256_BLOCK_LEN: u32 = 64;

const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
], 16);

const IV: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
], 16);

/** Message schedule scratch (64 words). */
const W: usize = memory.data(256, 16);

// @ts-ignore: decorator
@inline function bs0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
// @ts-ignore: decorator
@inline function bs1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
// @ts-ignore: decorator
@inline function ch(x: u32, y: u32, z: u32): u32 { return z ^ (x & (y ^ z)); }
// @ts-ignore: decorator
@inline function maj(x: u32, y: u32, z: u32): u32 { return (x & y) | (z & (x | y)); }

/** Writes the initial chaining value (8 native-order words) to state. */
export function sha256IV(state: usize): void {
  memory.copy(state, IV, 32);
}

/** One compression: state (8 native-order u32) ← F(state, 64-byte block at blk). */
export function sha256Compress(state: usize, blk: usize): void {
  for (let i: usize = 0; i < 64; i += 4) store<u32>(W + i, bswap<u32>(load<u32>(blk + i)));
  for (let i: usize = 64; i < 256; i += 4) {
    const w15 = load<u32>(W + i - 60);
    const w2 = load<u32>(W + i - 8);
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(W + i, load<u32>(W + i - 64) + s0 + load<u32>(W + i - 28) + s1);
  }
  let a = load<u32>(state, 0), b = load<u32>(state, 4), c = load<u32>(state, 8), d = load<u32>(state, 12);
  let e = load<u32>(state, 16), f = load<u32>(state, 20), g = load<u32>(state, 24), h = load<u32>(state, 28);
  // One round per iteration, the working variables shuffled (an eight-round unrolled body is
  // about 0.7 KiB more image for a few per cent of hashing speed).
  for (let i: usize = 0; i < 256; i += 4) {
    const t1 = h + bs1(e) + ch(e, f, g) + load<u32>(K + i) + load<u32>(W + i);
    const t2 = bs0(a) + maj(a, b, c);
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

// ---- streaming API (ctx = HASH_CTX_SIZE bytes of caller-owned static memory; the buffering and
// the padding are shared by the three hashes: hashUpdate / hashFinal in hash.ts) ----

export function sha256Init(ctx: usize): void {
  store<u32>(ctx + HCTX_ALG, 2);
  store<u32>(ctx + HCTX_USED, 0);
  store<u64>(ctx + HCTX_TOTAL, 0);
  memory.copy(ctx + HCTX_STATE, IV, 32);
}

export function sha256Update(ctx: usize, p: usize, n: u32): void {
  hashUpdate(ctx, p, n);
}

/** Pads, writes the 32-byte digest to out. The context must be re-initialised before reuse. */
export function sha256Final(ctx: usize, out: usize): void {
  hashFinal(ctx, out);
}

const ONESHOT: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

/** One-shot SHA-256 of n bytes at p into out (32 bytes). The context and the message schedule are
 *  wiped: the message may be a secret (a new PIN, found left in RAM by the auth fuzzer). */
export function sha256(p: usize, n: u32, out: usize): void {
  sha256Init(ONESHOT);
  sha256Update(ONESHOT, p, n);
  sha256Final(ONESHOT, out);
  memory.fill(ONESHOT, 0, HASH_CTX_SIZE);
  memory.fill(W, 0, 256);
}

/** Zeroes the message schedule and the one-shot context (they held the last block hashed). */
export function sha256Wipe(): void {
  memory.fill(W, 0, 256);
  memory.fill(ONESHOT, 0, HASH_CTX_SIZE);
}
