// Test harness for U2F (fido/u2f.ts): boots like the main image (storage mounted), then powers
// up the credential module. APDUs at io+0, responses at io+4096. Pointers must lie inside the
// exchange buffer; -100 otherwise.
export { io_ptr, io_size, button, uart_rx, tick } from "../assembly/main";
import { boot as mainBoot } from "../assembly/main";
import { IO_BUF, IO_SIZE } from "../assembly/io";
import { u2fDispatch, derSignature } from "../assembly/fido/u2f";
import { credPowerUp, credReset, counterPeek } from "../assembly/fido/credential";
import { attestationProvision } from "../assembly/fido/attestation";
import { upLatch, upClear } from "../assembly/platform/presence";

const ERR_PTR: i32 = -100;
const OUT_OFF: u32 = 4096;

function inIo(ptr: usize, len: u32): bool {
  return ptr >= IO_BUF && <u64>ptr + <u64>len <= <u64>IO_BUF + <u64>IO_SIZE;
}

export function boot(): i32 {
  const r = mainBoot();
  credPowerUp();
  upClear();
  return r;
}

/** One APDU (len bytes at io+0); the response (data ‖ SW) at io+4096; returns its length. */
export function u2f_call(len: u32): i32 {
  if (len > OUT_OFF) return ERR_PTR;
  return u2fDispatch(IO_BUF, len, IO_BUF + OUT_OFF, IO_SIZE - OUT_OFF);
}
/** Same with a small output buffer (robustness). */
export function u2f_call_max(len: u32, outMax: u32): i32 {
  if (len > OUT_OFF || outMax > IO_SIZE - OUT_OFF) return ERR_PTR;
  return u2fDispatch(IO_BUF, len, IO_BUF + OUT_OFF, outMax);
}
export function u2f_out_off(): u32 { return OUT_OFF; }
/** A touch of the button (latched for U2F). */
export function up_latch(): void { upLatch(); }
export function up_clear(): void { upClear(); }
export function cred_reset(): i32 { return credReset(); }
export function counter_peek(id: usize, len: u32): u32 {
  if (!inIo(id, len)) return 0xffffffff;
  return counterPeek(id, len);
}
export function att_provision(key: usize, cert: usize, certLen: u32): i32 {
  if (!inIo(key, 32) || !inIo(cert, certLen)) return ERR_PTR;
  return attestationProvision(key, cert, certLen);
}
export function der_signature(rs: usize, out: usize): i32 {
  if (!inIo(rs, 64) || !inIo(out, 72)) return ERR_PTR;
  return <i32>derSignature(rs, out);
}
