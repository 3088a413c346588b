// The SDK's crypto primitives on node:crypto. The simulator's browser page (scripts/build-web.mjs)
// swaps this module for ./crypto.browser.ts, which exports the same functions on @noble; every SDK
// module that needs a hash, a MAC or random bytes takes them from here, so this pair is the only
// place where the SDK differs between Node and a browser. Keep both in step (test/platform-crypto.test.ts).
import { createHash, createHmac, randomBytes as nodeRandomBytes } from "node:crypto";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

export function digest(hash: HashName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmac(hash: HashName, key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(message).digest());
}

export function randomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeRandomBytes(n));
}

export { timingSafeEqual } from "./equal.js";
