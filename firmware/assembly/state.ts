// The device's persistent configuration: what PROVISION, SET_TIME and LOCK write, held in the
// store and mirrored in RAM (except the seed, which is read from flash only when needed).
import { storeGet, txnBegin, txnPut, txnCommit, txnAbort, storeWasDamaged, STORE_OK, STORE_NOT_FOUND } from "./storage/store";
import { rtc_ms } from "./hal";
import { writeU16BE, readU16BE, wipe } from "./util/bytes";

export const KEY_CONFIG: u32 = 0x0010;
export const KEY_SEED: u32 = 0x0011;
export const KEY_TIME: u32 = 0x0012;
export const KEY_LOCK: u32 = 0x0013;
/** The audio reader's settings: language u8, speed u8 (models/audio_reader.ts). */
export const KEY_READER: u32 = 0x0014;

export const MODEL_NONE: u8 = 0;
export const MODEL_CODE_DISPLAY: u8 = 1;
export const MODEL_AUDIO_READER: u8 = 2;
export const MODEL_CHIP: u8 = 3;

export const STATE_BLANK: u8 = 0;
export const STATE_PROVISIONED: u8 = 1;
export const STATE_LOCKED: u8 = 2;

// The LOCK record: PROVISION writes LOCK_OPEN with the configuration; LOCK writes LOCK_SET twice,
// in two transactions, so that the record that says "locked" is never the last one on flash (a
// rotten last record looks like a torn write and would be dropped; the other copy stays).
// Fail closed: a provisioned device is unlocked only while its lock record reads exactly
// LOCK_OPEN and the store found no rot; a device with no configuration but a seed or a lock
// record is locked too. See docs/threat-model.md.
const LOCK_OPEN: u8 = 0x00;
const LOCK_SET: u8 = 0x01;

export const SERIAL_MAX: u32 = 32;
export const SEED_MIN: u32 = 16;
export const SEED_MAX: u32 = 64;

// CONFIG record: model, alg, digits, period(2), serialLen, serial[32]
const CONFIG_SIZE: u32 = 6 + SERIAL_MAX;
const configBuf: usize = memory.data(<i32>CONFIG_SIZE);
const scratch: usize = memory.data(16, 8);

export let provisioned = false;
export let locked = false;
export let timeSet = false;
export let timeOffset: i64 = 0; // unix ms = rtc + offset
export let model: u8 = MODEL_NONE;
export let algorithm: u8 = 0;
export let digits: u8 = 0;
export let period: u32 = 0;
export let serialLen: u32 = 0;
/** Serial bytes (public). */
export const serial: usize = configBuf + 6;

/** Loads everything from the store into RAM. */
export function loadState(): void {
  provisioned = false;
  locked = false;
  timeSet = false;
  model = MODEL_NONE; algorithm = 0; digits = 0; period = 0; serialLen = 0;
  if (storeGet(KEY_CONFIG, configBuf, CONFIG_SIZE) == <i32>CONFIG_SIZE) {
    model = load<u8>(configBuf);
    algorithm = load<u8>(configBuf + 1);
    digits = load<u8>(configBuf + 2);
    period = readU16BE(configBuf + 3);
    serialLen = min<u32>(load<u8>(configBuf + 5), SERIAL_MAX);
    provisioned = true;
  }
  if (storeGet(KEY_TIME, scratch, 8) == 8) {
    timeOffset = load<i64>(scratch);
    timeSet = true;
  }
  store<u8>(scratch, LOCK_SET);
  const lk = storeGet(KEY_LOCK, scratch, 1);
  const open = lk == 1 && load<u8>(scratch) == LOCK_OPEN;
  if (provisioned) locked = !open || storeWasDamaged();
  else locked = storeWasDamaged() || lk != STORE_NOT_FOUND || storeGet(KEY_SEED, scratch, 0) != STORE_NOT_FOUND;
}

export function deviceState(): u8 {
  if (locked) return STATE_LOCKED;
  return provisioned ? STATE_PROVISIONED : STATE_BLANK;
}

/** Writes config and seed in one transaction; RAM follows only when it is durable. */
export function saveProvisioning(
  m: u8, alg: u8, dig: u8, per: u32, ser: usize, serLen: u32, seed: usize, seedLen: u32,
): i32 {
  const rec = scratchConfig;
  store<u8>(rec, m);
  store<u8>(rec + 1, alg);
  store<u8>(rec + 2, dig);
  writeU16BE(rec + 3, per);
  store<u8>(rec + 5, <u8>serLen);
  memory.fill(rec + 6, 0, SERIAL_MAX);
  memory.copy(rec + 6, ser, serLen);
  txnBegin();
  let r = txnPut(KEY_CONFIG, rec, CONFIG_SIZE);
  if (r == STORE_OK) r = txnPut(KEY_SEED, seed, seedLen);
  store<u8>(scratch, LOCK_OPEN);
  if (r == STORE_OK) r = txnPut(KEY_LOCK, scratch, 1);
  if (r != STORE_OK) { txnAbort(); return r; }
  r = txnCommit();
  if (r != STORE_OK) return r;
  loadState();
  return STORE_OK;
}
const scratchConfig: usize = memory.data(<i32>CONFIG_SIZE);

export function saveTime(unixMs: i64): i32 {
  store<i64>(scratch, unixMs - rtc_ms());
  return saveOne(KEY_TIME, scratch, 8);
}

export function saveLock(): i32 {
  store<u8>(scratch, LOCK_SET);
  const r = saveOne(KEY_LOCK, scratch, 1);
  if (r != STORE_OK) return r;
  store<u8>(scratch, LOCK_SET);
  return saveOne(KEY_LOCK, scratch, 1); // the second copy (see LOCK_SET); locked already if it fails
}

/** Commits one record; RAM follows only when it is durable. */
export function saveOne(key: u32, src: usize, len: u32): i32 {
  txnBegin();
  let r = txnPut(key, src, len);
  if (r != STORE_OK) { txnAbort(); return r; }
  r = txnCommit();
  if (r != STORE_OK) return r;
  loadState();
  return STORE_OK;
}

/** Device Unix time in ms (valid only when timeSet). */
export function nowUnixMs(): i64 {
  return rtc_ms() + timeOffset;
}

/** Reads the seed into dst (at least SEED_MAX bytes); returns its length or a negative error. */
export function readSeed(dst: usize): i32 {
  return storeGet(KEY_SEED, dst, SEED_MAX);
}

export function wipeSeed(dst: usize): void {
  wipe(dst, SEED_MAX);
}
