// RFC 6287 OCRA (OATH Challenge-Response Algorithm), computed in the image.
//
// Suite grammar accepted (upper case, exactly as in the RFC):
//   OCRA-1:HOTP-<SHA1|SHA256|SHA512>-<t>:<DataInput>
//   t         = 0 | 4..10                       (0 = no truncation: full MAC, see below)
//   DataInput = [C-]Q<A|N|H><xx>[-P<SHA1|SHA256|SHA512>][-S<nnn>][-T<g><S|M|H>]
//   xx = 04..64 (largest challenge length), nnn = 001..512 (session bytes),
//   g = 1..59 for S and M, 0..48 for H. Optional parts must appear in this order, at most once.
// Message = suite ‖ 0x00 ‖ [C: 8 B big-endian] ‖ Q (128 B) ‖ [P] ‖ [S] ‖ [T: 8 B big-endian];
// the MAC is HMAC-<hash>(key, message), then RFC 4226 dynamic truncation to t digits.
//
// Inputs:
//  - q: the challenge as text. Its length is limited by the 128-byte field (QA ≤ 128 bytes,
//    QH ≤ 256 hex digits, QN ≤ 256 decimal digits), not by xx: RFC 6287's own mutual-mode
//    vectors send 16-character challenges under QA08. QN: decimal digits, converted to the shortest
//    hex string of the number (BigInteger.toString(16); "0" for zero); QH: hex digits used as is;
//    both are left-aligned in the 128-byte field (odd length: the last nibble is the high half of
//    its byte). QA: the bytes themselves, left-aligned. The rest of the field is zero.
//  - pinHash: with -P, must be exactly the P hash's digest length (20/32/64), else OCRA_ERR_PIN.
//  - session: with -Snnn, must be exactly nnn bytes, else OCRA_ERR_SESSION.
//  - counter / timeSteps: used only when the suite names C / T (timeSteps already in the
//    suite's step unit). Inputs the suite does not name are ignored.
// Truncation 0: ocra() returns OCRA_ERR_FULL_MAC and writes nothing; ocraMac() returns the
// full MAC for any suite.
import { ALG_SHA1, ALG_SHA256, ALG_SHA512, digestLen } from "../crypto/hash";
import { hmacInit, hmacUpdate, hmacFinal, HMAC_CTX_SIZE } from "../crypto/hmac";
import { dynamicTruncate, formatDigits, pow10 } from "./digits";

export const OCRA_ERR_SUITE: i32 = -10; // malformed or unsupported suite string
export const OCRA_ERR_CHALLENGE: i32 = -11; // challenge empty, too long, or with invalid characters
export const OCRA_ERR_PIN: i32 = -12; // PIN hash of the wrong length
export const OCRA_ERR_SESSION: i32 = -13; // session information of the wrong length
export const OCRA_ERR_FULL_MAC: i32 = -14; // truncation 0: use ocraMac()

const MAX_SUITE_LEN: u32 = 128;

const HCTX: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const QFIELD: usize = memory.data(128, 16);
const NUM: usize = memory.data(128, 16); // QN conversion: 32 little-endian u32 limbs, then 128 BE bytes
const WORD: usize = memory.data(8, 8);
const ZERO1: usize = memory.data(1, 1);
const MAC: usize = memory.data(64, 16);

// parsed suite (valid only after parseSuite() returned 0)
let sAlg: i32 = 0;
let sDigits: i32 = 0;
let sCounter: bool = false;
let sQFormat: u8 = 0; // 'A' | 'N' | 'H'
let sQMax: u32 = 0; // xx from the suite (validated 4..64, informative only)
let sPinAlg: i32 = 0; // 0 = no P
let sSession: u32 = 0; // 0 = no S
let sTime: bool = false;

// @ts-ignore: decorator
@inline function isDigit(c: u32): bool { return c - 0x30 < 10; }

// ASCII literals as static bytes (no strings at run time)
const L_PREFIX: usize = memory.data<u8>([79, 67, 82, 65, 45, 49, 58, 72, 79, 84, 80, 45]); // "OCRA-1:HOTP-"
const L_SHA1: usize = memory.data<u8>([83, 72, 65, 49]); // "SHA1"
const L_SHA256: usize = memory.data<u8>([83, 72, 65, 50, 53, 54]); // "SHA256"
const L_SHA512: usize = memory.data<u8>([83, 72, 65, 53, 49, 50]); // "SHA512"

/** Are the n bytes at p (p + n ≤ end) equal to the literal lit? */
function matches(p: usize, end: usize, lit: usize, n: usize): bool {
  if (p + n > end) return false;
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(p + i) != load<u8>(lit + i)) return false;
  }
  return true;
}

/** Parses a hash name (SHA1|SHA256|SHA512) filling exactly [p, end); returns alg or 0. */
function hashName(p: usize, end: usize): i32 {
  const n = end - p;
  if (n == 4 && matches(p, end, L_SHA1, 4)) return ALG_SHA1;
  if (n == 6 && matches(p, end, L_SHA256, 6)) return ALG_SHA256;
  if (n == 6 && matches(p, end, L_SHA512, 6)) return ALG_SHA512;
  return 0;
}

/** Decimal number filling exactly [p, end), 1..3 digits; -1 if not. */
function smallNumber(p: usize, end: usize): i32 {
  const n = end - p;
  if (n < 1 || n > 3) return -1;
  let v: i32 = 0;
  for (let i = p; i < end; i++) {
    const c = <u32>load<u8>(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + <i32>(c - 0x30);
  }
  return v;
}

/** Index of the next `sep` at or after p, or end. */
function findSep(p: usize, end: usize, sep: u32): usize {
  while (p < end && <u32>load<u8>(p) != sep) p++;
  return p;
}

/** Parses the suite into the s* globals. Returns 0 or OCRA_ERR_SUITE. */
function parseSuite(suite: usize, len: u32): i32 {
  if (len > MAX_SUITE_LEN) return OCRA_ERR_SUITE;
  const end = suite + len;
  let p = suite;
  if (!matches(p, end, L_PREFIX, 12)) return OCRA_ERR_SUITE;
  p += 12;
  // hash
  let q = findSep(p, end, 0x2d); // '-'
  if (q == end) return OCRA_ERR_SUITE;
  const alg = hashName(p, q);
  if (alg == 0) return OCRA_ERR_SUITE;
  p = q + 1;
  // truncation
  q = findSep(p, end, 0x3a); // ':'
  if (q == end || q - p > 2) return OCRA_ERR_SUITE;
  if (q - p == 2 && load<u8>(p) == 0x30) return OCRA_ERR_SUITE; // no leading zero
  const t = smallNumber(p, q);
  if (t < 0 || (t != 0 && (t < 4 || t > 10))) return OCRA_ERR_SUITE;
  p = q + 1;
  // DataInput
  let counter = false;
  let stage = 0; // 0: before Q, 1: after Q, 2: after P, 3: after S, 4: after T
  let qFmt: u8 = 0;
  let qMax: u32 = 0;
  let pinAlg: i32 = 0;
  let session: u32 = 0;
  let time = false;
  let first = true;
  while (true) {
    q = findSep(p, end, 0x2d);
    const n = q - p;
    if (n == 0) return OCRA_ERR_SUITE; // empty DataInput or "--" or trailing '-'
    const c0 = <u32>load<u8>(p);
    if (first && n == 1 && c0 == 0x43) { // C
      counter = true;
    } else if (stage == 0) {
      if (c0 != 0x51 || n != 4) return OCRA_ERR_SUITE; // Q
      const f = load<u8>(p + 1);
      if (f != 0x41 && f != 0x4e && f != 0x48) return OCRA_ERR_SUITE; // A N H
      const xx = smallNumber(p + 2, q);
      if (xx < 4 || xx > 64) return OCRA_ERR_SUITE;
      qFmt = f;
      qMax = <u32>xx;
      stage = 1;
    } else if (c0 == 0x50 && stage < 2) { // P
      pinAlg = hashName(p + 1, q);
      if (pinAlg == 0) return OCRA_ERR_SUITE;
      stage = 2;
    } else if (c0 == 0x53 && stage < 3) { // S
      if (n != 4) return OCRA_ERR_SUITE;
      const s = smallNumber(p + 1, q);
      if (s < 1 || s > 512) return OCRA_ERR_SUITE;
      session = <u32>s;
      stage = 3;
    } else if (c0 == 0x54 && stage < 4) { // T
      if (n < 3 || n > 4) return OCRA_ERR_SUITE;
      const unit = <u32>load<u8>(q - 1);
      const g = smallNumber(p + 1, q - 1);
      if (g < 0) return OCRA_ERR_SUITE;
      if (unit == 0x53 || unit == 0x4d) { // S, M
        if (g < 1 || g > 59) return OCRA_ERR_SUITE;
      } else if (unit == 0x48) { // H
        if (g > 48) return OCRA_ERR_SUITE;
      } else return OCRA_ERR_SUITE;
      time = true;
      stage = 4;
    } else {
      return OCRA_ERR_SUITE;
    }
    first = false;
    if (q == end) break;
    p = q + 1;
    if (p == end) return OCRA_ERR_SUITE; // trailing '-'
  }
  if (stage == 0) return OCRA_ERR_SUITE; // no Q
  sAlg = alg; sDigits = t; sCounter = counter; sQFormat = qFmt; sQMax = qMax;
  sPinAlg = pinAlg; sSession = session; sTime = time;
  return 0;
}

/** Value of a hex digit, or -1. */
function hexValue(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

// @ts-ignore: decorator
@inline function putNibble(j: u32, v: u32): void {
  const a = QFIELD + <usize>(j >> 1);
  store<u8>(a, load<u8>(a) | <u8>((j & 1) != 0 ? v : v << 4));
}

/** Fills QFIELD from the challenge text. Returns 0 or OCRA_ERR_CHALLENGE. */
function buildQ(q: usize, qLen: u32): i32 {
  if (qLen == 0) return OCRA_ERR_CHALLENGE;
  memory.fill(QFIELD, 0, 128);
  if (sQFormat == 0x41) { // QA: the bytes themselves
    if (qLen > 128) return OCRA_ERR_CHALLENGE;
    memory.copy(QFIELD, q, qLen);
    return 0;
  }
  if (qLen > 256) return OCRA_ERR_CHALLENGE;
  if (sQFormat == 0x48) { // QH: hex digits, left-aligned
    for (let j: u32 = 0; j < qLen; j++) {
      const v = hexValue(<u32>load<u8>(q + j));
      if (v < 0) return OCRA_ERR_CHALLENGE;
      putNibble(j, <u32>v);
    }
    return 0;
  }
  // QN: decimal → binary (32 × 32-bit limbs, little-endian; 10^256 < 2^1024) → shortest hex,
  // left-aligned. `top` tracks the number of limbs in use to keep short challenges cheap.
  memory.fill(NUM, 0, 128);
  let top: usize = 4;
  for (let i: u32 = 0; i < qLen; i++) {
    const c = <u32>load<u8>(q + i);
    if (!isDigit(c)) return OCRA_ERR_CHALLENGE;
    let carry = <u64>(c - 0x30);
    for (let k: usize = 0; k < top; k += 4) {
      const t = <u64>load<u32>(NUM + k) * 10 + carry;
      store<u32>(NUM + k, <u32>t);
      carry = t >> 32;
    }
    if (carry != 0) { store<u32>(NUM + top, <u32>carry); top += 4; }
  }
  // limbs → 128 big-endian bytes, in place (reverse limb order, swap bytes)
  for (let k: usize = 0; k < 64; k += 4) {
    const lo = load<u32>(NUM + k), hi = load<u32>(NUM + 124 - k);
    store<u32>(NUM + k, bswap<u32>(hi));
    store<u32>(NUM + 124 - k, bswap<u32>(lo));
  }
  let first: u32 = 255; // "0" for zero
  for (let k: u32 = 0; k < 256; k++) {
    if (nibbleOfNum(k) != 0) { first = k; break; }
  }
  for (let k = first, j: u32 = 0; k < 256; k++, j++) putNibble(j, nibbleOfNum(k));
  return 0;
}

function nibbleOfNum(k: u32): u32 {
  const b = <u32>load<u8>(NUM + <usize>(k >> 1));
  return (k & 1) != 0 ? b & 0x0f : b >> 4;
}

/**
 * Computes the OCRA MAC into MAC. Returns its length, or a negative error.
 */
function compute(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64,
): i32 {
  const r = parseSuite(suite, suiteLen);
  if (r < 0) return r;
  const qr = buildQ(q, qLen);
  if (qr < 0) return qr;
  if (sPinAlg != 0 && pinHashLen != <u32>digestLen(sPinAlg)) return OCRA_ERR_PIN;
  if (sSession != 0 && sessionLen != sSession) return OCRA_ERR_SESSION;
  hmacInit(HCTX, sAlg, key, keyLen);
  hmacUpdate(HCTX, suite, suiteLen);
  hmacUpdate(HCTX, ZERO1, 1);
  if (sCounter) {
    store<u64>(WORD, bswap<u64>(counter));
    hmacUpdate(HCTX, WORD, 8);
  }
  hmacUpdate(HCTX, QFIELD, 128);
  if (sPinAlg != 0) hmacUpdate(HCTX, pinHash, pinHashLen);
  if (sSession != 0) hmacUpdate(HCTX, session, sessionLen);
  if (sTime) {
    store<u64>(WORD, bswap<u64>(timeSteps));
    hmacUpdate(HCTX, WORD, 8);
  }
  const n = hmacFinal(HCTX, MAC);
  memory.fill(HCTX, 0, HMAC_CTX_SIZE);
  return n;
}

/**
 * RFC 6287 OCRA. suite = ASCII suite string; q = challenge as ASCII text (QN decimal digits,
 * QA characters, QH hex digits); pinHash = already-hashed PIN bytes (P); session = S bytes;
 * timeSteps = T value in the suite's step unit. Inputs the suite does not name are ignored.
 * Writes the response as ASCII digits to out; returns the digit count or a negative error
 * (OCRA_ERR_*; a suite with truncation 0 gives OCRA_ERR_FULL_MAC — use ocraMac()).
 */
export function ocra(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64, out: usize,
): i32 {
  const n = compute(suite, suiteLen, key, keyLen, counter, q, qLen, pinHash, pinHashLen, session, sessionLen, timeSteps);
  if (n < 0) return n;
  const t = sDigits;
  if (t == 0) return OCRA_ERR_FULL_MAC;
  const v = <u64>dynamicTruncate(MAC, <u32>n) % pow10(t);
  formatDigits(<u32>v, t, out);
  return t;
}

/** Same inputs as ocra(); writes the untruncated MAC (20/32/64 bytes) to out, returns its length. */
export function ocraMac(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64, out: usize,
): i32 {
  const n = compute(suite, suiteLen, key, keyLen, counter, q, qLen, pinHash, pinHashLen, session, sessionLen, timeSteps);
  if (n < 0) return n;
  memory.copy(out, MAC, <usize>n);
  return n;
}
