// Secrets leave no trace in RAM on any path: after rejected PROVISION and ATTESTATION (UART and
// the chip's HID tunnel), a wrong PIN, setPIN, malformed CBOR, a cancelled or timed-out touch, and
// after signing (k, k⁻¹ in every representation the code uses) and ECDH. Each scan reads the
// whole linear memory; the places the test itself wrote its inputs are blanked first. Where the
// secret must be in RAM while a request waits, a positive control shows the needle is found.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Device, SimClock, hidCall, provisionChip, HID_VENDOR_SERVICE } from "@segl/simulator";
import { HID, HidPort } from "./hid-util.js";
import { encode } from "./cbor-util.js";
import { Chip, CMD, CMap, ST, mcRequest, pinSet, pinSession } from "./ctap2-util.js";
import { padPin, pinHash16 } from "./pin-util.js";
import { newDevice, provisionPayload, timePayload, LOCK_PAYLOAD, CMD as SVC, ST as SST, T0 } from "./service-util.js";
import { Harness, N, be32, int, mod, powmod } from "./p256-util.js";
import { encodeRequest } from "@segl/host-sdk";

/** True when needle occurs in the device's memory outside [skipFrom, skipFrom + skipLen). */
function inRam(mem: WebAssembly.Memory, needle: Uint8Array, skipFrom = 0, skipLen = 0): boolean {
  const m = Buffer.from(new Uint8Array(mem.buffer).slice());
  m.fill(0, skipFrom, skipFrom + skipLen);
  return m.indexOf(Buffer.from(needle)) >= 0;
}

const SEED = new Uint8Array(32).map((_, i) => (i * 53 + 7) & 0xff);
const ENTROPY_FAILURE = 0x07;

test("a rejected PROVISION over the UART leaves no trace of its seed (every rejection)", () => {
  const cases: [string, (d: Device) => void, Uint8Array, number][] = [
    ["BAD_PARAMETER", () => {}, provisionPayload({ digits: 9, seed: SEED }), SST.BAD_PARAMETER],
    ["BAD_LENGTH", () => {}, new Uint8Array([...provisionPayload({ seed: SEED }), 0]), SST.BAD_LENGTH],
    ["STORAGE_FAILURE", (d) => d.setFlashFaults({ failAtOperation: 1 }), provisionPayload({ seed: SEED }), SST.STORAGE_FAILURE],
    ["ENTROPY_FAILURE", (d) => { d.setRngFault({ kind: "stuck" }); d.reboot(); }, provisionPayload({ seed: SEED }), ENTROPY_FAILURE],
  ];
  for (const [name, prepare, payload, status] of cases) {
    const { device, port } = newDevice({ rngSeed: name });
    prepare(device);
    assert.equal(port.request(SVC.PROVISION, payload)?.status, status, name);
    assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), false, `seed in RAM after ${name}`);
  }
  // LOCKED: a locked display refuses a new seed and keeps no copy of it
  const { device, port, clock } = newDevice();
  port.request(SVC.PROVISION, provisionPayload());
  port.request(SVC.SET_TIME, timePayload(clock.now()));
  assert.equal(port.request(SVC.LOCK, LOCK_PAYLOAD)?.status, SST.OK);
  assert.equal(port.request(SVC.PROVISION, provisionPayload({ seed: SEED }))?.status, SST.LOCKED);
  assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), false, "seed in RAM after LOCKED");
});

test("a PROVISION frame that stalls half way is dropped and zeroed with the next byte", () => {
  const { device, port } = newDevice({ rngSeed: "stall" });
  const frame = encodeRequest(SVC.PROVISION, 1, provisionPayload({ seed: SEED }));
  device.uartWrite(frame.subarray(0, frame.length - 6)); // the seed is in, the CRC is not
  assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), true, "positive control: a partial frame waits in the receive buffer");
  device.clock.advance(300);
  assert.equal(port.request(SVC.INFO)?.status, SST.OK);
  assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), false, "dropped after the inter-byte timeout");
});

test("rejected PROVISION and ATTESTATION through the chip's HID tunnel leave no trace of seed or batch key", () => {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: "tunnel" });
  const svc = (cmd: number, p: Uint8Array) => hidCall(device, HID_VENDOR_SERVICE, new Uint8Array([cmd, ...p]))[0];
  const batchKey = new Uint8Array(32).map((_, i) => (i * 29 + 101) & 0xff);
  assert.equal(svc(SVC.PROVISION, provisionPayload({ model: 3, digits: 5, seed: SEED })), SST.BAD_PARAMETER);
  assert.equal(svc(0x07, new Uint8Array([...batchKey, 1, 2, 3])), SST.BAD_LENGTH);
  assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), false, "seed after BAD_PARAMETER");
  assert.equal(inRam(device.raw.memory, batchKey.subarray(0, 16)), false, "batch key after BAD_LENGTH");
  provisionChip(device, { serial: "SCAN-1" }); // locked
  assert.equal(svc(SVC.PROVISION, provisionPayload({ model: 3, seed: SEED })), SST.LOCKED);
  assert.equal(svc(0x07, new Uint8Array([...batchKey, ...new Uint8Array(40)])), SST.LOCKED);
  assert.equal(inRam(device.raw.memory, SEED.subarray(0, 16)), false, "seed after LOCKED");
  assert.equal(inRam(device.raw.memory, batchKey.subarray(0, 16)), false, "batch key after LOCKED");
});

test("a wrong PIN leaves neither its hash nor the session keys in RAM; setPIN leaves no PIN", () => {
  for (const protocol of [1, 2] as const) {
    const chip = new Chip({ seed: `pin-scan-${protocol}` });
    const pin = "correct horse battery staple";
    assert.equal(pinSet(chip, protocol, pin), ST.OK);
    assert.equal(inRam(chip.dev.raw.memory, padPin(pin).subarray(0, 24), chip.dev.raw.io_ptr(), 8192), false, "the PIN after setPIN");
    const pl = pinSession(chip, protocol);
    const wrong = pinHash16("correct horse battery stapler");
    const r = chip.call(CMD.PIN, new CMap([[1n, BigInt(protocol)], [2n, 5n], [3n, pl.cose()], [6n, pl.encrypt(wrong)]]));
    assert.equal(r.status, ST.PIN_INVALID);
    const mem = chip.dev.raw.memory;
    assert.equal(inRam(mem, wrong), false, `protocol ${protocol}: the wrong PIN's hash`);
    assert.equal(inRam(mem, pl.shared.subarray(0, 32)), false, `protocol ${protocol}: the shared secret (HMAC part)`);
    if (protocol === 2) assert.equal(inRam(mem, pl.shared.subarray(32, 64)), false, "the shared secret (AES part)");
  }
});

function chipOverHid(name: string): { device: Device; hid: HidPort; cid: number } {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: name });
  provisionChip(device, { serial: "SCAN-2" });
  const hid = new HidPort(device);
  return { device, hid, cid: hid.open() };
}

test("malformed CBOR: the request's bytes do not stay in the HID request buffer", () => {
  const { device, hid, cid } = chipOverHid("malformed");
  const secret = new Uint8Array(100).map((_, i) => (i * 71 + 13) & 0xff);
  // clientPIN {1: 2, 5: <100 bytes>} with its last byte cut off: truncated CBOR
  const full = encode(new CMap([[1n, 2n], [5n, secret]]));
  const msg = new Uint8Array([CMD.PIN, ...full.subarray(0, full.length - 1)]);
  const [answer] = hid.request(cid, HID.CBOR, msg).filter((m) => m.cmd === HID.CBOR);
  assert.notEqual(answer!.data[0], 0, "refused");
  assert.equal(inRam(device.raw.memory, secret.subarray(60, 76)), false);
});

test("a touch cancelled or timed out: the parked request is wiped (positive control while it waits)", () => {
  for (const end of ["cancel", "timeout"] as const) {
    const { device, hid, cid } = chipOverHid(`park-${end}`);
    const cdh = new Uint8Array(createHash("sha256").update(`parked ${end}`).digest());
    const ms = hid.request(cid, HID.CBOR, new Uint8Array([CMD.MC, ...encode(mcRequest({ clientDataHash: cdh }))]));
    assert.ok(ms.some((m) => m.cmd === HID.KEEPALIVE), "waiting for a touch");
    assert.equal(inRam(device.raw.memory, cdh), true, "positive control: the parked request is in RAM");
    if (end === "cancel") hid.request(cid, HID.CANCEL);
    else device.clock.advance(31_000);
    assert.equal(inRam(device.raw.memory, cdh), false, `after ${end}`);
  }
});

/** Every way the firmware may hold a scalar v: big- and little-endian bytes, 9×29-bit limbs plain and Montgomery (R = 2^261). */
function encodings(v: bigint): Uint8Array[] {
  const limbs = (x: bigint) => {
    const b = new Uint8Array(36);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < 9; i++) { dv.setUint32(4 * i, Number(x & 0x1fffffffn), true); x >>= 29n; }
    return b;
  };
  const beb = be32(v);
  return [beb, beb.slice().reverse(), limbs(v), limbs(mod(v << 261n, N))];
}

test("after a signature neither k nor k⁻¹ (nor the private scalar) is anywhere in RAM; after ECDH no scalar", () => {
  const h = new Harness();
  const io = h.io;
  for (let t = 0; t < 8; t++) {
    const d = mod(int(new Uint8Array(createHash("sha256").update(`d${t}`).digest())), N - 1n) + 1n;
    const z = new Uint8Array(createHash("sha256").update(`msg${t}`).digest());
    assert.equal(h.x.p256_sign(h.put(0, be32(d)), h.put(32, z), h.addr(64)), 0);
    const sig = h.get(64, 64);
    const r = int(sig.subarray(0, 32)), s = int(sig.subarray(32));
    const k = mod(powmod(s, N - 2n, N) * (int(z) + r * d), N); // k or n − k (low S)
    for (const v of [k, N - k, powmod(k, N - 2n, N), powmod(N - k, N - 2n, N)]) {
      for (const e of encodings(v)) assert.equal(inRam(h.x.memory, e.subarray(0, 16), io, 8192), false, `nonce material after signature ${t}`);
    }
    for (const e of encodings(d).slice(1)) assert.equal(inRam(h.x.memory, e.subarray(0, 16), io, 8192), false, "the private scalar");
  }
  // ECDH: the scalar's limbs and words must not outlive the call
  const priv = 0x1234567890abcdef112233445566778899aabbccddeeff00112233445566778n;
  const peer = new Uint8Array(64);
  assert.equal(h.x.p256_public_key(h.put(0, be32(7n)), h.addr(128)), 0);
  peer.set(h.get(128, 64));
  assert.equal(h.x.p256_ecdh(h.put(0, be32(priv)), h.put(64, peer), h.addr(128)), 0);
  for (const e of encodings(priv).slice(1)) assert.equal(inRam(h.x.memory, e.subarray(0, 16), io, 8192), false, "ECDH scalar");
});
