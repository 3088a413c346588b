// Every export of the image: boot, events, tick, and pure functions for known-answer tests.
import "./abort";
import { IO_BUF, IO_SIZE } from "./io";
import { deviceBoot, deviceButton, deviceTick, deviceUartRx, deviceHidRx } from "./device";
import { secretsWipe } from "./platform/secrets";
import { updateBegin, updateData, updateFinish, updateAbort } from "./update/receiver";
import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "./version";

/** Address of the exchange buffer. */
export function io_ptr(): usize { return IO_BUF; }
/** Size of the exchange buffer in bytes. */
export function io_size(): u32 { return IO_SIZE; }
export function fw_version(): u32 { return (<u32>FIRMWARE_MAJOR << 16) | (<u32>FIRMWARE_MINOR << 8) | <u32>FIRMWARE_PATCH; }

// ---- device events ----
/** Power-on: mounts storage and starts the model. Returns 0, or a negative fault code. */
export function boot(): i32 { const r = deviceBoot(); secretsWipe(); return r; }
/** Button `id` went down (1) or up (0). */
export function button(id: u32, down: u32): void { deviceButton(id, down); secretsWipe(); }
/** `len` bytes arrived on the UART; they are in the exchange buffer. */
export function uart_rx(len: u32): void {
  const n = len > IO_SIZE ? IO_SIZE : len;
  deviceUartRx(n);
  memory.fill(IO_BUF, 0, n); // input may carry secrets (a seed, a batch key): it does not linger
  secretsWipe();
}
/** One HID output report (64 bytes) from the host is in the exchange buffer. */
export function hid_rx(len: u32): void {
  const n = len > IO_SIZE ? IO_SIZE : len;
  deviceHidRx(n);
  memory.fill(IO_BUF, 0, n);
  secretsWipe();
}
/** The wake-up time asked for through hal.wake_at has come. */
export function tick(): void { deviceTick(); secretsWipe(); }

// ---- the update receiver (docs/image-format.md): header and payload bytes in the exchange buffer ----
/** The image header (`len` = 128) is in the exchange buffer: bytes already received, or UPDATE_ERR_*. */
export function update_begin(len: u32): i32 { return updateBegin(IO_BUF, len); }
/** Payload bytes [offset, offset + len) are in the exchange buffer: the new count, or UPDATE_ERR_*. */
export function update_data(offset: u32, len: u32): i32 { return updateData(offset, IO_BUF, len > IO_SIZE ? IO_SIZE : len); }
/** All payload bytes received: 0 (the slot is pending) or UPDATE_ERR_*. */
export function update_finish(): i32 { return updateFinish(); }
export function update_abort(): void { updateAbort(); }

// ---- pure functions (known-answer tests, benchmarks): see pure.ts ----
export { crypto_hash, crypto_hmac, otp_hotp, otp_totp, otp_ocra } from "./pure";
