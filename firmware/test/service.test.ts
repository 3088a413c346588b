// The UART service protocol and the code display, through the built image.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { totp, encodeFrame, encodeRequest } from "@segl/host-sdk";
import { CMD, ST, SEED, newDevice, provisionPayload, timePayload, LOCK_PAYLOAD } from "./service-util.js";
import { voiceBytes } from "./reader-util.js";

/** A provisioned code display (model 1) or audio reader (model 2: a voice region, and it also shows its code). */
function provisioned(opts: { period?: number; alg?: number; model?: number } = {}) {
  const h = newDevice(opts.model === 2 ? { voice: voiceBytes() } : {});
  assert.equal(h.port.request(CMD.PROVISION, provisionPayload(opts))?.status, ST.OK);
  assert.equal(h.port.request(CMD.SET_TIME, timePayload(h.clock.now()))?.status, ST.OK);
  return h;
}

test("INFO on a blank device", () => {
  const { port, device } = newDevice();
  const r = port.request(CMD.INFO)!;
  assert.equal(r.status, ST.OK);
  assert.equal(r.data[0], 1, "protocol version");
  assert.deepEqual([...r.data.subarray(4, 12)], [0, 0, 0, 0, 0, 0, 0, 0], "model, state, flags, alg, digits, period, serial len");
  device.click();
  assert.equal(device.display, "------", "an unprovisioned device says so");
});

test("PROVISION validates every field and INFO reports it; no response contains the seed", () => {
  const { port } = newDevice();
  const bad: Array<[Uint8Array, number, string]> = [
    [provisionPayload({ model: 0 }), ST.BAD_PARAMETER, "model 0"],
    [provisionPayload({ model: 4 }), ST.BAD_PARAMETER, "model 4"],
    [provisionPayload({ alg: 0 }), ST.BAD_PARAMETER, "alg 0"],
    [provisionPayload({ alg: 4 }), ST.BAD_PARAMETER, "alg 4"],
    [provisionPayload({ digits: 8 }), ST.BAD_PARAMETER, "code display has 6 digits"],
    [provisionPayload({ model: 2, digits: 9 }), ST.BAD_PARAMETER, "digits 9"],
    [provisionPayload({ period: 9 }), ST.BAD_PARAMETER, "period 9"],
    [provisionPayload({ period: 301 }), ST.BAD_PARAMETER, "period 301"],
    [provisionPayload({ serial: "" }), ST.BAD_PARAMETER, "empty serial"],
    [provisionPayload({ serial: "A B" }), ST.BAD_PARAMETER, "space in serial"],
    [provisionPayload({ serial: "X".repeat(33) }), ST.BAD_PARAMETER, "serial too long"],
    [provisionPayload({ seed: new Uint8Array(15) }), ST.BAD_PARAMETER, "seed < 128 bits"],
    [provisionPayload({ seed: new Uint8Array(65) }), ST.BAD_PARAMETER, "seed > 64 bytes"],
    [provisionPayload().subarray(0, 20), ST.BAD_LENGTH, "truncated"],
    [new Uint8Array([...provisionPayload(), 0]), ST.BAD_LENGTH, "trailing byte"],
    [new Uint8Array(3), ST.BAD_LENGTH, "tiny"],
  ];
  for (const [payload, status, why] of bad) assert.equal(port.request(CMD.PROVISION, payload)?.status, status, why);
  assert.equal(port.request(CMD.INFO)!.data[5], 0, "still blank after rejected provisioning");

  assert.equal(port.request(CMD.PROVISION, provisionPayload({ model: 1, alg: 2, period: 60, serial: "SGL-000042" }))?.status, ST.OK);
  const info = port.request(CMD.INFO)!.data;
  assert.equal(info[4], 1, "model");
  assert.equal(info[5], 1, "state provisioned");
  assert.equal(info[6]! & 1, 0, "clock not set");
  assert.equal(info[7], 2, "SHA-256");
  assert.equal(info[8], 6);
  assert.equal((info[9]! << 8) | info[10]!, 60);
  assert.equal(new TextDecoder().decode(info.subarray(12, 12 + info[11]!)), "SGL-000042");

  // Every frame the device ever sent: none contains the seed.
  const hex = Buffer.from(SEED).toString("hex");
  for (const f of port.frames) assert.ok(!Buffer.from(f.payload).toString("hex").includes(hex), "seed leaked");
});

describe.each([{ model: 1, name: "code display" }, { model: 2, name: "audio reader" }])("$name", ({ model }) => {
test("a press shows the RFC 6238 code of the device's time; blank at rollover or after 30 s", () => {
  const { device, clock, port } = provisioned({ model });
  // Put the clock 5 s into a step: the code must blank at the step's end (25 s), not after 30 s.
  const stepStart = Math.ceil(clock.now() / 30_000) * 30_000;
  clock.set(stepStart + 5_000);
  device.click();
  const expected = totp(SEED, { time: Math.floor(clock.now() / 1000) });
  assert.equal(device.display, expected);
  clock.advance(24_900);
  assert.equal(device.display, expected, "still shown just before rollover");
  clock.advance(200);
  assert.equal(device.display, "", "blank after rollover");
  assert.equal(port.request(CMD.STATUS)!.data[16], 0, "STATUS: display off");

  // Period 60: pressed right at a step start, the code blanks after 30 s.
  const h2 = provisioned({ period: 60, model });
  const s2 = Math.ceil(h2.clock.now() / 60_000) * 60_000;
  h2.clock.set(s2);
  h2.device.click();
  assert.equal(h2.device.display, totp(SEED, { time: s2 / 1000, period: 60 }));
  h2.clock.advance(29_900);
  assert.notEqual(h2.device.display, "");
  assert.equal(h2.port.request(CMD.STATUS)!.data[16], 1, "STATUS: display on");
  h2.clock.advance(200);
  assert.equal(h2.device.display, "");
});

test("clock drift shows up as the device's own time; SET_TIME corrects it", () => {
  const { device, clock, port } = provisioned({ model });
  device.setDriftPpm(100); // 100 ppm ≈ 8.6 s a day
  clock.advance(10 * 86_400_000);
  const st = port.request(CMD.STATUS)!.data;
  const devTime = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0));
  const skew = devTime - clock.now();
  assert.ok(Math.abs(skew - 86_400) < 50, `10 days at 100 ppm ≈ 86.4 s fast, got ${skew} ms`);
  device.click();
  assert.equal(device.display, totp(SEED, { time: Math.floor(devTime / 1000) }), "code follows the device's clock");
  assert.equal(port.request(CMD.SET_TIME, timePayload(clock.now()))?.status, ST.OK);
  const st2 = port.request(CMD.STATUS)!.data;
  assert.ok(Math.abs(Number(new DataView(st2.buffer, st2.byteOffset).getBigUint64(0)) - clock.now()) < 5);
});
});

test("LOCK needs provisioning and time, is irreversible, and refuses provisioning afterwards", () => {
  const { port, device, clock } = newDevice();
  assert.equal(port.request(CMD.LOCK, LOCK_PAYLOAD)?.status, ST.BAD_STATE, "blank");
  assert.equal(port.request(CMD.PROVISION, provisionPayload())?.status, ST.OK);
  assert.equal(port.request(CMD.LOCK, LOCK_PAYLOAD)?.status, ST.BAD_STATE, "clock not set");
  device.click();
  assert.equal(device.display, "E-TIME");
  assert.equal(port.request(CMD.SET_TIME, timePayload(1_000))?.status, ST.BAD_PARAMETER, "time before 2020");
  assert.equal(port.request(CMD.SET_TIME, new Uint8Array(7))?.status, ST.BAD_LENGTH);
  assert.equal(port.request(CMD.SET_TIME, timePayload(clock.now()))?.status, ST.OK);
  assert.equal(port.request(CMD.LOCK, new TextEncoder().encode("LOCX"))?.status, ST.BAD_PARAMETER);
  assert.equal(port.request(CMD.LOCK)?.status, ST.BAD_LENGTH);
  assert.equal(port.request(CMD.LOCK, LOCK_PAYLOAD)?.status, ST.OK);
  assert.equal(port.request(CMD.LOCK, LOCK_PAYLOAD)?.status, ST.OK, "idempotent");
  assert.equal(port.request(CMD.PROVISION, provisionPayload({ seed: new Uint8Array(20).fill(7) }))?.status, ST.LOCKED);
  assert.equal(port.request(CMD.SET_TIME, timePayload(clock.now() + 3_600_000))?.status, ST.LOCKED);
  device.reboot();
  assert.equal(port.request(CMD.INFO)!.data[5], 2, "locked survives reboot");
  assert.equal(port.request(CMD.PROVISION, provisionPayload())?.status, ST.LOCKED);
  device.click();
  assert.equal(device.display, totp(SEED, { time: Math.floor(clock.now() / 1000) }), "the original seed still in use");
});

describe.each([{ model: 1, name: "code display" }, { model: 2, name: "audio reader" }])("$name", ({ model }) => {
test("provisioning and time survive reboot; flags report them", () => {
  const { port, device, clock } = provisioned({ model });
  device.reboot();
  const info = port.request(CMD.INFO)!.data;
  assert.equal(info[5], 1);
  assert.equal(info[6]! & 1, 1, "clock set");
  clock.advance(3_600_000);
  device.click();
  assert.equal(device.display, totp(SEED, { time: Math.floor(clock.now() / 1000) }));
});
});

test("unknown commands, PING, and frames that are not requests", () => {
  const { port } = newDevice();
  assert.equal(port.request(0x7f)?.status, ST.UNKNOWN_COMMAND);
  const echo = port.request(CMD.PING, new Uint8Array([1, 2, 3, 0x53, 0x47]))!;
  assert.equal(echo.status, ST.OK);
  assert.deepEqual([...echo.data], [1, 2, 3, 0x53, 0x47]);
  assert.equal(port.request(CMD.PING, new Uint8Array(1023).fill(0xaa))!.data.length, 1023, "largest payload");
  assert.equal(port.raw(encodeFrame(0x81, 9, new Uint8Array([0]))).length, 0, "a response-typed frame gets no answer");
});

test("resynchronisation: garbage, false syncs, bad CRC and split delivery", () => {
  const { port, device } = newDevice();
  const good = encodeRequest(CMD.PING, 77, new Uint8Array([9, 9]));
  const corrupt = good.slice();
  corrupt[8] ^= 1;
  const falseSync = new Uint8Array([0x53, 0x47, 1, 1, 0xff, 0xff]); // LEN 65535
  const stream = new Uint8Array([...new Uint8Array(50).fill(0x53), ...falseSync, ...corrupt, 0x53, ...good]);
  const got = port.raw(stream);
  assert.equal(got.length, 1, "exactly the good frame answered");
  assert.equal(got[0]!.seq, 77);
  // One byte at a time.
  const before = port.frames.length;
  for (const b of encodeRequest(CMD.INFO, 5)) device.uartWrite(new Uint8Array([b]));
  assert.equal(port.frames.length, before + 1);
  // A frame that stalls for more than 250 ms is dropped; the next one is answered.
  const partial = encodeRequest(CMD.PING, 6, new Uint8Array(10));
  device.uartWrite(partial.subarray(0, 9));
  device.clock.advance(300);
  assert.equal(port.raw(partial.subarray(9)).length, 0, "the rest of a stalled frame is garbage");
  assert.equal(port.raw(encodeRequest(CMD.PING, 8)).length, 1);
  // Without a stall, the same split frame is answered.
  device.uartWrite(partial.subarray(0, 9));
  device.clock.advance(100);
  assert.equal(port.raw(partial.subarray(9)).length, 1);
});

test("the seed does not linger in the device's RAM after PROVISION or after showing a code", () => {
  const { device, port, clock } = newDevice();
  const seed = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
  const inRam = () => Buffer.from(device.raw.memory.buffer).indexOf(Buffer.from(seed.subarray(0, 16))) >= 0;
  assert.equal(port.request(CMD.PROVISION, provisionPayload({ alg: 2, seed }))?.status, ST.OK);
  assert.equal(inRam(), false, "after PROVISION");
  assert.equal(port.request(CMD.SET_TIME, timePayload(clock.now()))?.status, ST.OK);
  device.click();
  assert.equal(device.display, totp(seed, { time: Math.floor(clock.now() / 1000), algorithm: "SHA256" }));
  assert.equal(inRam(), false, "after a code was computed");
});
