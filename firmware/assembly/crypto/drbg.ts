// HMAC_DRBG (NIST SP 800-90A Rev. 1 §10.1.2) with HMAC-SHA-256, security strength 256 bits.
// The state lives in caller-owned static memory (DRBG_STATE_SIZE bytes): +0 Key (32),
// +32 V (32), +64 reseed_counter (u64), +72 instantiated flag (u32).
// No prediction resistance flag: callers that want it reseed before generating.
import { hmacInit, hmacUpdate, hmacFinal, HMAC_CTX_SIZE } from "./hmac";
import { ALG_SHA256 } from "./hash";

export const DRBG_STATE_SIZE: u32 = 80;
export const DRBG_OK: i32 = 0;
/** Entropy input shorter than 32 bytes, or a request longer than DRBG_MAX_REQUEST. */
export const DRBG_ERR_LENGTH: i32 = -1;
/** reseed_counter passed the reseed interval: call drbgReseed first. */
export const DRBG_ERR_RESEED: i32 = -2;
/** Not instantiated. */
export const DRBG_ERR_STATE: i32 = -3;
/** The MAC failed. */
export const DRBG_ERR_INTERNAL: i32 = -4;

export const DRBG_MIN_ENTROPY: u32 = 32;
/** max_number_of_bits_per_request = 2^19. */
export const DRBG_MAX_REQUEST: u32 = 65536;
/** reseed_interval = 2^48. */
const RESEED_INTERVAL: u64 = 1 << 48;

const S_K: usize = 0;
const S_V: usize = 32;
const S_CTR: usize = 64;
const S_INIT: usize = 72;

const CTX: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const SEP: usize = memory.data(4, 16);

/** out = HMAC(K, V [‖ sep ‖ p1 ‖ p2 ‖ p3]); sep < 0 omits the separator and the data. */
function mac(st: usize, out: usize, sep: i32, p1: usize, l1: u32, p2: usize, l2: u32, p3: usize, l3: u32): bool {
  if (hmacInit(CTX, ALG_SHA256, st + S_K, 32) < 0) return false;
  hmacUpdate(CTX, st + S_V, 32);
  if (sep >= 0) {
    store<u8>(SEP, <u8>sep);
    hmacUpdate(CTX, SEP, 1);
    if (l1 != 0) hmacUpdate(CTX, p1, l1);
    if (l2 != 0) hmacUpdate(CTX, p2, l2);
    if (l3 != 0) hmacUpdate(CTX, p3, l3);
  }
  const ok = hmacFinal(CTX, out) == 32;
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
  return ok;
}

/** HMAC_DRBG_Update(provided_data = p1 ‖ p2 ‖ p3). */
function update(st: usize, p1: usize, l1: u32, p2: usize, l2: u32, p3: usize, l3: u32): bool {
  if (!mac(st, st + S_K, 0x00, p1, l1, p2, l2, p3, l3)) return false;
  if (!mac(st, st + S_V, -1, 0, 0, 0, 0, 0, 0)) return false;
  if (<u64>l1 + <u64>l2 + <u64>l3 == 0) return true;
  if (!mac(st, st + S_K, 0x01, p1, l1, p2, l2, p3, l3)) return false;
  return mac(st, st + S_V, -1, 0, 0, 0, 0, 0, 0);
}

/** Instantiate with entropy (≥ 32 bytes), nonce and personalization string (either may be
 * empty). Returns DRBG_OK or a negative DRBG_ERR_*. */
export function drbgInstantiate(st: usize, ent: usize, entLen: u32, nonce: usize, nonceLen: u32, pers: usize, persLen: u32): i32 {
  store<u32>(st + S_INIT, 0);
  if (entLen < DRBG_MIN_ENTROPY) return DRBG_ERR_LENGTH;
  memory.fill(st + S_K, 0x00, 32);
  memory.fill(st + S_V, 0x01, 32);
  if (!update(st, ent, entLen, nonce, nonceLen, pers, persLen)) { memory.fill(st, 0, DRBG_STATE_SIZE); return DRBG_ERR_INTERNAL; }
  store<u64>(st + S_CTR, 1);
  store<u32>(st + S_INIT, 1);
  return DRBG_OK;
}

/** Reseed with fresh entropy (≥ 32 bytes) and optional additional input. */
export function drbgReseed(st: usize, ent: usize, entLen: u32, add: usize, addLen: u32): i32 {
  if (load<u32>(st + S_INIT) != 1) return DRBG_ERR_STATE;
  if (entLen < DRBG_MIN_ENTROPY) return DRBG_ERR_LENGTH;
  if (!update(st, ent, entLen, add, addLen, 0, 0)) { memory.fill(st, 0, DRBG_STATE_SIZE); return DRBG_ERR_INTERNAL; }
  store<u64>(st + S_CTR, 1);
  return DRBG_OK;
}

/** Writes outLen (≤ 65536) pseudo-random bytes to out, with optional additional input. */
export function drbgGenerate(st: usize, out: usize, outLen: u32, add: usize, addLen: u32): i32 {
  if (load<u32>(st + S_INIT) != 1) return DRBG_ERR_STATE;
  if (outLen > DRBG_MAX_REQUEST) return DRBG_ERR_LENGTH;
  const ctr = load<u64>(st + S_CTR);
  if (ctr > RESEED_INTERVAL) return DRBG_ERR_RESEED;
  if (addLen != 0 && !update(st, add, addLen, 0, 0, 0, 0)) return fail(st);
  let done: u32 = 0;
  while (done < outLen) {
    if (!mac(st, st + S_V, -1, 0, 0, 0, 0, 0, 0)) return fail(st);
    const n = outLen - done < 32 ? outLen - done : 32;
    memory.copy(out + done, st + S_V, n);
    done += n;
  }
  if (!update(st, add, addLen, 0, 0, 0, 0)) return fail(st);
  store<u64>(st + S_CTR, ctr + 1);
  return DRBG_OK;
}

/** Wipes the state (uninstantiate). */
export function drbgUninstantiate(st: usize): void {
  memory.fill(st, 0, DRBG_STATE_SIZE);
}

function fail(st: usize): i32 {
  memory.fill(st, 0, DRBG_STATE_SIZE);
  return DRBG_ERR_INTERNAL;
}
