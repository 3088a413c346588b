// The update receiver and the boot ROM together (docs/image-format.md): a good image updates and
// boots with every byte of data intact; bad images are refused and the old one keeps running;
// trials that do not confirm revert; power cuts at every flash operation of an update leave a
// device that boots a valid image with all its data; an interrupted download resumes.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { WATCHDOG_RESET_MS } from "@segl/simulator";
import { CMD } from "./service-util.js";
import {
  UPD, ERR, ST_UPDATE_REFUSED, KEYS, OTHER_KEY, OLD_PAYLOAD, OLD_IMAGE, newPayload, signed, updDevice, fieldDevice, sendImage,
  runningVersion, identity, shownCode, countOf, dataPayload, unconfirmingPayload, type UpdDevice,
} from "./update-util.js";

/** A field device (provisioned, clock set, locked) running OLD_IMAGE, with what it shows now. */
function field(): UpdDevice & { before: { id: string; code: string; data: Uint8Array } } {
  const d = updDevice();
  fieldDevice(d.port);
  return { ...d, before: { id: identity(d.port), code: shownCode(d.device), data: d.device.snapshotFlash() } };
}

function assertRunsOld(d: UpdDevice, why: string): void {
  d.device.reboot();
  assert.equal(d.device.state, "on", why);
  assert.equal(runningVersion(d.port), "0.1.0", `${why}: the old image keeps running`);
}

function refused(out: ReturnType<typeof sendImage>, detail: number, why: string): void {
  assert.equal(out.ok, false, `${why}: accepted`);
  if (!out.ok) {
    assert.equal(out.status, ST_UPDATE_REFUSED, `${why}: status`);
    assert.equal(out.detail, detail, `${why}: detail (step ${out.step})`);
  }
}

describe("a good image", () => {
  test("updates, boots in trial, confirms: new version answers, seed, time, lock and every data byte intact", () => {
    const d = field();
    assert.deepEqual(sendImage(d.port, signed(newPayload(), { version: "0.2.0", securityCounter: 3 })), { ok: true });
    assert.deepEqual(d.device.bootRecord().pending, "B", "finish marked slot B pending");
    assert.equal(runningVersion(d.port), "0.1.0", "nothing changes before the reboot");
    const r = d.port.request(UPD.REBOOT);
    assert.equal(r?.status, 0, "REBOOT answers before the reset");
    assert.equal(d.device.lastBootChoice?.slot, "B");
    assert.equal(d.device.lastBootChoice?.trial, true, "the new image ran in trial mode");
    assert.equal(runningVersion(d.port), "0.2.0");
    const rec = d.device.bootRecord();
    assert.equal(rec.active, "B", "the image confirmed itself: B is active");
    assert.equal(rec.trial, false);
    assert.equal(rec.counter, 3, "the stored security counter rose to the image's");
    assert.equal(identity(d.port), d.before.id, "model, state (locked) and serial as before");
    assert.equal(shownCode(d.device), d.before.code, "same seed, same clock: the same code");
    assert.deepEqual(d.device.snapshotFlash(), d.before.data, "the data region was not touched");
    d.device.reboot();
    assert.equal(runningVersion(d.port), "0.2.0", "and it stays");
    assert.equal(d.device.lastBootChoice?.trial, false);
  });

  test("chunks of any size that keep 4-byte alignment, the last one odd", () => {
    const d = updDevice();
    const odd = new Uint8Array(newPayload().length + 3);
    odd.set(newPayload());
    // a payload of odd length: still a valid module? no — only the receiver's padding is under test here
    const file = signed(odd, { version: "0.2.0" });
    assert.deepEqual(sendImage(d.port, file, { chunk: 252 }), { ok: true });
    const slot = d.device.bootRom.readSlot(d.device.lastBootChoice?.slot === "A" ? "B" : "A");
    assert.deepEqual(slot.subarray(0, file.length), file, "the slot holds the file byte for byte");
    assert.deepEqual([...slot.subarray(file.length, file.length + 1)], [0xff], "padding is erased flash");
  });
});

describe("refused images: the old image keeps running", () => {
  test("bad signature, another maker's key, wrong model, unsigned", () => {
    const d = field();
    const good = signed(newPayload(), { version: "0.2.0" });
    const badSig = good.slice();
    badSig[100]! ^= 0x01;
    refused(sendImage(d.port, badSig), ERR.SIGNATURE, "flipped signature");
    refused(sendImage(d.port, signed(newPayload(), { pem: OTHER_KEY.privateKeyPem })), ERR.SIGNATURE, "signed by a key the device does not hold");
    refused(sendImage(d.port, signed(newPayload(), { models: ["chip"] })), ERR.MODEL, "a chip image on a code display");
    refused(sendImage(d.port, signed(newPayload(), { keyIndex: 2, pem: KEYS[0]!.privateKeyPem })), ERR.KEY, "key index with no key");
    const unsigned = good.slice();
    unsigned.fill(0, 64, 128);
    refused(sendImage(d.port, unsigned), ERR.SIGNATURE, "unsigned");
    assert.equal(d.device.bootRecord().pending, null, "nothing was marked pending");
    assertRunsOld(d, "after refusals");
    assert.deepEqual(d.device.snapshotFlash(), d.before.data);
  });

  test("downgrade: an image whose security counter is below the stored one", () => {
    const d = field();
    assert.deepEqual(sendImage(d.port, signed(newPayload(), { version: "0.2.0", securityCounter: 5 })), { ok: true });
    d.port.request(UPD.REBOOT);
    assert.equal(d.device.bootRecord().counter, 5);
    refused(sendImage(d.port, signed(OLD_PAYLOAD, { securityCounter: 4 })), ERR.ROLLBACK, "counter 4 < 5");
    // The boot ROM refuses it too when it is written into the slot behind the receiver's back.
    d.device.installImage(d.device.lastBootChoice!.slot === "A" ? "B" : "A", signed(OLD_PAYLOAD, { securityCounter: 4 }), "pending");
    d.device.reboot();
    assert.equal(runningVersion(d.port), "0.2.0");
    assert.match(d.device.lastBootChoice!.notes.join(), /pending-invalid: ROLLBACK/);
    // the same counter is no downgrade
    assert.deepEqual(sendImage(d.port, signed(OLD_PAYLOAD, { securityCounter: 5 })), { ok: true });
  });

  test("rotation: an image signed by key 1 revokes key 0; then key-0 images are refused", () => {
    const d = field();
    assert.deepEqual(sendImage(d.port, signed(newPayload(), { version: "0.2.0", key: 1, revoke: [0] })), { ok: true });
    d.port.request(UPD.REBOOT);
    assert.equal(runningVersion(d.port), "0.2.0");
    assert.equal(d.device.bootRecord().revoked, 0b01, "key 0 revoked once the image confirmed");
    refused(sendImage(d.port, signed(OLD_PAYLOAD)), ERR.KEY, "key 0 is revoked");
    d.device.installImage(d.device.lastBootChoice!.slot === "A" ? "B" : "A", signed(OLD_PAYLOAD), "pending");
    d.device.reboot();
    assert.match(d.device.lastBootChoice!.notes.join(), /pending-invalid: KEY/);
    assert.equal(runningVersion(d.port), "0.2.0");
    assert.deepEqual(sendImage(d.port, signed(OLD_PAYLOAD, { key: 1 })), { ok: true }, "key 1 still works");
  });

  test("an image may not revoke its own key; format, flags and reserved bytes are checked", () => {
    const d = updDevice();
    const good = signed(newPayload(), { version: "0.2.0" });
    const cases: [string, (f: Uint8Array) => void][] = [
      ["magic", (f) => { f[0] = 0x00; }],
      ["format version", (f) => { f[4] = 2; }],
      ["flags", (f) => { f[7] = 1; }],
      ["reserved", (f) => { f[60] = 1; }],
      ["own key revoked", (f) => { f[6] = 1; }],
      ["key index 7", (f) => { f[5] = 7; }],
      ["payload length 4", (f) => { new DataView(f.buffer).setUint32(20, 4, true); }],
      ["payload length beyond the slot", (f) => { new DataView(f.buffer).setUint32(20, 1 << 20, true); }],
    ];
    for (const [why, change] of cases) {
      const f = good.slice();
      change(f);
      refused(sendImage(d.port, f), ERR.FORMAT, why);
    }
    const r = d.port.request(UPD.BEGIN, good.subarray(0, 127));
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.FORMAT], "a short header");
  });

  test("truncated image, data out of order, finish too early, a payload that does not match its hash", () => {
    const d = field();
    const good = signed(newPayload(), { version: "0.2.0" });
    // truncated: the header promises more than arrives; FINISH is refused
    const b = d.port.request(UPD.BEGIN, good.subarray(0, 128));
    assert.equal(b?.status, 0);
    assert.equal(countOf(b!.data), 0);
    const r1 = d.port.request(UPD.DATA, dataPayload(0, good.subarray(128, 128 + 1016)));
    assert.equal(countOf(r1!.data), 1016);
    let r = d.port.request(UPD.FINISH);
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.SEQUENCE], "finish before all bytes");
    r = d.port.request(UPD.DATA, dataPayload(0, good.subarray(128, 1144)));
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.SEQUENCE], "data after the download was forgotten");
    d.port.request(UPD.BEGIN, good.subarray(0, 128));
    r = d.port.request(UPD.DATA, dataPayload(8, good.subarray(136, 1144)));
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.SEQUENCE], "wrong offset");
    r = d.port.request(UPD.DATA, dataPayload(0, good.subarray(128, 131)));
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.SEQUENCE], "an odd chunk that is not the last");
    r = d.port.request(UPD.DATA, new Uint8Array(3));
    assert.equal(r?.status, 2, "UPDATE_DATA without an offset: BAD_LENGTH");
    r = d.port.request(UPD.FINISH, new Uint8Array(1));
    assert.equal(r?.status, 2, "UPDATE_FINISH with a payload: BAD_LENGTH");
    // a payload byte changed after signing: refused at FINISH by the read-back hash
    const tampered = good.slice();
    tampered[128 + 20000]! ^= 0x80;
    refused(sendImage(d.port, tampered), ERR.HASH, "payload changed");
    // data before any begin (fresh boot)
    d.device.reboot();
    r = d.port.request(UPD.DATA, dataPayload(0, good.subarray(128, 1144)));
    assert.deepEqual([r?.status, r?.data[0]], [ST_UPDATE_REFUSED, ERR.SEQUENCE], "data before begin");
    assert.equal(d.port.request(UPD.ABORT)?.status, 0);
    assertRunsOld(d, "after truncations");
    assert.deepEqual(d.device.snapshotFlash(), d.before.data);
  });

  // Bit flips: every byte of the header (by field class) and sampled payload positions; the full
  // sweep of every byte is behind SEGL_UPDATE_FULL_SWEEP=1.
  test("a bit flip anywhere is refused by the receiver, and by the boot ROM in the slot", () => {
    const d = updDevice();
    const good = signed(newPayload(), { version: "0.2.0" });
    const full = process.env.SEGL_UPDATE_FULL_SWEEP === "1";
    const positions = full
      ? Array.from({ length: good.length }, (_, i) => i)
      : [0, 3, 4, 5, 6, 7, 8, 11, 12, 14, 16, 19, 20, 22, 24, 40, 55, 56, 63, 64, 80, 95, 96, 110, 127,
        128, 129, 200, 1000, 4096, (good.length >> 1), good.length - 1000, good.length - 2, good.length - 1];
    for (const pos of positions) {
      const f = good.slice();
      f[pos]! ^= 1 << (pos % 8);
      const out = sendImage(d.port, f);
      assert.equal(out.ok, false, `flip at ${pos} accepted by the receiver`);
      if (!out.ok) assert.equal(out.status, ST_UPDATE_REFUSED, `flip at ${pos}`);
    }
    assert.equal(d.device.bootRecord().pending, null);
    // the boot ROM: each flipped image written straight into slot B and marked pending
    for (const pos of full ? positions.filter((_, i) => i % 97 === 0) : positions) {
      const f = good.slice();
      f[pos]! ^= 1 << (pos % 8);
      d.device.installImage("B", f, "pending");
      d.device.reboot();
      assert.equal(d.device.lastBootChoice?.slot, "A", `flip at ${pos}: the boot ROM booted the flipped image`);
      assert.equal(runningVersion(d.port), "0.1.0");
    }
  });
});

describe("the boot ROM", () => {
  test("a trial image that never confirms (or traps) is reverted at the next power-on", () => {
    for (const trap of [false, true]) {
      const d = updDevice();
      fieldDevice(d.port);
      const data = d.device.snapshotFlash();
      assert.deepEqual(sendImage(d.port, signed(unconfirmingPayload(trap), { version: "9.9.9", securityCounter: 7 })), { ok: true });
      d.port.request(UPD.REBOOT);
      assert.equal(d.device.lastBootChoice?.trial, true);
      assert.equal(d.device.state, trap ? "crashed" : "on");
      assert.equal(d.device.bootRecord().trial, true, "still on trial");
      d.device.reboot();
      assert.equal(d.device.lastBootChoice?.slot, "A", "reverted to the old image");
      assert.match(d.device.lastBootChoice!.notes.join(), /reverted/);
      assert.equal(runningVersion(d.port), "0.1.0");
      assert.equal(d.device.bootRecord().counter, 0, "the counter of an image that never confirmed does not count");
      assert.deepEqual(d.device.snapshotFlash(), data);
    }
  });

  test("the watchdog: a trial image that traps at boot is reset and reverted with nobody touching the device", () => {
    const d = updDevice();
    fieldDevice(d.port);
    const data = d.device.snapshotFlash();
    assert.deepEqual(sendImage(d.port, signed(unconfirmingPayload(true), { version: "9.9.9", securityCounter: 7 })), { ok: true });
    d.port.request(UPD.REBOOT);
    assert.equal(d.device.state, "crashed", "the trial image trapped in boot()");
    d.clock.advance(WATCHDOG_RESET_MS - 1);
    assert.equal(d.device.state, "crashed", "not before the watchdog's time");
    d.clock.advance(1);
    assert.equal(d.device.watchdogResets, 1);
    assert.equal(d.device.state, "on");
    assert.equal(d.device.lastBootChoice?.slot, "A", "reverted to the old image");
    assert.match(d.device.lastBootChoice!.notes.join(), /reverted: slot B did not confirm/);
    assert.equal(runningVersion(d.port), "0.1.0");
    assert.deepEqual([d.device.bootRecord().active, d.device.bootRecord().trial, d.device.bootRecord().counter], ["A", false, 0]);
    assert.deepEqual(d.device.snapshotFlash(), data, "data intact");
    // Switched off, a trap stays a crash until someone power-cycles the device.
    const off = updDevice({ watchdog: false });
    assert.deepEqual(sendImage(off.port, signed(unconfirmingPayload(true), { version: "9.9.9" })), { ok: true });
    off.port.request(UPD.REBOOT);
    off.clock.advance(10 * WATCHDOG_RESET_MS);
    assert.deepEqual([off.device.state, off.device.watchdogResets], ["crashed", 0]);
  });

  test("a trial image whose self-test fails (its store does not mount) resets at once and the old image runs", () => {
    // A data flash of 2 pages: no store mounts on it. The old image runs without storage; the new
    // one, on trial, must not format anything and asks for a reset instead of confirming.
    const d = updDevice({ flashGeometry: { pageCount: 2 } });
    assert.equal(runningVersion(d.port), "0.1.0");
    assert.deepEqual(sendImage(d.port, signed(newPayload(), { version: "0.2.0", securityCounter: 4 })), { ok: true });
    const boots = d.device.boots;
    d.port.request(UPD.REBOOT);
    assert.equal(d.device.boots, boots + 2, "the trial boot, then the reset it asked for");
    assert.equal(d.device.lastBootChoice?.slot, "A");
    assert.match(d.device.lastBootChoice!.notes.join(), /reverted: slot B did not confirm/);
    assert.equal(runningVersion(d.port), "0.1.0");
    assert.deepEqual([d.device.bootRecord().active, d.device.bootRecord().counter], ["A", 0]);
  });

  test("the trial self-test verifies a P-256 known answer (RFC 6979 A.2.5): an image where it fails never confirms", () => {
    // A purpose-built image: the next build with one bit of the known-answer signature (or public
    // key) flipped in its data segment, as broken P-256 code would see a good one.
    for (const [what, hex] of [["signature r", "efd48b2aacb6a8fd1140dd9cd45e81d6"], ["public key X", "60fed4ba255a9d31c961eb74c6356d68"]] as const) {
      const d = field();
      const payload = Buffer.from(newPayload());
      const at = payload.indexOf(Buffer.from(hex, "hex"));
      assert.ok(at > 0 && payload.indexOf(Buffer.from(hex, "hex"), at + 1) < 0, `${what}: once in the image's data`);
      payload[at + 7]! ^= 0x01;
      assert.deepEqual(sendImage(d.port, signed(new Uint8Array(payload), { version: "0.2.0", securityCounter: 2 })), { ok: true }, what);
      const boots = d.device.boots;
      d.port.request(UPD.REBOOT);
      assert.equal(d.device.boots, boots + 2, `${what}: the trial boot, then the reset its self-test asked for`);
      assert.match(d.device.lastBootChoice!.notes.join(), /reverted: slot B did not confirm/, what);
      assert.equal(runningVersion(d.port), "0.1.0", what);
      assert.deepEqual([d.device.bootRecord().active, d.device.bootRecord().counter], ["A", 0], what);
      assert.equal(identity(d.port), d.before.id, what);
    }
  });

  test("a bit flip in the active slot boots the other valid slot", () => {
    const d = field();
    assert.deepEqual(sendImage(d.port, signed(newPayload(), { version: "0.2.0" })), { ok: true });
    d.port.request(UPD.REBOOT);
    assert.equal(runningVersion(d.port), "0.2.0");
    d.device.bootRom.flipBit("B", 128 + 30000, 3);
    d.device.reboot();
    assert.equal(d.device.lastBootChoice?.slot, "A", "the damaged active slot B is passed over");
    assert.match(d.device.lastBootChoice!.notes.join(), /active-invalid: HASH/);
    assert.equal(runningVersion(d.port), "0.1.0");
    assert.equal(identity(d.port), d.before.id);
    assert.equal(d.device.bootRecord().active, "A");
  });

  test("no valid slot: the device does not start, and says why", () => {
    const d = updDevice();
    d.device.bootRom.flipBit("A", 64);
    d.device.reboot();
    assert.equal(d.device.state, "crashed");
    assert.equal(d.device.faults.at(-1)?.kind, "boot");
  });
});

describe("interruptions", () => {
  test("an interrupted download resumes from what the device holds (same header); another header starts over", () => {
    const d = field();
    const file = signed(newPayload(), { version: "0.2.0" });
    assert.deepEqual(sendImage(d.port, file, { stopAfter: 20 }), { ok: true });
    const b = d.port.request(UPD.BEGIN, file.subarray(0, 128));
    assert.equal(countOf(b!.data), 20 * 1016, "BEGIN with the same header answers the bytes received");
    assert.deepEqual(sendImage(d.port, file), { ok: true }, "and the rest completes the download");
    const other = signed(newPayload(), { version: "0.2.0", securityCounter: 1 });
    const b2 = d.port.request(UPD.BEGIN, other.subarray(0, 128));
    assert.equal(countOf(b2!.data), 0, "a new header is a new download");
    // a power cut forgets the download: it starts again from 0
    sendImage(d.port, other, { stopAfter: 5 });
    d.device.reboot();
    assert.equal(countOf(d.port.request(UPD.BEGIN, other.subarray(0, 128))!.data), 0);
  });

  test("a power cut at every boot-flash operation of an update (receiver, finish, trial and confirm records) leaves a device that boots a valid image with its data", () => {
    const base = field();
    const file = signed(newPayload(), { version: "0.2.0", securityCounter: 2 });
    // Count the operations of one whole update: download, finish, reboot (trial record), confirm.
    const ops0 = base.device.bootRom.flash.operations;
    assert.deepEqual(sendImage(base.port, file), { ok: true });
    base.port.request(UPD.REBOOT);
    assert.equal(runningVersion(base.port), "0.2.0");
    const total = base.device.bootRom.flash.operations - ops0;
    assert.ok(total > 20, `${total} operations`);
    for (let n = 1; n <= total; n++) {
      const d = field();
      d.device.cutPowerAtBootFlashOperation(n);
      try {
        const out = sendImage(d.port, file);
        if (out.ok) d.port.request(UPD.REBOOT);
      } catch {
        // the device went dark mid-way: no answer
      }
      if (d.device.state !== "on") d.device.powerOn();
      d.device.reboot(); // and once more: a trial cut short reverts here
      assert.equal(d.device.state, "on", `cut at ${n}: the device boots`);
      const v = runningVersion(d.port);
      assert.ok(v === "0.1.0" || v === "0.2.0", `cut at ${n}: runs ${v}`);
      assert.equal(identity(d.port), d.before.id, `cut at ${n}: identity`);
      assert.equal(shownCode(d.device), d.before.code, `cut at ${n}: seed and clock`);
      assert.ok(Buffer.from(d.device.snapshotFlash()).equals(Buffer.from(d.before.data)), `cut at ${n}: the data region is byte for byte as before`);
      // and the update can always be completed afterwards
      if (v === "0.1.0") {
        assert.deepEqual(sendImage(d.port, file), { ok: true }, `cut at ${n}: the update completes on a second try`);
        d.port.request(UPD.REBOOT);
        assert.equal(runningVersion(d.port), "0.2.0", `cut at ${n}: second try`);
      }
    }
  });
});

test("UPDATE commands answer on every model, and an unknown status never carries data", () => {
  const d = updDevice();
  const r = d.port.request(UPD.ABORT);
  assert.equal(r?.status, 0);
  assert.equal(r?.data.length, 0);
  assert.equal(d.port.request(CMD.INFO)?.status, 0);
  assert.equal(OLD_IMAGE.length, 128 + OLD_PAYLOAD.length);
});
