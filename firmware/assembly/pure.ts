// Pure functions the image exports for known-answer tests and benchmarks. Inputs and outputs are
// pointers into the exchange buffer chosen by the caller; they touch no device state and no stored
// secret, so they cannot read a seed out.
import { inIo } from "./io";
import { hash } from "./crypto/hash";
import { hmac } from "./crypto/hmac";
import { hotpValue } from "./otp/hotp";
import { totpValue } from "./otp/totp";
import { ocra } from "./otp/ocra";

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
