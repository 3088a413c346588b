// The boot ROM's flash (slots, boot record) as a snapshot: what the browser page keeps in IndexedDB so
// that a reload brings back an updated image and its boot record (docs/simulator.md "In a browser").
import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Device, SimClock, signImageForTest } from "../src/index.js";
import { MemoryTransport, ServiceClient, provisionDevice, updateFirmware } from "@segl/host-sdk";

const NEXT = new Uint8Array(readFileSync("firmware/build/firmware-next.wasm"));
const noWait = async (): Promise<void> => {};

test("a device rebuilt from both flash snapshots boots the updated image (0.2.0) with the same boot record", async () => {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const dev = new Device({ clock, rngSeed: "boot-snap" });
  assert.equal(dev.snapshotBootFlash(), undefined); // as manufactured: nothing written yet
  const t1 = new MemoryTransport(dev);
  const client = new ServiceClient(t1, { timeoutMs: 500, retries: 0 });
  await provisionDevice(client, { model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "SNAP-1", timeMs: clock.now(), lock: true });
  const r = await updateFirmware(client, signImageForTest(NEXT, { version: 0x000200, securityCounter: 1 }), { sleep: noWait });
  assert.equal(r.info.firmwareVersion, "0.2.0");
  const record = dev.bootRecord();
  const boot = dev.snapshotBootFlash();
  assert.ok(boot);
  const data = dev.snapshotFlash();
  await t1.close();

  const again = new Device({ clock, rngSeed: "boot-snap", powerOn: false });
  again.flash.restore(data);
  again.restoreBootFlash(boot);
  again.powerOn();
  assert.deepEqual(again.bootRecord(), record);
  const t2 = new MemoryTransport(again);
  const c2 = new ServiceClient(t2, { timeoutMs: 500, retries: 0 });
  const info = await c2.info();
  assert.equal(info.firmwareVersion, "0.2.0");
  assert.equal(info.serial, "SNAP-1");

  // Without the boot flash the same data flash comes back on the shipping image: the snapshot carried the update.
  const plain = new Device({ clock, rngSeed: "boot-snap", powerOn: false });
  plain.flash.restore(data);
  plain.powerOn();
  const t3 = new MemoryTransport(plain);
  const c3 = new ServiceClient(t3, { timeoutMs: 500, retries: 0 });
  assert.notEqual((await c3.info()).firmwareVersion, "0.2.0");
  await t2.close(); await t3.close();
});

test("a boot flash snapshot without a manufacture page is refused with a RangeError", () => {
  const dev = new Device({ powerOn: false });
  assert.throws(() => dev.restoreBootFlash(new Uint8Array(dev.bootRom.flash.size).fill(0xff)), RangeError);
});
