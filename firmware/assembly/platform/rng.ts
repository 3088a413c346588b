// Randomness: the only caller of hal.rng_fill. The TRNG's bytes pass the NIST SP 800-90B §4.4
// continuous health tests on every draw (and a start-up test over STARTUP_SAMPLES at boot); they
// seed and reseed an HMAC-DRBG (SP 800-90A, crypto/drbg.ts) personalised with the device serial,
// and every random byte the firmware uses comes from that DRBG. A HAL error, a short fill or a
// failed health test latches a failure for the rest of the power cycle: randomBytes() then
// answers false and zero bytes, and every caller refuses to make a key, a nonce, a token or a PIN.
// Numbers and their derivation: docs/hal.md "Randomness".
import { rng_fill, HAL_OK } from "../hal";
import { drbgInstantiate, drbgReseed, drbgGenerate, drbgUninstantiate, DRBG_STATE_SIZE, DRBG_OK } from "../crypto/drbg";
import { secret } from "./secrets";

/** Claimed min-entropy of one TRNG byte (bits), the H of SP 800-90B; a porting parameter. */
export const H_BITS: u32 = 4;
/** Repetition count test cutoff: 1 + ceil(40 / H) for a false-alarm rate of 2^-40. */
export const RCT_CUTOFF: u32 = 11;
/** Adaptive proportion test: window of 512 byte samples, cutoff 1 + CRITBINOM(512, 2^-H, 1 - 2^-40). */
export const APT_WINDOW: u32 = 512;
export const APT_CUTOFF: u32 = 78;
/** Start-up test: this many samples pass both tests (and are discarded) before the first seed. */
export const STARTUP_SAMPLES: u32 = 1024;
/** Entropy input for a seed or reseed: 256 bits at H bits per byte; nonce: 128 bits. */
const ENTROPY_BYTES: u32 = 256 / H_BITS;
const NONCE_BYTES: u32 = 128 / H_BITS;
/** The DRBG is reseeded from the TRNG after this many requests. */
export const RESEED_INTERVAL: u32 = 128;
/** Every request also takes this many fresh TRNG bytes (health-tested) as additional input, so
 * the source is tested on every draw and a failure stops the very next key. */
const FRESH_BYTES: u32 = 16;

export const RNG_OK: u32 = 0;
export const RNG_FAIL_HAL: u32 = 1; // rng_fill returned an error
export const RNG_FAIL_SHORT: u32 = 2; // rng_fill filled fewer bytes than asked
export const RNG_FAIL_RCT: u32 = 3; // repetition count test
export const RNG_FAIL_APT: u32 = 4; // adaptive proportion test
export const RNG_FAIL_DRBG: u32 = 5; // the DRBG refused (not seeded, or its MAC failed)

const CHUNK: u32 = 64;
const RAW_LEN: u32 = FRESH_BYTES + ENTROPY_BYTES + NONCE_BYTES;
const RAW: usize = secret(memory.data(<i32>RAW_LEN, 16), RAW_LEN);
const STATE: usize = memory.data(<i32>DRBG_STATE_SIZE, 16);
const LABEL: usize = memory.data<u8>([0x73, 0x65, 0x67, 0x6c, 0x2f, 0x72, 0x6e, 0x67]); // "segl/rng"
const PERS: usize = memory.data(8 + 32, 8);

/** The latched failure (RNG_OK while the source is healthy). */
export let rngFailure: u32 = RNG_OK;
let requests: u32 = 0;
// health test state, continuous across draws
let rctLast: i32 = -1;
let rctCount: u32 = 0;
let aptRef: i32 = -1;
let aptSeen: u32 = 0;
let aptCount: u32 = 0;

function latch(why: u32): bool {
  if (rngFailure == RNG_OK) rngFailure = why;
  drbgUninstantiate(STATE);
  return false;
}

/** One sample through both health tests; false (latched) on a failure. */
function health(b: i32): bool {
  if (b == rctLast) {
    if (++rctCount >= RCT_CUTOFF) return latch(RNG_FAIL_RCT);
  } else { rctLast = b; rctCount = 1; }
  if (aptSeen == 0) { aptRef = b; aptCount = 1; }
  else if (b == aptRef) { if (++aptCount >= APT_CUTOFF) return latch(RNG_FAIL_APT); }
  if (++aptSeen == APT_WINDOW) aptSeen = 0;
  return true;
}

/** len raw TRNG bytes into dst, each health-tested. False (latched) on any failure. */
function trng(dst: usize, len: u32): bool {
  if (rngFailure != RNG_OK) return false;
  let off: u32 = 0;
  while (off < len) {
    const n = min<u32>(CHUNK, len - off);
    const r = rng_fill(dst + off, n);
    if (r < HAL_OK) return latch(RNG_FAIL_HAL);
    if (r != HAL_OK) return latch(RNG_FAIL_SHORT); // 0 < r < n: only r bytes were written
    for (let i: u32 = 0; i < n; i++) if (!health(<i32>load<u8>(dst + off + i))) return false;
    off += n;
  }
  return true;
}

/** Boot: start-up health test, then a DRBG seeded from the TRNG and personalised with `serial`. */
export function rngBoot(serial: usize, serialLen: u32): void {
  rngFailure = RNG_OK;
  requests = 0;
  rctLast = -1; rctCount = 0; aptSeen = 0; aptCount = 0;
  drbgUninstantiate(STATE);
  for (let i: u32 = 0; i < STARTUP_SAMPLES; i += CHUNK) if (!trng(RAW, CHUNK)) return;
  if (!trng(RAW, ENTROPY_BYTES + NONCE_BYTES)) return;
  const sl = min<u32>(serialLen, 32);
  memory.copy(PERS, LABEL, 8);
  memory.copy(PERS + 8, serial, sl);
  if (drbgInstantiate(STATE, RAW, ENTROPY_BYTES, RAW + ENTROPY_BYTES, NONCE_BYTES, PERS, 8 + sl) != DRBG_OK) latch(RNG_FAIL_DRBG);
  memory.fill(RAW, 0, ENTROPY_BYTES + NONCE_BYTES);
}

/** True once the source failed in this power cycle (INFO/STATUS report it). */
export function rngFailed(): bool {
  return rngFailure != RNG_OK;
}

/**
 * len bytes from the DRBG into dst (reseeded from the health-tested TRNG every RESEED_INTERVAL
 * requests). False, with dst zeroed, when the source has failed: the caller must refuse.
 */
export function randomBytes(dst: usize, len: u32): bool {
  let ok = trng(RAW, FRESH_BYTES);
  if (ok && ++requests >= RESEED_INTERVAL) {
    ok = trng(RAW + FRESH_BYTES, ENTROPY_BYTES);
    if (ok && drbgReseed(STATE, RAW + FRESH_BYTES, ENTROPY_BYTES, 0, 0) != DRBG_OK) ok = latch(RNG_FAIL_DRBG);
    requests = 0;
  }
  if (ok && drbgGenerate(STATE, dst, len, RAW, FRESH_BYTES) != DRBG_OK) ok = latch(RNG_FAIL_DRBG);
  memory.fill(RAW, 0, FRESH_BYTES + ENTROPY_BYTES);
  if (!ok) memory.fill(dst, 0, len);
  return ok;
}
