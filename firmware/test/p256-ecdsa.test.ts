// ECDSA P-256 (RFC 6979 nonces, low S) and ECDH in the firmware: RFC 6979 A.2.5 vectors,
// byte-for-byte agreement with @noble/curves on 1000 random keys/digests, cross-checks with
// node:crypto (OpenSSL), and the rejections (bad scalars, bad points, bad signatures, pointers).
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHash, createECDH, createPublicKey, createPrivateKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Harness, P, N, be32, int, hex, unhex, concat, seededBytes, mod, powmod } from "./p256-util.js";

const h = new Harness();
const rnd = seededBytes("p256-ecdsa");
const sha256 = (m: string | Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(m).digest());

// buffer offsets in the exchange buffer
const O_PRIV = 0, O_DIG = 32, O_SIG = 64, O_PUB = 128, O_OUT = 192;

function fwPub(priv: Uint8Array): { rc: number; pub: Uint8Array } {
  const rc = h.x.p256_public_key(h.put(O_PRIV, priv), h.addr(O_OUT));
  return { rc, pub: h.get(O_OUT, 64) };
}
function fwSign(priv: Uint8Array, digest: Uint8Array): { rc: number; sig: Uint8Array } {
  const rc = h.x.p256_sign(h.put(O_PRIV, priv), h.put(O_DIG, digest), h.addr(O_OUT));
  return { rc, sig: h.get(O_OUT, 64) };
}
function fwVerify(pub: Uint8Array, digest: Uint8Array, sig: Uint8Array): number {
  return h.x.p256_verify(h.put(O_PUB, pub), h.put(O_DIG, digest), h.put(O_SIG, sig));
}
function fwEcdh(priv: Uint8Array, peer: Uint8Array): { rc: number; x: Uint8Array } {
  const rc = h.x.p256_ecdh(h.put(O_PRIV, priv), h.put(O_PUB, peer), h.addr(O_OUT));
  return { rc, x: h.get(O_OUT, 32) };
}
const randomPriv = (): Uint8Array => be32((int(rnd(40)) % (N - 1n)) + 1n);

test("RFC 6979 A.2.5 (P-256, SHA-256): key pair and the 'sample' / 'test' signatures", () => {
  const x = unhex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
  const { rc, pub } = fwPub(x);
  assert.equal(rc, 0);
  assert.equal(hex(pub), "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" +
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
  const vectors = [
    { m: "sample", r: "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", s: "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
    { m: "test", r: "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367", s: "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
  ];
  for (const v of vectors) {
    const d = sha256(v.m);
    const out = fwSign(x, d);
    assert.equal(out.rc, 0);
    assert.equal(hex(out.sig.subarray(0, 32)), v.r, `r for "${v.m}"`);
    const s = int(out.sig.subarray(32));
    const sRfc = BigInt("0x" + v.s);
    assert.ok(s === sRfc || s === N - sRfc, `s or n − s for "${v.m}"`);
    assert.equal(s, sRfc <= (N - 1n) / 2n ? sRfc : N - sRfc, "low S");
    assert.equal(fwVerify(pub, d, out.sig), 1);
    // the RFC's own (high-S for "sample") signature verifies too
    assert.equal(fwVerify(pub, d, unhex(v.r + v.s)), 1);
  }
});

test("1000 random keys and digests: public key, signature (byte-identical), verify, ECDH agree with noble", () => {
  for (let i = 0; i < 1000; i++) {
    const priv = randomPriv();
    const digest = rnd(32);
    const { rc, pub } = fwPub(priv);
    assert.equal(rc, 0);
    const nPub = p256.getPublicKey(priv, false);
    assert.equal(hex(pub), hex(nPub.subarray(1)), `public key #${i}`);

    const s = fwSign(priv, digest);
    assert.equal(s.rc, 0);
    const nSig = p256.sign(digest, priv, { prehash: false });
    assert.equal(hex(s.sig), hex(nSig), `signature #${i}`);
    assert.equal(fwVerify(pub, digest, nSig), 1, `verify noble sig #${i}`);

    // tampering: a flipped bit in r, s or the digest; the high-S twin is still valid
    const bad = s.sig.slice();
    bad[i % 64]! ^= 1 << (i % 8);
    assert.equal(fwVerify(pub, digest, bad), 0, `tampered sig #${i}`);
    const badDigest = digest.slice();
    badDigest[(i * 7) % 32]! ^= 0x80;
    assert.equal(fwVerify(pub, badDigest, s.sig), 0, `tampered digest #${i}`);
    const high = concat(s.sig.subarray(0, 32), be32(N - int(s.sig.subarray(32))));
    assert.equal(fwVerify(pub, digest, high), 1, `high-S twin #${i}`);

    if (i % 4 === 0) {
      const peerPriv = randomPriv();
      const peerPub = p256.getPublicKey(peerPriv, false).subarray(1);
      const e = fwEcdh(priv, peerPub);
      assert.equal(e.rc, 0);
      assert.equal(hex(e.x), hex(p256.getSharedSecret(priv, p256.getPublicKey(peerPriv, true), true).subarray(1)), `ECDH #${i}`);
    }
  }
});

function nodeKeys(priv: Uint8Array, pub: Uint8Array): { sk: KeyObject; pk: KeyObject } {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
  const jwk = { kty: "EC", crv: "P-256", x: b64(pub.subarray(0, 32)), y: b64(pub.subarray(32)) };
  return { sk: createPrivateKey({ key: { ...jwk, d: b64(priv) }, format: "jwk" }), pk: createPublicKey({ key: jwk, format: "jwk" }) };
}

test("node:crypto (OpenSSL) accepts firmware signatures, and the firmware accepts OpenSSL's", () => {
  for (let i = 0; i < 60; i++) {
    const priv = randomPriv();
    const { pub } = fwPub(priv);
    const { sk, pk } = nodeKeys(priv, pub);
    const msg = rnd(1 + (i % 100));
    const { sig } = fwSign(priv, sha256(msg));
    assert.ok(nodeVerify("sha256", msg, { key: pk, dsaEncoding: "ieee-p1363" }, sig), `OpenSSL verifies #${i}`);
    const osig = new Uint8Array(nodeSign("sha256", msg, { key: sk, dsaEncoding: "ieee-p1363" }));
    assert.equal(fwVerify(pub, sha256(msg), osig), 1, `firmware verifies OpenSSL sig #${i}`);
  }
});

test("ECDH agrees with node:crypto createECDH", () => {
  for (let i = 0; i < 40; i++) {
    const a = createECDH("prime256v1");
    a.generateKeys();
    const priv = randomPriv();
    const { pub } = fwPub(priv);
    const e = fwEcdh(priv, new Uint8Array(a.getPublicKey()).subarray(1));
    assert.equal(e.rc, 0);
    assert.equal(hex(e.x), hex(new Uint8Array(a.computeSecret(concat(new Uint8Array([4]), pub)))));
  }
});

test("private scalars: 0, n, n+1 and 2^256−1 are rejected; 1 and n−1 work", () => {
  const digest = sha256("x");
  const peer = p256.getPublicKey(be32(5n), false).subarray(1);
  for (const bad of [0n, N, N + 1n, 2n ** 256n - 1n]) {
    const k = be32(bad);
    assert.equal(fwPub(k).rc, -1);
    assert.equal(fwSign(k, digest).rc, -1);
    assert.equal(fwEcdh(k, peer).rc, -1);
    assert.equal(h.x.p256_valid_private(h.put(0, k)), 0);
  }
  const g = p256.Point.BASE.toAffine();
  const one = fwPub(be32(1n));
  assert.equal(hex(one.pub), hex(concat(be32(g.x), be32(g.y))));
  const last = fwPub(be32(N - 1n));
  assert.equal(hex(last.pub), hex(concat(be32(g.x), be32(P - g.y))), "(n−1)·G = −G");
  for (const k of [1n, 2n, N - 1n, N - 2n]) {
    const s = fwSign(be32(k), digest);
    assert.equal(s.rc, 0);
    assert.equal(hex(s.sig), hex(p256.sign(digest, be32(k), { prehash: false })));
    assert.equal(fwEcdh(be32(k), peer).rc, 0);
    assert.equal(hex(fwEcdh(be32(k), peer).x), hex(p256.getSharedSecret(be32(k), p256.getPublicKey(be32(5n))).subarray(1)));
  }
});

test("points: off-curve, coordinates ≥ p and the encoding of infinity are rejected everywhere", () => {
  const priv = be32(7n);
  const digest = sha256("y");
  const { pub } = fwPub(priv);
  const { sig } = fwSign(priv, digest);
  const x = int(pub.subarray(0, 32)), y = int(pub.subarray(32));
  const bad: [string, Uint8Array][] = [
    ["y + 1", concat(be32(x), be32((y + 1n) % P))],
    ["x + 1", concat(be32((x + 1n) % P), be32(y))],
    ["(0, 0)", new Uint8Array(64)],
    ["x = p", concat(be32(P), be32(y))],
    ["y = p", concat(be32(x), be32(P))],
    ["y + p (≥ p, same residue)", concat(be32(x), be32(y + P < 2n ** 256n ? y + P : P + 1n))],
    ["all ones", new Uint8Array(64).fill(0xff)],
  ];
  assert.equal(h.x.p256_validate(h.put(0, pub)), 1);
  for (const [what, pt] of bad) {
    assert.equal(h.x.p256_validate(h.put(0, pt)), 0, what);
    assert.equal(fwVerify(pt, digest, sig), -2, `verify: ${what}`);
    assert.equal(fwEcdh(priv, pt).rc, -2, `ecdh: ${what}`);
  }
  // a point with a small x whose x + p still fits in 32 bytes: x + p must be refused
  let sx = 1n;
  for (;; sx++) {
    try { p256.Point.fromHex("02" + hex(be32(sx))); break; } catch { /* no point with this x */ }
  }
  const small = p256.Point.fromHex("02" + hex(be32(sx))).toAffine();
  assert.equal(h.x.p256_validate(h.put(0, concat(be32(small.x), be32(small.y)))), 1);
  assert.equal(h.x.p256_validate(h.put(0, concat(be32(small.x + P), be32(small.y)))), 0, "x + p rejected");
});

test("verify: r or s equal to 0 or ≥ n is invalid (0), wrong key is invalid", () => {
  const priv = be32(11n);
  const digest = sha256("z");
  const { pub } = fwPub(priv);
  const { sig } = fwSign(priv, digest);
  const r = sig.subarray(0, 32), s = sig.subarray(32);
  for (const v of [0n, N, N + 1n, 2n ** 256n - 1n]) {
    assert.equal(fwVerify(pub, digest, concat(be32(v), s)), 0);
    assert.equal(fwVerify(pub, digest, concat(r, be32(v))), 0);
  }
  assert.equal(fwVerify(fwPub(be32(12n)).pub, digest, sig), 0);
  assert.equal(fwVerify(pub, digest, sig), 1);
});

test("verify edge cases (Wycheproof-style): u1·G + u2·Q at infinity, u1·G = u2·Q, a digest ≥ n", () => {
  const inv = (a: bigint) => powmod(mod(a, N), N - 2n, N);
  const G = p256.Point.BASE.toAffine();
  const gPub = concat(be32(G.x), be32(G.y)); // Q = G: private key 1
  // z ≡ −r (mod n) with Q = G: u1 + u2 = (z + r)/s = 0, so R is the point at infinity: invalid.
  for (const r of [1n, 12345n, N - 1n, int(rnd(31))]) {
    const sig = concat(be32(r), be32(int(rnd(31)) + 1n));
    assert.equal(fwVerify(gPub, be32(mod(-r, N)), sig), 0, `infinity, r = ${r}`);
  }
  // z = r with Q = G: u1 = u2, the final addition adds a point to itself (the complete formula).
  const k = int(rnd(31)) + 2n;
  const R = p256.Point.BASE.multiply(k).toAffine();
  const r = mod(R.x, N);
  const sDouble = mod(inv(k) * (r + r), N);
  assert.equal(fwVerify(gPub, be32(r), concat(be32(r), be32(sDouble))), 1, "u1·G + u2·Q with u1·G = u2·Q");
  assert.equal(fwVerify(gPub, be32(r), concat(be32(r), be32(mod(sDouble + 1n, N)))), 0);
  // a digest ≥ n is reduced mod n (noble signs the same digest)
  const priv = randomPriv();
  const big = be32(2n ** 256n - 1n);
  assert.equal(fwVerify(fwPub(priv).pub, big, p256.sign(big, priv, { prehash: false })), 1, "digest 2^256 − 1");
  assert.equal(fwVerify(fwPub(priv).pub, be32(N), p256.sign(be32(N), priv, { prehash: false })), 1, "digest n ≡ 0");
});

test("pointers outside the exchange buffer are refused, never trap", () => {
  const out = h.addr(O_OUT);
  assert.equal(h.x.p256_sign(0, h.addr(0), out), -100);
  assert.equal(h.x.p256_sign(h.addr(0), h.addr(8192 - 16), out), -100);
  assert.equal(h.x.p256_verify(0xffffffff, h.addr(0), h.addr(0)), -100);
  assert.equal(h.x.p256_ecdh(h.addr(0), h.addr(8192 - 63), out), -100);
  assert.equal(h.x.p256_public_key(h.addr(0), h.addr(8192 - 63)), -100);
  assert.equal(h.device.faults.length, 0);
});
