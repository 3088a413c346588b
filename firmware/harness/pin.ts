// Test harness for clientPIN (fido/pin.ts), the PIN/UV auth protocols and HKDF. Boots like the
// main image (storage mounted) and then powers up the PIN module. Every pointer must lie inside
// the exchange buffer; -100 otherwise.
export { io_ptr, io_size, button, uart_rx, tick } from "../assembly/main";
import { boot as mainBoot } from "../assembly/main";
import { IO_BUF, IO_SIZE } from "../assembly/io";
import {
  clientPinCommand, pinPowerUp, pinReset, pinIsSet, pinMinLength, pinProtocolSupported, pinCheckAuth, pinTokenUsed,
  pinSharedFromCose, pinSharedVerify, pinSharedDecrypt, pinSharedEncrypt, pinRetries,
} from "../assembly/fido/pin";
import { hkdf } from "../assembly/crypto/hkdf";
import { buf } from "../assembly/platform/buffer";

/** The rest of the exchange buffer from ptr on, as a Buf. */
function ioBuf(ptr: usize): u64 { return buf(ptr, <u32>(IO_BUF + IO_SIZE - ptr)); }

const ERR_PTR: i32 = -100;
/** Requests go at offset 0, responses at OUT_OFF of the exchange buffer. */
const OUT_OFF: u32 = 4096;

function inIo(ptr: usize, len: u32): bool {
  return ptr >= IO_BUF && <u64>ptr + <u64>len <= <u64>IO_BUF + <u64>IO_SIZE;
}

export function boot(): i32 {
  const r = mainBoot();
  pinPowerUp();
  return r;
}

/** clientPIN with the request (CBOR map) at io+0; the response (status ‖ CBOR) at io+4096. */
export function pin_cmd(len: u32): i32 {
  if (len > OUT_OFF) return ERR_PTR;
  return clientPinCommand(IO_BUF, len, IO_BUF + OUT_OFF, IO_SIZE - OUT_OFF);
}
export function pin_out_off(): u32 { return OUT_OFF; }
export function pin_check_auth(
  protocol: u32, permission: u32, rpId: usize, rpIdLen: u32, msg: usize, msgLen: u32, param: usize, paramLen: u32,
): i32 {
  if (!inIo(rpId, rpIdLen) || !inIo(msg, msgLen) || !inIo(param, paramLen)) return ERR_PTR;
  return <i32>pinCheckAuth(protocol, permission, rpId, rpIdLen, msg, msgLen, param, paramLen);
}
export function pin_token_used(): void { pinTokenUsed(); }
export function pin_power_up(): void { pinPowerUp(); }
export function pin_reset(): i32 { return pinReset(); }
export function pin_is_set(): i32 { return pinIsSet() ? 1 : 0; }
export function pin_retries(): u32 { return pinRetries(); }
export function pin_min_length(): u32 { return pinMinLength(); }
export function pin_protocol_supported(p: u32): i32 { return pinProtocolSupported(p) ? 1 : 0; }
export function pin_shared_from_cose(protocol: u32, cose: usize, len: u32): i32 {
  if (!inIo(cose, len)) return ERR_PTR;
  return <i32>pinSharedFromCose(protocol, cose, len);
}
export function pin_shared_verify(msg: usize, len: u32, sig: usize, sigLen: u32): i32 {
  if (!inIo(msg, len) || !inIo(sig, sigLen)) return ERR_PTR;
  return pinSharedVerify(msg, len, sig, sigLen) ? 1 : 0;
}
export function pin_shared_decrypt(ct: usize, len: u32, out: usize): i32 {
  if (!inIo(ct, len) || !inIo(out, 0)) return ERR_PTR;
  return pinSharedDecrypt(ct, len, ioBuf(out));
}
export function pin_shared_encrypt(pt: usize, len: u32, out: usize): i32 {
  if (!inIo(pt, len) || !inIo(out, 0)) return ERR_PTR;
  return pinSharedEncrypt(pt, len, ioBuf(out));
}
export function hkdf_sha256(salt: usize, saltLen: u32, ikm: usize, ikmLen: u32, info: usize, infoLen: u32, out: usize, outLen: u32): i32 {
  if (!inIo(salt, saltLen) || !inIo(ikm, ikmLen) || !inIo(info, infoLen)) return ERR_PTR;
  if (outLen <= 255 * 32 && !inIo(out, outLen)) return ERR_PTR;
  return hkdf(salt, saltLen, ikm, ikmLen, info, infoLen, out, outLen);
}

// Test-only: a deliberate overflow for the guard-region test (firmware/test/guards.test.ts). Writes
// n bytes of 0x41 into a 32-byte static buffer with no capacity check, as the pre-fix newPin() did.
const OVERFLOW_DEMO: usize = memory.data(32, 16);
export function overflow_demo(n: u32): u32 {
  if (n > 64) return 0;
  memory.fill(OVERFLOW_DEMO, 0x41, n);
  return n;
}
