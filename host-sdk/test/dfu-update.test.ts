// End to end: the SDK's DFU client → the simulator's virtual USB device → the firmware's update
// receiver → the boot ROM, with real signed images (docs/image-format.md). A good image boots and
// keeps the chip's identity; a bad one ends in dfuERROR errVERIFY and the old image keeps running;
// an interrupted download (abort, unplugged cable) is restarted and completes.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Device, SimClock, VirtualUsbBus, chipInfo, provisionChip } from "@segl/simulator";
import { dfuUpdate, findDfuDevices, isSeglError, type DfuProgress, type Sleep } from "../src/device.js";
import { buildImage, generateMakerKey } from "../src/image/index.js";

const KEY = generateMakerKey();
const OLD = new Uint8Array(readFileSync("firmware/build/firmware.wasm"));
const NEW = new Uint8Array(readFileSync("firmware/build/firmware-next.wasm"));
const image = (payload: Uint8Array, version: string, o: { pem?: string; securityCounter?: number } = {}) =>
  buildImage(payload, { version, privateKeyPem: o.pem ?? KEY.privateKeyPem, models: ["chip"], ...(o.securityCounter !== undefined ? { securityCounter: o.securityCounter } : {}) });

function chip(serial: string, o: { blockBusyMs?: number } = {}) {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const device = new Device({ clock, rngSeed: serial, name: "chip", slots: { A: image(OLD, "0.1.0") }, bootRom: { makerKeys: [KEY.publicKeyPem], model: 3 } });
  provisionChip(device, { serial });
  const bus = new VirtualUsbBus();
  const port = bus.attach(device, { blockBusyMs: o.blockBusyMs ?? 2, manifestMs: 10 });
  const sleep: Sleep = async (ms) => { clock.advance(ms); };
  return { clock, device, bus, port, sleep };
}

describe("DFU into the real firmware", () => {
  test("a good image: downloaded, manifested, booted on reset; the chip keeps its serial and lock, reports 0.2.0", async () => {
    const { device, bus, sleep } = chip("E2E-0001");
    const before = chipInfo(device);
    assert.equal(before.firmware, "0.1.0");
    const file = image(NEW, "0.2.0", { securityCounter: 1 });
    const progress: DfuProgress[] = [];
    const r = await dfuUpdate(file, { usb: bus, serial: "E2E-0001", sleep, onProgress: (p) => progress.push(p) });
    assert.equal(r.before, "0.1.0");
    assert.equal(r.after, "0.2.0", "bcdDevice of the re-enumerated chip");
    const after = chipInfo(device);
    assert.equal(after.firmware, "0.2.0");
    assert.equal(after.serial, "E2E-0001");
    assert.equal(after.state, before.state);
    assert.equal(device.bootRecord().counter, 1, "the new image confirmed itself: the counter rose");
    assert.equal(device.lastBootChoice?.slot, "B");
    assert.equal(progress.filter((p) => p.phase === "download").at(-1)!.bytes, file.length);
    device.dispose();
  });

  test("a bad signature: DFU_ERR_VERIFY (errVERIFY) before any slot write; the old image keeps running", async () => {
    const { device, bus, sleep } = chip("E2E-0002");
    const ops = device.bootRom.flash.operations;
    const err = await dfuUpdate(image(NEW, "0.2.0", { pem: generateMakerKey().privateKeyPem }), { usb: bus, sleep }).then(() => undefined, (e: unknown) => e);
    assert.ok(isSeglError(err, "DFU_ERR_VERIFY"), String(err));
    assert.equal(err.details?.dfuStatus, "errVERIFY");
    assert.equal(device.bootRom.flash.operations, ops, "the header was refused before a byte was written");
    device.reboot();
    assert.equal(chipInfo(device).firmware, "0.1.0");
    device.dispose();
  });

  test("a bit flip in the payload: errVERIFY at manifestation (hash); the old image keeps running after a reboot", async () => {
    const { device, bus, sleep } = chip("E2E-0003");
    const file = image(NEW, "0.2.0");
    file[128 + 5000]! ^= 0x10;
    await assert.rejects(dfuUpdate(file, { usb: bus, sleep }), (e: unknown) => isSeglError(e, "DFU_ERR_VERIFY"));
    device.reboot();
    assert.equal(chipInfo(device).firmware, "0.1.0");
    assert.equal(device.lastBootChoice?.slot, "A");
    device.dispose();
  });

  test("a downgrade below the stored security counter: DFU_ERR_TARGET; wrong model: DFU_ERR_TARGET", async () => {
    const { device, bus, sleep } = chip("E2E-0004");
    await dfuUpdate(image(NEW, "0.2.0", { securityCounter: 5 }), { usb: bus, sleep });
    assert.equal(device.bootRecord().counter, 5);
    await assert.rejects(dfuUpdate(image(OLD, "0.1.0", { securityCounter: 4 }), { usb: bus, sleep }), (e: unknown) => isSeglError(e, "DFU_ERR_TARGET"));
    const display = buildImage(OLD, { version: "0.1.0", privateKeyPem: KEY.privateKeyPem, models: ["code-display"], securityCounter: 5 });
    await assert.rejects(dfuUpdate(display, { usb: bus, sleep }), (e: unknown) => isSeglError(e, "DFU_ERR_TARGET"));
    device.reboot();
    assert.equal(chipInfo(device).firmware, "0.2.0");
    device.dispose();
  });

  test("interrupted by its signal, then restarted with the same image: completes and boots", async () => {
    const { device, bus, sleep } = chip("E2E-0005");
    const file = image(NEW, "0.2.0");
    const ctl = new AbortController();
    await assert.rejects(dfuUpdate(file, { usb: bus, sleep, signal: ctl.signal, onProgress: (p) => { if (p.phase === "download" && p.bytes > file.length / 2) ctl.abort(); } }),
      (e: unknown) => isSeglError(e, "ABORTED"));
    assert.equal(chipInfo(device).firmware, "0.1.0", "nothing changed yet");
    const ops = device.bootRom.flash.operations;
    const r = await dfuUpdate(file, { usb: bus, sleep });
    assert.equal(r.after, "0.2.0");
    const full = chip("E2E-0006");
    const fullOps = full.device.bootRom.flash.operations;
    await dfuUpdate(file, { usb: full.bus, sleep: full.sleep });
    assert.ok(device.bootRom.flash.operations - ops < full.device.bootRom.flash.operations - fullOps, "the rerun resumed: fewer slot writes than a whole download");
    device.dispose();
    full.device.dispose();
  });

  test("a power cut at slot flash operations during the DFU download: DISCONNECTED, the old image boots, the rerun completes", async () => {
    const file = image(NEW, "0.2.0");
    for (const n of [1, 2, 7, 19, 40]) {
      const { device, bus, port, sleep } = chip(`E2E-CUT-${n}`);
      device.cutPowerAtBootFlashOperation(n);
      await assert.rejects(dfuUpdate(file, { usb: bus, sleep }), (e: unknown) => isSeglError(e, "DISCONNECTED"), `cut at ${n}`);
      assert.equal(device.state, "off");
      port.plug();
      assert.equal(chipInfo(device).firmware, "0.1.0", `cut at ${n}: the old image runs`);
      assert.equal(chipInfo(device).serial, `E2E-CUT-${n}`);
      const r = await dfuUpdate(file, { usb: bus, sleep });
      assert.equal(r.after, "0.2.0", `cut at ${n}: the rerun updates`);
      device.dispose();
    }
  });

  test("the cable pulled mid-download: DISCONNECTED, the old image boots when plugged back; the rerun completes", async () => {
    const { device, bus, port, sleep } = chip("E2E-0007");
    const file = image(NEW, "0.2.0");
    await assert.rejects(dfuUpdate(file, { usb: bus, sleep, onProgress: (p) => { if (p.phase === "download" && p.bytes > 20_000) port.unplug(); } }),
      (e: unknown) => isSeglError(e, "DISCONNECTED"));
    port.plug();
    assert.equal(chipInfo(device).firmware, "0.1.0");
    assert.equal((await findDfuDevices({ usb: bus }))[0]!.mode, "runtime");
    const r = await dfuUpdate(file, { usb: bus, sleep });
    assert.equal(r.after, "0.2.0");
    device.dispose();
  });
});
