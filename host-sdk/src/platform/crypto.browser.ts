// The browser's ./crypto.ts (swapped in by scripts/build-web.mjs): the same functions on @noble/hashes
// and the Web Crypto RNG, all synchronous like their node:crypto twins.
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

const HASHES = { sha1, sha256, sha384, sha512 } as const;

export function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = HASHES[hash].create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmac(hash: HashName, key: Uint8Array, message: Uint8Array): Uint8Array {
  return nobleHmac(HASHES[hash], key, message);
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

export { timingSafeEqual } from "./equal.js";
