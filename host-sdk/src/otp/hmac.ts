// HMAC for HOTP/TOTP, on node:crypto. The simulator's browser page (scripts/build-web.mjs) swaps this
// module for ./hmac.browser.ts (@noble/hashes), which has the same function; keep both in step.
import { createHmac } from "node:crypto";

export function hmac(hash: "sha1" | "sha256" | "sha512", key: Uint8Array, message: Uint8Array): Uint8Array {
  return createHmac(hash, key).update(message).digest();
}
