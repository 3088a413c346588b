// Code-display conformance: the same tests against the simulator (default), the simulator behind
// a real PTY (SEGL_TARGET=pty) or a real device (SEGL_SERIAL_PORT=…; add SEGL_ALLOW_PROVISION=1
// to let it provision and lock a blank device).
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { encodeRequest, isSeglError, provisionDevice, totp, TotpVerifier, MemoryStore, type DeviceInfo } from "@segl/host-sdk";
import { openTarget, type Target } from "../src/index.js";

let t: Target;
beforeAll(async () => { t = await openTarget(); });
afterAll(async () => { await t?.close(); });

const statusName = (err: unknown) => (isSeglError(err, "DEVICE_STATUS") ? String(err.details?.statusName) : `not a device status: ${String(err)}`);

test("INFO: protocol 1, a known model and state, a sane serial", async () => {
  const info = await t.client.info();
  assert.equal(info.protocolVersion, 1);
  assert.match(info.firmwareVersion, /^\d+\.\d+\.\d+$/);
  assert.ok(["blank", "provisioned", "locked"].includes(info.state));
  if (info.state !== "blank") {
    assert.ok(["code-display", "audio-reader", "chip"].includes(info.model));
    assert.match(info.serial, /^[\x21-\x7e]{1,32}$/);
    assert.ok([6, 7, 8].includes(info.digits));
  } else assert.equal(info.serial, "");
});

test("PING echoes 0..1023 bytes", async () => {
  for (const n of [0, 1, 57, 1023]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
    assert.deepEqual(await t.client.ping(data), data);
  }
});

test("an unknown command answers UNKNOWN_COMMAND; bad lengths answer BAD_LENGTH or LOCKED", async () => {
  assert.equal((await t.client.request(0x7e)).statusName, "UNKNOWN_COMMAND");
  const st = (await t.client.request(0x03, new Uint8Array(7))).statusName; // SET_TIME with 7 bytes
  assert.ok(st === "BAD_LENGTH" || st === "LOCKED", st);
  assert.equal((await t.client.request(0x05, new Uint8Array(3))).statusName, "BAD_LENGTH"); // LOCK without "LOCK"
});

test("the port resynchronises after garbage and a corrupted frame", async () => {
  const corrupt = encodeRequest(0x06, 1, new Uint8Array([1, 2, 3]));
  corrupt[7] ^= 0x40;
  await t.transport.send(new Uint8Array([0x00, 0x53, 0xff, 0x53, 0x47, 0x06, 0x00, 0xff, 0xff, ...corrupt]));
  assert.deepEqual(await t.client.ping(new Uint8Array([4, 5, 6])), new Uint8Array([4, 5, 6]));
});

test("STATUS reports time, uptime and store health", async () => {
  const s = await t.client.status();
  assert.ok(s.uptimeMs >= 0);
  assert.ok(s.storeFreeBytes > 0, "store has room");
  assert.equal(s.flashWriteErrors, 0);
});

test("provision → set time → press → verify → lock (destructive)", async (ctx) => {
  if (!t.destructive) return ctx.skip("set SEGL_ALLOW_PROVISION=1 to provision a real device");
  let info: DeviceInfo = await t.client.info();
  if (info.state === "locked") return ctx.skip("device already locked");
  const now = t.control ? t.control.now() : Date.now();
  const p = await provisionDevice(t.client, {
    model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: `CONF-${now % 100000}`, timeMs: now,
  });
  info = await t.client.info();
  assert.equal(info.state, "provisioned");
  assert.ok(info.flags.clockSet);
  assert.equal(info.serial, p.serial);
  const st = await t.client.status();
  assert.ok(st.timeMs !== null && Math.abs(st.timeMs - now) < 2000, "device clock set");

  if (t.control) {
    const verifier = new TotpVerifier({ store: new MemoryStore(), clock: () => t.control!.now() });
    await verifier.enroll(p.serial, { secret: p.seed, algorithm: "SHA1", digits: 6, period: 30 });
    t.control.press();
    const shown = t.control.display();
    assert.match(shown, /^\d{6}$/);
    assert.equal(shown, totp(p.seed, { time: Math.floor(t.control.now() / 1000) }));
    assert.equal((await verifier.verify(p.serial, shown)).verified, true, "broker accepts the shown code");
    assert.equal((await verifier.verify(p.serial, shown)).verified, false, "and never twice");
    t.control.advance(31_000);
    assert.equal(t.control.display(), "", "blank after the step");
  }

  await t.client.lock();
  assert.equal((await t.client.info()).state, "locked");
  await assert.rejects(t.client.setTime(now + 3_600_000), (e) => statusName(e) === "LOCKED");
  await assert.rejects(
    t.client.provision({ model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "X", seed: new Uint8Array(20) }),
    (e) => statusName(e) === "LOCKED",
  );
  if (t.control) {
    t.control.reboot();
    assert.equal((await t.client.info()).state, "locked", "lock survives power-off");
  }
});
