// Transport building blocks: timeouts and aborts, the mutex, the in-memory transport, and the
// serial transport over serialport's MockBinding and over a plain stream.
import { test, vi } from "vitest";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { createRequire } from "node:module";
import {
  MemoryTransport, Mutex, SerialTransport, SeglError, importOptional, isSeglError, mapSerialError, transportMutex, withTimeout,
  type SerialBinding,
} from "../src/index.js";

// @serialport/binding-mock's typings are not reachable under NodeNext resolution: describe what we use.
const MockBinding = createRequire(import.meta.url)("@serialport/binding-mock").MockBinding as SerialBinding & {
  reset(): void;
  createPort(path: string, opts?: { echo?: boolean; record?: boolean }): void;
};

class Echo extends EventEmitter<{ uart: [Uint8Array] }> {
  written: Uint8Array[] = [];
  uartWrite(b: Uint8Array): void {
    this.written.push(b);
    this.emit("uart", b); // synchronous, like the simulator
  }
}

test("withTimeout: TIMEOUT vs ABORTED, and the caller's signal wins", async () => {
  vi.useFakeTimers();
  let s: AbortSignal;
  try {
    s = withTimeout(undefined, 10)!;
    vi.advanceTimersByTime(9);
    assert.equal(s.aborted, false);
    vi.advanceTimersByTime(1);
  } finally {
    vi.useRealTimers();
  }
  assert.ok(s.aborted);
  assert.ok(isSeglError(s.reason, "TIMEOUT"));
  const ctl = new AbortController();
  const m = withTimeout(ctl.signal, 1000)!;
  ctl.abort(new Error("user"));
  assert.ok(m.aborted);
  assert.equal((m.reason as Error).message, "user");
  assert.equal(withTimeout(ctl.signal, undefined), ctl.signal);
});

test("Mutex: FIFO, abortable waiters", async () => {
  const m = new Mutex();
  const order: number[] = [];
  const r1 = await m.acquire();
  const p2 = m.acquire().then((rel) => { order.push(2); return rel; });
  const ctl = new AbortController();
  const p3 = m.acquire(ctl.signal);
  const p4 = m.acquire().then((rel) => { order.push(4); return rel; });
  ctl.abort();
  await assert.rejects(p3, (e) => isSeglError(e, "ABORTED") && (e as Error).name === "AbortError");
  order.push(1);
  r1();
  (await p2)();
  (await p4)();
  assert.deepEqual(order, [1, 2, 4]);
  assert.equal(m.locked, false);
  assert.equal(await m.run(async () => 5), 5);
});

test("MemoryTransport: async delivery, receive timeout/abort, close during read", async () => {
  const dev = new Echo();
  const t = new MemoryTransport(dev);
  assert.equal(t.kind, "memory");
  let delivered = false;
  const pr = t.receive().then((c) => { delivered = true; return c; });
  await t.send(new Uint8Array([1, 2, 3]));
  assert.equal(delivered, false, "delivery is asynchronous");
  assert.deepEqual([...(await pr)], [1, 2, 3]);
  await assert.rejects(t.receive({ timeoutMs: 20 }), (e) => isSeglError(e, "TIMEOUT"));
  const ctl = new AbortController();
  const pa = t.receive({ signal: ctl.signal });
  ctl.abort();
  await assert.rejects(pa, (e) => isSeglError(e, "ABORTED"));
  // bytes that arrive with no reader are queued, in order
  await t.send(new Uint8Array([4]));
  await t.send(new Uint8Array([5]));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...(await t.receive())], [4]);
  assert.deepEqual([...(await t.receive())], [5]);
  const pending = t.receive();
  await t.close();
  await assert.rejects(pending, (e) => isSeglError(e, "DISCONNECTED"));
  assert.equal(t.closed, true);
  await assert.rejects(t.send(new Uint8Array([1])), (e) => isSeglError(e, "CLOSED"));
  await assert.rejects(t.receive(), (e) => isSeglError(e, "CLOSED"));
  assert.equal(dev.listenerCount("uart"), 0);
  assert.equal(transportMutex(t), transportMutex(t));
});

test("SerialTransport over MockBinding: open, echo, errors, disconnect", async () => {
  MockBinding.reset();
  MockBinding.createPort("/dev/ttySEGL0", { echo: true });
  const t = await SerialTransport.open("/dev/ttySEGL0", { binding: MockBinding, timeoutMs: 1000 });
  assert.equal(t.kind, "serial");
  await t.send(new Uint8Array([0x53, 0x47, 1]));
  const got: number[] = [];
  while (got.length < 3) got.push(...(await t.receive({ timeoutMs: 1000 })));
  assert.deepEqual(got, [0x53, 0x47, 1]);
  await assert.rejects(SerialTransport.open("/dev/ttySEGL0", { binding: MockBinding }), (e) => isSeglError(e, "DEVICE_BUSY"));
  await assert.rejects(SerialTransport.open("/dev/nothing", { binding: MockBinding }), (e) => isSeglError(e, "DEVICE_NOT_FOUND"));
  const pending = t.receive();
  await t.close();
  await assert.rejects(pending, (e) => isSeglError(e, "DISCONNECTED"));
  // reopen works after close
  const t2 = await SerialTransport.open("/dev/ttySEGL0", { binding: MockBinding });
  await t2.close();
  MockBinding.reset();
});

test("SerialTransport.fromStream: data, remote close → DISCONNECTED", async () => {
  const s = new PassThrough();
  const t = SerialTransport.fromStream(s, "pty");
  s.write(Buffer.from([7, 8]));
  assert.deepEqual([...(await t.receive({ timeoutMs: 500 }))], [7, 8]);
  const pending = t.receive();
  s.destroy();
  await assert.rejects(pending, (e) => isSeglError(e, "DISCONNECTED"));
  await assert.rejects(t.send(new Uint8Array([1])), (e) => isSeglError(e, "DISCONNECTED"));
  await t.close();
});

test("native module errors are typed", async () => {
  await assert.rejects(importOptional("segl-no-such-native-module", "testing"), (e) => isSeglError(e, "NATIVE_MODULE_MISSING"));
  assert.equal(mapSerialError(new Error("Error Resource temporarily unavailable Cannot lock port"), "/dev/x", "open").code, "DEVICE_BUSY");
  assert.equal(mapSerialError(new Error("Error: No such file or directory, cannot open /dev/x"), "/dev/x", "open").code, "DEVICE_NOT_FOUND");
  assert.equal(mapSerialError(new Error("Error: Permission denied, cannot open /dev/x"), "/dev/x", "open").code, "PERMISSION_DENIED");
  assert.equal(mapSerialError(Object.assign(new Error("x"), { code: "EBUSY" }), "/dev/x", "open").code, "DEVICE_BUSY");
  assert.equal(mapSerialError(new Error("weird"), "/dev/x", "open").code, "TRANSPORT_ERROR");
  const e = new SeglError("DEVICE_STATUS", "m", { details: { status: 5 } });
  assert.equal(e.name, "SeglError");
  assert.ok(e instanceof Error);
});

test("SerialTransport.open on a real path without a device: DEVICE_NOT_FOUND (or NATIVE_MODULE_MISSING)", async () => {
  await assert.rejects(SerialTransport.open("/dev/segl-does-not-exist", { timeoutMs: 2000 }), (e) => isSeglError(e, "DEVICE_NOT_FOUND", "NATIVE_MODULE_MISSING"));
});
