// Firmware updates over the service port (docs/image-format.md), against the simulator (default),
// the simulator behind a real PTY (SEGL_TARGET=pty) or a real display or reader (SEGL_SERIAL_PORT).
// On the simulator the images are the committed builds signed with the test maker key; on a real
// device they come from the environment (docs/testing.md "Updates on a real device"):
//   SEGL_UPDATE_IMAGE  a signed image file the device must accept (its maker key, its model, a
//                      version other than the running one, a security counter ≥ the stored one)
//   SEGL_MAKER_KEY     the maker's private key (PKCS#8 PEM file) that signed it: the downgrade test
//                      signs the same payload with a lower security counter (skipped without it,
//                      or when the good image's counter is 0)
// The tests run in order: refusals, an interrupted download that resumes to the new version, then
// a downgrade to the version before.
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  buildImage, parseImage, updateFirmware, provisionDevice, isSeglError, IMAGE_HEADER_SIZE, type DeviceInfo, type ParsedImage,
} from "@segl/host-sdk";
import { TEST_MAKER_KEY_PEM } from "@segl/simulator";
import { openTarget, type Target } from "../src/index.js";

let t: Target;
let good: Uint8Array;
let goodParsed: ParsedImage;
let makerKey: string | undefined;
let before: DeviceInfo;
const noWait = async (): Promise<void> => {};

beforeAll(async () => {
  t = await openTarget();
  if (t.kind === "device") {
    const file = process.env.SEGL_UPDATE_IMAGE;
    good = file ? new Uint8Array(readFileSync(file)) : new Uint8Array();
    makerKey = process.env.SEGL_MAKER_KEY ? readFileSync(process.env.SEGL_MAKER_KEY, "utf8") : undefined;
  } else {
    // The shipping image runs (0.1.0); the next build (0.2.0) signed with the test maker key, counter 1.
    makerKey = TEST_MAKER_KEY_PEM;
    good = buildImage(new Uint8Array(readFileSync("firmware/build/firmware-next.wasm")), { version: "0.2.0", securityCounter: 1, privateKeyPem: makerKey });
  }
  if (good.length > 0) goodParsed = parseImage(good);
  if (t.control && (await t.client.info()).state === "blank") {
    // A simulated device holds a seed and an identity the update must keep.
    await provisionDevice(t.client, { model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "HW-UPD-1", timeMs: t.control.now() });
  }
  before = await t.client.info();
});
afterAll(async () => { await t?.close(); });

const skipWithoutImage = (ctx: { skip: (why: string) => void }): boolean => {
  if (good.length > 0) return false;
  ctx.skip("set SEGL_UPDATE_IMAGE to a signed image for this device");
  return true;
};
const refused = (reason: string) => (e: unknown) => isSeglError(e, "UPDATE_REFUSED") && e.details?.["reason"] === reason;

/** INFO once the device answers again (a real device takes a moment after REBOOT). */
async function infoAfterReboot(): Promise<DeviceInfo> {
  for (let i = 0; ; i++) {
    try {
      return await t.client.info();
    } catch (err) {
      if (i >= 5 || !isSeglError(err, "TIMEOUT", "BAD_RESPONSE", "DISCONNECTED")) throw err;
    }
  }
}

/** INFO answers the version it answered before the test, with the same identity. */
async function unchanged(version = before.firmwareVersion): Promise<void> {
  const info = await infoAfterReboot();
  assert.equal(info.firmwareVersion, version);
  assert.equal(info.serial, before.serial);
  assert.equal(info.state, before.state);
  assert.equal(info.model, before.model);
}

test("a bad signature is refused at UPDATE_BEGIN; the old version keeps answering", async (ctx) => {
  if (skipWithoutImage(ctx)) return;
  for (const at of [64, 100, 127]) { // r, s: any flipped bit
    const bad = good.slice();
    bad[at]! ^= 0x10;
    await assert.rejects(t.client.updateBegin(bad.subarray(0, IMAGE_HEADER_SIZE)), refused("SIGNATURE"), `signature byte ${at}`);
  }
  const header = good.slice(0, IMAGE_HEADER_SIZE);
  header[12]! ^= 1; // the version: signed bytes changed
  await assert.rejects(t.client.updateBegin(header), refused("SIGNATURE"));
  await unchanged();
});

test("a truncated image is refused at UPDATE_FINISH and never boots; the old version keeps answering", async (ctx) => {
  if (skipWithoutImage(ctx)) return;
  const { headerBytes, payload } = goodParsed;
  await t.client.updateAbort(); // nothing left over from an earlier run
  assert.equal(await t.client.updateBegin(headerBytes), 0);
  const part = Math.floor(payload.length / 2 / 4) * 4;
  for (let off = 0; off < part; off += 1016) await t.client.updateData(off, payload.subarray(off, Math.min(part, off + 1016)));
  await assert.rejects(t.client.updateFinish(), refused("SEQUENCE"));
  await t.client.reboot();
  await unchanged();
});

test("an interrupted download resumes; the new version answers with the device's data intact", async (ctx) => {
  if (skipWithoutImage(ctx)) return;
  const ac = new AbortController();
  let chunks = 0;
  await assert.rejects(
    updateFirmware(t.client, good, { sleep: noWait, signal: ac.signal, onProgress: (p) => { if (p.phase === "data" && ++chunks === 10) ac.abort(); } }),
    (e) => isSeglError(e, "ABORTED"));
  await unchanged();
  const code = t.control ? (t.control.press(), t.control.display()) : "";
  const r = await updateFirmware(t.client, good, { sleep: noWait, rebootTimeoutMs: 30_000 });
  assert.ok(r.resumedFrom >= 8 * 1016, `resumed from ${r.resumedFrom}`);
  assert.equal(r.bytesSent, goodParsed.payload.length - r.resumedFrom);
  await unchanged(goodParsed.header.versionString);
  if (t.control) {
    assert.equal(t.control.device.bootRecord().counter, goodParsed.header.securityCounter);
    t.control.press();
    assert.equal(t.control.display(), code, "same seed, same time: same code");
  }
});

test("a downgrade (security counter below the stored one) is refused; the new version keeps answering", async (ctx) => {
  if (skipWithoutImage(ctx)) return;
  if (!makerKey) return ctx.skip("set SEGL_MAKER_KEY to the maker's private key to sign a downgrade");
  const counter = goodParsed.header.securityCounter;
  if (counter === 0) return ctx.skip("the good image's security counter is 0: nothing is below it");
  const old = buildImage(goodParsed.payload, { version: goodParsed.header.version, securityCounter: counter - 1, models: goodParsed.header.modelMask, keyIndex: goodParsed.header.keyIndex, privateKeyPem: makerKey });
  await assert.rejects(updateFirmware(t.client, old, { sleep: noWait }), refused("ROLLBACK"));
  await unchanged(goodParsed.header.versionString);
});
