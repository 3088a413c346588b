// AES-256 (FIPS-197) and CBC without padding (SP 800-38A), as the CTAP PIN/UV auth protocols use.
//
// Constant time: no table look-ups and no branches on secret data. The S-box is computed: the
// GF(2^8) inverse x^254 by an addition chain of 11 multiplications, then the affine map. Bytes
// are processed eight at a time as lanes of a u64 (SWAR), so one SubBytes is two lane-parallel
// inversions. This is slower than T-tables (see docs/cbor.md for figures) but CTAP encrypts a
// few blocks per request, and table look-ups leak the key through the cache on real MCUs too.
//
// State layout: four u32 columns, little endian, so column c byte r = state[r + 4c] = input
// byte r + 4c. Round keys use the same layout: 15 × 16 bytes = 240 bytes.

export const AES256_KEY_LEN: u32 = 32;
export const AES_BLOCK: u32 = 16;
export const AES256_SCHEDULE_LEN: u32 = 240;
export const AES_ERR_LENGTH: i32 = -1;

const LO: u64 = 0x0101010101010101;
const H7: u64 = 0x7f7f7f7f7f7f7f7f;

/** Multiplies each byte lane by x (0x02) in GF(2^8) mod x^8+x^4+x^3+x+1. */
@inline function xtime8(a: u64): u64 {
  return ((a & H7) << 1) ^ (((a >> 7) & LO) * 0x1b);
}

/** Lane-wise GF(2^8) product of eight byte pairs (a fixed 8-step loop: no data-dependent branch). */
function gmul8(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 8; i++) {
    r ^= a & (((b >> i) & LO) * 0xff);
    a = xtime8(a);
  }
  return r;
}

/** Lane-wise square. Squaring is linear over GF(2): bit i of a contributes x^(2i) mod the
 *  polynomial, i.e. 0x01 0x04 0x10 0x40 0x1b 0x6c 0xab 0x9a for i = 0..7. (Unrolled: it runs
 *  seven times per S-box, and a loop form saves 28 bytes for a 2.3× slower AES.) */
function gsq8(a: u64): u64 {
  return (a & LO)
    ^ (((a >> 1) & LO) * 0x04)
    ^ (((a >> 2) & LO) * 0x10)
    ^ (((a >> 3) & LO) * 0x40)
    ^ (((a >> 4) & LO) * 0x1b)
    ^ (((a >> 5) & LO) * 0x6c)
    ^ (((a >> 6) & LO) * 0xab)
    ^ (((a >> 7) & LO) * 0x9a);
}

/** Lane-wise inverse in GF(2^8) (0 ↦ 0): x^254, 7 squarings and 4 multiplications. */
function ginv8(x: u64): u64 {
  const x2 = gsq8(x);
  const x3 = gmul8(x2, x);
  const x6 = gsq8(x3);
  const x12 = gsq8(x6);
  const x15 = gmul8(x12, x3);
  let t = gsq8(x15); // x^30
  t = gsq8(t); // x^60
  t = gsq8(t); // x^120
  t = gsq8(t); // x^240
  t = gmul8(t, x12); // x^252
  return gmul8(t, x2); // x^254
}

/** Lane-wise rotate left of each byte by k (1..7). */
@inline function rotb(x: u64, k: u32): u64 {
  const hiMask: u64 = LO * <u64>((<u32>0xff << k) & 0xff);
  return ((x << k) & hiMask) | ((x >> (8 - k)) & ~hiMask);
}

/** Lane-wise S-box. */
function sub8(x: u64): u64 {
  const y = ginv8(x);
  return y ^ rotb(y, 1) ^ rotb(y, 2) ^ rotb(y, 3) ^ rotb(y, 4) ^ (LO * 0x63);
}

/** Lane-wise inverse S-box. */
function invSub8(x: u64): u64 {
  const y = rotb(x, 1) ^ rotb(x, 3) ^ rotb(x, 6) ^ (LO * 0x05);
  return ginv8(y);
}

@inline function rotr32(x: u32, k: u32): u32 { return rotr<u32>(x, k); }

@inline function xtime4(a: u32): u32 {
  return ((a & 0x7f7f7f7f) << 1) ^ (((a >> 7) & 0x01010101) * 0x1b);
}

/** MixColumns of one column word: out_r = 2a_r ^ 3a_{r+1} ^ a_{r+2} ^ a_{r+3}. */
function mix(w: u32): u32 {
  const r1 = rotr32(w, 8);
  return xtime4(w ^ r1) ^ r1 ^ rotr32(w, 16) ^ rotr32(w, 24);
}

/** InvMixColumns = MixColumns after adding 4·(a_r ^ a_{r+2}) to every byte. */
function invMix(w: u32): u32 {
  const t = xtime4(xtime4(w ^ rotr32(w, 16)));
  return mix(w ^ t);
}

/** Expands a 32-byte key into the 240-byte schedule at rk. */
export function aes256ExpandKey(rk: usize, key: usize): void {
  for (let i: usize = 0; i < 8; i++) store<u32>(rk + (i << 2), load<u32>(key + (i << 2)));
  let rcon: u32 = 1;
  for (let i: usize = 8; i < 60; i++) {
    let t = load<u32>(rk + ((i - 1) << 2));
    if ((i & 7) == 0) {
      t = <u32>sub8(<u64>rotr32(t, 8)) ^ rcon;
      rcon = xtime4(rcon) & 0xff;
    } else if ((i & 7) == 4) {
      t = <u32>sub8(<u64>t);
    }
    store<u32>(rk + (i << 2), load<u32>(rk + ((i - 8) << 2)) ^ t);
  }
}

/** Encrypts one 16-byte block (src and dst may be the same). */
export function aes256EncryptBlock(rk: usize, src: usize, dst: usize): void {
  let c0 = load<u32>(src) ^ load<u32>(rk);
  let c1 = load<u32>(src, 4) ^ load<u32>(rk, 4);
  let c2 = load<u32>(src, 8) ^ load<u32>(rk, 8);
  let c3 = load<u32>(src, 12) ^ load<u32>(rk, 12);
  for (let round: usize = 1; round <= 14; round++) {
    // SubBytes
    const a = sub8(<u64>c0 | (<u64>c1 << 32));
    const b = sub8(<u64>c2 | (<u64>c3 << 32));
    const s0 = <u32>a, s1 = <u32>(a >> 32), s2 = <u32>b, s3 = <u32>(b >> 32);
    // ShiftRows: row r of column c comes from column c + r
    let n0 = (s0 & 0x000000ff) | (s1 & 0x0000ff00) | (s2 & 0x00ff0000) | (s3 & 0xff000000);
    let n1 = (s1 & 0x000000ff) | (s2 & 0x0000ff00) | (s3 & 0x00ff0000) | (s0 & 0xff000000);
    let n2 = (s2 & 0x000000ff) | (s3 & 0x0000ff00) | (s0 & 0x00ff0000) | (s1 & 0xff000000);
    let n3 = (s3 & 0x000000ff) | (s0 & 0x0000ff00) | (s1 & 0x00ff0000) | (s2 & 0xff000000);
    if (round != 14) {
      n0 = mix(n0); n1 = mix(n1); n2 = mix(n2); n3 = mix(n3);
    }
    const k = rk + (round << 4);
    c0 = n0 ^ load<u32>(k);
    c1 = n1 ^ load<u32>(k, 4);
    c2 = n2 ^ load<u32>(k, 8);
    c3 = n3 ^ load<u32>(k, 12);
  }
  store<u32>(dst, c0);
  store<u32>(dst, c1, 4);
  store<u32>(dst, c2, 8);
  store<u32>(dst, c3, 12);
}

/** Decrypts one 16-byte block (src and dst may be the same). */
export function aes256DecryptBlock(rk: usize, src: usize, dst: usize): void {
  let k = rk + (14 << 4);
  let c0 = load<u32>(src) ^ load<u32>(k);
  let c1 = load<u32>(src, 4) ^ load<u32>(k, 4);
  let c2 = load<u32>(src, 8) ^ load<u32>(k, 8);
  let c3 = load<u32>(src, 12) ^ load<u32>(k, 12);
  for (let round: isize = 13; round >= 0; round--) {
    // InvShiftRows: row r of column c comes from column c - r
    const n0 = (c0 & 0x000000ff) | (c3 & 0x0000ff00) | (c2 & 0x00ff0000) | (c1 & 0xff000000);
    const n1 = (c1 & 0x000000ff) | (c0 & 0x0000ff00) | (c3 & 0x00ff0000) | (c2 & 0xff000000);
    const n2 = (c2 & 0x000000ff) | (c1 & 0x0000ff00) | (c0 & 0x00ff0000) | (c3 & 0xff000000);
    const n3 = (c3 & 0x000000ff) | (c2 & 0x0000ff00) | (c1 & 0x00ff0000) | (c0 & 0xff000000);
    const a = invSub8(<u64>n0 | (<u64>n1 << 32));
    const b = invSub8(<u64>n2 | (<u64>n3 << 32));
    k = rk + (<usize>round << 4);
    c0 = <u32>a ^ load<u32>(k);
    c1 = <u32>(a >> 32) ^ load<u32>(k, 4);
    c2 = <u32>b ^ load<u32>(k, 8);
    c3 = <u32>(b >> 32) ^ load<u32>(k, 12);
    if (round != 0) {
      c0 = invMix(c0); c1 = invMix(c1); c2 = invMix(c2); c3 = invMix(c3);
    }
  }
  store<u32>(dst, c0);
  store<u32>(dst, c1, 4);
  store<u32>(dst, c2, 8);
  store<u32>(dst, c3, 12);
}

const SCHEDULE: usize = memory.data(<i32>AES256_SCHEDULE_LEN, 16);

/** AES-256-CBC encryption of len bytes (a multiple of 16, may be 0) with the caller's 16-byte IV.
 *  src == dst (in place) is allowed; other overlaps are not. Returns len, or AES_ERR_LENGTH. */
export function aes256CbcEncrypt(key: usize, iv: usize, src: usize, len: u32, dst: usize): i32 {
  if ((len & 15) != 0 || len > 0x7fffffff) return AES_ERR_LENGTH;
  aes256ExpandKey(SCHEDULE, key);
  let x0 = load<u64>(iv);
  let x1 = load<u64>(iv, 8);
  for (let off: usize = 0; off < <usize>len; off += 16) {
    store<u64>(dst + off, load<u64>(src + off) ^ x0);
    store<u64>(dst + off, load<u64>(src + off, 8) ^ x1, 8);
    aes256EncryptBlock(SCHEDULE, dst + off, dst + off);
    x0 = load<u64>(dst + off);
    x1 = load<u64>(dst + off, 8);
  }
  memory.fill(SCHEDULE, 0, AES256_SCHEDULE_LEN);
  return <i32>len;
}

/** AES-256-CBC decryption; same rules as aes256CbcEncrypt. */
export function aes256CbcDecrypt(key: usize, iv: usize, src: usize, len: u32, dst: usize): i32 {
  if ((len & 15) != 0 || len > 0x7fffffff) return AES_ERR_LENGTH;
  aes256ExpandKey(SCHEDULE, key);
  let x0 = load<u64>(iv);
  let x1 = load<u64>(iv, 8);
  for (let off: usize = 0; off < <usize>len; off += 16) {
    const y0 = load<u64>(src + off);
    const y1 = load<u64>(src + off, 8);
    aes256DecryptBlock(SCHEDULE, src + off, dst + off);
    store<u64>(dst + off, load<u64>(dst + off) ^ x0);
    store<u64>(dst + off, load<u64>(dst + off, 8) ^ x1, 8);
    x0 = y0;
    x1 = y1;
  }
  memory.fill(SCHEDULE, 0, AES256_SCHEDULE_LEN);
  return <i32>len;
}
