// updateFirmware and the ServiceClient update commands against the real image in the simulator:
// a display over UART frames, a chip over the CTAPHID tunnel (a touch starts it), refusals as
// UPDATE_REFUSED with the reason, an interrupted download that resumes, an image the boot ROM
// does not keep (UPDATE_NOT_APPLIED). Credentials, PIN and counters survive the update.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { Device, SimClock } from "@segl/simulator";
import {
  MemoryTransport, ServiceClient, HidMemoryTransport, CtapHidClient, HidServiceTunnel, Ctap2Client, ClientPin, provisionDevice,
  updateFirmware, isSeglError, type UpdateProgress,
} from "../src/index.js";
import { buildImage, generateMakerKey } from "../src/image/index.js";

const KEY = generateMakerKey();
const OLD = new Uint8Array(readFileSync("firmware/build/firmware-guarded.wasm"));
const NEW = new Uint8Array(readFileSync("firmware/build/firmware-next.wasm"));
const image = (payload: Uint8Array, version: string, o: { securityCounter?: number; models?: ("chip" | "code-display" | "blank")[]; pem?: string } = {}) =>
  buildImage(payload, { version, privateKeyPem: o.pem ?? KEY.privateKeyPem, ...(o.securityCounter !== undefined ? { securityCounter: o.securityCounter } : {}), ...(o.models ? { models: o.models } : {}) });
const noWait = async (): Promise<void> => {};

function display(model?: number): { dev: Device; client: ServiceClient; clock: SimClock } {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const dev = new Device({ clock, rngSeed: "update-sdk", slots: { A: image(OLD, "0.1.0") }, bootRom: { makerKeys: [KEY.publicKeyPem], ...(model ? { model } : {}) } });
  return { dev, clock, client: new ServiceClient(new MemoryTransport(dev), { timeoutMs: 500, retries: 0 }) };
}

describe("updateFirmware over the serial service protocol", () => {
  test("updates a locked display: progress, REBOOT, INFO with the new version, seed and identity intact", async () => {
    const { dev, client, clock } = display();
    await provisionDevice(client, { model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "UPD-1", timeMs: clock.now(), lock: true });
    dev.click();
    const code = dev.display;
    const seen: UpdateProgress[] = [];
    const r = await updateFirmware(client, image(NEW, "0.2.0", { securityCounter: 1 }), { onProgress: (p) => seen.push(p), sleep: noWait });
    assert.equal(r.info.firmwareVersion, "0.2.0");
    assert.equal(r.info.serial, "UPD-1");
    assert.equal(r.info.state, "locked");
    assert.equal(r.resumedFrom, 0);
    assert.equal(r.bytesSent, NEW.length);
    assert.deepEqual([...new Set(seen.map((p) => p.phase))], ["begin", "data", "finish", "reboot", "verify", "done"]);
    assert.ok(seen.filter((p) => p.phase === "data").every((p, i, a) => i === 0 || p.sent > a[i - 1]!.sent), "progress only rises");
    assert.equal(dev.bootRecord().counter, 1);
    dev.click();
    assert.equal(dev.display, code, "same seed, same time, same code");
    dev.dispose();
  });

  test("refusals are UPDATE_REFUSED with the reason; a broken file is refused before anything is sent", async () => {
    const { dev, client } = display();
    await assert.rejects(updateFirmware(client, image(NEW, "0.2.0", { pem: generateMakerKey().privateKeyPem }), { sleep: noWait }),
      (e) => isSeglError(e, "UPDATE_REFUSED") && e.details?.["reason"] === "SIGNATURE" && e.details?.["command"] === "UPDATE_BEGIN");
    // A blank device has model 0: an image for chips only is not for it
    await assert.rejects(updateFirmware(client, image(NEW, "0.2.0", { models: ["chip"] }), { sleep: noWait }),
      (e) => isSeglError(e, "UPDATE_REFUSED") && e.details?.["reason"] === "MODEL");
    const truncated = image(NEW, "0.2.0").subarray(0, 5000);
    const before = dev.bootRom.flash.operations;
    await assert.rejects(updateFirmware(client, truncated, { sleep: noWait }), (e) => isSeglError(e, "IMAGE_FORMAT"));
    assert.equal(dev.bootRom.flash.operations, before, "nothing was written for a truncated file");
    assert.equal((await client.info()).firmwareVersion, "0.1.0");
    dev.dispose();
  });

  test("an interrupted download resumes where the device is", async () => {
    const { dev, client } = display();
    const file = image(NEW, "0.2.0");
    const ac = new AbortController();
    let chunks = 0;
    await assert.rejects(updateFirmware(client, file, { signal: ac.signal, sleep: noWait, onProgress: (p) => { if (p.phase === "data" && ++chunks === 30) ac.abort(); } }),
      (e) => isSeglError(e, "ABORTED"));
    const r = await updateFirmware(client, file, { sleep: noWait });
    assert.ok(r.resumedFrom >= 28 * 1016, `resumed from ${r.resumedFrom}`);
    assert.equal(r.bytesSent, NEW.length - r.resumedFrom);
    assert.equal(r.info.firmwareVersion, "0.2.0");
    dev.dispose();
  });

  test("an image the boot ROM does not keep: UPDATE_NOT_APPLIED, the old image answers", async () => {
    // A blank device (model 0 to its firmware) whose hardware is a code display (model 1 to its
    // boot ROM): an image for blank devices only passes the receiver, not the boot ROM.
    const { dev, client } = display(1);
    await assert.rejects(updateFirmware(client, image(NEW, "0.2.0", { models: ["blank"] }), { sleep: noWait }),
      (e) => isSeglError(e, "UPDATE_NOT_APPLIED") && e.details?.["expected"] === "0.2.0" && e.details?.["running"] === "0.1.0");
    assert.match(dev.lastBootChoice!.notes.join(), /pending-invalid: MODEL/);
    dev.dispose();
  });
});

describe("the chip over the CTAPHID tunnel", () => {
  test("a touch starts the update; credentials, their counters and the PIN survive it", async () => {
    const clock = new SimClock({ startMs: Date.now() });
    const device = new Device({ clock, rngSeed: "update-chip", slots: { A: image(OLD, "0.1.0") }, bootRom: { makerKeys: [KEY.publicKeyPem], model: 3 } });
    const transport = new HidMemoryTransport(device);
    const hid = await CtapHidClient.open(transport);
    try {
      const factory = new ServiceClient(new HidServiceTunnel(hid));
      await provisionDevice(factory, { model: "chip", serial: "CHIP-UPD", timeMs: clock.now() });
      const ctap = new Ctap2Client(hid);
      const touch = { onStatus: (s: string) => { if (s === "up-needed") queueMicrotask(() => device.click()); } };
      const cdh = new Uint8Array(createHash("sha256").update("c").digest());
      const cred = await ctap.makeCredential({ clientDataHash: cdh, rp: { id: "bank.example", name: "Bank" }, user: { id: new Uint8Array([7]), name: "a", displayName: "A" } }, touch);
      const a1 = await ctap.getAssertion({ rpId: "bank.example", clientDataHash: cdh, allowList: [{ type: "public-key", id: cred.credentialId }] }, touch);
      const pin = new ClientPin(ctap);
      await pin.setPin("4321");
      const count1 = new DataView(a1.authData.buffer, a1.authData.byteOffset).getUint32(33);

      let touches = 0;
      const phases: string[] = [];
      const r = await updateFirmware(factory, image(NEW, "0.2.0", { models: ["chip"] }), {
        sleep: async () => { touches++; device.click(); }, onProgress: (p) => phases.push(p.phase),
      });
      assert.equal(touches, 1, "asked once for a touch, then started");
      assert.ok(phases.includes("touch"));
      assert.equal(r.info.firmwareVersion, "0.2.0");
      const a2 = await ctap.getAssertion({ rpId: "bank.example", clientDataHash: cdh, allowList: [{ type: "public-key", id: cred.credentialId }] }, touch);
      assert.deepEqual(a2.credential.id, cred.credentialId, "the credential made before the update still signs");
      assert.ok(new DataView(a2.authData.buffer, a2.authData.byteOffset).getUint32(33) > count1, "its counter went on rising");
      assert.equal((await pin.getRetries()).retries, 8, "the PIN is still set (retries untouched)");
      await assert.rejects(pin.setPin("9999"), (e) => isSeglError(e, "CTAP_ERROR"), "setPin is refused: a PIN exists");
      // without a touch a new download is refused with PRESENCE_REQUIRED, and times out politely
      let t = 0;
      await assert.rejects(updateFirmware(factory, image(OLD, "0.1.0", { models: ["chip"] }), { sleep: noWait, now: () => (t += 10_000), presenceTimeoutMs: 25_000 }),
        (e) => isSeglError(e, "TIMEOUT"));
    } finally {
      await transport.close();
      device.dispose();
    }
  });
});
