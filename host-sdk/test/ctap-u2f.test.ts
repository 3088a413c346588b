// U2F client over CTAPHID_MSG against a fake device: APDU encoding, polling while the device
// answers 0x6985, response parsing (checked against a signature made with @noble/curves).
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { U2fClient, encodeU2fApdu } from "../src/protocols/u2f/client.js";
import { isSeglError } from "../src/errors.js";
import { FakeHid, MSG } from "./ctap-fake.js";

const cat = (...p: Uint8Array[]) => new Uint8Array(Buffer.concat(p));
const sw = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

test("APDU encoding: extended length with and without data", () => {
  assert.deepEqual(encodeU2fApdu(3, 0, 0), Uint8Array.of(0, 3, 0, 0, 0, 0, 0));
  assert.deepEqual(encodeU2fApdu(1, 3, 0, Uint8Array.of(9, 9)), Uint8Array.of(0, 1, 3, 0, 0, 0, 2, 9, 9, 0, 0));
});

test("version, register (polling for a touch), authenticate, check-only", async () => {
  const sk = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(sk, false);
  const kh = new Uint8Array(randomBytes(64));
  const cert = cat(Uint8Array.of(0x30, 0x81, 0x03), Uint8Array.of(1, 2, 3)); // a DER SEQUENCE with a long-form length
  let touchesNeeded = 2;
  let counter = 41;
  const dev = new FakeHid();
  dev.onRequest = (r) => {
    if (r.cmd !== MSG) return;
    const a = r.payload;
    const ins = a[1]!, p1 = a[2]!;
    const data = a.length > 7 ? a.subarray(7, 7 + ((a[5]! << 8) | a[6]!)) : new Uint8Array(0);
    let out: Uint8Array;
    if (ins === 3) out = cat(Buffer.from("U2F_V2"), sw(0x9000));
    else if (ins === 1) {
      if (touchesNeeded-- > 0) out = sw(0x6985);
      else {
        const chal = data.subarray(0, 32), app = data.subarray(32, 64);
        const sig = p256.sign(cat(Uint8Array.of(0), app, chal, kh, pub), sk, { format: "der" });
        out = cat(Uint8Array.of(5), pub, Uint8Array.of(kh.length), kh, cert, sig, sw(0x9000));
      }
    } else if (ins === 2) {
      const known = Buffer.from(data.subarray(65)).equals(Buffer.from(kh));
      if (p1 === 7) out = sw(known ? 0x6985 : 0x6a80);
      else if (!known) out = sw(0x6a80);
      else {
        counter++;
        const c = Uint8Array.of(0, 0, 0, counter);
        const sig = p256.sign(cat(data.subarray(32, 64), Uint8Array.of(1), c, data.subarray(0, 32)), sk, { format: "der" });
        out = cat(Uint8Array.of(1), c, sig, sw(0x9000));
      }
    } else out = sw(0x6d00);
    dev.reply(r.cid, MSG, out);
  };
  const u2f = new U2fClient(await CtapHidClient.open(dev));
  assert.equal(await u2f.version(), "U2F_V2");
  const chal = new Uint8Array(createHash("sha256").update("challenge").digest());
  const app = new Uint8Array(createHash("sha256").update("https://a.example").digest());
  const status: string[] = [];
  const reg = await u2f.register(chal, app, { pollIntervalMs: 5, onStatus: (s) => status.push(s) });
  assert.deepEqual(status, ["up-needed"]);
  assert.deepEqual(reg.publicKey, pub);
  assert.deepEqual(reg.keyHandle, kh);
  assert.deepEqual(reg.attestationCertificate, cert);
  assert.ok(p256.verify(reg.signature, cat(Uint8Array.of(0), app, chal, kh, pub), pub, { format: "der" }));
  const auth = await u2f.authenticate(chal, app, kh);
  assert.equal(auth.counter, 42);
  assert.equal(auth.userPresence, true);
  assert.ok(p256.verify(auth.signature, cat(app, Uint8Array.of(1, 0, 0, 0, 42), chal), pub, { format: "der" }));
  assert.equal(await u2f.checkKeyHandle(chal, app, kh), true);
  assert.equal(await u2f.checkKeyHandle(chal, app, Uint8Array.of(1)), false);
  await assert.rejects(u2f.authenticate(chal, app, Uint8Array.of(1)), (e) => isSeglError(e, "U2F_ERROR") && e.details?.["swName"] === "WRONG_DATA");
  await assert.rejects(u2f.apdu(0x40, 0, 0), (e) => isSeglError(e, "U2F_ERROR") && e.details?.["sw"] === 0x6d00);
  // No touch ever: the poll ends with TIMEOUT.
  touchesNeeded = 1e9;
  await assert.rejects(u2f.register(chal, app, { pollIntervalMs: 5, timeoutMs: 60 }), (e) => isSeglError(e, "TIMEOUT"));
});
