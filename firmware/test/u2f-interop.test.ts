// The whole chip (main image, CTAPHID): a credential made with CTAP2 makeCredential answers U2F
// AUTHENTICATE over CTAPHID_MSG for appParam = SHA-256(rpId) (CTAP 2.1 §10 interop), and a U2F
// registration's key handle is refused for another application.
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { HID, newChip } from "./hid-util.js";
import { encode, mcRequest, decodeStrict, mget, bytes, parseAuthData, sha256, verifyEs256 } from "./ctap2-util.js";

function u2f(hid: ReturnType<typeof newChip>["hid"], cid: number, apdu: Uint8Array): { data: Uint8Array; sw: number } {
  const [m] = hid.request(cid, HID.MSG, apdu);
  assert.ok(m && m.cmd === HID.MSG, "MSG answer");
  const n = m.data.length;
  return { data: m.data.subarray(0, n - 2), sw: (m.data[n - 2]! << 8) | m.data[n - 1]! };
}

test("a CTAP2 credential signs U2F AUTHENTICATE over CTAPHID_MSG; counters are shared", () => {
  const { device, hid } = newChip();
  const cid = hid.open();
  const mc = encode(mcRequest({ rp: "example.com" }));
  hid.request(cid, HID.CBOR, new Uint8Array([0x01, ...mc]));
  device.click(); // the touch makeCredential waits for
  const resp = hid.messages.filter((m) => m.cmd === HID.CBOR).at(-1);
  assert.ok(resp, "makeCredential answered");
  assert.equal(resp.data[0], 0);
  const ad = parseAuthData(bytes(mget(decodeStrict(resp.data.subarray(1)), 2)));
  const kh = ad.credId!, pub = ad.pub!;
  const app = sha256(new TextEncoder().encode("example.com"));
  const chal = randomBytes(32);
  const apdu = (p1: number, a: Uint8Array): Uint8Array =>
    new Uint8Array([0, 2, p1, 0, 0, 0, 65 + kh.length, ...chal, ...a, kh.length, ...kh, 0, 0]);
  assert.equal(u2f(hid, cid, apdu(7, app)).sw, 0x6985, "check-only: ours");
  assert.equal(u2f(hid, cid, apdu(7, sha256(new TextEncoder().encode("other.example")))).sw, 0x6a80, "not for another app");
  assert.equal(u2f(hid, cid, apdu(3, app)).sw, 0x6985, "needs a touch");
  device.click(); // latched for U2F
  const r = u2f(hid, cid, apdu(3, app));
  assert.equal(r.sw, 0x9000);
  assert.equal(r.data[0], 1);
  const counter = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
  assert.ok(counter > ad.signCount, `U2F counter ${counter} after makeCredential's ${ad.signCount}`);
  assert.ok(verifyEs256(pub, new Uint8Array([...app, ...r.data.subarray(0, 5), ...chal]), r.data.slice(5)));
  const [v] = hid.request(cid, HID.MSG, new Uint8Array([0, 3, 0, 0, 0, 0, 0]));
  assert.equal(Buffer.from(v!.data).toString("latin1"), "U2F_V2\x90\x00");
});
