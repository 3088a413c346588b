// Test-only image for the hash/HMAC/OTP known-answer tests: the streaming APIs and the key
// cache, which the main image does not export. Self-contained (does not pull in the device
// models) so the crypto tests do not depend on the rest of the firmware.
import { inIo } from "../assembly/io";
import { hash, hashInit, hashUpdate, hashFinal, HASH_CTX_SIZE } from "../assembly/crypto/hash";
import {
  hmac, hmacKey, hmacWithKey, hmacInit, hmacUpdate, hmacFinal, hmacForget, HMAC_CTX_SIZE, HMAC_KEY_SIZE,
} from "../assembly/crypto/hmac";
import { sha256 } from "../assembly/crypto/sha256";
import { crc32Update } from "../assembly/util/crc32";
import { hotpValue } from "../assembly/otp/hotp";
import { totpValue } from "../assembly/otp/totp";
import { ocra, ocraMac } from "../assembly/otp/ocra";

const HCTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16);
const MCTX: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const MKEY: usize = memory.data(<i32>HMAC_KEY_SIZE, 16);

export { io_ptr, io_size, boot, button, uart_rx, tick } from "./lib/inert";


// the same exports as the main image
export { crypto_hash, crypto_hmac, otp_hotp, otp_totp, otp_ocra } from "../assembly/pure";

// ---- harness-only ----
export function kat_ocra_mac(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64, out: usize,
): i32 {
  if (!inIo(out, 64)) return -2;
  return ocraMac(suite, suiteLen, key, keyLen, counter, q, qLen, pinHash, pinHashLen, session, sessionLen, timeSteps, out);
}
export function kat_hash_init(alg: i32): i32 { return hashInit(HCTX, alg); }
export function kat_hash_update(p: usize, n: u32): void { if (inIo(p, n)) hashUpdate(HCTX, p, n); }
export function kat_hash_final(out: usize): i32 { return inIo(out, 64) ? hashFinal(HCTX, out) : -2; }
export function kat_hmac_init(alg: i32, key: usize, keyLen: u32): i32 {
  return inIo(key, keyLen) ? hmacInit(MCTX, alg, key, keyLen) : -2;
}
export function kat_hmac_update(p: usize, n: u32): void { if (inIo(p, n)) hmacUpdate(MCTX, p, n); }
export function kat_hmac_final(out: usize): i32 { return inIo(out, 64) ? hmacFinal(MCTX, out) : -2; }
export function kat_hmac_key(alg: i32, key: usize, keyLen: u32): i32 {
  return inIo(key, keyLen) ? hmacKey(MKEY, alg, key, keyLen) : -2;
}
export function kat_hmac_with_key(msg: usize, len: u32, out: usize): i32 {
  return inIo(msg, len) && inIo(out, 64) ? hmacWithKey(MKEY, msg, len, out) : -2;
}
export function kat_hmac_forget(): void { hmacForget(); }
export function kat_sha256(p: usize, n: u32, out: usize): void { if (inIo(p, n) && inIo(out, 32)) sha256(p, n, out); }
/** CRC-32 of io[p..p+n) continued from crc (the store's and the UART frames' checksum). */
export function kat_crc32(crc: u32, p: usize, n: u32): u32 { return inIo(p, n) ? crc32Update(crc, p, n) : 0; }
/** n CRCs of the same buffer in one call (benchmark without per-call host overhead). */
export function kat_crc32_loop(p: usize, len: u32, n: u32): u32 {
  if (!inIo(p, len)) return 0;
  let c: u32 = 0;
  for (let i: u32 = 0; i < n; i++) c ^= crc32Update(0, p, len);
  return c;
}
