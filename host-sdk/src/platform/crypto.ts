// The SDK's crypto primitives on node:crypto. The simulator's browser page (scripts/build-web.mjs)
// swaps this module for ./crypto.browser.ts, which exports the same functions on @noble; every SDK
// module that needs a hash, a MAC, HKDF, AES or random bytes takes them from here, so this pair is the only
// place where the SDK differs between Node and a browser. Keep both in step (test/platform-crypto.test.ts).
// Everything is synchronous (the verifier's stores and the CTAP2 PIN protocols call it synchronously).
// Bad arguments (key, nonce or IV length, CBC data not whole blocks, HKDF length) throw INVALID_ARGUMENT
// in both twins (./checks.ts); a bad GCM tag is not an exception: aesGcmOpen returns null.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes as nodeRandomBytes } from "node:crypto";
import { GCM_TAG, checkCbc, checkGcm, checkHkdf, utf8, type HashName } from "./checks.js";

export type { HashName };

export function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return plain(h.digest());
}

/** HMAC of `message` (text is hashed as UTF-8). */
export function hmac(hash: HashName, key: Uint8Array, message: Uint8Array | string): Uint8Array {
  return plain(createHmac(hash, key).update(message).digest()); // text: Node encodes UTF-8 itself, faster than TextEncoder
}

/** A Buffer's bytes as a plain Uint8Array (what the browser twin returns), without copying them. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function randomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(n));
}

/** HKDF (RFC 5869): `length` bytes from `ikm`; an empty salt is HashLen zero bytes, as the RFC says; text info is UTF-8. */
export function hkdf(hash: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  checkHkdf(hash, ikm, salt, info, length);
  return new Uint8Array(hkdfSync(hash, ikm, salt, utf8(info), length));
}

/** AES-256-GCM with a 12-byte nonce: ciphertext ‖ 16-byte tag, over `aad` (default none). */
export function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkGcm(key, nonce, plaintext, aad, 0);
  const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG });
  c.setAAD(aad);
  const head = c.update(plaintext), tail = c.final(), tag = c.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + GCM_TAG);
  out.set(head);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

/** Opens what {@link aesGcmSeal} made (ciphertext ‖ tag): the plaintext, or null when the tag does not verify (key, nonce, ciphertext or AAD not the sealed ones). */
export function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array | null {
  checkGcm(key, nonce, sealed, aad, GCM_TAG);
  const d = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG));
  const head = d.update(sealed.subarray(0, sealed.length - GCM_TAG));
  try {
    const tail = d.final();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  } catch {
    return null;
  }
}

function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkCbc(key, iv, data);
  const c = encrypt ? createCipheriv("aes-256-cbc", key, iv) : createDecipheriv("aes-256-cbc", key, iv);
  c.setAutoPadding(false);
  const head = c.update(data), tail = c.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** AES-256-CBC without padding (CTAP2 PIN protocols 1 and 2): `data` is whole 16-byte blocks. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(true, key, iv, data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(false, key, iv, data);
}

export { timingSafeEqual } from "./equal.js";
