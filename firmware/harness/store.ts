// Test-only image for the key-value store: thin wrappers over storage/store.ts so tests can drive
// the store through its own Device and NorFlash. Self-contained: boot does nothing (the tests
// mount explicitly), so no other firmware code touches the flash.
import { inIo } from "../assembly/io";
import {
  storeMount, storeFormat, storeGet, txnBegin, txnPut, txnDelete, txnCommit, txnAbort, storePut,
  storeFreeBytes, storeMaxEraseCount, storeMinEraseCount, storeWasRecovered, storeKeyCount,
  storeMaxValue, storeActivePages,
} from "../assembly/storage/store";

const ERR_ARG: i32 = -100;

export { io_ptr, io_size, boot, button, uart_rx, tick } from "./lib/inert";


export function store_mount(): i32 { return storeMount(); }
export function store_format(): i32 { return storeFormat(); }
export function store_get(key: u32, out: usize, max: u32): i32 {
  if (!inIo(out, max)) return ERR_ARG;
  return storeGet(key, out, max);
}
export function txn_begin(): void { txnBegin(); }
export function txn_put(key: u32, src: usize, len: u32): i32 {
  if (!inIo(src, len)) return ERR_ARG;
  return txnPut(key, src, len);
}
export function txn_delete(key: u32): i32 { return txnDelete(key); }
export function txn_commit(): i32 { return txnCommit(); }
export function txn_abort(): void { txnAbort(); }
export function store_put(key: u32, src: usize, len: u32): i32 {
  if (!inIo(src, len)) return ERR_ARG;
  return storePut(key, src, len);
}
export function store_free_bytes(): u32 { return storeFreeBytes(); }
export function store_max_erase_count(): u32 { return storeMaxEraseCount(); }
export function store_min_erase_count(): u32 { return storeMinEraseCount(); }
export function store_was_recovered(): i32 { return storeWasRecovered() ? 1 : 0; }
export function store_key_count(): u32 { return storeKeyCount(); }
export function store_max_value(): u32 { return storeMaxValue(); }
export function store_active_pages(): u32 { return storeActivePages(); }
