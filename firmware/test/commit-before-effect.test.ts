// Every commit-before-effect, pinned: when the flash write that must come first fails (the part
// reports an error, or a worn cell silently keeps its bits and the store's read-back catches it,
// or no page can be erased), the command answers an error and releases nothing: no signature, no
// token, no PIN verdict, no credential, no new configuration. And a correct-PIN token request cut
// at each of its flash operations shows the retry counter already decremented before the answer.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, hidCall, provisionChip, HID_VENDOR_SERVICE, type FlashFaultPlan } from "@segl/simulator";
import {
  CMap, CMD, ST, Chip, bytes, chipOn, cutAt, gaRequest, makeCred, mcRequest, mget, opsOf, parseAuthData, pinSet, pinSession,
  pinToken,
} from "./ctap2-util.js";
import { pinHash16, padPin } from "./pin-util.js";
import { HID, HidPort } from "./hid-util.js";
import { encode as encodeMap } from "./cbor-util.js";
import { newDevice, provisionPayload, timePayload, LOCK_PAYLOAD, CMD as SVC, ST as SST, T0 } from "./service-util.js";

const PIN = "4821";
/** The two ways a write can fail after the store accepted it. */
const FAILS: [string, FlashFaultPlan][] = [
  ["reported", { failAtOperation: 1, mode: "report" }],
  ["silent (worn cells)", { failAtOperation: 1, mode: "silent" }],
];

function retries(chip: Chip): number {
  const r = chip.call(CMD.PIN, new CMap([[1n, 2n], [2n, 1n]]));
  assert.equal(r.status, ST.OK);
  return Number(mget(r.body, 3));
}
function pinIsSet(chip: Chip): boolean {
  return mget(mget(chip.call(CMD.INFO).body, 4), "clientPin") === true;
}
/** A chip with a discoverable credential for a.example and a PIN. */
function readyChip(seed: string): { chip: Chip; id: Uint8Array } {
  const chip = new Chip({ seed });
  const { id } = makeCred(chip, { rk: true, rp: "a.example", userId: new Uint8Array([1]) });
  assert.equal(pinSet(chip, 2, PIN), ST.OK);
  return { chip, id };
}

for (const [how, plan] of FAILS) {
  test(`getAssertion: a ${how} counter write answers CTAP1_ERR_OTHER with no signature; the counter is unchanged`, () => {
    const chip = new Chip({ seed: `ga-${how}` });
    const { id } = makeCred(chip, { rp: "a.example" });
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [id], up: false })).status, ST.OK);
    const before = chip.counter(id);
    chip.dev.setFlashFaults(plan);
    const r = chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [id], up: false }));
    assert.equal(r.status, ST.OTHER);
    assert.equal(r.raw.length, 0, "no assertion, no signature");
    chip.dev.setFlashFaults({});
    chip.reboot();
    assert.equal(chip.counter(id), before, "nothing committed");
    const next = chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [id], up: false }));
    assert.equal(parseAuthData(bytes(mget(next.body, 2))).signCount, before + 1, "the next assertion counts on from the durable value");
  });

  test(`PIN check: a ${how} retry decrement gives CTAP1_ERR_OTHER, no token and no verdict on the PIN`, () => {
    for (const pin of [PIN, "9999"]) {
      const { chip } = readyChip(`pin-${how}-${pin}`);
      const pl = pinSession(chip, 2);
      chip.dev.setFlashFaults(plan);
      const r = chip.call(CMD.PIN, new CMap([[1n, 2n], [2n, 9n], [3n, pl.cose()], [6n, pl.encrypt(pinHash16(pin))], [9n, 1n], [10n, "a.example"]]));
      assert.equal(r.status, ST.OTHER, `PIN ${pin}: neither a token nor PIN_INVALID`);
      assert.equal(r.raw.length, 0);
      chip.dev.setFlashFaults({});
      chip.reboot();
      assert.equal(retries(chip), 8, "no retry was used");
    }
  });

  test(`makeCredential, setPIN, changePIN and reset: a ${how} commit answers CTAP1_ERR_OTHER and nothing is made`, () => {
    // the first credential commits the master secret
    const fresh = new Chip({ seed: `mc-${how}` });
    fresh.dev.setFlashFaults(plan);
    const mc = fresh.call(CMD.MC, mcRequest({ rp: "a.example" }));
    assert.equal(mc.status, ST.OTHER);
    assert.equal(mc.raw.length, 0, "no attestation object");
    // a discoverable credential commits its record
    const { chip } = readyChip(`mc2-${how}`);
    const { token, pl } = pinToken(chip, 2, PIN, 1, "b.example");
    const cdh = new Uint8Array(32).fill(3);
    chip.dev.setFlashFaults(plan);
    const rk = chip.call(CMD.MC, mcRequest({ rp: "b.example", rk: true, clientDataHash: cdh, extra: [[8n, pl.authToken(token, cdh)], [9n, 2n]] }));
    assert.equal(rk.status, ST.OTHER);
    assert.equal(rk.raw.length, 0);
    chip.dev.setFlashFaults({});
    chip.reboot();
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "b.example" })).status, ST.NO_CREDENTIALS, "no record was made");
    // setPIN
    const blank = new Chip({ seed: `sp-${how}` });
    const spl = pinSession(blank, 2);
    const enc = spl.encrypt(padPin(PIN));
    blank.dev.setFlashFaults(plan);
    assert.equal(blank.call(CMD.PIN, new CMap([[1n, 2n], [2n, 3n], [3n, spl.cose()], [4n, spl.authenticate(enc)], [5n, enc]])).status, ST.OTHER);
    blank.dev.setFlashFaults({});
    blank.reboot();
    assert.equal(pinIsSet(blank), false, "no PIN");
    // changePIN: the old PIN still works
    const cpl = pinSession(chip, 2);
    const newEnc = cpl.encrypt(padPin("7777"));
    const hashEnc = cpl.encrypt(pinHash16(PIN));
    chip.dev.setFlashFaults(plan);
    const cp = chip.call(CMD.PIN, new CMap([[1n, 2n], [2n, 4n], [3n, cpl.cose()], [4n, cpl.authenticate(newEnc, hashEnc)], [5n, newEnc], [6n, hashEnc]]));
    assert.equal(cp.status, ST.OTHER);
    chip.dev.setFlashFaults({});
    chip.reboot();
    assert.equal(pinToken(chip, 2, PIN, 1, "a.example").token.length, 32, "the old PIN still opens");
    // authenticatorReset (within 10 s of power-up)
    chip.reboot();
    chip.dev.setFlashFaults(plan);
    assert.equal(chip.call(CMD.RESET).status, ST.OTHER);
    chip.dev.setFlashFaults({});
    chip.reboot();
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "a.example" }), true).status, ST.OK, "the credential is still there");
  });

  test(`service protocol: a ${how} write makes PROVISION, SET_TIME and LOCK answer STORAGE_FAILURE; nothing changes`, () => {
    const { device, port, clock } = newDevice({ rngSeed: `svc-${how}` });
    device.setFlashFaults(plan);
    assert.equal(port.request(SVC.PROVISION, provisionPayload())?.status, SST.STORAGE_FAILURE);
    device.setFlashFaults({});
    device.reboot();
    assert.equal(port.request(SVC.INFO)!.data[5], 0, "still blank");
    assert.equal(port.request(SVC.PROVISION, provisionPayload())?.status, SST.OK);
    device.setFlashFaults(plan);
    assert.equal(port.request(SVC.SET_TIME, timePayload(clock.now()))?.status, SST.STORAGE_FAILURE);
    device.setFlashFaults({});
    device.reboot();
    assert.equal(port.request(SVC.INFO)!.data[6]! & 1, 0, "clock not set");
    device.click();
    assert.equal(device.display, "E-TIME", "no code from an unset clock");
    assert.equal(port.request(SVC.SET_TIME, timePayload(clock.now()))?.status, SST.OK);
    device.setFlashFaults(plan);
    assert.equal(port.request(SVC.LOCK, LOCK_PAYLOAD)?.status, SST.STORAGE_FAILURE);
    device.setFlashFaults({});
    device.reboot();
    assert.equal(port.request(SVC.INFO)!.data[5], 1, "not locked (the first lock record never made it)");
    const status = port.request(SVC.STATUS)!;
    assert.equal(status.status, SST.OK);
  });

  test(`U2F authenticate over CTAPHID: a ${how} counter write answers an error status and no signature`, () => {
    const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: `u2f-${how}` });
    provisionChip(device, { serial: "U2F-1" });
    const hid = new HidPort(device);
    const cid = hid.open();
    const app = new Uint8Array(32).fill(0xaa), chal = new Uint8Array(32).fill(0xcc);
    device.click();
    const reg = hid.request(cid, HID.MSG, new Uint8Array([0, 1, 3, 0, 64, ...chal, ...app]))[0]!.data;
    assert.deepEqual([...reg.subarray(reg.length - 2)], [0x90, 0x00]);
    const kh = reg.subarray(67, 67 + reg[66]!);
    const auth = () => { device.click(); return hid.request(cid, HID.MSG, new Uint8Array([0, 2, 3, 0, 65 + kh.length, ...chal, ...app, kh.length, ...kh]))[0]!.data; };
    const ok = auth();
    assert.deepEqual([...ok.subarray(ok.length - 2)], [0x90, 0x00]);
    device.setFlashFaults(plan);
    const failed = auth();
    assert.equal(failed.length, 2, "only a status word: no counter, no signature");
    assert.notDeepEqual([...failed], [0x90, 0x00]);
  });
}

test("getNextAssertion, credentialManagement delete and U2F REGISTER: a failed commit answers an error, nothing released", () => {
  for (const [how, plan] of FAILS) {
    // getNextAssertion commits the second credential's counter before signing
    const { chip } = readyChip(`next-${how}`);
    const { token, pl } = pinToken(chip, 2, PIN, 1, "a.example");
    const cdh = new Uint8Array(32).fill(8);
    assert.equal(chip.call(CMD.MC, mcRequest({ rp: "a.example", rk: true, userId: new Uint8Array([2]), clientDataHash: cdh, extra: [[8n, pl.authToken(token, cdh)], [9n, 2n]] })).status, ST.OK);
    const first = chip.call(CMD.GA, gaRequest({ rp: "a.example", up: false }));
    assert.equal(first.status, ST.OK);
    assert.equal(mget(first.body, 5), 2n, "two credentials");
    chip.dev.setFlashFaults(plan);
    const next = chip.call(CMD.NEXT);
    assert.equal(next.status, ST.OTHER, `getNextAssertion (${how})`);
    assert.equal(next.raw.length, 0);
    chip.dev.setFlashFaults({});
    // credentialManagement deleteCredential: the credential stays when the delete is not durable
    chip.reboot();
    const cmTok = pinToken(chip, 2, PIN, 4);
    const list = chip.call(CMD.GA, gaRequest({ rp: "a.example", up: false }));
    const id = bytes(mget(mget(list.body, 1), "id"));
    const params = new CMap([[2n, new CMap([["id", id], ["type", "public-key"]])]]);
    const e: [bigint, unknown][] = [[1n, 6n], [2n, params], [3n, 2n], [4n, cmTok.pl.authToken(cmTok.token, new Uint8Array([6, ...encodeMap(params)]))]];
    chip.dev.setFlashFaults(plan);
    assert.equal(chip.call(CMD.CM, new CMap(e as [bigint, never][])).status, ST.OTHER, `deleteCredential (${how})`);
    chip.dev.setFlashFaults({});
    chip.reboot();
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [id], up: false })).status, ST.OK, "still there");
    // U2F REGISTER on a fresh chip commits the master secret before answering
    const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: `reg-${how}` });
    provisionChip(device, { serial: "U2F-2" });
    const hid = new HidPort(device);
    const cid = hid.open();
    device.setFlashFaults(plan);
    device.click();
    const reg = hid.request(cid, HID.MSG, new Uint8Array([0, 1, 3, 0, 64, ...new Uint8Array(64).fill(1)]))[0]!.data;
    assert.equal(reg.length, 2, `U2F REGISTER (${how}): a status word only`);
    assert.notDeepEqual([...reg], [0x90, 0x00]);
  }
});

test("a store that cannot erase a page (full, no reclaim): PROVISION answers STORAGE_FAILURE on a blank part", () => {
  const { device, port } = newDevice({ rngSeed: "erase" });
  device.setFlashFaults({ failErases: true });
  assert.equal(port.request(SVC.PROVISION, provisionPayload())?.status, SST.STORAGE_FAILURE);
  device.setFlashFaults({});
  device.reboot();
  assert.equal(port.request(SVC.INFO)!.data[5], 0);
});

test("ATTESTATION through the tunnel: a failed write answers STORAGE_FAILURE and no attestation is used", () => {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: "att" });
  provisionChip(device, { serial: "ATT-1", lock: false });
  device.setFlashFaults({ failAtOperation: 1 });
  const cert = new Uint8Array(64).fill(0x30);
  const r = hidCall(device, HID_VENDOR_SERVICE, new Uint8Array([0x07, ...new Uint8Array(32).fill(5), ...cert]));
  assert.notEqual(r[0], SST.OK);
});

test("a correct-PIN token request cut at each of its flash operations: the retry counter is already down", () => {
  const setup = chipOn();
  assert.equal(pinSet(setup, 2, PIN), ST.OK);
  const img = setup.dev.snapshotFlash();
  const action = (c: Chip) => { pinToken(c, 2, PIN, 1, "a.example"); };
  const total = opsOf(img, action);
  assert.ok(total >= 2, `decrement and reset are two commits (${total} operations)`);
  const seen: number[] = [];
  for (let n = 1; n <= total; n++) {
    const { chip, cut } = cutAt(img, n, action); // a cut throws out of the action: no token was answered
    assert.ok(cut, `cut ${n}`);
    seen.push(retries(chip));
  }
  assert.ok(seen.every((r) => r === 7 || r === 8), `retries ${seen}`);
  // Once the decrement is durable (every cut after its commit) the counter reads 7 until the
  // correct PIN's reset to 8 is durable: the decrement precedes the comparison and the token.
  const firstDown = seen.indexOf(7);
  assert.ok(firstDown >= 0, `some cut shows the decrement already durable: ${seen}`);
  assert.ok(seen.slice(firstDown).every((r) => r === 7), `no cut after the decrement shows 8 again: ${seen}`);
  const uncut = chipOn(img);
  action(uncut);
  uncut.reboot();
  assert.equal(retries(uncut), 8, "a completed correct PIN puts the counter back");
});
