// The lock fails closed: every single bit flipped in the flash records of a locked code display
// (configuration, seed, time and the lock records) leaves a device that reports LOCKED and
// refuses SET_TIME and PROVISION; a provisioned device without a lock record is locked; a rotten
// record among valid ones is reported (INFO flag) and does not hide the records after it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { NorFlash } from "@segl/simulator";
import { newDevice, provisionPayload, timePayload, LOCK_PAYLOAD, CMD, ST } from "./service-util.js";
import { StoreDev } from "./storage-util.js";

const KEY = { CONFIG: 0x10, SEED: 0x11, TIME: 0x12, LOCK: 0x13 } as const;
const STATE = { BLANK: 0, PROVISIONED: 1, LOCKED: 2 } as const;
const PAGE_MAGIC = 0x314c4753;

interface Rec { addr: number; size: number; key: number; value: Uint8Array }

/** The records of a store image (docs/storage.md): 20-byte page headers, 16-byte record headers. */
function records(img: Uint8Array, pageSize: number): Rec[] {
  const dv = new DataView(img.buffer, img.byteOffset);
  const out: Rec[] = [];
  for (let base = 0; base < img.length; base += pageSize) {
    if (dv.getUint32(base, true) !== PAGE_MAGIC || dv.getUint32(base + 12, true) === 0xffffffff) continue;
    for (let off = 20; off + 16 <= pageSize; ) {
      if (dv.getUint32(base + off, true) === 0xffffffff) break;
      const key = dv.getUint16(base + off, true), len = dv.getUint16(base + off + 2, true);
      const size = 16 + ((len + 3) & ~3);
      out.push({ addr: base + off, size, key, value: img.slice(base + off + 16, base + off + 16 + len) });
      off += size;
    }
  }
  return out;
}

function lockedDisplay() {
  const d = newDevice({ rngSeed: "lock" });
  assert.equal(d.port.request(CMD.PROVISION, provisionPayload())?.status, ST.OK);
  assert.equal(d.port.request(CMD.SET_TIME, timePayload(d.clock.now()))?.status, ST.OK);
  assert.equal(d.port.request(CMD.LOCK, LOCK_PAYLOAD)?.status, ST.OK);
  return d;
}

test("a locked display writes its lock twice after an explicit 'unlocked' record from PROVISION", () => {
  const { device } = lockedDisplay();
  const recs = records(device.snapshotFlash(), device.flash.geometry.pageSize);
  const locks = recs.filter((r) => r.key === KEY.LOCK).map((r) => [...r.value]);
  assert.deepEqual(locks, [[0], [1], [1]]);
  assert.deepEqual(recs.map((r) => r.key), [KEY.CONFIG, KEY.SEED, KEY.LOCK, KEY.TIME, KEY.LOCK, KEY.LOCK]);
});

test("every bit flipped in the configuration, seed, time and lock records leaves the device locked", () => {
  const { device, port, clock } = lockedDisplay();
  const snap = device.snapshotFlash();
  const recs = records(snap, device.flash.geometry.pageSize).filter((r) => (Object.values(KEY) as number[]).includes(r.key));
  assert.equal(recs.length, 6);
  let flips = 0, damagedSeen = 0;
  for (const r of recs) {
    for (let bit = 0; bit < r.size * 8; bit++) {
      const img = snap.slice();
      img[r.addr + (bit >> 3)]! ^= 1 << (bit & 7);
      device.restoreFlash(img); // power-cycles the device on the damaged flash
      const info = port.request(CMD.INFO)!;
      const where = `key 0x${r.key.toString(16)} at 0x${r.addr.toString(16)}, bit ${bit}`;
      assert.equal(info.data[5], STATE.LOCKED, `state after flipping ${where}`);
      if (info.data[6]! & 8) damagedSeen++;
      assert.equal(port.request(CMD.SET_TIME, timePayload(clock.now() + 86_400_000))?.status, ST.LOCKED, `SET_TIME after ${where}`);
      assert.equal(port.request(CMD.PROVISION, provisionPayload({ serial: "EVIL" }))?.status, ST.LOCKED, `PROVISION after ${where}`);
      flips++;
    }
  }
  assert.equal(flips, (56 + 36 + 20 + 24 + 20 + 20) * 8);
  assert.ok(damagedSeen > 0, "rot among valid records is reported in INFO (flag 8)");
  // and the intact image is still the locked device it was, showing codes
  device.restoreFlash(snap);
  assert.equal(port.request(CMD.INFO)!.data[5], STATE.LOCKED);
  device.click();
  assert.match(device.display, /^\d{6}$/);
});

test("a provisioned device whose lock record is missing behaves as locked; a stray seed is not 'blank'", () => {
  // A store written by the store alone: configuration and seed, no lock record at all (as a
  // compaction that dropped a rotten lock record would leave it).
  const flash = new NorFlash();
  const s = new StoreDev({}, flash);
  assert.equal(s.mount(), 0);
  const cfg = new Uint8Array(38);
  cfg.set([1, 1, 6, 0, 30, 4]);
  cfg.set(new TextEncoder().encode("SGL9"), 6);
  assert.equal(s.txn([[KEY.CONFIG, cfg], [KEY.SEED, new Uint8Array(20).fill(7)]]), 0);
  const img = flash.snapshot();
  const { device, port } = newDevice({ rngSeed: "missing" });
  device.restoreFlash(img);
  const info = port.request(CMD.INFO)!;
  assert.equal(info.data[4], 1, "the configuration is read");
  assert.equal(info.data[5], STATE.LOCKED, "no lock record: locked");
  assert.equal(port.request(CMD.PROVISION, provisionPayload())?.status, ST.LOCKED);
  assert.equal(port.request(CMD.SET_TIME, timePayload(Date.UTC(2030, 0, 1)))?.status, ST.LOCKED);
  // only a seed: not a blank device either
  const flash2 = new NorFlash();
  const s2 = new StoreDev({}, flash2);
  s2.mount();
  assert.equal(s2.put(KEY.SEED, new Uint8Array(20).fill(9)), 0);
  device.restoreFlash(flash2.snapshot());
  assert.equal(port.request(CMD.INFO)!.data[5], STATE.LOCKED);
});

test("an unlocked device stays unlocked across reboots; a rotten record does not hide the records after it", () => {
  const { device, port } = newDevice({ rngSeed: "unlocked" });
  assert.equal(port.request(CMD.PROVISION, provisionPayload())?.status, ST.OK);
  device.reboot();
  assert.equal(port.request(CMD.INFO)!.data[5], STATE.PROVISIONED);
  // the store reads past a rotten record: a value written after it survives
  const flash = new NorFlash();
  const s = new StoreDev({}, flash);
  s.mount();
  s.put(1, new Uint8Array([1, 1, 1, 1]));
  s.put(2, new Uint8Array([2, 2, 2, 2]));
  const img = flash.snapshot();
  const first = records(img, flash.geometry.pageSize)[0]!;
  img[first.addr + 17]! ^= 0x10;
  flash.restore(img);
  s.reboot();
  assert.equal(s.mount(), 0);
  assert.equal(s.get(1), undefined, "the rotten record is ignored");
  assert.deepEqual(s.get(2), new Uint8Array([2, 2, 2, 2]), "the record after it is read");
});
