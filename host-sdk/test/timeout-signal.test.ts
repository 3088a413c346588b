// A caller's `AbortSignal.timeout()` is reported the way docs/sdk-errors.md says on every
// transport and protocol call path: SeglError TIMEOUT (name "TimeoutError"), the signal's
// DOMException as `cause`, and no retry after it fired. Every device here stays silent, so the
// outcome does not depend on how fast the machine is.
import { test, describe, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { SeglError } from "../src/errors.js";
import { Mutex, type Transport } from "../src/transport/transport.js";
import { MemoryTransport } from "../src/transport/memory.js";
import { HidMemoryTransport } from "../src/transport/hid-memory.js";
import { SerialTransport, type SerialStream } from "../src/transport/serial.js";
import { HidTransport, type HidAsyncDevice } from "../src/transport/hid.js";
import { UdpTransport } from "../src/transport/udp.js";
import { ServiceClient } from "../src/protocols/service/client.js";
import { HidServiceTunnel } from "../src/protocols/service/hid-tunnel.js";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { Ctap2Client } from "../src/protocols/ctap2/client.js";
import { U2fClient } from "../src/protocols/u2f/client.js";
import { FakeHid, MSG, INIT } from "./ctap-fake.js";

// AbortSignal.timeout()'s timer does not keep Node's event loop alive (a real port's handle does);
// this interval stands in for that handle while the in-process devices wait.
let keepAlive: ReturnType<typeof setInterval> | undefined;
beforeAll(() => { keepAlive = setInterval(() => {}, 1000); });
afterAll(() => clearInterval(keepAlive));

/** A signal that fires on its own, as `AbortSignal.timeout(ms)` does. */
const deadline = () => AbortSignal.timeout(15);

/** The error docs/sdk-errors.md promises for a caller's AbortSignal.timeout(). */
function isSignalTimeout(e: unknown): boolean {
  assert.ok(e instanceof SeglError, `not a SeglError: ${String(e)}`);
  assert.equal(e.code, "TIMEOUT");
  assert.equal(e.name, "TimeoutError");
  assert.ok(e.cause instanceof DOMException && e.cause.name === "TimeoutError", `cause: ${String(e.cause)}`);
  return true;
}

/** A device endpoint that takes whatever it is sent and never answers. */
class Silent extends EventEmitter {
  written = 0;
  uartWrite(): void { this.written++; }
  hidWrite(): void { this.written++; }
}

describe("a caller's AbortSignal.timeout() is TIMEOUT on every transport", () => {
  const receiveTimesOut = async (t: Transport) => {
    try {
      await assert.rejects(t.receive({ signal: deadline() }), isSignalTimeout);
      // A signal whose deadline passed before the call: the same answer, at once.
      const fired = AbortSignal.abort(new DOMException("The operation timed out.", "TimeoutError"));
      await assert.rejects(t.receive({ signal: fired }), isSignalTimeout);
      await assert.rejects(t.send(Uint8Array.of(1), { signal: fired }), isSignalTimeout);
    } finally {
      await t.close();
    }
  };

  test("MemoryTransport", () => receiveTimesOut(new MemoryTransport(new Silent())));
  test("HidMemoryTransport", () => receiveTimesOut(new HidMemoryTransport(new Silent())));
  test("SerialTransport (a stream that never answers)", () => {
    const stream = Object.assign(new EventEmitter(), {
      write: (_d: Uint8Array, cb: (err?: Error | null) => void) => { cb(null); return true; },
      close: (cb?: (err?: Error | null) => void) => cb?.(null),
    });
    return receiveTimesOut(SerialTransport.fromStream(stream as unknown as SerialStream, "silent"));
  });
  test("HidTransport (a node-hid device that never answers)", () => {
    const dev = Object.assign(new EventEmitter(), { write: async (v: number[] | Buffer) => v.length, close: async () => {} });
    return receiveTimesOut(HidTransport.fromDevice(dev as unknown as HidAsyncDevice, "silent"));
  });
  test("UdpTransport (nobody at the device port)", async () => {
    await receiveTimesOut(await UdpTransport.open({ host: "127.0.0.1", devicePort: 9, hostPort: 0 }));
  });
  test("Mutex.acquire while another transaction holds the device", async () => {
    const m = new Mutex();
    const release = await m.acquire();
    await assert.rejects(m.acquire(deadline()), isSignalTimeout);
    release();
    (await m.acquire())();
  });
});

describe("a caller's AbortSignal.timeout() is TIMEOUT through every protocol", () => {
  test("ServiceClient over a UART: a retry-safe command is not retried after the signal fired", async () => {
    const dev = new Silent();
    const t = new MemoryTransport(dev);
    const c = new ServiceClient(t, { timeoutMs: 60_000 });
    await assert.rejects(c.info({ signal: deadline() }), isSignalTimeout);
    assert.equal(dev.written, 1, "one request: the caller's deadline ends the call, no second attempt");
    await assert.rejects(c.provision({ model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "S1", seed: new Uint8Array(20).fill(7) }, { signal: deadline() }), isSignalTimeout);
    await t.close();
  });

  // A chip that answers INIT and nothing else.
  const silentChip = () => new FakeHid((req) => req.cmd !== INIT);

  test("CtapHidClient.open: INIT never answered", async () => {
    const dev = new FakeHid(() => true);
    await assert.rejects(CtapHidClient.open(dev, { signal: deadline(), initTimeoutMs: 60_000 }), isSignalTimeout);
  });
  test("CtapHidClient.call, Ctap2Client, U2fClient and the service tunnel", async () => {
    const hid = await CtapHidClient.open(silentChip());
    await assert.rejects(hid.ping(Uint8Array.of(1, 2), { signal: deadline(), timeoutMs: 60_000 }), isSignalTimeout);
    await assert.rejects(new Ctap2Client(hid).getInfo({ signal: deadline(), timeoutMs: 60_000 }), isSignalTimeout);
    await assert.rejects(new U2fClient(hid).version({ signal: deadline(), timeoutMs: 60_000 }), isSignalTimeout);
    await assert.rejects(new ServiceClient(new HidServiceTunnel(hid), { timeoutMs: 60_000 }).status({ signal: deadline() }), isSignalTimeout);
  });
  test("U2F registration polling for a touch that never comes", async () => {
    const notYet = new FakeHid((req, dev) => {
      if (req.cmd !== MSG) return false;
      dev.reply(req.cid, MSG, Uint8Array.of(0x69, 0x85)); // CONDITIONS_NOT_SATISFIED: touch needed
      return true;
    });
    const u2f = new U2fClient(await CtapHidClient.open(notYet));
    await assert.rejects(u2f.register(new Uint8Array(32), new Uint8Array(32), { signal: deadline(), pollIntervalMs: 2, timeoutMs: 60_000 }), isSignalTimeout);
  });
});
