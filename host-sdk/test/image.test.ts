// The image library (@segl/host-sdk/image): pack, sign, parse with typed errors, verify against
// maker keys, key files; cross-checked with openssl (an independent ECDSA verifier).
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey } from "node:crypto";
import {
  packImage, signImage, buildImage, parseImage, parseHeader, verifyImage, generateMakerKey, writeMakerKey, rawPublicKey,
  encodeHeader, IMAGE_HEADER_SIZE,
} from "../src/image/index.js";
import { isSeglError } from "../src/errors.js";

const K0 = generateMakerKey();
const K1 = generateMakerKey();
const PAYLOAD = new Uint8Array(5000).map((_, i) => (i * 31 + 7) & 0xff);
const code = (c: string) => (e: unknown) => isSeglError(e, c as never);

describe("pack and parse", () => {
  test("the header holds every field at the offsets of docs/image-format.md", () => {
    const f = packImage(PAYLOAD, { version: "1.2.3", securityCounter: 9, models: ["code-display", "chip"], keyIndex: 1, revoke: [0] });
    assert.equal(f.length, IMAGE_HEADER_SIZE + PAYLOAD.length);
    const v = new DataView(f.buffer);
    assert.deepEqual([...f.subarray(0, 8)], [0x53, 0x47, 0x46, 0x57, 1, 1, 0b01, 0]);
    assert.equal(v.getUint32(8, true), 0b1010);
    assert.equal(v.getUint32(12, true), 0x010203);
    assert.equal(v.getUint32(16, true), 9);
    assert.equal(v.getUint32(20, true), PAYLOAD.length);
    assert.deepEqual(f.subarray(24, 56), new Uint8Array(createHash("sha256").update(PAYLOAD).digest()));
    assert.ok(f.subarray(56, 128).every((b) => b === 0), "reserved and (unsigned) signature are zero");
    const p = parseImage(f);
    assert.equal(p.signed, false);
    assert.equal(p.header.versionString, "1.2.3");
    assert.deepEqual(p.header.models, ["code-display", "chip"]);
    assert.equal(p.header.revokeMask, 1);
  });

  test("typed errors: IMAGE_FORMAT for each field, truncated or longer files; IMAGE_HASH for a changed payload", () => {
    const good = buildImage(PAYLOAD, { version: "0.2.0", privateKeyPem: K0.privateKeyPem });
    const bad: [string, (f: Uint8Array) => Uint8Array][] = [
      ["magic", (f) => { f[1] = 0; return f; }],
      ["formatVersion", (f) => { f[4] = 9; return f; }],
      ["keyIndex", (f) => { f[5] = 4; return f; }],
      ["revokeMask", (f) => { f[6] = 1; return f; }],
      ["flags", (f) => { f[7] = 2; return f; }],
      ["reserved", (f) => { f[57] = 1; return f; }],
      ["modelMask", (f) => { f[8] = 0; return f; }],
      ["length", (f) => f.subarray(0, f.length - 1)],
      ["length", (f) => { const g = new Uint8Array(f.length + 1); g.set(f); return g; }],
    ];
    for (const [field, change] of bad) {
      assert.throws(() => parseImage(change(good.slice())), (e) => code("IMAGE_FORMAT")(e) && (e as { details?: { field?: string } }).details?.field === field, field);
    }
    assert.throws(() => parseHeader(good.subarray(0, 100)), code("IMAGE_FORMAT"));
    const h = good.slice();
    h[IMAGE_HEADER_SIZE + 10]! ^= 1;
    assert.throws(() => parseImage(h), code("IMAGE_HASH"));
    assert.throws(() => encodeHeader(new Uint8Array(4), { version: "1.0.0" }), code("INVALID_ARGUMENT"));
    assert.throws(() => encodeHeader(PAYLOAD, { version: "1.0" }), code("INVALID_ARGUMENT"));
    assert.throws(() => encodeHeader(PAYLOAD, { version: "1.0.0", keyIndex: 1, revoke: [1] }), code("INVALID_ARGUMENT"));
  });
});

describe("sign and verify", () => {
  test("a signed image verifies with its key only; a flipped bit anywhere fails", () => {
    const f = buildImage(PAYLOAD, { version: "0.2.0", keyIndex: 1, privateKeyPem: K1.privateKeyPem });
    assert.equal(verifyImage(f, [K0.publicKeyPem, K1.publicKeyPem]).header.keyIndex, 1);
    assert.throws(() => verifyImage(f, [K1.publicKeyPem, K0.publicKeyPem]), code("IMAGE_SIGNATURE"));
    assert.throws(() => verifyImage(f, [K0.publicKeyPem]), code("IMAGE_KEY"), "no key for index 1");
    for (const pos of [0, 5, 8, 12, 16, 20, 30, 60, 64, 100, 127, 128, 3000, f.length - 1]) {
      const g = f.slice();
      g[pos]! ^= 0x10;
      assert.throws(() => verifyImage(g, [K0.publicKeyPem, K1.publicKeyPem]), (e) => isSeglError(e), `flip at ${pos}`);
    }
    assert.throws(() => verifyImage(packImage(PAYLOAD, { version: "1.0.0" }), [K0.publicKeyPem]), code("IMAGE_SIGNATURE"), "unsigned");
    assert.throws(() => signImage(packImage(PAYLOAD, { version: "1.0.0" }), "not a key"), code("IMAGE_KEY"));
    assert.throws(() => verifyImage(f, [undefined, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]), code("IMAGE_KEY"));
  });

  test("signImage sets the key index (signed with it); openssl verifies the signature over bytes 0..63", () => {
    const f = signImage(packImage(PAYLOAD, { version: "3.0.1" }), K1.privateKeyPem, { keyIndex: 1 });
    assert.equal(f[5], 1);
    const dir = mkdtempSync(join(tmpdir(), "segl-img-"));
    try {
      // raw r ‖ s → DER for openssl
      const r = f.subarray(64, 96), s = f.subarray(96, 128);
      const int = (x: Uint8Array) => { let b = Buffer.from(x); while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1); if (b[0]! >= 0x80) b = Buffer.concat([Buffer.of(0), b]); return Buffer.concat([Buffer.of(2, b.length), b]); };
      const body = Buffer.concat([int(r), int(s)]);
      writeFileSync(join(dir, "sig.der"), Buffer.concat([Buffer.of(0x30, body.length), body]));
      writeFileSync(join(dir, "msg"), f.subarray(0, 64));
      writeFileSync(join(dir, "pub.pem"), K1.publicKeyPem);
      const out = execFileSync("openssl", ["dgst", "-sha256", "-verify", join(dir, "pub.pem"), "-signature", join(dir, "sig.der"), join(dir, "msg")]).toString();
      assert.match(out, /Verified OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("writeMakerKey: private key 0600, never overwritten; the public key's raw form is X ‖ Y", () => {
    const dir = mkdtempSync(join(tmpdir(), "segl-key-"));
    try {
      const pub = writeMakerKey(join(dir, "m.key.pem"), join(dir, "m.pub.pem"));
      assert.equal(statSync(join(dir, "m.key.pem")).mode & 0o777, 0o600);
      assert.match(readFileSync(join(dir, "m.key.pem"), "utf8"), /BEGIN PRIVATE KEY/);
      assert.equal(readFileSync(join(dir, "m.pub.pem"), "utf8"), pub);
      assert.throws(() => writeMakerKey(join(dir, "m.key.pem"), join(dir, "x.pub.pem")), code("INVALID_ARGUMENT"));
      const raw = rawPublicKey(pub);
      const jwk = createPublicKey(pub).export({ format: "jwk" });
      assert.deepEqual(Buffer.from(raw.subarray(0, 32)).toString("base64url"), jwk.x);
      assert.deepEqual(Buffer.from(raw.subarray(32)).toString("base64url"), jwk.y);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
