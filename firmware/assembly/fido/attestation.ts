// The batch attestation key and certificate provisioned at the factory (packed attestation with
// x5c), the self-attestation fallback, and the AAGUID of the chip model. See docs/fido.md.
import { storeGet, txnBegin, txnPut, txnCommit, txnAbort, MAX_VALUE } from "../storage/store";
import { p256Sign, P256_OK } from "../crypto/p256/ecdsa";
import { p256PublicKey, p256ValidPrivate } from "../crypto/p256/ecdh";
import { KEY_ATT_KEY, KEY_ATT_CERT } from "./keys";
import { secret } from "../platform/secrets";

/** Largest certificate the store can hold (one record). */
export const ATT_CERT_MAX: u32 = MAX_VALUE;
export const ATT_ERR_KEY: i32 = -1;
export const ATT_ERR_CERT: i32 = -2;
export const ATT_ERR_MISMATCH: i32 = -3;
export const ATT_ERR_STORE: i32 = -4;

/** AAGUID of the Segl chip: 5e61c0de-5e91-4c41-8a0d-ca7c11b0e1d0. */
const AAGUID: usize = memory.data<u8>([
  0x5e, 0x61, 0xc0, 0xde, 0x5e, 0x91, 0x4c, 0x41, 0x8a, 0x0d, 0xca, 0x7c, 0x11, 0xb0, 0xe1, 0xd0,
]);
// SubjectPublicKeyInfo of an uncompressed P-256 key, up to the point's 0x04 byte:
// SEQ(89) { SEQ(19) { OID ecPublicKey, OID prime256v1 }, BIT STRING(66) 00 04 … }
const SPKI_PREFIX: usize = memory.data<u8>([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
  0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
]);
const SPKI_PREFIX_LEN: u32 = 27;
const PUB: usize = memory.data(64, 16);
const KEYBUF: usize = secret(memory.data(32, 16), 32);

/** The AAGUID of this device's model (16 B) to out. */
export function aaguid(out: usize): void { memory.copy(out, AAGUID, 16); }

// ---- a minimal DER walker (definite lengths, at most 4 length bytes) ----
let dTag: u32 = 0;
let dBody: usize = 0;
let dLen: u32 = 0;
let dNext: usize = 0;

/** Parses the TLV at p (end = limit); sets dTag/dBody/dLen/dNext. */
function der(p: usize, end: usize): bool {
  if (p + 2 > end) return false;
  dTag = <u32>load<u8>(p);
  if ((dTag & 0x1f) == 0x1f) return false; // high tag numbers do not occur in a certificate's top levels
  let l = <u32>load<u8>(p + 1);
  let q = p + 2;
  if (l >= 0x80) {
    const n = l & 0x7f;
    if (n == 0 || n > 2 || q + n > end) return false;
    l = 0;
    for (let i: u32 = 0; i < n; i++) l = (l << 8) | <u32>load<u8>(q + i);
    q += n;
  }
  if (<u64>q + <u64>l > <u64>end) return false;
  dBody = q;
  dLen = l;
  dNext = q + l;
  return true;
}

/**
 * Finds the subject public key of an X.509 certificate: Certificate → tbsCertificate →
 * [0] version?, serial, signature, issuer, validity, subject, subjectPublicKeyInfo. Returns the
 * address of the 64-byte x ‖ y of a P-256 key, or 0.
 */
export function certP256Point(cert: usize, len: u32): usize {
  const end = cert + len;
  if (!der(cert, end) || dTag != 0x30 || dNext != end) return 0;
  const certEnd = dNext;
  if (!der(dBody, certEnd) || dTag != 0x30) return 0; // tbsCertificate
  const tbsEnd = dNext;
  let p = dBody;
  if (!der(p, tbsEnd)) return 0;
  if (dTag == 0xa0) { p = dNext; if (!der(p, tbsEnd)) return 0; } // version
  if (dTag != 0x02) return 0; // serialNumber
  p = dNext;
  for (let i = 0; i < 4; i++) { // signature, issuer, validity, subject
    if (!der(p, tbsEnd) || dTag != 0x30) return 0;
    p = dNext;
  }
  if (!der(p, tbsEnd) || dTag != 0x30 || dLen + 2 != SPKI_PREFIX_LEN + 64) return 0;
  if (memory.compare(p, SPKI_PREFIX, SPKI_PREFIX_LEN) != 0) return 0;
  return p + SPKI_PREFIX_LEN;
}

/** Stores a batch key (32 B) and certificate (DER); refused (negative) when either is malformed or the key is not the certificate's. */
export function attestationProvision(key: usize, cert: usize, certLen: u32): i32 {
  if (!p256ValidPrivate(key)) return ATT_ERR_KEY;
  if (certLen == 0 || certLen > ATT_CERT_MAX) return ATT_ERR_CERT;
  const pt = certP256Point(cert, certLen);
  if (pt == 0) return ATT_ERR_CERT;
  if (p256PublicKey(key, PUB) != P256_OK) return ATT_ERR_KEY;
  const same = memory.compare(PUB, pt, 64) == 0;
  memory.fill(PUB, 0, 64);
  if (!same) return ATT_ERR_MISMATCH;
  txnBegin();
  let r = txnPut(KEY_ATT_KEY, key, 32);
  if (r == 0) r = txnPut(KEY_ATT_CERT, cert, certLen);
  if (r != 0) { txnAbort(); return ATT_ERR_STORE; }
  return txnCommit() == 0 ? 0 : ATT_ERR_STORE;
}

export function attestationPresent(): bool {
  const ok = storeGet(KEY_ATT_KEY, KEYBUF, 32) == 32 && storeGet(KEY_ATT_CERT, KEYBUF, 0) > 0;
  memory.fill(KEYBUF, 0, 32);
  return ok;
}

/** Signs a SHA-256 digest with the batch key: 64-byte r‖s to out; -1 when none is provisioned. */
export function attestationSign(digest: usize, out: usize): i32 {
  if (storeGet(KEY_ATT_KEY, KEYBUF, 32) != 32) return -1;
  const r = p256Sign(KEYBUF, digest, out);
  memory.fill(KEYBUF, 0, 32);
  return r == P256_OK ? 0 : -1;
}

/** Length of the provisioned certificate, or -1. */
export function attestationCertLen(): i32 {
  const n = storeGet(KEY_ATT_CERT, KEYBUF, 0);
  return n > 0 ? n : -1;
}

/** Copies the certificate DER to out (max bytes); returns its length or -1. */
export function attestationCert(out: usize, max: u32): i32 {
  const n = storeGet(KEY_ATT_CERT, out, max);
  if (n <= 0 || <u32>n > max) return -1;
  return n;
}
