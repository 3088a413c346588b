// Every export of the image: boot, events, tick, and pure functions for known-answer tests.
import "./abort";
import { IO_BUF, IO_SIZE, inIo } from "./io";
import { hash, ALG_SHA1 } from "./crypto/hash";
import { hmac } from "./crypto/hmac";
import { hotpValue } from "./otp/hotp";
import { totpValue } from "./otp/totp";
import { ocra } from "./otp/ocra";
import { deviceBoot, deviceButton, deviceTick, deviceUartRx, deviceHidRx } from "./device";

import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "./version";

/** Address of the exchange buffer. */
export function io_ptr(): usize { return IO_BUF; }
/** Size of the exchange buffer in bytes. */
export function io_size(): u32 { return IO_SIZE; }
export function fw_version(): u32 { return (<u32>FIRMWARE_MAJOR << 16) | (<u32>FIRMWARE_MINOR << 8) | <u32>FIRMWARE_PATCH; }

// ---- device events ----
/** Power-on: mounts storage and starts the model. Returns 0, or a negative fault code. */
export function boot(): i32 { return deviceBoot(); }
/** Button `id` went down (1) or up (0). */
export function button(id: u32, down: u32): void { deviceButton(id, down); }
/** `len` bytes arrived on the UART; they are in the exchange buffer. */
export function uart_rx(len: u32): void { deviceUartRx(len > IO_SIZE ? IO_SIZE : len); }
/** One HID output report (64 bytes) from the host is in the exchange buffer. */
export function hid_rx(len: u32): void { deviceHidRx(len > IO_SIZE ? IO_SIZE : len); }
/** The wake-up time asked for through hal.wake_at has come. */
export function tick(): void { deviceTick(); }

// ---- pure functions (known-answer tests, benchmarks). Inputs and outputs are pointers into
// the exchange buffer chosen by the caller; they touch no device state. ----
export function crypto_hash(alg: i32, msg: usize, len: u32, out: usize): i32 {
  if (!inIo(msg, len) || !inIo(out, 64)) return -2;
  return hash(alg, msg, len, out);
}
export function crypto_hmac(alg: i32, key: usize, keyLen: u32, msg: usize, msgLen: u32, out: usize): i32 {
  if (!inIo(key, keyLen) || !inIo(msg, msgLen) || !inIo(out, 64)) return -2;
  return hmac(alg, key, keyLen, msg, msgLen, out);
}
export function otp_hotp(alg: i32, key: usize, keyLen: u32, counter: u64, digits: i32): i32 {
  if (!inIo(key, keyLen)) return -2;
  return hotpValue(alg, key, keyLen, counter, digits);
}
export function otp_totp(alg: i32, key: usize, keyLen: u32, unixSec: u64, period: u32, digits: i32): i32 {
  if (!inIo(key, keyLen)) return -2;
  return totpValue(alg, key, keyLen, unixSec, period, digits);
}
export function otp_ocra(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64, out: usize,
): i32 {
  if (!inIo(suite, suiteLen) || !inIo(key, keyLen) || !inIo(q, qLen) || !inIo(pinHash, pinHashLen)
    || !inIo(session, sessionLen) || !inIo(out, 16)) return -2;
  return ocra(suite, suiteLen, key, keyLen, counter, q, qLen, pinHash, pinHashLen, session, sessionLen, timeSteps, out);
}
