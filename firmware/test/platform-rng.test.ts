// The platform's randomness: a TRNG that is stuck, repeating, short or failing is caught by the
// SP 800-90B health tests (at boot and on every draw), the failure is latched and reported in
// INFO/STATUS, and the device refuses to make keys, key agreement keys, PINs, or to be provisioned.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, hidCall, provisionChip, HID_VENDOR_SERVICE, type RngFault } from "@segl/simulator";
import { HID, HidPort } from "./hid-util.js";
import { encode } from "./cbor-util.js";
import { mcRequest, CMD, CMap } from "./ctap2-util.js";
import { T0, newDevice, provisionPayload, CMD as SVC } from "./service-util.js";

const CTAP1_ERR_OTHER = 0x7f;
const ENTROPY_FAILURE = 0x07;
const FAIL = { HAL: 1, SHORT: 2, RCT: 3, APT: 4 } as const;

function svc(device: Device, cmd: number, payload: Uint8Array = new Uint8Array(0)): { status: number; data: Uint8Array } {
  const r = hidCall(device, HID_VENDOR_SERVICE, new Uint8Array([cmd, ...payload]));
  return { status: r[0]!, data: r.subarray(1) };
}

/** INFO flag bit 2 and STATUS byte 29 (the latched reason). */
function entropyReport(device: Device): { failed: boolean; reason: number } {
  const info = svc(device, SVC.INFO);
  const status = svc(device, SVC.STATUS);
  assert.equal(info.status, 0);
  assert.equal(status.status, 0);
  assert.equal(status.data.length, 30);
  return { failed: (info.data[6]! & 4) !== 0, reason: status.data[29]! };
}

function cborCall(hid: HidPort, cid: number, cmd: number, params?: CMap): { keepalive: boolean; data: Uint8Array | undefined } {
  const body = params ? encode(params) : new Uint8Array(0);
  const ms = hid.request(cid, HID.CBOR, new Uint8Array([cmd, ...body]));
  return { keepalive: ms.some((m) => m.cmd === HID.KEEPALIVE), data: ms.find((m) => m.cmd === HID.CBOR)?.data };
}

function chip(): { device: Device; hid: HidPort } {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: "rng-test" });
  provisionChip(device, { serial: "RNG-1", lock: false });
  return { device, hid: new HidPort(device) };
}

const faults: [string, RngFault, number][] = [
  ["stuck at 0x5a", { kind: "stuck", value: 0x5a }, FAIL.RCT],
  ["repeating with period 4", { kind: "repeat", period: 4 }, FAIL.APT],
  ["short fills", { kind: "short" }, FAIL.SHORT],
  ["HAL error", { kind: "error", code: -3 }, FAIL.HAL],
];

for (const [name, fault, reason] of faults) {
  test(`a TRNG ${name} fails the start-up test: latched, reported, and no key, PIN or provisioning`, () => {
    const { device, hid } = chip();
    assert.deepEqual(entropyReport(device), { failed: false, reason: 0 }, "healthy before");
    device.setRngFault(fault);
    device.reboot();
    assert.deepEqual(entropyReport(device), { failed: true, reason });
    const cid = hid.open();
    // makeCredential: refused at once, without asking for a touch
    const mc = cborCall(hid, cid, CMD.MC, mcRequest());
    assert.equal(mc.keepalive, false, "no touch asked for a key that cannot be made");
    assert.deepEqual([...mc.data!], [CTAP1_ERR_OTHER]);
    // clientPIN: no key agreement key, so no PIN can be set
    const ka = cborCall(hid, cid, CMD.PIN, new CMap([[1n, 2n], [2n, 2n]]));
    assert.deepEqual([...ka.data!], [CTAP1_ERR_OTHER]);
    // the service protocol: an unlocked device whose source failed is not (re-)provisioned
    assert.equal(svc(device, SVC.PROVISION, provisionPayload({ model: 3, serial: "RNG-2" })).status, ENTROPY_FAILURE);
    // the latch holds for the power cycle even if the source recovers
    device.setRngFault(undefined);
    assert.equal(entropyReport(device).failed, true);
    // a new power cycle with a healthy source starts clean
    device.reboot();
    assert.deepEqual(entropyReport(device), { failed: false, reason: 0 });
    const again = cborCall(hid, hid.open(), CMD.MC, mcRequest());
    assert.equal(again.keepalive, true, "a healthy chip asks for the touch");
  });
}

test("a TRNG that gets stuck while running is caught at the next draw: no credential, existing ones still sign", () => {
  const { device, hid } = chip();
  const cid = hid.open();
  assert.equal(cborCall(hid, cid, CMD.MC, mcRequest({ rk: true })).keepalive, true);
  const before = hid.messages.length;
  device.click();
  const made = hid.messages.slice(before).find((m) => m.cmd === HID.CBOR)!;
  assert.equal(made.data[0], 0, "credential made while healthy");
  device.setRngFault({ kind: "stuck", value: 0 });
  assert.equal(cborCall(hid, cid, CMD.MC, mcRequest({ userId: new Uint8Array([9]) })).keepalive, true, "not known yet: no draw since");
  const n = hid.messages.length;
  device.click();
  const refused = hid.messages.slice(n).find((m) => m.cmd === HID.CBOR)!;
  assert.deepEqual([...refused.data], [CTAP1_ERR_OTHER], "the nonce draw tripped the repetition count test");
  assert.deepEqual(entropyReport(device), { failed: true, reason: FAIL.RCT });
  // signing needs no randomness (RFC 6979): an existing credential still answers getAssertion
  const ga = cborCall(hid, cid, CMD.GA, new CMap([[1n, "example.com"], [2n, new Uint8Array(32).fill(2)]]));
  assert.equal(ga.keepalive, true);
  const m = hid.messages.length;
  device.click();
  assert.equal(hid.messages.slice(m).find((x) => x.cmd === HID.CBOR)!.data[0], 0);
});

test("the adaptive proportion test's reach: a period of 6 bytes fails at boot, 7 passes (docs/hal.md)", () => {
  // cutoff 78 in a window of 512: a value every 6 bytes occurs 86 times, every 7 bytes 74 times
  for (const [period, failed] of [[6, true], [7, false]] as const) {
    const { device } = chip();
    device.setRngFault({ kind: "repeat", period });
    device.reboot();
    assert.deepEqual(entropyReport(device), { failed, reason: failed ? FAIL.APT : 0 }, `period ${period}`);
  }
});

test("the repetition count test's cutoff: runs of 10 equal bytes pass, runs of 11 fail (docs/hal.md)", () => {
  for (const [length, failed] of [[10, false], [11, true]] as const) {
    const { device } = chip();
    device.setRngFault({ kind: "runs", length });
    device.reboot();
    assert.deepEqual(entropyReport(device), { failed, reason: failed ? FAIL.RCT : 0 }, `runs of ${length}`);
  }
});

test("a code display whose TRNG failed refuses PROVISION over the UART with ENTROPY_FAILURE", () => {
  const { device, port } = newDevice({ rngSeed: "display" });
  device.setRngFault({ kind: "error" });
  device.reboot();
  assert.equal(port.request(SVC.PROVISION, provisionPayload())?.status, ENTROPY_FAILURE);
  const info = port.request(SVC.INFO)!;
  assert.equal(info.data[5], 0, "still blank");
  assert.equal(info.data[6]! & 4, 4);
});
