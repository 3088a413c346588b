// SHA-1 (FIPS 180-4 §6.1). Needed by HOTP/TOTP/OCRA and RFC 2202; not for new signatures.
// Context layout: see hashctx.ts (shared by every hash; buffering and padding in hash.ts).
import { HASH_CTX_SIZE, HCTX_ALG, HCTX_USED, HCTX_TOTAL, HCTX_STATE } from "./hashctx";
import { hashUpdate, hashFinal } from "./hash";

export const SHA1_CTX_SIZE: u32 = HASH_CTX_SIZE;
export const SHA1_DIGEST_LEN: u32 = 20;
export const SHA1_BLOCK_LEN: u32 = 64;

const IV: usize = memory.data<u32>([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0], 16);

/** Message schedule scratch (80 words). */
const W: usize = memory.data(320, 16);

const K0: u32 = 0x5a827999;
const K1: u32 = 0x6ed9eba1;
const K2: u32 = 0x8f1bbcdc;
const K3: u32 = 0xca62c1d6;

// @ts-ignore: decorator
@inline function fch(x: u32, y: u32, z: u32): u32 { return z ^ (x & (y ^ z)); }
// @ts-ignore: decorator
@inline function fpar(x: u32, y: u32, z: u32): u32 { return x ^ y ^ z; }
// @ts-ignore: decorator
@inline function fmaj(x: u32, y: u32, z: u32): u32 { return (x & y) | (z & (x | y)); }

export function sha1IV(state: usize): void {
  memory.copy(state, IV, 20);
}

/** One compression: state (5 native-order u32) ← F(state, 64-byte block at blk). */
export function sha1Compress(state: usize, blk: usize): void {
  for (let i: usize = 0; i < 64; i += 4) store<u32>(W + i, bswap<u32>(load<u32>(blk + i)));
  for (let i: usize = 64; i < 320; i += 4) {
    store<u32>(W + i, rotl<u32>(load<u32>(W + i - 12) ^ load<u32>(W + i - 32) ^ load<u32>(W + i - 56) ^ load<u32>(W + i - 64), 1));
  }
  let a = load<u32>(state, 0), b = load<u32>(state, 4), c = load<u32>(state, 8);
  let d = load<u32>(state, 12), e = load<u32>(state, 16);
  // One round per iteration, the working variables shuffled; one loop per round function.
  let w = W;
  for (let end = W + 80; w < end; w += 4) {
    const t = rotl<u32>(a, 5) + fch(b, c, d) + e + K0 + load<u32>(w);
    e = d; d = c; c = rotl<u32>(b, 30); b = a; a = t;
  }
  for (let end = W + 160; w < end; w += 4) {
    const t = rotl<u32>(a, 5) + fpar(b, c, d) + e + K1 + load<u32>(w);
    e = d; d = c; c = rotl<u32>(b, 30); b = a; a = t;
  }
  for (let end = W + 240; w < end; w += 4) {
    const t = rotl<u32>(a, 5) + fmaj(b, c, d) + e + K2 + load<u32>(w);
    e = d; d = c; c = rotl<u32>(b, 30); b = a; a = t;
  }
  for (let end = W + 320; w < end; w += 4) {
    const t = rotl<u32>(a, 5) + fpar(b, c, d) + e + K3 + load<u32>(w);
    e = d; d = c; c = rotl<u32>(b, 30); b = a; a = t;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
}

// ---- streaming API ----

export function sha1Init(ctx: usize): void {
  store<u32>(ctx + HCTX_ALG, 1);
  store<u32>(ctx + HCTX_USED, 0);
  store<u64>(ctx + HCTX_TOTAL, 0);
  memory.copy(ctx + HCTX_STATE, IV, 20);
}

export function sha1Update(ctx: usize, p: usize, n: u32): void {
  hashUpdate(ctx, p, n);
}

/** Pads, writes the 20-byte digest to out. */
export function sha1Final(ctx: usize, out: usize): void {
  hashFinal(ctx, out);
}

/** Zeroes the message schedule (it held the last block hashed). */
export function sha1Wipe(): void {
  memory.fill(W, 0, 320);
}
