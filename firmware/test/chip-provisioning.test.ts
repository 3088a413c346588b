// Chips leave provisioning locked, and an unlocked chip someone already uses keeps its identity:
// the CTAPHID vendor tunnel (0x51) refuses PROVISION and ATTESTATION with IN_USE once the chip
// holds a credential or a PIN, so no program on the host can swap its attestation or reset it
// into a new device.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, hidCall, chipInfo, provisionChip, HID_VENDOR_SERVICE } from "@segl/simulator";
import { HID, HidPort } from "./hid-util.js";
import { encode } from "./cbor-util.js";
import { mcRequest, CMD, CMap, Platform } from "./ctap2-util.js";
import { padPin } from "./pin-util.js";
import { provisionPayload, CMD as SVC, ST, T0 } from "./service-util.js";

const IN_USE = 0x08;
const ATTESTATION = 0x07;

function tunnel(device: Device, cmd: number, payload: Uint8Array): number {
  return hidCall(device, HID_VENDOR_SERVICE, new Uint8Array([cmd, ...payload]))[0]!;
}
const reprovision = () => provisionPayload({ model: 3, serial: "NEW" });
const attestation = () => new Uint8Array([...new Uint8Array(32).fill(4), ...new Uint8Array(40).fill(0x30)]);

function newChip(name: string, lock?: boolean): Device {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: name });
  provisionChip(device, lock === undefined ? { serial: "CHIP-1" } : { serial: "CHIP-1", lock });
  return device;
}

test("provisionChip locks by default: the tunnel then refuses PROVISION and ATTESTATION (LOCKED)", () => {
  const device = newChip("default");
  assert.equal(chipInfo(device).state, "locked");
  assert.equal(tunnel(device, SVC.PROVISION, reprovision()), ST.LOCKED);
  assert.equal(tunnel(device, ATTESTATION, attestation()), ST.LOCKED);
  const unlocked = newChip("unlocked", false);
  assert.equal(chipInfo(unlocked).state, "provisioned");
});

test("an unlocked chip that holds a credential refuses the tunnel's PROVISION and ATTESTATION with IN_USE", () => {
  const device = newChip("cred", false);
  assert.equal(tunnel(device, SVC.PROVISION, reprovision()), ST.OK, "unused: a development chip may be re-provisioned");
  device.reboot();
  const hid = new HidPort(device);
  const cid = hid.open();
  hid.request(cid, HID.CBOR, new Uint8Array([CMD.MC, ...encode(mcRequest())]));
  const n = hid.messages.length;
  device.click();
  assert.equal(hid.messages.slice(n).find((m) => m.cmd === HID.CBOR)!.data[0], 0, "a credential was made");
  assert.equal(tunnel(device, SVC.PROVISION, reprovision()), IN_USE);
  assert.equal(tunnel(device, ATTESTATION, attestation()), IN_USE);
  assert.equal(chipInfo(device).serial, "NEW", "nothing changed");
  assert.equal(tunnel(device, SVC.INFO, new Uint8Array(0)), ST.OK, "INFO still answers");
});

test("an unlocked chip with a PIN (and no credential) refuses them too", () => {
  const device = newChip("pin", false);
  const hid = new HidPort(device);
  const cid = hid.open();
  const ka = hid.request(cid, HID.CBOR, new Uint8Array([CMD.PIN, ...encode(new CMap([[1n, 2n], [2n, 2n]]))])).find((m) => m.cmd === HID.CBOR)!;
  assert.equal(ka.data[0], 0);
  const pl = new Platform(2);
  const cose = (decodeMap(ka.data.subarray(1)).get(1) as Map<number, unknown>);
  pl.agree(cose);
  const enc = pl.encrypt(padPin("4821"));
  const set = hid.request(cid, HID.CBOR, new Uint8Array([CMD.PIN, ...encode(new CMap([[1n, 2n], [2n, 3n], [3n, pl.cose()], [4n, pl.authenticate(enc)], [5n, enc]]))]));
  assert.equal(set.find((m) => m.cmd === HID.CBOR)!.data[0], 0, "PIN set");
  assert.equal(tunnel(device, SVC.PROVISION, reprovision()), IN_USE);
  assert.equal(tunnel(device, ATTESTATION, attestation()), IN_USE);
});

/** A minimal CBOR map decoder for the getKeyAgreement answer (ints, byte strings, maps). */
function decodeMap(b: Uint8Array): Map<number, unknown> {
  let p = 0;
  const arg = (ai: number): number => {
    if (ai < 24) return ai;
    const n = ai === 24 ? 1 : ai === 25 ? 2 : 4;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[p++]!;
    return v;
  };
  const item = (): unknown => {
    const ib = b[p++]!;
    const major = ib >> 5, v = arg(ib & 31);
    if (major === 0) return v;
    if (major === 1) return -1 - v;
    if (major === 2) { const s = b.slice(p, p + v); p += v; return s; }
    if (major === 5) { const m = new Map<number, unknown>(); for (let i = 0; i < v; i++) { const k = item() as number; m.set(k, item()); } return m; }
    throw new Error(`major ${major}`);
  };
  return item() as Map<number, unknown>;
}
