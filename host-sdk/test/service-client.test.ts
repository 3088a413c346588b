// ServiceClient against a scripted fake device (delays, stale and wrong answers, silence,
// aborts), and provisionDevice against a small model of the protocol.
import { test } from "vitest";
import { fakeTimeForEachTest, settle } from "./fake-time.js";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import {
  Command, FrameParser, MemoryTransport, ServiceClient, encodeResponse, encodeFrame, isSeglError, provisionDevice, generateSeed,
  totp, parseOtpauthUri, type Frame, type SeglError,
} from "../src/index.js";

type Out = Uint8Array | { delay: number; bytes: Uint8Array };

class FakeDevice extends EventEmitter<{ uart: [Uint8Array] }> {
  readonly requests: Frame[] = [];
  private readonly parser = new FrameParser({ interByteTimeoutMs: 0 });
  outstanding = 0;
  maxOutstanding = 0;
  constructor(private readonly script: (f: Frame, i: number) => Out[] | undefined) {
    super();
  }
  uartWrite(b: Uint8Array): void {
    for (const f of this.parser.push(b)) {
      this.requests.push(f);
      this.outstanding++;
      this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
      const outs = this.script(f, this.requests.length - 1) ?? [];
      if (outs.length === 0) this.outstanding--;
      outs.forEach((o, k) => {
        const last = k === outs.length - 1;
        const send = (bytes: Uint8Array) => { if (last) this.outstanding--; this.emit("uart", bytes); };
        if (o instanceof Uint8Array) send(o);
        else setTimeout(() => send(o.bytes), o.delay);
      });
    }
  }
}

const ok = (f: Frame, data: Uint8Array = new Uint8Array(0)) => encodeResponse(f.type, f.seq, 0, data);

function infoBody(o: { model?: number; state?: number; flags?: number; alg?: number; digits?: number; period?: number; serial?: string } = {}): Uint8Array {
  const serial = new TextEncoder().encode(o.serial ?? "SGL-0001");
  const b = new Uint8Array(12 + serial.length);
  b.set([1, 0, 3, 7, o.model ?? 1, o.state ?? 1, o.flags ?? 1, o.alg ?? 2, o.digits ?? 8, (o.period ?? 60) >> 8, (o.period ?? 60) & 0xff, serial.length]);
  b.set(serial, 12);
  return b;
}

const client = (dev: FakeDevice, opts: ConstructorParameters<typeof ServiceClient>[1] = {}) =>
  new ServiceClient(new MemoryTransport(dev), { firstSeq: 10, ...opts });
const code = (c: string) => (e: unknown) => isSeglError(e) && (e as SeglError).code === c;

fakeTimeForEachTest();

test("info and status are parsed into typed results", async () => {
  const status = new Uint8Array(29);
  const v = new DataView(status.buffer);
  v.setBigUint64(0, 1_700_000_000_123n);
  v.setBigUint64(8, 4567n);
  status[16] = 1;
  v.setUint32(17, 30000);
  v.setUint32(21, 3);
  v.setUint32(25, 0);
  const dev = new FakeDevice((f) => [ok(f, f.type === Command.INFO ? infoBody() : status)]);
  const c = client(dev);
  assert.deepEqual(await c.info(), {
    protocolVersion: 1, firmwareVersion: "0.3.7", firmware: { major: 0, minor: 3, patch: 7 }, model: "code-display", modelCode: 1,
    state: "provisioned", stateCode: 1, flags: { clockSet: true, storageRecovered: false, entropyFailed: false, storageDamaged: false, raw: 1 }, algorithm: "SHA256", algorithmCode: 2,
    digits: 8, period: 60, serial: "SGL-0001",
  });
  assert.deepEqual(await c.status(), { timeMs: 1_700_000_000_123, uptimeMs: 4567, displayOn: true, storeFreeBytes: 30000, storeMaxEraseCount: 3, flashWriteErrors: 0, entropyFailure: null });
  assert.deepEqual(dev.requests.map((r) => [r.type, r.seq, r.payload.length]), [[1, 10, 0], [4, 11, 0]]);
});

test("delayed, fragmented answers behind garbage and stale frames are matched by SEQ", async () => {
  const dev = new FakeDevice((f) => {
    const good = ok(f, infoBody({ serial: "X" }));
    const stale = encodeResponse(f.type, (f.seq - 1) & 0xff, 0, infoBody({ serial: "STALE" }));
    const outs: Out[] = [{ delay: 5, bytes: new Uint8Array([0, 1, 0x53, 0x53]) }, { delay: 10, bytes: stale }];
    good.forEach((byte, i) => outs.push({ delay: 20 + i, bytes: new Uint8Array([byte]) }));
    return outs;
  });
  const c = client(dev, { timeoutMs: 1000 });
  assert.equal((await settle(c.info())).serial, "X");
  assert.equal(dev.requests.length, 1);
  assert.ok(c.parserStats.garbageBytes >= 2);
});

test("no answer: TIMEOUT after one retry with a new SEQ (idempotent), no retry for PROVISION", async () => {
  const dev = new FakeDevice(() => undefined);
  const c = client(dev, { timeoutMs: 40 });
  const t0 = Date.now();
  await assert.rejects(settle(c.info()), (e) => code("TIMEOUT")(e) && (e as SeglError).details?.["attempts"] === 2 && (e as Error).name === "TimeoutError");
  assert.equal(Date.now() - t0, 80, "two attempts of 40 ms");
  assert.deepEqual(dev.requests.map((r) => r.seq), [10, 11]);
  await assert.rejects(
    settle(c.provision({ model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "A1", seed: new Uint8Array(20) })),
    code("TIMEOUT"),
  );
  assert.equal(dev.requests.length, 3);
  const c0 = client(dev, { timeoutMs: 20, retries: 0 });
  await assert.rejects(settle(c0.status()), code("TIMEOUT"));
  assert.equal(dev.requests.length, 4);
});

test("first attempt lost, its late answer ignored, the retry answered", async () => {
  const dev = new FakeDevice((f, i) =>
    i === 0 ? [{ delay: 70, bytes: ok(f, infoBody({ serial: "LATE" })) }] : [{ delay: 40, bytes: ok(f, infoBody({ serial: "RETRY" })) }]);
  const c = client(dev, { timeoutMs: 50 });
  assert.equal((await settle(c.info())).serial, "RETRY");
  assert.equal(dev.requests.length, 2);
});

test("SET_TIME encodes big-endian ms, and a retry sends the time advanced by the delay", async () => {
  const dev = new FakeDevice((f, i) => (i === 0 ? undefined : [ok(f)]));
  const c = client(dev, { timeoutMs: 60 });
  const t = Date.UTC(2030, 0, 1);
  await settle(c.setTime(new Date(t)));
  const sent = dev.requests.map((r) => Number(new DataView(r.payload.buffer, r.payload.byteOffset, 8).getBigUint64(0)));
  assert.deepEqual(sent, [t, t + 60], "the retry, after the 60 ms timeout, sends the time advanced by 60 ms");
  await assert.rejects(c.setTime(Date.UTC(2019, 0, 1)), code("INVALID_ARGUMENT"));
});

test("abort: ABORTED (name AbortError) promptly, also while waiting for the lock", async () => {
  const dev = new FakeDevice(() => undefined);
  const c = client(dev, { timeoutMs: 5000 });
  const ctl = new AbortController();
  const t0 = Date.now();
  const p = c.info({ signal: ctl.signal });
  const q = c.status({ signal: ctl.signal }); // queued behind p
  setTimeout(() => ctl.abort(), 20);
  await settle(Promise.all([
    assert.rejects(p, (e) => code("ABORTED")(e) && (e as Error).name === "AbortError"),
    assert.rejects(q, code("ABORTED")),
  ]));
  assert.equal(Date.now() - t0, 20, "rejected at the abort, not at the 5000 ms timeout");
  assert.equal(dev.requests.length, 1);
  await assert.rejects(c.info({ signal: AbortSignal.abort() }), code("ABORTED"));
});

test("device status codes become DEVICE_STATUS with a stable name", async () => {
  const dev = new FakeDevice((f) => [encodeResponse(f.type, f.seq, f.type === Command.LOCK ? 0x04 : 0x05)]);
  const c = client(dev);
  await assert.rejects(c.lock(), (e) => code("DEVICE_STATUS")(e) && (e as SeglError).details?.["statusName"] === "BAD_STATE" && (e as SeglError).details?.["status"] === 4);
  await assert.rejects(c.setTime(Date.UTC(2030, 0, 1)), (e) => (e as SeglError).details?.["statusName"] === "LOCKED");
  const raw = await c.request(0x7e);
  assert.deepEqual([raw.status, raw.statusName], [5, "LOCKED"]);
  assert.deepEqual([...dev.requests[0]!.payload], [...new TextEncoder().encode("LOCK")]);
});

test("malformed answers are BAD_RESPONSE, never a hang", async () => {
  const cases: Array<[string, (f: Frame) => Uint8Array, (c: ServiceClient) => Promise<unknown>]> = [
    ["no status byte", (f) => encodeFrame(f.type | 0x80, f.seq), (c) => c.info()],
    ["INFO too short", (f) => ok(f, new Uint8Array(5)), (c) => c.info()],
    ["INFO serial overflows", (f) => ok(f, infoBody({ serial: "AB" }).subarray(0, 13)), (c) => c.info()],
    ["INFO serial not printable", (f) => ok(f, infoBody({ serial: "A B" })), (c) => c.info()],
    ["STATUS too short", (f) => ok(f, new Uint8Array(20)), (c) => c.status()],
    ["wrong TYPE with our SEQ", (f) => encodeResponse(0x05, f.seq, 0), (c) => c.info()],
    ["PING echo differs", (f) => ok(f, new Uint8Array([1, 2, 4])), (c) => c.ping(new Uint8Array([1, 2, 3]))],
  ];
  for (const [name, reply, call] of cases) {
    const dev = new FakeDevice((f) => [reply(f)]);
    await assert.rejects(call(client(dev, { timeoutMs: 500 })), code("BAD_RESPONSE"), name);
  }
});

test("one transaction at a time, also across clients sharing a transport", async () => {
  const dev = new FakeDevice((f) => [{ delay: 5, bytes: ok(f, f.type === Command.INFO ? infoBody() : f.payload) }]);
  const t = new MemoryTransport(dev);
  const a = new ServiceClient(t), b = new ServiceClient(t);
  const bytes = (n: number) => new Uint8Array(n).fill(n);
  const res = await settle(Promise.all([a.info(), b.ping(bytes(3)), a.ping(bytes(1023)), b.info(), a.ping()]));
  assert.equal(dev.maxOutstanding, 1);
  assert.equal(dev.requests.length, 5);
  assert.deepEqual(res[2], bytes(1023));
  await assert.rejects(a.ping(new Uint8Array(1024)), code("INVALID_ARGUMENT"));
});

test("provision: payload layout and argument checks", async () => {
  const dev = new FakeDevice((f) => [ok(f)]);
  const c = client(dev);
  const seed = new Uint8Array(32).map((_, i) => i);
  await c.provision({ model: "audio-reader", algorithm: "SHA256", digits: 7, period: 300, serial: "AB", seed });
  assert.deepEqual([...dev.requests[0]!.payload], [2, 2, 7, 0x01, 0x2c, 2, 0x41, 0x42, 32, ...seed]);
  const base = { model: "code-display" as const, algorithm: "SHA1" as const, digits: 6, period: 30, serial: "S1", seed: new Uint8Array(20) };
  for (const bad of [{ digits: 9 }, { period: 5 }, { serial: "" }, { serial: "has space" }, { serial: "x".repeat(33) }, { seed: new Uint8Array(15) }, { seed: new Uint8Array(65) }, { algorithm: "MD5" }, { model: "phone" }]) {
    await assert.rejects(c.provision({ ...base, ...bad } as never), code("INVALID_ARGUMENT"), JSON.stringify(Object.keys(bad)));
  }
  assert.equal(dev.requests.length, 1);
});

/** A model of the protocol's state machine, enough for provisionDevice. */
function modelDevice(opts: { lieAboutSerial?: boolean } = {}) {
  let state = 0, clockSet = false, prov = new Uint8Array(0), setTimes: number[] = [];
  const dev = new FakeDevice((f) => {
    const st = (s: number) => [encodeResponse(f.type, f.seq, s)];
    switch (f.type) {
      case Command.PROVISION: if (state === 2) return st(5); prov = f.payload.slice(); state = 1; return st(0);
      case Command.SET_TIME: if (state === 2) return st(5); clockSet = true; setTimes.push(Number(new DataView(f.payload.buffer, f.payload.byteOffset).getBigUint64(0))); return st(0);
      case Command.LOCK: if (state === 0 || !clockSet) return st(4); state = 2; return st(0);
      case Command.INFO: {
        const n = prov[5] ?? 0;
        const serial = opts.lieAboutSerial ? "OTHER" : new TextDecoder().decode(prov.subarray(6, 6 + n));
        return [ok(f, infoBody({ model: prov[0] ?? 0, state, flags: clockSet ? 1 : 0, alg: prov[1] ?? 0, digits: prov[2] ?? 0, period: ((prov[3] ?? 0) << 8) | (prov[4] ?? 0), serial }))];
      }
      default: return st(1);
    }
  });
  return { dev, get setTimes() { return setTimes; }, get seed() { const n = prov[5]!; return prov.subarray(7 + n, 7 + n + prov[6 + n]!); } };
}

test("provisionDevice: PROVISION, SET_TIME, LOCK, then INFO confirms", async () => {
  const m = modelDevice();
  const c = client(m.dev);
  const timeMs = Date.UTC(2031, 5, 1);
  const r = await provisionDevice(c, { model: "code-display", algorithm: "SHA256", digits: 6, period: 30, serial: "SGL-42", timeMs, lock: true });
  assert.deepEqual(m.dev.requests.map((q) => q.type), [Command.PROVISION, Command.SET_TIME, Command.LOCK, Command.INFO]);
  assert.equal(r.seed.length, 32);
  assert.deepEqual(r.seed, m.seed);
  // setTime adds the time spent in the call (none here: the fake clock stands still) so the device gets the time meant
  assert.deepEqual(m.setTimes, [timeMs]);
  assert.equal(r.info.state, "locked");
  const u = parseOtpauthUri(r.otpauthUri);
  assert.deepEqual([u.account, u.issuer, u.algorithm, u.digits, u.period], ["SGL-42", "Segl", "SHA256", 6, 30]);
  assert.equal(totp(u.secret, { time: 1e9, algorithm: "SHA256" }), totp(r.seed, { time: 1e9, algorithm: "SHA256" }));
  // locked now: a second provisioning is refused by the device
  await assert.rejects(provisionDevice(c, { model: "code-display", serial: "SGL-43" }), (e) => (e as SeglError).details?.["statusName"] === "LOCKED");
});

test("provisionDevice: mismatch after provisioning is VERIFY_MISMATCH; bad options are INVALID_ARGUMENT", async () => {
  const m = modelDevice({ lieAboutSerial: true });
  await assert.rejects(provisionDevice(client(m.dev), { model: "chip", serial: "S-1", seed: generateSeed(16) }), code("VERIFY_MISMATCH"));
  // a display locks only when told to, and only with its clock set (a chip sets it from the host)
  await assert.rejects(provisionDevice(client(m.dev), { model: "code-display", serial: "S-1", lock: true }), code("INVALID_ARGUMENT"));
  assert.throws(() => generateSeed(8), code("INVALID_ARGUMENT"));
  assert.equal(generateSeed().length, 20);
});
