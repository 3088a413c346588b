// The browser's host module (simulator/src/browser/host.ts: @noble, Web Crypto) against Node's
// (simulator/src/host.ts: node:crypto): the boot ROM must reach the same verdicts with either.
import { test } from "vitest";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as node from "../src/host.js";
import * as browser from "../src/browser/host.js";
import { TEST_MAKER_KEY_PEM } from "../src/boot-rom.js";

const msg = new TextEncoder().encode("a signed image header, 64 bytes in the real thing");

test("SHA-256 of bytes and strings in parts, as node:crypto", () => {
  assert.deepEqual(browser.sha256(msg, "7", new Uint8Array(0)), node.sha256(msg, "7", new Uint8Array(0)));
  assert.equal(Buffer.from(browser.sha256("abc")).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("P-256 keys from PEM (PKCS#8 private, SPKI public) and signatures cross-verify between the two", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const priv = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const pub = publicKey.export({ format: "pem", type: "spki" }).toString();
  for (const pem of [priv, pub, TEST_MAKER_KEY_PEM]) assert.deepEqual(browser.p256PublicFromPem(pem), node.p256PublicFromPem(pem));
  const xy = node.p256PublicFromPem(priv);
  const byNode = node.p256Sign(priv, msg), byBrowser = browser.p256Sign(priv, msg);
  assert.ok(browser.p256Verify(xy, msg, byNode));
  assert.ok(node.p256Verify(xy, msg, byBrowser));
  // High-S signatures (node:crypto makes them half the time) verify too: s → n − s.
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const s = BigInt("0x" + Buffer.from(byBrowser.subarray(32)).toString("hex"));
  const flipped = new Uint8Array(byBrowser);
  flipped.set(Buffer.from((n - s).toString(16).padStart(64, "0"), "hex"), 32);
  assert.ok(browser.p256Verify(xy, msg, flipped));
  assert.equal(node.p256Verify(xy, msg, flipped), true);
  // Wrong message, wrong key, malformed signature: false from both, never a throw.
  const other = node.p256PublicFromPem(TEST_MAKER_KEY_PEM);
  for (const h of [node, browser]) {
    assert.equal(h.p256Verify(xy, msg.subarray(1), byNode), false);
    assert.equal(h.p256Verify(other, msg, byNode), false);
    assert.equal(h.p256Verify(xy, msg, byNode.subarray(0, 63)), false);
    assert.equal(h.p256ValidPublic(new Uint8Array(64).fill(1)), false);
    assert.equal(h.p256ValidPublic(xy), true);
  }
});

test("a non-P-256 key is refused by both with the same RangeError", () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
  assert.throws(() => node.p256PublicFromPem(pem), RangeError);
  assert.throws(() => browser.p256PublicFromPem(pem), RangeError);
});

test("files are Node's only: the browser host says so with a typed error", () => {
  assert.throws(() => browser.readFileBytes("/x"), browser.NodeOnly);
  assert.throws(() => browser.openFlashFile("/x", new Uint8Array(4)), browser.NodeOnly);
});
