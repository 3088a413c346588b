// Test-only image for the CTAP2 core: boots like the main image (storage mounted by boot()), starts
// the FIDO side, and exposes ctap2Dispatch over the exchange buffer.
// Exchange buffer layout: request at offset 0 (≤ 4096 B), response at offset 4096 (≤ 4096 B).
import { IO_BUF, IO_SIZE } from "../assembly/io";
export { io_ptr, io_size, button, uart_rx, tick } from "../assembly/main";
import { deviceBoot } from "../assembly/device";
import { ctap2Dispatch, ctap2PowerUp } from "../assembly/fido/ctap2";
import { credPowerUp, counterPeek, counterKey } from "../assembly/fido/credential";
import { storePut, STORE_OK } from "../assembly/storage/store";
import { pinPowerUp, pinRetries, pinIsSet } from "../assembly/fido/pin";
import { attestationProvision } from "../assembly/fido/attestation";
import { NEED_UP } from "../assembly/fido/status";
import { secretsWipe } from "../assembly/platform/secrets";

const HALF: u32 = IO_SIZE / 2;

export function boot(): i32 {
  const r = deviceBoot();
  credPowerUp();
  pinPowerUp();
  ctap2PowerUp();
  return r;
}

/** Runs the request at io[0..len); the response goes to io[4096..]. Returns its length or NEED_UP (-1000). */
export function ctap2_call(len: u32, upGranted: u32): i32 {
  if (len > HALF) return -2;
  const n = ctap2Dispatch(IO_BUF, len, upGranted != 0, IO_BUF + HALF, HALF);
  secretsWipe(); // as the image does after every event
  return n;
}

/** Like ctap2_call with an output buffer of only outMax bytes (truncation tests). */
export function ctap2_call_max(len: u32, upGranted: u32, outMax: u32): i32 {
  if (len > HALF || outMax > HALF) return -2;
  const n = ctap2Dispatch(IO_BUF, len, upGranted != 0, IO_BUF + HALF, outMax);
  secretsWipe();
  return n;
}

export function need_up(): i32 { return NEED_UP; }

/** Provisions the batch key (io[keyOff..+32]) and certificate (io[certOff..+certLen]). */
export function att_provision(keyOff: u32, certOff: u32, certLen: u32): i32 {
  if (keyOff + 32 > IO_SIZE || certOff > IO_SIZE || certLen > IO_SIZE - certOff) return -100;
  return attestationProvision(IO_BUF + keyOff, IO_BUF + certOff, certLen);
}

/** The stored signature counter of the credential ID at io[off..+len]. */
export function counter_peek(off: u32, len: u32): u32 {
  if (off > IO_SIZE || len > IO_SIZE - off) return 0;
  return counterPeek(IO_BUF + off, len);
}

/** Test set-up: stores `value` as the signature counter of the credential ID at io[off..+len] (0 = stored). */
export function counter_poke(off: u32, len: u32, value: u32): i32 {
  if (off + 4 > IO_SIZE || len > IO_SIZE - off - 4) return -100;
  store<u32>(IO_BUF + off + len, value);
  return storePut(counterKey(IO_BUF + off, len), IO_BUF + off + len, 4) == STORE_OK ? 0 : -1;
}

/** PIN state for the fuzzers' invariants: retries | (PIN set ? 0x100 : 0). */
export function pin_state(): u32 {
  return pinRetries() | (pinIsSet() ? 0x100 : 0);
}
