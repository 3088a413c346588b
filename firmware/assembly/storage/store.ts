// CONTRACT (helper B fills in): log-structured key-value store over the HAL flash.
// Keys are u16 (0..0xFFFE); values 0..MAX_VALUE bytes. All writes go through transactions:
// a transaction is all-or-nothing across power loss.
export const MAX_VALUE: u32 = 1024;
export const STORE_OK: i32 = 0;
export const STORE_NOT_FOUND: i32 = -1;
export const STORE_TOO_LARGE: i32 = -2;
export const STORE_FULL: i32 = -3;
export const STORE_FLASH: i32 = -4;
export const STORE_CORRUPT: i32 = -5;
export const STORE_NO_TXN: i32 = -6;

/** Mounts the store (formats blank flash, recovers after power loss). */
export function storeMount(): i32 { return STORE_FLASH; }
/** Erases everything and writes a fresh, empty store. */
export function storeFormat(): i32 { return STORE_FLASH; }
/** Copies the value of key into out (at most max bytes); returns its length or STORE_NOT_FOUND. */
export function storeGet(key: u32, out: usize, max: u32): i32 { return STORE_NOT_FOUND; }
export function txnBegin(): void {}
/** Stages a put (value copied now). */
export function txnPut(key: u32, src: usize, len: u32): i32 { return STORE_FLASH; }
export function txnDelete(key: u32): i32 { return STORE_FLASH; }
/** Writes the staged records atomically; 0 when durable. */
export function txnCommit(): i32 { return STORE_FLASH; }
export function txnAbort(): void {}
/** One-record transaction. */
export function storePut(key: u32, src: usize, len: u32): i32 {
  txnBegin();
  const r = txnPut(key, src, len);
  if (r < 0) { txnAbort(); return r; }
  return txnCommit();
}
