// Packed attestation with a provisioned batch key and certificate. The test certificate is built
// here with a tiny DER writer, signed by a test CA with @noble/curves, and parsed/checked by
// node:crypto's X509Certificate (an independent parser).
import { test } from "vitest";
import assert from "node:assert/strict";
import { X509Certificate, createPublicKey, verify as nodeVerify } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Chip, CMD, ST, mget, mkeys, bytes, parseAuthData, mcRequest, makeCred, cdh, hex, gaRequest } from "./ctap2-util.js";

// ---- DER ----
function len(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x100) return [0x81, n];
  return [0x82, n >> 8, n & 0xff];
}
const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => {
  const body = Buffer.concat(content);
  return new Uint8Array([tag, ...len(body.length), ...body]);
};
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
const int = (v: number) => tlv(0x02, new Uint8Array([v]));
const octets = (b: Uint8Array) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const printable = (s: string) => tlv(0x13, Buffer.from(s, "ascii"));
const utc = (s: string) => tlv(0x17, Buffer.from(s, "ascii"));
const bits = (b: Uint8Array) => tlv(0x03, new Uint8Array([0]), b);
function oid(s: string): Uint8Array {
  const parts = s.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, new Uint8Array(out));
}
const name = (...rdns: [string, Uint8Array][]) => seq(...rdns.map(([o, v]) => set(seq(oid(o), v))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const spki = (pub: Uint8Array) => seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bits(pub));

const AAGUID = Buffer.from("5e61c0de5e914c418a0dca7c11b0e1d0", "hex");

function makeCert(subjectPub: Uint8Array, caPriv: Uint8Array): Uint8Array {
  const tbs = seq(
    tlv(0xa0, int(2)),
    int(7),
    ECDSA_SHA256,
    name(["2.5.4.3", utf8("Segl Test Root")]),
    seq(utc("240101000000Z"), utc("491231235959Z")),
    name(["2.5.4.6", printable("DK")], ["2.5.4.10", utf8("Segl")], ["2.5.4.11", utf8("Authenticator Attestation")], ["2.5.4.3", utf8("Segl chip batch 1")]),
    spki(subjectPub),
    tlv(0xa3, seq(
      seq(oid("2.5.29.19"), tlv(0x01, new Uint8Array([0xff])), octets(seq())),
      seq(oid("1.3.6.1.4.1.45724.1.1.4"), octets(octets(AAGUID))),
    )),
  );
  const sig = p256.sign(tbs, caPriv, { format: "der" });
  return seq(tbs, ECDSA_SHA256, bits(sig));
}

function setup() {
  const caPriv = p256.utils.randomSecretKey();
  const batchPriv = p256.utils.randomSecretKey();
  const cert = makeCert(p256.getPublicKey(batchPriv, false), caPriv);
  const x = new X509Certificate(cert);
  const caKey = createPublicKey({ key: Buffer.concat([Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"), Buffer.from(p256.getPublicKey(caPriv, false))]), format: "der", type: "spki" });
  assert.ok(x.verify(caKey), "the test certificate is well formed and signed by the test CA");
  return { caPriv, batchPriv, cert, x };
}

test("provisioning: the key must be the certificate's; malformed certificates are refused", () => {
  const { batchPriv, cert } = setup();
  const chip = new Chip();
  const other = p256.utils.randomSecretKey();
  assert.equal(chip.provision(other, cert), -3, "key mismatch");
  assert.equal(chip.provision(new Uint8Array(32), cert), -1, "zero key");
  assert.equal(chip.provision(batchPriv, cert.subarray(0, cert.length - 1)), -2, "truncated");
  const bad = cert.slice(); bad[0] = 0x31;
  assert.equal(chip.provision(batchPriv, bad), -2);
  // garbage of every length never traps
  for (let n = 0; n < 200; n += 7) chip.provision(batchPriv, new Uint8Array(n).fill(0x30));
  assert.equal(chip.provision(batchPriv, cert), 0);
});

test("packed attestation with x5c: signature by the batch key; kept across reset", () => {
  const { batchPriv, cert, x } = setup();
  const chip = new Chip();
  assert.equal(chip.provision(batchPriv, cert), 0);
  for (let round = 0; round < 2; round++) {
    const cd = cdh(40 + round);
    const r = chip.call(CMD.MC, mcRequest({ clientDataHash: cd }));
    assert.equal(r.status, ST.OK);
    const att = mget(r.body, 3);
    assert.deepEqual(mkeys(att), ["alg", "sig", "x5c"]);
    assert.equal(mget(att, "alg"), -7n);
    const x5c = mget(att, "x5c") as Uint8Array[];
    assert.equal(x5c.length, 1);
    assert.equal(hex(x5c[0]!), hex(cert));
    const adb = bytes(mget(r.body, 2));
    const ad = parseAuthData(adb);
    assert.equal(hex(ad.aaguid!), AAGUID.toString("hex"), "authData AAGUID = the certificate's extension");
    const sig = bytes(mget(att, "sig"));
    assert.ok(nodeVerify("sha256", Buffer.concat([adb, cd]), x.publicKey, sig), "OpenSSL: signed by the certificate's key");
    assert.ok(p256.verify(sig, Buffer.concat([adb, cd]), p256.getPublicKey(batchPriv, false), { format: "der", lowS: false }), "noble agrees");
    // the credential itself works
    assert.equal(chip.call(CMD.GA, gaRequest({ allow: [ad.credId!] })).status, ST.OK);
    // reset (in the window) keeps the attestation
    chip.reboot();
    assert.equal(chip.call(CMD.RESET).status, ST.OK);
  }
  // without a certificate: self attestation again (a fresh chip)
  const plain = new Chip();
  assert.deepEqual(mkeys(mget(makeCred(plain).resp.body, 3)), ["alg", "sig"]);
});
