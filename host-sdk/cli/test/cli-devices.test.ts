// `segl devices`' sources with the native modules replaced: node-hid by a fake module whose
// devices are simulated chips (reports into Device.hidWrite, "data" from its hid events) plus a
// FIDO key that is not a Segl chip; serialport's list by a simulated display behind a PTY and a
// silent port; usb by a virtual USB bus.
import { test } from "vitest";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Device, PtyBridge, SimClock, VirtualUsbBus, provisionChip } from "@segl/simulator";
import type { HidAsyncDevice, HidDeviceInfo, NodeHidModule } from "@segl/host-sdk/device";
import { listDevices } from "../src/devices.js";

/** A node-hid device that is a simulated chip: writes (report ID 0 first) go in, reports come out as "data". */
class SimHidDevice extends EventEmitter implements HidAsyncDevice {
  private readonly onReport = (r: Uint8Array) => this.emit("data", Buffer.from(r));
  constructor(private readonly device: Device) {
    super();
    device.on("hid", this.onReport);
  }
  async write(v: number[] | Buffer): Promise<number> {
    const b = Buffer.from(v as Buffer);
    queueMicrotask(() => this.device.hidWrite(new Uint8Array(b.subarray(1))));
    return b.length;
  }
  async close(): Promise<void> {
    this.device.off("hid", this.onReport);
  }
}

/** A FIDO key that never answers. */
class SilentHidDevice extends EventEmitter implements HidAsyncDevice {
  async write(v: number[] | Buffer): Promise<number> { return (v as Buffer).length; }
  async close(): Promise<void> {}
}

test("listDevices: HID chips with their service INFO, a foreign FIDO key noted, serial displays that answer, USB DFU chips", async () => {
  const clock = new SimClock({ mode: "real" });
  const chip = new Device({ clock, name: "hid-chip", rngSeed: "devices-1" });
  provisionChip(chip, { serial: "HID-CHIP-1" });
  const usbChip = new Device({ clock, name: "usb-chip", rngSeed: "devices-2" });
  provisionChip(usbChip, { serial: "USB-CHIP-1", lock: false });
  const display = new Device({ clock, name: "tty-display" });
  const dir = mkdtempSync(join(tmpdir(), "segl-devices-"));
  const bridge = await PtyBridge.open(display, { path: join(dir, "tty") });
  const silent = join(dir, "silent");
  writeFileSync(silent, "");
  const bus = new VirtualUsbBus();
  bus.attach(usbChip);
  const hidList: HidDeviceInfo[] = [
    { path: "/dev/hidraw-segl", vendorId: 0x1209, productId: 0x5e61, usagePage: 0xf1d0, usage: 1, serialNumber: "HID-CHIP-1" },
    { path: "/dev/hidraw-other", vendorId: 0x1050, productId: 0x0407, usagePage: 0xf1d0, usage: 1, serialNumber: "" },
    { path: "/dev/hidraw-mouse", vendorId: 0x046d, productId: 0xc077, usagePage: 0x01, usage: 2 },
  ];
  const hid: NodeHidModule = {
    devicesAsync: async () => hidList,
    HIDAsync: { open: (async (path: string) => (path === "/dev/hidraw-segl" ? new SimHidDevice(chip) : new SilentHidDevice())) as unknown as NodeHidModule["HIDAsync"]["open"] },
  };
  try {
    const { devices, skipped } = await listDevices({
      sim: false, control: undefined, all: false, timeoutMs: 400,
      sources: { hid, usb: bus, serialPorts: async () => [{ path: bridge.path }, { path: silent }] },
    });
    assert.deepEqual(skipped, []);
    const rows = devices.map((d) => [d.id, d.transport, d.model, d.serial, d.state, d.mode ?? null]);
    assert.deepEqual(rows, [
      ["hid:/dev/hidraw-segl", "hid", "chip", "HID-CHIP-1", "locked", null],
      ["hid:/dev/hidraw-other", "hid", "unknown", "", "unknown", null],
      [`serial:${bridge.path}`, "serial", "none", "", "blank", null],
      ["usb:USB-CHIP-1", "usb", "chip", "USB-CHIP-1", "unknown", "runtime"],
    ]);
    assert.match(devices[0]!.firmware, /^\d+\.\d+\.\d+$/);
    assert.match(devices[1]!.note ?? "", /not a Segl chip/);
    const all = await listDevices({ sim: false, control: undefined, all: true, timeoutMs: 300, sources: { hid: { ...hid, devicesAsync: async () => [] }, usb: new VirtualUsbBus(), serialPorts: async () => [{ path: silent }] } });
    assert.deepEqual(all.devices.map((d) => [d.id, d.state]), [[`serial:${silent}`, "unknown"]], "--all lists a port that does not answer");
  } finally {
    await bridge.close();
    for (const d of [chip, usbChip, display]) d.dispose();
    clock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
