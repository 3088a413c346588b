// The SDK's DFU client (host-sdk/src/protocols/dfu) against the simulator's virtual USB bus: the
// same code that drives the `usb` package. The chip's update receiver is a fake here (the
// firmware's own is exercised end to end in dfu-update.test.ts).
import { afterEach, describe, test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, VirtualUsbBus, provisionChip, type VirtualUsbOptions } from "@segl/simulator";
import {
  sleepAtLeast, type SleepTimer,
  DfuSession, SeglError, dfuDownload, dfuUpdate, findDfuDevices, mapUsbError, parseFunctionalDescriptor, isSeglError, type DfuProgress, type Sleep,
} from "../src/device.js";
import { FakeReceiver, fakeImage } from "../../simulator/test/fake-receiver.js";

const disposers: (() => void)[] = [];
afterEach(() => { for (const d of disposers.splice(0)) d(); });

function chip(serial: string, o: VirtualUsbOptions = {}) {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const device = new Device({ clock, rngSeed: serial, name: "chip" });
  provisionChip(device, { serial });
  const receiver = new FakeReceiver();
  const bus = new VirtualUsbBus();
  const port = bus.attach(device, { receiver, ...o });
  disposers.push(() => device.dispose());
  const slept: number[] = [];
  /** Waiting advances the simulated clock: bwPollTimeout is honoured without wall-clock time. */
  const sleep: Sleep = async (ms) => { slept.push(ms); clock.advance(ms); };
  return { clock, device, receiver, bus, port, sleep, slept };
}

const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);

describe("DFU client on the virtual USB bus", () => {
  test("findDfuDevices: the chip in runtime mode, with its serial, wTransferSize and attributes", async () => {
    const { bus } = chip("DFU-0001", { transferSize: 512 });
    const [d, ...rest] = await findDfuDevices({ usb: bus });
    assert.equal(rest.length, 0);
    assert.equal(d!.serial, "DFU-0001");
    assert.equal(d!.mode, "runtime");
    assert.equal(d!.interfaceNumber, 1);
    assert.equal(d!.transferSize, 512);
    assert.deepEqual(d!.attributes, { canDownload: true, canUpload: false, manifestationTolerant: false, willDetach: true });
    assert.match(d!.firmwareVersion, /^\d+\.\d+\.\d+$/);
  });

  test("dfuUpdate: DETACH, re-enumeration in DFU mode, every block acknowledged, manifestation, reset, back in runtime mode", async () => {
    const { bus, receiver, sleep, slept, device } = chip("DFU-0002", { transferSize: 256, blockBusyMs: 3, manifestMs: 20 });
    const file = fakeImage(payload(3000));
    const progress: DfuProgress[] = [];
    const boots = device.boots;
    const r = await dfuUpdate(file, { usb: bus, serial: "DFU-0002", sleep, onProgress: (p) => progress.push(p) });
    assert.equal(r.serial, "DFU-0002");
    assert.equal(r.bytes, file.length);
    assert.equal(r.blocks, Math.ceil(file.length / 256));
    assert.equal(receiver.pending, true, "update_finish accepted the image");
    assert.deepEqual([...receiver.payload], [...payload(3000)]);
    assert.equal(device.boots, boots + 1, "the USB reset rebooted the chip");
    assert.ok(r.after !== undefined, "the chip came back in runtime mode");
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ["detach", "download", "manifest", "reset", "done"]);
    const bytes = progress.filter((p) => p.phase === "download").map((p) => p.bytes);
    assert.ok(bytes.every((b, i) => i === 0 || b > bytes[i - 1]!), "progress only grows");
    assert.equal(bytes.at(-1), file.length);
    assert.ok(slept.filter((ms) => ms === 3).length >= r.blocks, "the client waited bwPollTimeout after each block");
    assert.ok(slept.includes(20), "and the manifestation time");
    const [after] = await findDfuDevices({ usb: bus });
    assert.equal(after!.mode, "runtime");
  });

  test("an image the chip does not run after the reset: UPDATE_NOT_APPLIED naming both versions", async () => {
    const { bus, sleep, receiver } = chip("DFU-0014");
    const err = await dfuUpdate(fakeImage(payload(300), { version: 0x000203 }), { usb: bus, sleep }).then(() => undefined, (e: unknown) => e);
    assert.ok(isSeglError(err, "UPDATE_NOT_APPLIED"), String(err));
    assert.deepEqual(err.details, { expected: "0.2.3", running: "0.1.0" });
    assert.equal(receiver.pending, true, "downloaded and accepted; the chip just did not switch (a fake receiver)");
  });

  test("a client that does not wait bwPollTimeout gets the device into dfuERROR (errSTALLEDPKT), typed", async () => {
    const { bus } = chip("DFU-0003", { blockBusyMs: 10 });
    const noWait: Sleep = async () => {};
    await assert.rejects(dfuUpdate(fakeImage(payload(400)), { usb: bus, sleep: noWait, waitForRuntime: false }), (e: unknown) => isSeglError(e, "DFU_STALL"));
    const [d] = await findDfuDevices({ usb: bus });
    const s = DfuSession.open(d!);
    try {
      const st = await s.getStatus();
      assert.equal(st.stateName, "dfuERROR");
      assert.equal(st.statusName, "errSTALLEDPKT");
    } finally {
      await s.close();
    }
  });

  test("a bad signature: DFU_ERR_VERIFY naming errVERIFY; the next download of a good image clears the error and succeeds", async () => {
    const { bus, receiver, sleep } = chip("DFU-0004");
    const err = await dfuUpdate(fakeImage(payload(500), { badSignature: true }), { usb: bus, sleep }).then(() => undefined, (e: unknown) => e);
    assert.ok(isSeglError(err, "DFU_ERR_VERIFY"), String(err));
    assert.equal(err.details?.dfuStatus, "errVERIFY");
    assert.equal(err.details?.state, "dfuERROR");
    assert.equal(receiver.written, 0);
    const [d] = await findDfuDevices({ usb: bus });
    assert.equal(d!.mode, "dfu", "still in DFU mode, waiting");
    await dfuUpdate(fakeImage(payload(500)), { usb: bus, sleep });
    assert.equal(receiver.pending, true);
  });

  test("a wrong model is DFU_ERR_TARGET; a bad payload hash DFU_ERR_VERIFY at manifestation", async () => {
    const a = chip("DFU-0005");
    await assert.rejects(dfuUpdate(fakeImage(payload(300), { model: 0x02 }), { usb: a.bus, sleep: a.sleep }), (e: unknown) => isSeglError(e, "DFU_ERR_TARGET"));
    const b = chip("DFU-0006");
    const progress: DfuProgress[] = [];
    await assert.rejects(dfuUpdate(fakeImage(payload(300), { badHash: true }), { usb: b.bus, sleep: b.sleep, onProgress: (p) => progress.push(p) }), (e: unknown) => isSeglError(e, "DFU_ERR_VERIFY"));
    assert.equal(progress.at(-1)!.phase, "manifest");
    assert.equal(b.receiver.pending, false);
  });

  test("aborted by its signal mid-download: ABORTED, the device left in dfuIDLE; the rerun resumes (held bytes not rewritten)", async () => {
    const { bus, receiver, sleep } = chip("DFU-0007", { transferSize: 128 });
    const file = fakeImage(payload(2000));
    const ctl = new AbortController();
    const err = await dfuUpdate(file, {
      usb: bus, sleep, signal: ctl.signal,
      onProgress: (p) => { if (p.phase === "download" && p.bytes >= 1024) ctl.abort(); },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(isSeglError(err, "ABORTED"), String(err));
    const [d] = await findDfuDevices({ usb: bus });
    const s = DfuSession.open(d!);
    assert.equal(await s.getState(), "dfuIDLE");
    await s.close();
    const held = receiver.received;
    assert.ok(held >= 1024 - 128 && held < 2000, `held ${held}`);
    await dfuUpdate(file, { usb: bus, sleep });
    assert.equal(receiver.pending, true);
    assert.equal(receiver.written, 2000, "resumed: every payload byte written once");
  });

  test("aborted while the chip is busy with a block (dfuDNBUSY): the busy time is waited out, then ABORT; the rerun resumes", async () => {
    const { bus, receiver, clock } = chip("DFU-0013", { transferSize: 128, blockBusyMs: 5 });
    const file = fakeImage(payload(1500));
    const ctl = new AbortController();
    let calls = 0;
    const sleep: Sleep = async (ms, signal) => {
      clock.advance(ms);
      if (++calls === 6) ctl.abort();
      if (signal?.aborted) throw new SeglError("ABORTED", "aborted");
    };
    await assert.rejects(dfuUpdate(file, { usb: bus, sleep, signal: ctl.signal }), (e: unknown) => isSeglError(e, "ABORTED"));
    const [d] = await findDfuDevices({ usb: bus });
    const s = DfuSession.open(d!);
    assert.deepEqual([(await s.getStatus()).stateName, (await s.getStatus()).statusName], ["dfuIDLE", "OK"], "no stalled request on the way out");
    await s.close();
    assert.ok(receiver.received > 0);
    await dfuUpdate(file, { usb: bus, sleep: async (ms) => clock.advance(ms) });
    assert.equal(receiver.pending, true);
    assert.equal(receiver.written, 1500, "resumed: every payload byte written once");
  });

  test("an unplugged cable mid-download: DISCONNECTED; plugged back in, the rerun finishes the update", async () => {
    const { bus, port, receiver, sleep } = chip("DFU-0008", { transferSize: 256 });
    const file = fakeImage(payload(2500));
    const err = await dfuUpdate(file, {
      usb: bus, sleep,
      onProgress: (p) => { if (p.phase === "download" && p.bytes >= 1000) port.unplug(); },
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(isSeglError(err, "DISCONNECTED"), String(err));
    assert.equal((await findDfuDevices({ usb: bus })).length, 0, "an unplugged chip is not on the bus");
    port.plug();
    const r = await dfuUpdate(file, { usb: bus, sleep, serial: "DFU-0008" });
    assert.equal(r.bytes, file.length);
    assert.equal(receiver.pending, true);
  });

  test("UPLOAD is refused with a STALL → DFU_STALL; GETSTATUS then shows dfuERROR, and toIdle recovers with CLRSTATUS", async () => {
    const { bus, device } = chip("DFU-0009");
    const [rt] = await findDfuDevices({ usb: bus });
    const r = DfuSession.open(rt!);
    await r.detach(1000);
    await r.close();
    await assert.rejects(r.getStatus(), (e: unknown) => isSeglError(e, "CLOSED"));
    const [d] = await findDfuDevices({ usb: bus });
    assert.equal(d!.mode, "dfu");
    const s = DfuSession.open(d!);
    await assert.rejects(s.upload(0, 64), (e: unknown) => isSeglError(e, "DFU_STALL"));
    assert.equal((await s.getStatus()).stateName, "dfuERROR");
    await s.toIdle();
    assert.equal(await s.getState(), "dfuIDLE");
    await s.close();
    assert.equal(device.state, "on");
  });

  test("the old enumeration is gone after DETACH: its transfers fail DISCONNECTED", async () => {
    const { bus } = chip("DFU-0010");
    const [rt] = await findDfuDevices({ usb: bus });
    const s = DfuSession.open(rt!);
    await s.detach(1000);
    await assert.rejects(s.getStatus(), (e: unknown) => isSeglError(e, "DISCONNECTED"));
    await s.close();
  });

  test("dfuDownload refuses an empty file; several devices without a serial is a usage error", async () => {
    const a = chip("DFU-0011");
    const b = chip("DFU-0012");
    const both = { getDeviceList: () => [...a.bus.getDeviceList(), ...b.bus.getDeviceList()] };
    await assert.rejects(dfuUpdate(fakeImage(payload(10)), { usb: both, sleep: a.sleep }), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT"));
    await assert.rejects(dfuUpdate(fakeImage(payload(10)), { usb: both, serial: "NOPE", sleep: a.sleep }), (e: unknown) => isSeglError(e, "DEVICE_NOT_FOUND"));
    const [d] = await findDfuDevices({ usb: a.bus });
    const s = DfuSession.open(d!);
    await assert.rejects(dfuDownload(s, new Uint8Array(0)), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT"));
    await s.close();
  });
});

describe("DFU client pieces", () => {
  test("parseFunctionalDescriptor finds type 0x21 among other class descriptors", () => {
    const extra = Uint8Array.of(5, 0x24, 1, 2, 3, 9, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x08, 0x10, 0x01);
    assert.deepEqual(parseFunctionalDescriptor(extra), {
      attributes: { canDownload: true, canUpload: true, manifestationTolerant: false, willDetach: true }, detachTimeoutMs: 255, transferSize: 2048, version: 0x0110,
    });
    assert.equal(parseFunctionalDescriptor(Uint8Array.of(0, 0x21)), undefined, "a zero length ends the walk");
    assert.equal(parseFunctionalDescriptor(Uint8Array.of(9, 0x21, 1)), undefined, "truncated");
  });

  test("libusb errors map to SDK codes", () => {
    const code = (errno: number) => mapUsbError(Object.assign(new Error("x"), { errno }), "op").code;
    assert.deepEqual([4, -9, 5, -4, 2, -7, -3, -6, -5, -12, -99].map(code), [
      "DFU_STALL", "DFU_STALL", "DISCONNECTED", "DISCONNECTED", "TIMEOUT", "TIMEOUT", "PERMISSION_DENIED", "DEVICE_BUSY", "DEVICE_NOT_FOUND", "UNSUPPORTED", "TRANSPORT_ERROR",
    ]);
  });
});

describe("the client's wait for bwPollTimeout", () => {
  test("a timer that fires early does not end the wait: it re-arms until the time has passed", async () => {
    // A timer counting whole milliseconds may fire up to 1 ms early against a finer clock; a poll
    // sent then reaches a device still in dfuDNBUSY, which stalls. This clock advances by what was
    // asked minus 0.7 ms on every firing.
    let clock = 1000.3;
    const armed: number[] = [];
    const early: SleepTimer = {
      now: () => clock,
      setTimer: (fn, ms) => { armed.push(ms); queueMicrotask(() => { clock += Math.max(0, ms - 0.7); fn(); }); return armed.length; },
      clearTimer: () => {},
    };
    const t0 = clock;
    await sleepAtLeast(early)(40);
    assert.ok(clock - t0 >= 40, `returned after ${(clock - t0).toFixed(1)} ms of 40`);
    assert.equal(armed[0], 40);
    assert.ok(armed.length > 1 && armed.slice(1).every((ms) => ms === 1), `re-armed for the rest: ${armed.join(", ")}`);
  });

  test("an abort ends the wait at once with ABORTED and clears its timer", async () => {
    const cleared: unknown[] = [];
    const never: SleepTimer = { now: () => 0, setTimer: () => "t1", clearTimer: (h) => cleared.push(h) };
    const ac = new AbortController();
    const p = sleepAtLeast(never)(1000, ac.signal);
    ac.abort();
    await assert.rejects(p, (e: unknown) => isSeglError(e) && e.code === "ABORTED");
    assert.deepEqual(cleared, ["t1"]);
  });
});
