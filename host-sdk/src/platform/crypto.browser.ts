// The browser's ./crypto.ts (swapped in by scripts/build-web.mjs): the same functions on @noble/hashes,
// @noble/ciphers and the Web Crypto RNG, all synchronous like their node:crypto twins, with the same
// argument checks (./checks.ts) and the same answer to a bad GCM tag (null).
import { cbc, gcm } from "@noble/ciphers/aes.js";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { GCM_TAG, checkCbc, checkGcm, checkHkdf, utf8 } from "./checks.js";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

const HASHES = { sha1, sha256, sha384, sha512 } as const;

export function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = HASHES[hash].create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmac(hash: HashName, key: Uint8Array, message: Uint8Array | string): Uint8Array {
  return nobleHmac(HASHES[hash], key, utf8(message));
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

export function hkdf(hash: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  checkHkdf(hash, ikm, salt, info, length);
  // An empty salt and no salt are the same to HMAC (the key is zero-padded to the block), as in Node.
  return nobleHkdf(HASHES[hash], ikm, salt, utf8(info), length);
}

export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkGcm(key, nonce, plaintext, aad, 0);
  return gcm(key, nonce, aad).encrypt(plaintext);
}

export function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array | null {
  checkGcm(key, nonce, sealed, aad, GCM_TAG);
  try {
    return gcm(key, nonce, aad).decrypt(sealed);
  } catch {
    return null; // @noble throws on a tag mismatch; the arguments were checked above
  }
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkCbc(key, iv, data);
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkCbc(key, iv, data);
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

export { timingSafeEqual } from "./equal.js";
