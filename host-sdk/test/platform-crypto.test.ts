// The SDK's crypto primitives: the browser twin (@noble, swapped into the simulator's page) against the
// Node one on the same inputs; standard vectors through both (RFC 6238, FIPS 180, RFC 5869 HKDF, McGrew-Viega
// GCM, NIST SP 800-38A CBC); refusals of a tampered GCM seal and of bad arguments; the portable constant-time compare.
import { test } from "vitest";
import assert from "node:assert/strict";
import * as node from "../src/platform/crypto.js";
import * as browser from "../src/platform/crypto.browser.js";
import { timingSafeEqual } from "../src/platform/equal.js";
import { truncate } from "../src/otp/hotp.js";

const ascii = (s: string) => new TextEncoder().encode(s);
const counter = (n: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; };
const HASHES = ["sha1", "sha256", "sha384", "sha512"] as const;

test("RFC 6238 appendix B at T = 59 s and 1111111109 s, SHA1/SHA256/SHA512, from both HMACs", () => {
  const seeds = { sha1: ascii("12345678901234567890"), sha256: ascii("12345678901234567890123456789012"), sha512: ascii("1234567890123456789012345678901234567890123456789012345678901234") };
  const want = { sha1: ["94287082", "07081804"], sha256: ["46119246", "68084774"], sha512: ["90693936", "25091201"] } as const;
  for (const h of ["sha1", "sha256", "sha512"] as const) {
    [59, 1111111109].forEach((t, i) => {
      const mac = browser.hmac(h, seeds[h], counter(Math.floor(t / 30)));
      assert.deepEqual(mac, node.hmac(h, seeds[h], counter(Math.floor(t / 30))));
      assert.equal(truncate(mac, 8), want[h][i], `${h} at ${t}`);
    });
  }
});

test("digest: FIPS 180 'abc' vectors, parts hashed as one, both twins agree", () => {
  const want = {
    sha1: "a9993e364706816aba3e25717850c26c9cd0d89d",
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    sha384: "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    sha512: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  } as const;
  for (const h of HASHES) {
    for (const impl of [node, browser]) {
      assert.equal(Buffer.from(impl.digest(h, ascii("abc"))).toString("hex"), want[h], h);
      assert.deepEqual(impl.digest(h, ascii("a"), ascii(""), ascii("bc")), impl.digest(h, ascii("abc")));
    }
  }
});

test("randomBytes: the asked length (also beyond getRandomValues' 65,536 per call), not all zero, fresh each time", () => {
  for (const impl of [node, browser]) {
    for (const n of [0, 1, 32, 65536, 70000]) assert.equal(impl.randomBytes(n).length, n);
    const a = impl.randomBytes(70000), b = impl.randomBytes(32);
    assert.ok(a.subarray(65536).some((x) => x !== 0), "the part past the first 65,536 bytes is filled");
    assert.notDeepEqual(b, impl.randomBytes(32));
  }
});

test("timingSafeEqual: equal, a difference at either end, different lengths, empty", () => {
  const a = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(timingSafeEqual(a, a.slice()), true);
  for (const i of [0, 31]) { const b = a.slice(); b[i]! ^= 1; assert.equal(timingSafeEqual(a, b), false, `byte ${i}`); }
  assert.equal(timingSafeEqual(a, a.subarray(0, 31)), false);
  assert.equal(timingSafeEqual(a.subarray(0, 31), a), false);
  assert.equal(timingSafeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(timingSafeEqual(new Uint8Array(0), new Uint8Array(1)), false);
  assert.equal(node.timingSafeEqual, timingSafeEqual);
  assert.equal(browser.timingSafeEqual, timingSafeEqual);
});

// ---- HKDF, AES-256-GCM and AES-256-CBC: standard vectors through both twins, agreement on random inputs.
const h = (s: string): Uint8Array => Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const TWINS = [["node", node], ["browser", browser]] as const;

test("hkdf: RFC 5869 test cases 1, 2, 3 (SHA-256), 4 and 7 (SHA-1) through both twins", () => {
  const cases = [
    { hash: "sha256", ikm: new Uint8Array(22).fill(0x0b), salt: range(0x00, 0x0c), info: range(0xf0, 0xf9), len: 42,
      okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
    { hash: "sha256", ikm: range(0x00, 0x4f), salt: range(0x60, 0xaf), info: range(0xb0, 0xff), len: 82,
      okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87" },
    { hash: "sha256", ikm: new Uint8Array(22).fill(0x0b), salt: new Uint8Array(0), info: new Uint8Array(0), len: 42,
      okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
    { hash: "sha1", ikm: new Uint8Array(11).fill(0x0b), salt: range(0x00, 0x0c), info: range(0xf0, 0xf9), len: 42,
      okm: "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896" },
    { hash: "sha1", ikm: new Uint8Array(22).fill(0x0c), salt: new Uint8Array(0), info: new Uint8Array(0), len: 42,
      okm: "2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48" },
  ] as const;
  for (const [name, impl] of TWINS) {
    cases.forEach((c, i) => assert.equal(hexOf(impl.hkdf(c.hash, c.ikm, c.salt, c.info, c.len)), c.okm, `${name}, case ${i}`));
    // Text info is its UTF-8 bytes.
    assert.deepEqual(impl.hkdf("sha256", range(1, 32), new Uint8Array(32), "CTAP2 AES key", 32), impl.hkdf("sha256", range(1, 32), new Uint8Array(32), ascii("CTAP2 AES key"), 32));
  }
});

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16 (AES-256, 96-bit IV; 16 with AAD).
const K15 = h("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const P15 = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255");
const C15 = h("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad");
const GCM_CASES = [
  { name: "13", key: new Uint8Array(32), iv: new Uint8Array(12), p: new Uint8Array(0), aad: new Uint8Array(0), c: new Uint8Array(0), tag: "530f8afbc74536b9a963b4f1c4cb738b" },
  { name: "14", key: new Uint8Array(32), iv: new Uint8Array(12), p: new Uint8Array(16), aad: new Uint8Array(0), c: h("cea7403d4d606b6e074ec5d3baf39d18"), tag: "d0d1c8a799996bf0265b98b5d48ab919" },
  { name: "15", key: K15, iv: h("cafebabefacedbaddecaf888"), p: P15, aad: new Uint8Array(0), c: C15, tag: "b094dac5d93471bdec1a502270e3cc6c" },
  { name: "16", key: K15, iv: h("cafebabefacedbaddecaf888"), p: P15.subarray(0, 60), aad: h("feedfacedeadbeeffeedfacedeadbeefabaddad2"), c: C15.subarray(0, 60), tag: "76fc6ece0f4e1768cddf8853bb2d551b" },
];

test("AES-256-GCM: McGrew-Viega test cases 13-16 (16 with AAD) seal and open through both twins", () => {
  for (const [name, impl] of TWINS) {
    for (const c of GCM_CASES) {
      const sealed = impl.aesGcmSeal(c.key, c.iv, c.p, c.aad);
      assert.equal(hexOf(sealed), hexOf(c.c) + c.tag, `${name}, case ${c.name}`);
      assert.deepEqual(impl.aesGcmOpen(c.key, c.iv, sealed, c.aad), c.p, `${name}, case ${c.name} opens`);
    }
  }
});

test("AES-256-GCM: a flipped byte of the tag, the ciphertext, the AAD, the nonce or the key opens to null in both twins", () => {
  const c = GCM_CASES[3]!;
  const flip = (b: Uint8Array, i: number) => { const x = b.slice(); x[i]! ^= 0x01; return x; };
  for (const [name, impl] of TWINS) {
    const sealed = impl.aesGcmSeal(c.key, c.iv, c.p, c.aad);
    for (const i of [0, 30, 59]) assert.equal(impl.aesGcmOpen(c.key, c.iv, flip(sealed, i), c.aad), null, `${name}: ciphertext byte ${i}`);
    for (const i of [60, 75]) assert.equal(impl.aesGcmOpen(c.key, c.iv, flip(sealed, i), c.aad), null, `${name}: tag byte ${i - 60}`);
    for (const i of [0, 19]) assert.equal(impl.aesGcmOpen(c.key, c.iv, sealed, flip(c.aad, i)), null, `${name}: AAD byte ${i}`);
    assert.equal(impl.aesGcmOpen(c.key, c.iv, sealed, new Uint8Array(0)), null, `${name}: AAD dropped`);
    assert.equal(impl.aesGcmOpen(c.key, flip(c.iv, 11), sealed, c.aad), null, `${name}: nonce`);
    assert.equal(impl.aesGcmOpen(flip(c.key, 0), c.iv, sealed, c.aad), null, `${name}: key`);
    assert.equal(impl.aesGcmOpen(c.key, c.iv, sealed.subarray(0, sealed.length - 1), c.aad), null, `${name}: one byte short`);
  }
});

test("AES-256-CBC without padding: NIST SP 800-38A F.2.5/F.2.6 (CBC-AES256) through both twins", () => {
  const key = h("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const iv = range(0x00, 0x0f);
  const p = h("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710");
  const c = h("f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d 39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b");
  for (const [name, impl] of TWINS) {
    assert.equal(hexOf(impl.aesCbcEncrypt(key, iv, p)), hexOf(c), `${name} encrypts`);
    assert.equal(hexOf(impl.aesCbcDecrypt(key, iv, c)), hexOf(p), `${name} decrypts`);
    assert.equal(impl.aesCbcEncrypt(key, iv, new Uint8Array(0)).length, 0);
  }
});

test("bad arguments are the same INVALID_ARGUMENT in both twins (key, nonce, IV, partial block, HKDF length)", () => {
  const k = new Uint8Array(32), n = new Uint8Array(12), iv = new Uint8Array(16);
  const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => (e as { code?: string }).code === "INVALID_ARGUMENT");
  for (const [, impl] of TWINS) {
    bad(() => impl.aesGcmSeal(new Uint8Array(16), n, new Uint8Array(1)));
    bad(() => impl.aesGcmSeal(k, new Uint8Array(16), new Uint8Array(1)));
    bad(() => impl.aesGcmOpen(k, n, new Uint8Array(15)));
    bad(() => impl.aesCbcEncrypt(k, iv, new Uint8Array(17)));
    bad(() => impl.aesCbcDecrypt(k, new Uint8Array(12), new Uint8Array(16)));
    bad(() => impl.hkdf("sha256", k, k, "", 0));
    bad(() => impl.hkdf("sha256", k, k, "", 255 * 32 + 1));
    assert.equal(impl.hkdf("sha256", k, k, "", 255 * 32).length, 255 * 32);
  }
});

test("both twins agree on random inputs: HKDF, HMAC of text, GCM seal/open across twins, CBC both ways", () => {
  for (let round = 0; round < 50; round++) {
    const r = (n: number) => node.randomBytes(n);
    const len = (max: number) => r(1)[0]! % max;
    const key = r(32), nonce = r(12), iv = r(16), p = r(len(200)), aad = r(len(40)), blocks = r(16 * len(8));
    const hash = HASHES[round % 4]!;
    const ikm = r(len(80)), salt = r(len(80)), info = r(len(60)), L = 1 + len(200);
    assert.deepEqual(browser.hkdf(hash, ikm, salt, info, L), node.hkdf(hash, ikm, salt, info, L), `hkdf ${hash}`);
    assert.deepEqual(browser.hmac(hash, key, "abc ✓ æøå"), node.hmac(hash, key, "abc ✓ æøå"));
    const sealed = node.aesGcmSeal(key, nonce, p, aad);
    assert.deepEqual(browser.aesGcmSeal(key, nonce, p, aad), sealed);
    assert.deepEqual(browser.aesGcmOpen(key, nonce, sealed, aad), p);
    assert.deepEqual(node.aesGcmOpen(key, nonce, browser.aesGcmSeal(key, nonce, p, aad), aad), p);
    const ct = node.aesCbcEncrypt(key, iv, blocks);
    assert.deepEqual(browser.aesCbcEncrypt(key, iv, blocks), ct);
    assert.deepEqual(browser.aesCbcDecrypt(key, iv, ct), blocks);
    assert.deepEqual(node.aesCbcDecrypt(key, iv, ct), blocks);
  }
});

test("base64url and hex (both ways) without Buffer: RFC 4648 §10 vectors, and Node's Buffer's text for every length 0..70", async () => {
  const { base64url, hex, fromHex } = await import("../src/platform/encoding.js");
  const rfc = { "": "", f: "Zg", fo: "Zm8", foo: "Zm9v", foob: "Zm9vYg", fooba: "Zm9vYmE", foobar: "Zm9vYmFy" } as const;
  for (const [plain, b64] of Object.entries(rfc)) assert.equal(base64url(ascii(plain)), b64);
  assert.equal(base64url(Uint8Array.of(0xfb, 0xff, 0xbf)), "-_-_");
  for (let n = 0; n <= 70; n++) {
    const b = node.randomBytes(n);
    assert.equal(base64url(b), Buffer.from(b).toString("base64url"), `${n} bytes`);
    assert.equal(hex(b), Buffer.from(b).toString("hex"), `${n} bytes`);
    assert.deepEqual(fromHex(hex(b).toUpperCase()), b);
  }
});
