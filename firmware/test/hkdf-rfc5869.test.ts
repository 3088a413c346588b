// HKDF-SHA-256 (RFC 5869) in the firmware: the RFC's SHA-256 test cases 1–3, random cross-checks
// against node:crypto hkdfSync, and the output-length limit.
import { test } from "vitest";
import assert from "node:assert/strict";
import { hkdfSync, randomBytes } from "node:crypto";
import { PinDev } from "./pin-util.js";

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function run(d: PinDev, salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, len: number): Uint8Array | number {
  const base = d.x.io_ptr();
  d.dev.ioWrite(0, salt);
  d.dev.ioWrite(256, ikm);
  d.dev.ioWrite(512, info);
  const r = d.x.hkdf_sha256(base, salt.length, base + 256, ikm.length, base + 512, info.length, base + 1024, len);
  if (r < 0) return r;
  assert.equal(r, len);
  return d.dev.ioRead(1024, len);
}

const cases = [
  {
    name: "test case 1",
    ikm: h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: h("000102030405060708090a0b0c"),
    info: h("f0f1f2f3f4f5f6f7f8f9"), len: 42,
    okm: h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
  },
  {
    name: "test case 2 (long inputs)",
    ikm: new Uint8Array(80).map((_, i) => i), salt: new Uint8Array(80).map((_, i) => 0x60 + i),
    info: new Uint8Array(80).map((_, i) => 0xb0 + i), len: 82,
    okm: h(`b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09
      da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87`),
  },
  {
    name: "test case 3 (empty salt and info)",
    ikm: h("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: new Uint8Array(0), info: new Uint8Array(0), len: 42,
    okm: h("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
  },
];

test("RFC 5869 SHA-256 test cases 1-3", () => {
  const d = new PinDev();
  for (const c of cases) {
    assert.deepEqual(run(d, c.salt, c.ikm, c.info, c.len), c.okm, c.name);
  }
});

test("random inputs match node:crypto hkdfSync; lengths 0..255*32; too long is refused", () => {
  const d = new PinDev();
  for (let i = 0; i < 200; i++) {
    const salt = randomBytes(i % 100), ikm = randomBytes(1 + (i * 7) % 200), info = randomBytes((i * 13) % 150);
    const len = i === 0 ? 0 : 1 + ((i * 37) % 300);
    const want = new Uint8Array(hkdfSync("sha256", ikm, salt, info, len));
    assert.deepEqual(run(d, salt, ikm, info, len), want, `case ${i}`);
  }
  // the longest output (8160 bytes) fills the exchange buffer from 0; the key sits at its end
  const ikm = randomBytes(32);
  const base = d.x.io_ptr();
  d.dev.ioWrite(8160, ikm);
  assert.equal(d.x.hkdf_sha256(base, 0, base + 8160, 32, base, 0, base, 255 * 32), 255 * 32);
  assert.deepEqual(d.dev.ioRead(0, 255 * 32), new Uint8Array(hkdfSync("sha256", ikm, Buffer.alloc(0), Buffer.alloc(0), 255 * 32)));
  assert.equal(d.x.hkdf_sha256(base, 0, base + 8160, 32, base, 0, base, 255 * 32 + 1), -1);
});
