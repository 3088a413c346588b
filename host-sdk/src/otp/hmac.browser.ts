// The browser's ./hmac.ts (swapped in by scripts/build-web.mjs): the same function on @noble/hashes.
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

const HASHES = { sha1, sha256, sha512 } as const;

export function hmac(hash: "sha1" | "sha256" | "sha512", key: Uint8Array, message: Uint8Array): Uint8Array {
  return nobleHmac(HASHES[hash], key, message);
}
