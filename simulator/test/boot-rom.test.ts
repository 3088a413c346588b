// The simulator's boot ROM on its own (simulator/src/boot-rom.ts): manufacture, slot checks,
// the boot record written power-cut-safe across its two pages, trial and revert, the HAL side.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { BootRom, PowerCut, signImageForTest, TEST_MAKER_KEY_PEM, SLOT_SIZE, Device, loadImage } from "../src/index.js";

const PAYLOAD = new Uint8Array(3000).map((_, i) => (i * 13) & 0xff);
const pem = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();

describe("slots", () => {
  test("a fresh ROM boots the image in A; an empty or damaged A falls to a valid B; neither: NoBootableImage", () => {
    const rom = new BootRom();
    rom.install("A", signImageForTest(PAYLOAD, { version: 0x000100 }));
    assert.equal(rom.boot().slot, "A");
    rom.install("B", signImageForTest(PAYLOAD, { version: 0x000200 }));
    rom.flipBit("A", 200);
    const c = rom.boot();
    assert.equal(c.slot, "B");
    assert.equal(c.header.version, 0x000200);
    assert.equal(rom.readRecord().active, "B", "the fallback is remembered");
    rom.flipBit("B", 70);
    assert.throws(() => rom.boot(), /no valid image/);
  });

  test("verifySlot names the reason: EMPTY, FORMAT, MODEL, KEY, SIGNATURE, HASH, ROLLBACK", () => {
    const other = pem();
    const rom = new BootRom({ makerKeys: [TEST_MAKER_KEY_PEM, other], model: 1, revoked: 0 });
    const cases: [string, Uint8Array | undefined][] = [
      ["EMPTY", undefined],
      ["FORMAT", signImageForTest(PAYLOAD, { flags: 1 })],
      ["MODEL", signImageForTest(PAYLOAD, { modelMask: 0b1000 })],
      ["KEY", signImageForTest(PAYLOAD, { keyIndex: 2 })],
      ["SIGNATURE", signImageForTest(PAYLOAD, { keyIndex: 1 })],
    ];
    for (const [reason, file] of cases) {
      if (file) rom.install("A", file);
      const v = rom.verifySlot("A");
      assert.equal(v.ok ? "ok" : v.reason, reason);
    }
    const good = signImageForTest(PAYLOAD, { keyIndex: 1, privateKeyPem: other, securityCounter: 4 });
    rom.install("A", good);
    assert.equal(rom.verifySlot("A").ok, true);
    rom.flipBit("A", 128 + 1500);
    assert.deepEqual(rom.verifySlot("A"), { ok: false, reason: "HASH" });
    rom.install("A", good);
    assert.deepEqual(rom.verifySlot("A", { ...rom.readRecord(), counter: 5 }), { ok: false, reason: "ROLLBACK" });
    const revoked = new BootRom({ makerKeys: [TEST_MAKER_KEY_PEM], revoked: 1 });
    revoked.install("A", signImageForTest(PAYLOAD));
    assert.deepEqual(revoked.verifySlot("A"), { ok: false, reason: "KEY" }, "revoked at manufacture");
    assert.equal(revoked.key(0), -4);
    assert.equal(revoked.key(1), -1);
  });
});

describe("trial, confirm, revert", () => {
  test("pending → trial; confirm raises the counter and adds revocations; an unconfirmed trial reverts", () => {
    const k1 = pem();
    const rom = new BootRom({ makerKeys: [TEST_MAKER_KEY_PEM, k1] });
    rom.install("A", signImageForTest(PAYLOAD));
    rom.boot();
    assert.equal(rom.slotErase(0), 0, "the inactive slot B");
    rom.install("B", signImageForTest(PAYLOAD, { keyIndex: 1, privateKeyPem: k1, revokeMask: 1, securityCounter: 9 }));
    assert.equal(rom.markPending(), 0);
    let c = rom.boot();
    assert.deepEqual([c.slot, c.trial], ["B", true]);
    assert.equal(rom.state(), 0x101, "trial, running slot B");
    assert.equal(rom.slotErase(0), -3, "no slot writes while on trial");
    assert.equal(rom.markPending(), -3);
    c = rom.boot(); // power-cycled without confirming
    assert.deepEqual([c.slot, c.trial], ["A", false]);
    assert.equal(rom.readRecord().counter, 0);
    rom.install("B", signImageForTest(PAYLOAD, { keyIndex: 1, privateKeyPem: k1, revokeMask: 1, securityCounter: 9 }), "pending");
    rom.boot();
    assert.equal(rom.confirm(), 0);
    const rec = rom.readRecord();
    assert.deepEqual([rec.active, rec.trial, rec.counter, rec.revoked], ["B", false, 9, 1]);
    assert.equal(rom.key(0), -4, "key 0 revoked");
    assert.equal(rom.boot().slot, "B");
    assert.equal(rom.verifySlot("A").ok, false, "the old key-0 image in A no longer counts");
  });
});

describe("the boot record", () => {
  test("a power cut at every operation while records wrap across both pages leaves the old or the new record", () => {
    const rom = new BootRom();
    rom.install("A", signImageForTest(PAYLOAD));
    rom.install("B", signImageForTest(PAYLOAD));
    rom.boot();
    // 300 records: more than two pages' worth (128 each), so both page switches (erases) happen
    for (let i = 0; i < 300; i++) {
      const before = rom.readRecord();
      rom.cutPowerAtOperation(1 + (i % 2)); // the record write itself, or (at a page switch) the erase / the write after it
      let cut = false;
      try {
        rom.markPending();
      } catch (err) {
        assert.ok(err instanceof PowerCut);
        cut = true;
      }
      rom.cutPowerAtOperation(0);
      const after = rom.readRecord();
      if (cut) assert.ok(after.seq === before.seq || after.seq === before.seq + 1, `record ${i}: seq ${before.seq} → ${after.seq}`);
      else assert.equal(after.seq, before.seq + 1);
      assert.equal(after.active, "A");
      if (after.seq === before.seq) {
        assert.equal(rom.markPending(), 0, "the next write after a cut goes through");
      }
    }
    assert.ok(rom.readRecord().seq >= 300, `${rom.readRecord().seq} records`);
  });

  test("a flash file keeps slots, keys and the record across runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "segl-boot-"));
    try {
      const file = join(dir, "flash.bin");
      const image = loadImage();
      const a = new Device({ flashFile: file, image });
      a.installImage("B", signImageForTest(image.bytes, { version: 0x000200, securityCounter: 2 }), "pending");
      a.reboot();
      assert.equal(a.lastBootChoice?.slot, "B");
      assert.equal(a.bootRecord().counter, 2, "the shipping image confirmed itself");
      a.dispose();
      const b = new Device({ flashFile: file, image });
      assert.equal(b.lastBootChoice?.slot, "B", "the record came back from the file");
      assert.equal(b.bootRecord().counter, 2);
      b.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a device made without slots runs the given image from slot A, signed with the test maker key", () => {
    const d = new Device();
    assert.equal(d.lastBootChoice?.slot, "A");
    assert.deepEqual(d.bootRom.readSlot("A").subarray(128, 128 + d.image.bytes.length), d.image.bytes);
    assert.equal(d.bootRom.readSlot("A").length, SLOT_SIZE);
    d.dispose();
  });
});

test("HTTP control API: read the boot record, write a slot, power cut at a boot-flash operation", async () => {
  const { Simulator, startControlServer } = await import("../src/index.js");
  const sim = new Simulator({ startMs: 1_700_000_000_000 });
  const d = sim.add({ name: "disp" });
  const srv = await startControlServer(sim);
  try {
    const boot = (await (await fetch(`${srv.url}/devices/disp/boot`)).json()) as { record: { active: string }; lastBoot: { slot: string; trial: boolean } };
    assert.equal(boot.record.active, "A");
    assert.deepEqual([boot.lastBoot.slot, boot.lastBoot.trial], ["A", false]);
    const file = signImageForTest(d.image.bytes, { version: 0x000200 });
    const put = await fetch(`${srv.url}/devices/disp/slot-b?mark=pending`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: file });
    assert.equal(put.status, 200);
    assert.equal(((await put.json()) as { record: { pending: string } }).record.pending, "B");
    const cut = await fetch(`${srv.url}/devices/disp/boot`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ cutAtOperation: 1 }) });
    assert.equal(cut.status, 200);
    d.reboot(); // the trial record write is cut: the device stays off, the record unchanged
    assert.equal(d.state, "off");
    assert.equal(d.bootRecord().pending, "B");
    d.powerOn();
    assert.deepEqual([d.lastBootChoice?.slot, d.lastBootChoice?.trial], ["B", true]);
    assert.equal(d.bootRecord().active, "B", "the image confirmed itself");
    const bad = await fetch(`${srv.url}/devices/disp/slot-a?mark=maybe`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: file });
    assert.equal(bad.status, 400);
  } finally {
    await srv.close();
    sim.close();
  }
});

test("Device.updateBegin/Data/Finish drive the receiver exports as a DFU class driver would; a power cut mid-way turns the device off", () => {
  const d = new Device();
  const file = signImageForTest(d.image.bytes, { version: 0x000103, securityCounter: 1 });
  assert.equal(d.updateBegin(file.subarray(0, 128)), 0);
  let off = 0;
  const payload = file.subarray(128);
  for (; off < payload.length; off += 4096) assert.equal(d.updateData(off, payload.subarray(off, off + 4096)), Math.min(payload.length, off + 4096));
  assert.equal(d.updateData(0, payload.subarray(0, 4)), -6, "SEQUENCE: offset behind the count");
  assert.equal(d.updateFinish(), 0);
  assert.equal(d.bootRecord().pending, "B");
  d.reboot();
  assert.deepEqual([d.lastBootChoice?.slot, d.lastBootChoice?.trial, d.bootRecord().active, d.bootRecord().counter], ["B", true, "B", 1]);
  // now slot A is the target: a power cut at the first program of the payload
  assert.equal(d.updateBegin(file.subarray(0, 128)), 0, "the same counter is no downgrade");
  d.cutPowerAtBootFlashOperation(1);
  assert.equal(d.updateData(0, payload.subarray(0, 4096)), undefined);
  assert.equal(d.state, "off");
  assert.equal(d.faults.at(-1)?.kind, "power");
  d.powerOn();
  assert.deepEqual([d.lastBootChoice?.slot, d.lastBootChoice?.trial], ["B", false], "slot B keeps running");
  assert.equal(d.updateData(0, payload.subarray(0, 4096)), -6, "the download was forgotten: SEQUENCE until a new begin");
}, 30_000);
