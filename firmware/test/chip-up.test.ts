// The main image as a chip over CTAPHID: a request needing a touch is parked with KEEPALIVE
// UPNEEDED every 100 ms and the LED on; the button completes it; CANCEL and the 30 s timeout end it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { HID, newChip, type HidMessage } from "./hid-util.js";
import { encode } from "./cbor-util.js";
import { mcRequest, decode, mget, bytes, parseAuthData, CMD } from "./ctap2-util.js";

const UPNEEDED = 2;

function cbor(cmd: number, params?: ReturnType<typeof mcRequest>): Uint8Array {
  const body = params ? encode(params) : new Uint8Array(0);
  return new Uint8Array([cmd, ...body]);
}

function keepalives(ms: HidMessage[]): number[] {
  return ms.filter((m) => m.cmd === HID.KEEPALIVE).map((m) => m.data[0]!);
}

test("makeCredential waits for a touch: KEEPALIVE UPNEEDED every 100 ms, LED on, then the credential", () => {
  const { hid, device, clock } = newChip();
  const cid = hid.open();
  const first = hid.request(cid, HID.CBOR, cbor(CMD.MC, mcRequest()));
  assert.deepEqual(keepalives(first), [UPNEEDED], "an immediate keepalive");
  assert.equal(device.led, true, "LED asks for a touch");
  const before = hid.messages.length;
  clock.advance(1_000);
  const ka = keepalives(hid.messages.slice(before));
  assert.ok(ka.length >= 9 && ka.length <= 11, `about 10 keepalives a second, got ${ka.length}`);
  assert.ok(ka.every((s) => s === UPNEEDED));
  // another channel is busy meanwhile
  const other = hid.open();
  assert.deepEqual([...hid.request(other, HID.PING, new Uint8Array([1]))[0]!.data], [0x06]);
  const n = hid.messages.length;
  device.click();
  const done = hid.messages.slice(n).filter((m) => m.cmd === HID.CBOR);
  assert.equal(done.length, 1);
  assert.equal(done[0]!.data[0], 0, "CTAP2_OK");
  const body = decode(done[0]!.data.subarray(1));
  assert.equal(mget(body, 1), "packed");
  const ad = parseAuthData(bytes(mget(body, 2)));
  assert.equal(ad.flags & 0x01, 0x01, "UP flag set by the touch");
  assert.equal(ad.flags & 0x40, 0x40, "attested credential data");
  assert.equal(device.led, false);
});

test("CANCEL ends a parked request with KEEPALIVE_CANCEL; 30 s without a touch is USER_ACTION_TIMEOUT", () => {
  const { hid, device, clock } = newChip();
  const cid = hid.open();
  hid.request(cid, HID.CBOR, cbor(CMD.MC, mcRequest()));
  const [cancelled] = hid.request(cid, HID.CANCEL).filter((m) => m.cmd === HID.CBOR);
  assert.deepEqual([...cancelled!.data], [0x2d]);
  assert.equal(device.led, false);
  device.click(); // a late touch does nothing
  hid.request(cid, HID.CBOR, cbor(CMD.MC, mcRequest()));
  const n = hid.messages.length;
  clock.advance(30_100);
  const timeout = hid.messages.slice(n).filter((m) => m.cmd === HID.CBOR);
  assert.deepEqual([...timeout[0]!.data], [0x2f]);
  // getInfo needs no touch
  const [info] = hid.request(cid, HID.CBOR, new Uint8Array([CMD.INFO])).filter((m) => m.cmd === HID.CBOR);
  assert.equal(info!.data[0], 0);
  assert.ok(Array.isArray(mget(decode(info!.data.subarray(1)), 1)), "versions");
});

test("a touch before a request is not consumed by CTAP2; selection needs its own touch", () => {
  const { hid, device } = newChip();
  const cid = hid.open();
  device.click();
  const r = hid.request(cid, HID.CBOR, new Uint8Array([CMD.SELECTION]));
  assert.deepEqual(keepalives(r), [UPNEEDED], "selection waits");
  const n = hid.messages.length;
  device.click();
  const [ok] = hid.messages.slice(n).filter((m) => m.cmd === HID.CBOR);
  assert.deepEqual([...ok!.data], [0]);
});
