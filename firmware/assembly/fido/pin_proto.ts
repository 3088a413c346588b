// PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7): the authenticator's key agreement
// keys, decapsulation into a shared secret, and the protocol's encrypt / decrypt / authenticate.
// Shared-secret layout (64 bytes): v1 = SHA-256(Z) (HMAC and AES key alike) then 32 unused bytes;
// v2 = HMAC key (HKDF info "CTAP2 HMAC key") ‖ AES key (HKDF info "CTAP2 AES key").
import { randomBytes } from "../platform/rng";
import { sha256 } from "../crypto/sha256";
import { ALG_SHA256 } from "../crypto/hash";
import { HMAC_CTX_SIZE, hmacInit, hmacUpdate, hmacFinal } from "../crypto/hmac";
import { hkdf } from "../crypto/hkdf";
import { aes256CbcEncrypt, aes256CbcDecrypt } from "../crypto/aes";
import { p256PublicKey, p256Ecdh, p256ValidPrivate } from "../crypto/p256/ecdh";
import { CborReader, CBOR_READER_SIZE } from "./cbor";
import { ctEqual } from "../util/bytes";
import { secret } from "../platform/secrets";
import { Buf, bufPtr, bufFits, BUF_ERR_FIT } from "../platform/buffer";

export const SHARED_LEN: u32 = 64;

// one key agreement key pair per protocol (index protocol - 1)
const KA_PRIV: usize = memory.data(64, 16);
const KA_PUB: usize = memory.data(128, 16);
let kaValid1 = false;
let kaValid2 = false;

const Z: usize = secret(memory.data(32, 16), 32);
const ZERO32: usize = memory.data(32, 16); // zero salt for v2 HKDF, zero IV for v1
const IVB: usize = secret(memory.data(16, 16), 16);
const MAC: usize = secret(memory.data(32, 16), 32);
const HCTX: usize = secret(memory.data(<i32>HMAC_CTX_SIZE, 16), HMAC_CTX_SIZE);
const COSE_R: usize = memory.data(CBOR_READER_SIZE, 16);
// "CTAP2 HMAC key", "CTAP2 AES key"
const INFO_HMAC: usize = memory.data<u8>([0x43, 0x54, 0x41, 0x50, 0x32, 0x20, 0x48, 0x4d, 0x41, 0x43, 0x20, 0x6b, 0x65, 0x79]);
const INFO_AES: usize = memory.data<u8>([0x43, 0x54, 0x41, 0x50, 0x32, 0x20, 0x41, 0x45, 0x53, 0x20, 0x6b, 0x65, 0x79]);

export function protoSupported(p: u64): bool { return p == 1 || p == 2; }

/** Forgets the key agreement key of protocol p (1 or 2); a fresh one is made when next needed. */
export function kaInvalidate(p: u32): void {
  if (p == 1) { kaValid1 = false; memory.fill(KA_PRIV, 0, 32); }
  else if (p == 2) { kaValid2 = false; memory.fill(KA_PRIV + 32, 0, 32); }
}

/** Makes sure protocol p has a key pair; returns the public key x ‖ y (64 bytes), or 0. */
export function kaPublic(p: u32): usize {
  if (p != 1 && p != 2) return 0;
  const priv = KA_PRIV + <usize>(p - 1) * 32;
  const pub = KA_PUB + <usize>(p - 1) * 64;
  if (p == 1 ? kaValid1 : kaValid2) return pub;
  for (let i = 0; i < 16; i++) {
    if (!randomBytes(priv, 32)) break; // a failed source: no key agreement key
    if (p256ValidPrivate(priv)) {
      if (p256PublicKey(priv, pub) != 0) break;
      if (p == 1) kaValid1 = true; else kaValid2 = true;
      return pub;
    }
  }
  memory.fill(priv, 0, 32);
  return 0;
}

/** Reads a platform COSE_Key {1: 2, 3: -25, -1: 1, -2: x(32), -3: y(32)} into xy (64 bytes).
 *  alg may be absent; unknown labels are ignored. Returns true when well formed. */
export function coseParse(cose: usize, coseLen: u32, xy: usize): bool {
  const r = CborReader.at(COSE_R);
  if (r.open(cose, coseLen, 2) < 0) return false;
  const n = r.readMap();
  if (n < 0) return false;
  let have: u32 = 0;
  for (let i = 0; i < n; i++) {
    if (r.readInt() < 0) return false; // COSE labels here are integers
    const k = r.i;
    if (k == 1) {
      if (r.readInt() < 0 || r.i != 2) return false;
      have |= 1;
    } else if (k == 3) {
      if (r.readInt() < 0 || r.i != -25) return false;
    } else if (k == -1) {
      if (r.readInt() < 0 || r.i != 1) return false;
      have |= 2;
    } else if (k == -2 || k == -3) {
      if (r.readBytes() != 32) return false;
      memory.copy(xy + (k == -2 ? 0 : 32), r.slicePtr, 32);
      have |= k == -2 ? 4 : 8;
    } else if (r.skip() < 0) return false;
  }
  return have == 15;
}

/** ECDH with protocol p's key and the platform's point (x ‖ y), then the protocol's KDF into
 *  shared (SHARED_LEN bytes). Returns false for an invalid point (nothing usable written). */
export function decapsulate(p: u32, peerXY: usize, shared: usize): bool {
  if (kaPublic(p) == 0) return false;
  const priv = KA_PRIV + <usize>(p - 1) * 32;
  if (p256Ecdh(priv, peerXY, Z) != 0) { memory.fill(Z, 0, 32); return false; }
  if (p == 1) {
    sha256(Z, 32, shared);
    memory.fill(shared + 32, 0, 32);
  } else {
    hkdf(ZERO32, 32, Z, 32, INFO_HMAC, 14, shared, 32);
    hkdf(ZERO32, 32, Z, 32, INFO_AES, 13, shared + 32, 32);
  }
  memory.fill(Z, 0, 32);
  return true;
}

/** encrypt(key, pt): v1 AES-256-CBC with a zero IV; v2 a random IV ‖ AES-256-CBC under the AES
 *  key. key = a shared secret (SHARED_LEN) for v2, or any 32-byte key for v1. Returns the length, -1
 *  (not whole blocks) or BUF_ERR_FIT (the ciphertext would not fit dst; nothing written). */
export function protoEncrypt(p: u32, shared: usize, pt: usize, len: u32, dst: Buf): i32 {
  if ((len & 15) != 0) return -1;
  if (!bufFits(dst, 0, p == 2 ? len + 16 : len)) return BUF_ERR_FIT;
  const out = bufPtr(dst);
  if (p == 1) {
    aes256CbcEncrypt(shared, ZERO32, pt, len, out);
    return <i32>len;
  }
  if (p != 2) return -1;
  if (!randomBytes(IVB, 16)) return -1;
  aes256CbcEncrypt(shared + 32, IVB, pt, len, out + 16);
  memory.copy(out, IVB, 16);
  return <i32>(len + 16);
}

/** decrypt(shared, ct) into dst (must not overlap ct). Returns the plaintext length, -1 (malformed)
 *  or BUF_ERR_FIT: a plaintext longer than dst's capacity is refused before anything is written. */
export function protoDecrypt(p: u32, shared: usize, ct: usize, len: u32, dst: Buf): i32 {
  const out = bufPtr(dst);
  if (p == 1) {
    if ((len & 15) != 0) return -1;
    if (!bufFits(dst, 0, len)) return BUF_ERR_FIT;
    aes256CbcDecrypt(shared, ZERO32, ct, len, out);
    return <i32>len;
  }
  if (p != 2 || len < 16 || ((len - 16) & 15) != 0) return -1;
  if (!bufFits(dst, 0, len - 16)) return BUF_ERR_FIT;
  memory.copy(IVB, ct, 16);
  aes256CbcDecrypt(shared + 32, IVB, ct + 16, len - 16, out);
  return <i32>(len - 16);
}

/** Length of authenticate()'s output: 16 (v1, LEFT) or 32 (v2). */
export function protoMacLen(p: u32): u32 { return p == 1 ? 16 : 32; }

/** verify(key, msg1 ‖ msg2, sig): HMAC-SHA-256 under the 32-byte key (a token, or the HMAC part of
 *  a shared secret), truncated for v1; constant-time compare; sig must have the exact length. */
export function protoVerify(p: u32, key: usize, msg1: usize, len1: u32, msg2: usize, len2: u32, sig: usize, sigLen: u32): bool {
  if (p != 1 && p != 2) return false;
  const n = protoMacLen(p);
  if (sigLen != n) return false;
  hmacInit(HCTX, ALG_SHA256, key, 32);
  hmacUpdate(HCTX, msg1, len1);
  if (len2 > 0) hmacUpdate(HCTX, msg2, len2);
  hmacFinal(HCTX, MAC);
  memory.fill(HCTX, 0, HMAC_CTX_SIZE);
  const ok = ctEqual(MAC, sig, n);
  memory.fill(MAC, 0, 32);
  return ok;
}
