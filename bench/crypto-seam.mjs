// The SDK's crypto seam (host-sdk/src/platform/): its node:crypto twin, which Node runs, against its
// @noble twin, which the simulator's page runs, on what the verifier's store and the CTAP2 PIN
// protocols do per call: HMAC-SHA1 of an 8-byte counter (one TOTP code), HKDF-SHA256 to 32 bytes (the
// row MAC key, PIN protocol 2's keys), AES-256-GCM seal and open of a 20-byte seed with its ~80-byte
// row AAD, AES-256-CBC of a 64-byte padded PIN. Both are synchronous; the ratio is the browser twin's cost.
// Run: node bench/crypto-seam.mjs   (after `npx tsc -b host-sdk`; BENCH_ROUND_MS / BENCH_ROUNDS as in lib.mjs)
import * as node from "../host-sdk/dist/src/platform/crypto.js";
import * as browser from "../host-sdk/dist/src/platform/crypto.browser.js";
import { measure, table } from "./lib.mjs";

const key = node.randomBytes(32), nonce = node.randomBytes(12), iv = node.randomBytes(16);
const seed = node.randomBytes(20), counter = new Uint8Array(8), pin = node.randomBytes(64);
const aad = new TextEncoder().encode(JSON.stringify(["segl-token/2", "0123456789abcdef", "display-000001", "totp", "SHA1", 6, 30, 0]));
const sealed = node.aesGcmSeal(key, nonce, seed, aad);

const cases = [
  ["HMAC-SHA1 (one TOTP code)", (c) => c.hmac("sha1", seed, counter)],
  ["HKDF-SHA256, 32 bytes", (c) => c.hkdf("sha256", key, new Uint8Array(0), "segl row mac/2", 32)],
  ["AES-256-GCM seal, 20 B + AAD", (c) => c.aesGcmSeal(key, nonce, seed, aad)],
  ["AES-256-GCM open, 20 B + AAD", (c) => c.aesGcmOpen(key, nonce, sealed, aad)],
  ["AES-256-CBC encrypt, 64 B", (c) => c.aesCbcEncrypt(key, iv, pin)],
];
for (const [name, f] of cases) {
  table(name, [measure("node:crypto twin (Node)", () => f(node)), measure("@noble twin (browser)", () => f(browser))]);
}
