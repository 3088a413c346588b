// HidTransport over an injected fake node-hid module (the real one needs hardware): FIDO usage
// page filtering, report-ID 0 prefix on writes, reports in, errors mapped to SeglError codes;
// HidMemoryTransport over a duck-typed endpoint.
import { test } from "vitest";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { HidTransport, type HidAsyncDevice, type HidDeviceInfo, type NodeHidModule } from "../src/transport/hid.js";
import { HidMemoryTransport } from "../src/transport/hid-memory.js";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { isSeglError } from "../src/errors.js";

class FakeHidDevice extends EventEmitter implements HidAsyncDevice {
  writes: Buffer[] = [];
  closed = false;
  async write(v: number[] | Buffer): Promise<number> {
    const b = Buffer.from(v as Buffer);
    this.writes.push(b);
    return b.length;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function fakeModule(devs: HidDeviceInfo[], openErr?: string): { mod: NodeHidModule; opened: FakeHidDevice[]; paths: string[] } {
  const opened: FakeHidDevice[] = [];
  const paths: string[] = [];
  const mod: NodeHidModule = {
    devicesAsync: async () => devs,
    HIDAsync: {
      open: (async (path: string | number) => {
        if (openErr) throw new Error(openErr);
        paths.push(String(path));
        const d = new FakeHidDevice();
        opened.push(d);
        return d;
      }) as unknown as NodeHidModule["HIDAsync"]["open"],
    },
  };
  return { mod, opened, paths };
}

const DEVS: HidDeviceInfo[] = [
  { path: "/dev/hidraw0", vendorId: 0x1209, productId: 0x5e91, usagePage: 0x01, usage: 6 },
  { path: "/dev/hidraw1", vendorId: 0x1209, productId: 0x5e91, usagePage: 0xf1d0, usage: 1 },
  { path: "/dev/hidraw2", vendorId: 0x1050, productId: 0x0407, usagePage: 0xf1d0, usage: 1 },
];

test("list: only FIDO interfaces (usage page 0xF1D0), filtered by vendor/product", async () => {
  const { mod } = fakeModule(DEVS);
  assert.deepEqual((await HidTransport.list({ hid: mod })).map((d) => d.path), ["/dev/hidraw1", "/dev/hidraw2"]);
  assert.deepEqual((await HidTransport.list({ hid: mod, vendorId: 0x1209 })).map((d) => d.path), ["/dev/hidraw1"]);
  assert.equal((await HidTransport.list({ hid: mod, all: true })).length, 3);
});

test("open by vendor/product picks the FIDO interface; writes carry report ID 0; reads are reports", async () => {
  const { mod, opened, paths } = fakeModule(DEVS);
  const t = await HidTransport.open({ vendorId: 0x1209, productId: 0x5e91 }, { hid: mod });
  assert.deepEqual(paths, ["/dev/hidraw1"]);
  await t.send(Uint8Array.of(1, 2, 3));
  const w = opened[0]!.writes[0]!;
  assert.equal(w.length, 65);
  assert.equal(w[0], 0);
  assert.deepEqual([...w.subarray(1, 5)], [1, 2, 3, 0]);
  await assert.rejects(t.send(new Uint8Array(65)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  const report = Buffer.alloc(64, 7);
  opened[0]!.emit("data", report);
  assert.deepEqual(await t.receive({ timeoutMs: 100 }), new Uint8Array(report));
  opened[0]!.emit("error", new Error("could not read from HID device"));
  await assert.rejects(t.receive({ timeoutMs: 100 }), (e) => isSeglError(e, "DISCONNECTED"));
  await t.close();
  assert.ok(opened[0]!.closed);
  await assert.rejects(t.send(new Uint8Array(1)), (e) => isSeglError(e, "CLOSED"));
});

test("open errors are typed", async () => {
  await assert.rejects(HidTransport.open({ vendorId: 1, productId: 2 }, { hid: fakeModule(DEVS).mod }), (e) => isSeglError(e, "DEVICE_NOT_FOUND"));
  await assert.rejects(HidTransport.open("/dev/hidraw9", { hid: fakeModule(DEVS, "cannot open device with path /dev/hidraw9").mod }), (e) => isSeglError(e, "DEVICE_NOT_FOUND"));
  await assert.rejects(HidTransport.open("/dev/hidraw1", { hid: fakeModule(DEVS, "Permission denied").mod }), (e) => isSeglError(e, "PERMISSION_DENIED"));
  await assert.rejects(HidTransport.open("", { hid: fakeModule(DEVS).mod }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("the real node-hid module loads lazily (or the error says how to install it)", async () => {
  try {
    const list = await HidTransport.list();
    assert.ok(Array.isArray(list));
  } catch (err) {
    assert.ok(isSeglError(err, "NATIVE_MODULE_MISSING", "TRANSPORT_ERROR"), String(err));
  }
});

test("HidMemoryTransport: pads reports, delivers the endpoint's reports asynchronously, detaches on close", async () => {
  const ep = new EventEmitter() as EventEmitter & { hidWrite(r: Uint8Array): void };
  const written: Uint8Array[] = [];
  ep.hidWrite = (r) => {
    written.push(r);
    // answer INIT like a device would
    if (r[4] === 0x86) {
      const a = new Uint8Array(64);
      a.set(r.subarray(0, 7));
      a[6] = 17;
      a.set(r.subarray(7, 15), 7);
      a.set([0, 0, 0, 9, 2, 0, 1, 0, 1], 15);
      ep.emit("hid", a);
    }
  };
  const t = new HidMemoryTransport(ep);
  const c = await CtapHidClient.open(t);
  assert.equal(c.cid, 9);
  assert.equal(written[0]!.length, 64);
  await t.close();
  assert.equal(ep.listenerCount("hid"), 0);
});
