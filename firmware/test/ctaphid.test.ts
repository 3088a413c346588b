// CTAPHID in the firmware: channels, framing, errors, timeouts, WINK, LOCK and the vendor tunnel.
import { test } from "vitest";
import assert from "node:assert/strict";
import { BROADCAST, HID, contReport, initReport, newChip, reports } from "./hid-util.js";
import { rng as prng } from "./cbor-util.js";

const ERR = { INVALID_CMD: 1, INVALID_PAR: 2, INVALID_LEN: 3, INVALID_SEQ: 4, MSG_TIMEOUT: 5, CHANNEL_BUSY: 6, INVALID_CHANNEL: 0x0b };

test("INIT allocates distinct channels and echoes the nonce; capabilities WINK|CBOR", () => {
  const { hid } = newChip();
  const nonce = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2]);
  const [m] = hid.request(BROADCAST, HID.INIT, nonce);
  assert.equal(m!.cid, BROADCAST);
  assert.equal(m!.data.length, 17);
  assert.deepEqual([...m!.data.subarray(0, 8)], [...nonce]);
  const cid = new DataView(m!.data.buffer, m!.data.byteOffset).getUint32(8);
  assert.ok(cid !== 0 && cid !== BROADCAST);
  assert.equal(m!.data[12], 2, "CTAPHID protocol version 2");
  assert.equal(m!.data[16]! & 0x05, 0x05, "WINK and CBOR");
  const cid2 = hid.open();
  assert.notEqual(cid2, cid);
  // INIT on an allocated channel answers on it with the same id (resync).
  const [again] = hid.request(cid, HID.INIT, nonce);
  assert.equal(new DataView(again!.data.buffer, again!.data.byteOffset).getUint32(8), cid);
  assert.deepEqual(hid.request(BROADCAST, HID.INIT, new Uint8Array(7))[0]!.data, new Uint8Array([ERR.INVALID_LEN]));
});

test("PING round-trips every size up to 7609 bytes; larger is INVALID_LEN", () => {
  const { hid } = newChip();
  const cid = hid.open();
  for (const n of [0, 1, 57, 58, 116, 117, 1000, 7609]) {
    const msg = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    const [m] = hid.request(cid, HID.PING, msg);
    assert.equal(m!.cmd, HID.PING);
    assert.deepEqual(m!.data, msg, `size ${n}`);
  }
  const [e] = hid.send(initReport(cid, HID.PING, 7610));
  assert.deepEqual([e!.cmd, ...e!.data], [HID.ERROR, ERR.INVALID_LEN]);
});

test("channel errors: CID 0, unallocated, broadcast for non-INIT; unknown command", () => {
  const { hid } = newChip();
  const cid = hid.open();
  for (const bad of [0, cid + 1000, BROADCAST]) {
    const [e] = hid.send(initReport(bad, HID.PING, 0));
    assert.deepEqual([e!.cmd, ...e!.data], [HID.ERROR, ERR.INVALID_CHANNEL], `cid ${bad}`);
  }
  const [u] = hid.send(initReport(cid, 0x22, 0));
  assert.deepEqual([u!.cmd, ...u!.data], [HID.ERROR, ERR.INVALID_CMD]);
});

test("interleaving: another channel gets CHANNEL_BUSY; bad sequence is INVALID_SEQ; a stall is MSG_TIMEOUT", () => {
  const { hid, clock } = newChip();
  const a = hid.open(), b = hid.open();
  const msg = new Uint8Array(200).fill(7);
  const parts = reports(a, HID.PING, msg);
  hid.send(parts[0]!);
  const [busy] = hid.send(initReport(b, HID.PING, 1, new Uint8Array([1])));
  assert.deepEqual([busy!.cid, busy!.cmd, ...busy!.data], [b, HID.ERROR, ERR.CHANNEL_BUSY]);
  const [done] = hid.send(...parts.slice(1));
  assert.deepEqual(done!.data, msg, "the first message completes untouched");
  // wrong sequence number
  hid.send(parts[0]!);
  const [seq] = hid.send(contReport(a, 5, new Uint8Array(59)));
  assert.deepEqual([seq!.cmd, ...seq!.data], [HID.ERROR, ERR.INVALID_SEQ]);
  // stall: 600 ms after the init packet the device gives up with MSG_TIMEOUT
  hid.send(parts[0]!);
  const before = hid.messages.length;
  clock.advance(600);
  const t = hid.messages.slice(before);
  assert.deepEqual([t[0]!.cmd, ...t[0]!.data], [HID.ERROR, ERR.MSG_TIMEOUT]);
  assert.deepEqual(hid.request(a, HID.PING, msg)[0]!.data, msg, "the channel works again");
  // stray continuation packets are ignored
  assert.equal(hid.send(contReport(a, 0, new Uint8Array(59))).length, 0);
});

test("WINK blinks the LED for a second; LOCK keeps other channels out", () => {
  const { hid, clock, device } = newChip();
  const a = hid.open(), b = hid.open();
  const seen = new Set<boolean>();
  device.on("led", (on) => seen.add(on));
  assert.equal(hid.request(a, HID.WINK)[0]!.cmd, HID.WINK);
  clock.advance(600);
  assert.ok(seen.has(true) && seen.has(false), "the LED blinked");
  clock.advance(1000);
  assert.equal(device.led, false, "and stopped");
  assert.equal(hid.request(a, HID.LOCK, new Uint8Array([2]))[0]!.cmd, HID.LOCK);
  assert.deepEqual([...hid.request(b, HID.PING, new Uint8Array([1]))[0]!.data], [ERR.CHANNEL_BUSY]);
  clock.advance(2100);
  assert.equal(hid.request(b, HID.PING, new Uint8Array([1]))[0]!.cmd, HID.PING, "lock expired");
  assert.deepEqual([...hid.request(a, HID.LOCK, new Uint8Array([11]))[0]!.data], [ERR.INVALID_PAR]);
});

test("the service protocol travels over the vendor command (factory provisioning of the chip)", () => {
  const { hid } = newChip();
  const cid = hid.open();
  const [info] = hid.request(cid, HID.VENDOR, new Uint8Array([0x01]));
  assert.equal(info!.data[0], 0, "status OK");
  assert.equal(info!.data[1], 1, "protocol version");
  assert.equal(info!.data[6], 0, "blank");
  const [ping] = hid.request(cid, HID.VENDOR, new Uint8Array([0x06, 1, 2, 3]));
  assert.deepEqual([...ping!.data], [0, 1, 2, 3]);
});

test("CTAPHID fuzzer: random and mutated reports never trap; INIT still answers", () => {
  const { hid, device, clock } = newChip();
  const rnd = prng(42);
  const int = (n: number) => Math.floor(rnd() * n);
  const cids = [hid.open(), hid.open()];
  const N = Number(process.env.SEGL_FUZZ_REPORTS ?? 100_000);
  for (let i = 0; i < N; i++) {
    const k = rnd();
    let r: Uint8Array;
    const cid = k < 0.8 ? cids[int(2)]! : int(2) ? BROADCAST : int(2 ** 32);
    if (k < 0.5) {
      const cmd = [HID.PING, HID.MSG, HID.CBOR, HID.WINK, HID.LOCK, HID.INIT, HID.CANCEL, HID.VENDOR, int(128)][int(9)]!;
      const len = int(3) === 0 ? int(8000) : int(80);
      const data = new Uint8Array(57).map(() => int(256));
      r = initReport(cid, cmd, len, data);
    } else if (k < 0.8) r = contReport(cid, int(3) ? int(4) : int(256), new Uint8Array(59).map(() => int(256)));
    else r = new Uint8Array(int(3) ? 64 : int(70)).map(() => int(256));
    device.hidWrite(r);
    if (rnd() < 0.01) clock.advance(int(700));
    if (rnd() < 0.002) device.click();
    assert.equal(device.state, "on", `trap at report ${i}: ${device.faults.map((f) => f.message).join("; ")}`);
  }
  assert.equal(device.faults.length, 0);
  clock.advance(40_000);
  assert.ok(hid.open() > 0, "still answers INIT");
});
