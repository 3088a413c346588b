// The public-key twins on the same inputs: platform/keys.ts (node:crypto) and platform/keys.browser.ts
// (@noble/curves, BigInt RSA) must give the same verdicts. Standard vectors (RFC 8032 Ed25519 tests 1–3,
// a NIST CAVP SigVer15 RSA-2048 SHA-256 pair, RFC 8017's pss-vect examples) and keys made by node:crypto:
// valid signatures accepted by both, bit-flipped ones refused by both, high-S accepted by both, points
// off the curve refused at import by both.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, constants, type KeyObject } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import * as node from "../src/platform/keys.js";
import * as browser from "../src/platform/keys.browser.js";
import { rsaPublic, verifyPss } from "../src/platform/rsa.js";
import { fromHex, hex as toHex } from "../src/platform/encoding.js";
import { derInteger, derSequence } from "../src/fido/asn1.js";
import type { KeyParams } from "../src/platform/keys-types.js";

const h = (s: string) => fromHex(s.replace(/\s+/g, ""));
const twins = { node, browser } as const;
type Twin = typeof node | typeof browser;
const flip = (b: Uint8Array, i = b.length - 1) => { const c = b.slice(); c[i]! ^= 0x01; return c; };
const msg = new TextEncoder().encode("Segl: the same verdict in Node and in the browser");

/** Both twins' verdicts for (params, alg, data, sig): import then verify (import failure = "import-refused"). */
function verdicts(p: KeyParams, alg: number, data: Uint8Array, sig: Uint8Array): { node: string; browser: string } {
  const one = (t: Twin) => {
    let k;
    try {
      k = t.importKey(p);
    } catch {
      return "import-refused";
    }
    return (t.verifySignature as (a: number, k: unknown, d: Uint8Array, s: Uint8Array) => boolean)(alg, k, data, sig) ? "valid" : "invalid";
  };
  return { node: one(node), browser: one(browser) };
}
const both = (v: string) => ({ node: v, browser: v });

function paramsOf(k: KeyObject): KeyParams {
  const j = k.export({ format: "jwk" });
  const b = (s: string | undefined) => new Uint8Array(Buffer.from(s ?? "", "base64url"));
  if (j.kty === "EC") return { kty: "EC", crv: j.crv as "P-256", x: b(j.x), y: b(j.y) };
  if (j.kty === "OKP") return { kty: "OKP", crv: "Ed25519", x: b(j.x) };
  return { kty: "RSA", n: b(j.n), e: b(j.e) };
}

describe("standard vectors through both twins", () => {
  test("RFC 8032 §7.1 Ed25519 tests 1–3: accepted by both; a flipped bit refused by both", () => {
    const vectors = [
      { sk: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", m: "",
        sig: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
      { sk: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", m: "72",
        sig: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
      { sk: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", m: "af82",
        sig: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    ];
    for (const v of vectors) {
      assert.equal(toHex(ed25519.getPublicKey(h(v.sk))), v.pk, "the vector's key pair");
      const p: KeyParams = { kty: "OKP", crv: "Ed25519", x: h(v.pk) };
      assert.deepEqual(verdicts(p, -8, h(v.m), h(v.sig)), both("valid"));
      assert.deepEqual(verdicts(p, -8, h(v.m), flip(h(v.sig), 5)), both("invalid"));
      assert.deepEqual(verdicts(p, -8, flip(Uint8Array.of(...h(v.m), 0)), h(v.sig)), both("invalid"));
      assert.deepEqual(verdicts(p, -7, h(v.m), h(v.sig)), both("invalid"), "an Ed25519 key does not verify ES256");
    }
  });

  test("NIST CAVP SigVer15 (FIPS 186-3), mod 2048, SHA-256: the P case accepted, the F case refused, by both (RS256)", () => {
    const n = h(`c47abacc2a84d56f3614d92fd62ed36ddde459664b9301dcd1d61781cfcc026bcb2399bee7e75681a80b7bf500e2d08ceae1c42ec0b707927f2b2fe92ae852087d25f1d260cc74905ee5f9b254ed05494a9fe06732c3680992dd6f0dc634568d11542a705f83ae96d2a49763d5fbb24398edf3702bc94bc168190166492b8671de874bb9cecb058c6c8344aa8c93754d6effcd44a41ed7de0a9dcd9144437f212b18881d042d331a4618a9e630ef9bb66305e4fdf8f0391b3b2313fe549f0189ff968b92f33c266a4bc2cffc897d1937eeb9e406f5d0eaa7a14782e76af3fce98f54ed237b4a04a4159a5f6250a296a902880204e61d891c4da29f2d65f34cbb`);
    const p: KeyParams = { kty: "RSA", n, e: h("49d2a1") };
    const pass = {
      m: h("95123c8d1b236540b86976a11cea31f8bd4e6c54c235147d20ce722b03a6ad756fbd918c27df8ea9ce3104444c0bbe877305bc02e35535a02a58dcda306e632ad30b3dc3ce0ba97fdf46ec192965dd9cd7f4a71b02b8cba3d442646eeec4af590824ca98d74fbca934d0b6867aa1991f3040b707e806de6e66b5934f05509bea"),
      s: h("51265d96f11ab338762891cb29bf3f1d2b3305107063f5f3245af376dfcc7027d39365de70a31db05e9e10eb6148cb7f6425f0c93c4fb0e2291adbd22c77656afc196858a11e1c670d9eeb592613e69eb4f3aa501730743ac4464486c7ae68fd509e896f63884e9424f69c1c5397959f1e52a368667a598a1fc90125273d9341295d2f8e1cc4969bf228c860e07a3546be2eeda1cde48ee94d062801fe666e4a7ae8cb9cd79262c017b081af874ff00453ca43e34efdb43fffb0bb42a4e2d32a5e5cc9e8546a221fe930250e5f5333e0efe58ffebf19369a3b8ae5a67f6a048bc9ef915bda25160729b508667ada84a0c27e7e26cf2abca413e5e4693f4a9405"),
    };
    const fail = {
      m: h("f89fd2f6c45a8b5066a651410b8e534bfec0d9a36f3e2b887457afd44dd651d1ec79274db5a455f182572fceea5e9e39c3c7c5d9e599e4fe31c37c34d253b419c3e8fb6b916aef6563f87d4c37224a456e5952698ba3d01b38945d998a795bd285d69478e3131f55117284e27b441f16095dca7ce9c5b68890b09a2bfbb010a5"),
      s: h("ba48538708512d45c0edcac57a9b4fb637e9721f72003c60f13f5c9a36c968cef9be8f54665418141c3d9ecc02a5bf952cfc055fb51e18705e9d8850f4e1f5a344af550de84ffd0805e27e557f6aa50d2645314c64c1c71aa6bb44faf8f29ca6578e2441d4510e36052f46551df341b2dcf43f761f08b946ca0b7081dadbb88e955e820fd7f657c4dd9f4554d167dd7c9a487ed41ced2b40068098deedc951060faf7e15b1f0f80ae67ff2ee28a238d80bf72dd71c8d95c79bc156114ece8ec837573a4b66898d45b45a5eacd0b0e41447d8fa08a367f437645e50c9920b88a16bc0880147acfb9a79de9e351b3fa00b3f4e9f182f45553dffca55e393c5eab6"),
    };
    assert.deepEqual(verdicts(p, -257, pass.m, pass.s), both("valid"));
    assert.deepEqual(verdicts(p, -257, fail.m, fail.s), both("invalid"));
    assert.deepEqual(verdicts(p, -257, pass.m, flip(pass.s)), both("invalid"));
    assert.deepEqual(verdicts(p, -258, pass.m, pass.s), both("invalid"), "RS384 is another DigestInfo");
    assert.deepEqual(verdicts(p, -37, pass.m, pass.s), both("invalid"), "a PKCS#1 v1.5 signature is no PSS signature");
    // The signature must be exactly k bytes and below n.
    assert.deepEqual(verdicts(p, -257, pass.m, Uint8Array.of(0, ...pass.s)), both("invalid"));
    assert.deepEqual(verdicts(p, -257, pass.m, n), both("invalid"));
  });

  test("RFC 8017 pss-vect (PKCS #1 v2.1, SHA-1, salt 20): examples 1.1 (1024-bit) and 2.1 (1025-bit) verify with the BigInt PSS", () => {
    const k1 = rsaPublic(h(`a56e4a0e701017589a5187dc7ea841d156f2ec0e36ad52a44dfeb1e61f7ad991d8c51056ffedb162b4c0f283a12a88a394dff526ab7291cbb307ceabfce0b1dfd5cd9508096d5b2b8b6df5d671ef6377c0921cb23c270a70e2598e6ff89d19f105acc2d3f0cb35f29280e1386b6f64c4ef22e1e1f20d0ce8cffb2249bd9a2137`), h("010001"));
    const m1 = h(`cdc87da223d786df3b45e0bbbc721326d1ee2af806cc315475cc6f0d9c66e1b62371d45ce2392e1ac92844c310102f156a0d8d52c1f4c40ba3aa65095786cb769757a6563ba958fed0bcc984e8b517a3d5f515b23b8a41e74aa867693f90dfb061a6e86dfaaee64472c00e5f20945729cbebe77f06ce78e08f4098fba41f9d6193c0317e8b60d4b6084acb42d29e3808a3bc372d85e331170fcbf7cc72d0b71c296648b3a4d10f416295d0807aa625cab2744fd9ea8fd223c42537029828bd16be02546f130fd2e33b936d2676e08aed1b73318b750a0167d0`);
    const s1 = h(`9074308fb598e9701b2294388e52f971faac2b60a5145af185df5287b5ed2887e57ce7fd44dc8634e407c8e0e4360bc226f3ec227f9d9e54638e8d31f5051215df6ebb9c2f9579aa77598a38f914b5b9c1bd83c4e2f9f382a0d0aa3542ffee65984a601bc69eb28deb27dca12c82c2d4c3f66cd500f1ff2b994d8a4e30cbb33c`);
    assert.equal(verifyPss(k1, "sha1", m1, s1), true);
    assert.equal(verifyPss(k1, "sha1", m1, flip(s1)), false);
    assert.equal(verifyPss(k1, "sha1", flip(m1), s1), false);
    assert.equal(verifyPss(k1, "sha1", m1, s1, 19), false, "the salt length is part of the check");
    // 1025 bits: emBits = 1024, so the k-byte value starts with a zero byte that EM does not have.
    const k2 = rsaPublic(h(`01d40c1bcf97a68ae7cdbd8a7bf3e34fa19dcca4ef75a47454375f94514d88fed006fb829f8419ff87d6315da68a1ff3a0938e9abb3464011c303ad99199cf0c7c7a8b477dce829e8844f625b115e5e9c4a59cf8f8113b6834336a2fd2689b472cbb5e5cabe674350c59b6c17e176874fb42f8fc3d176a017edc61fd326c4b33c9`), h("010001"));
    const m2 = h(`daba032066263faedb659848115278a52c44faa3a76f37515ed336321072c40a9d9b53bc05014078adf520875146aae70ff060226dcb7b1f1fc27e9360`);
    const s2 = h(`014c5ba5338328ccc6e7a90bf1c0ab3fd606ff4796d3c12e4b639ed9136a5fec6c16d8884bdd99cfdc521456b0742b736868cf90de099adb8d5ffd1deff39ba4007ab746cefdb22d7df0e225f54627dc65466131721b90af445363a8358b9f607642f78fab0ab0f43b7168d64bae70d8827848d8ef1e421c5754ddf42c2589b5b3`);
    assert.equal(k2.bits, 1025);
    assert.equal(verifyPss(k2, "sha1", m2, s2), true);
    assert.equal(verifyPss(k2, "sha1", m2, flip(s2, 60)), false);
  });
});

describe("keys made by node:crypto, through both twins", () => {
  const curves = [
    { crv: "P-256", alg: -7, hash: "sha256", noble: p256 },
    { crv: "P-384", alg: -35, hash: "sha384", noble: p384 },
    { crv: "P-521", alg: -36, hash: "sha512", noble: p521 },
  ] as const;

  test("ECDSA P-256/384/521: valid accepted, flipped refused, high-S accepted, wrong curve for the alg refused — by both", () => {
    for (const c of curves) {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: c.crv });
      const p = paramsOf(publicKey);
      const sig = new Uint8Array(sign(c.hash, msg, privateKey));
      assert.deepEqual(verdicts(p, c.alg, msg, sig), both("valid"), c.crv);
      assert.deepEqual(verdicts(p, c.alg, flip(msg), sig), both("invalid"), c.crv);
      assert.deepEqual(verdicts(p, c.alg, msg, flip(sig)), both("invalid"), c.crv);
      const parsed = c.noble.Signature.fromBytes(sig, "der");
      const n = c.noble.Point.CURVE().n;
      const highS = derSequence(derInteger(parsed.r), derInteger(parsed.s > n / 2n ? parsed.s : n - parsed.s));
      const lowS = derSequence(derInteger(parsed.r), derInteger(parsed.s > n / 2n ? n - parsed.s : parsed.s));
      assert.deepEqual(verdicts(p, c.alg, msg, highS), both("valid"), `${c.crv} high-S`);
      assert.deepEqual(verdicts(p, c.alg, msg, lowS), both("valid"), `${c.crv} low-S`);
      // r with a needless leading zero byte: not DER, refused by both.
      const rBytes = derInteger(parsed.r);
      const padded = derSequence(Uint8Array.of(0x02, rBytes[1]! + 1, 0, ...rBytes.subarray(2)), derInteger(parsed.s));
      assert.deepEqual(verdicts(p, c.alg, msg, padded), both("invalid"), `${c.crv} non-minimal INTEGER`);
      assert.deepEqual(verdicts(p, c.alg, msg, Uint8Array.of(...sig, 0)), both("invalid"), `${c.crv} trailing byte`);
      assert.deepEqual(verdicts(p, c.alg, msg, sig.subarray(0, sig.length - 1)), both("invalid"), `${c.crv} truncated`);
      const other = curves.find((o) => o !== c)!;
      assert.deepEqual(verdicts(p, other.alg, msg, sig), both("invalid"), `${c.crv} key with ${other.alg}`);
      assert.deepEqual(verdicts(p, -257, msg, sig), both("invalid"), `${c.crv} key with RS256`);
    }
  });

  test("EC points not on the curve (and coordinates ≥ p) are refused at import by both", () => {
    for (const c of curves) {
      const p = paramsOf(generateKeyPairSync("ec", { namedCurve: c.crv }).publicKey) as Extract<KeyParams, { kty: "EC" }>;
      const offCurve = { ...p, y: flip(p.y) };
      assert.deepEqual(verdicts(offCurve, c.alg, msg, new Uint8Array(8)), both("import-refused"), c.crv);
      const big = { ...p, x: new Uint8Array(p.x.length).fill(0xff) };
      if (c.crv === "P-521") big.x[0] = 0x01;
      assert.deepEqual(verdicts(big, c.alg, msg, new Uint8Array(8)), both("import-refused"), `${c.crv} x ≥ p`);
      assert.deepEqual(verdicts({ ...p, x: new Uint8Array(p.x.length), y: new Uint8Array(p.y.length) }, c.alg, msg, new Uint8Array(8)), both("import-refused"), `${c.crv} (0, 0)`);
    }
  });

  test("Ed25519: valid accepted, flipped refused by both; 32 arbitrary bytes import in both (as node:crypto) but verify nothing", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const p = paramsOf(publicKey);
    const sig = new Uint8Array(sign(null, msg, privateKey));
    assert.deepEqual(verdicts(p, -8, msg, sig), both("valid"));
    assert.deepEqual(verdicts(p, -8, msg, flip(sig)), both("invalid"));
    assert.deepEqual(verdicts(p, -8, msg, flip(sig, 63)), both("invalid"), "S changed");
    const junk: KeyParams = { kty: "OKP", crv: "Ed25519", x: new Uint8Array(32).fill(0xff) };
    assert.deepEqual(verdicts(junk, -8, msg, sig), both("invalid"));
    assert.deepEqual(verdicts({ kty: "OKP", crv: "Ed25519", x: new Uint8Array(31) }, -8, msg, sig), both("import-refused"));
  });

  test("RSA-2048: RS256/384/512 and PS256/384/512 accepted, flipped refused, by both; PSS with another salt length refused by both", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p = paramsOf(publicKey);
    for (const [alg, hash] of [[-257, "sha256"], [-258, "sha384"], [-259, "sha512"]] as const) {
      const sig = new Uint8Array(sign(hash, msg, privateKey));
      assert.deepEqual(verdicts(p, alg, msg, sig), both("valid"), `${alg}`);
      assert.deepEqual(verdicts(p, alg, msg, flip(sig)), both("invalid"), `${alg}`);
      assert.deepEqual(verdicts(p, alg, flip(msg), sig), both("invalid"), `${alg}`);
    }
    for (const [alg, hash] of [[-37, "sha256"], [-38, "sha384"], [-39, "sha512"]] as const) {
      const sig = new Uint8Array(sign(hash, msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }));
      assert.deepEqual(verdicts(p, alg, msg, sig), both("valid"), `${alg}`);
      assert.deepEqual(verdicts(p, alg, msg, flip(sig, 100)), both("invalid"), `${alg}`);
      const salt0 = new Uint8Array(sign(hash, msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }));
      assert.deepEqual(verdicts(p, alg, msg, salt0), both("invalid"), `${alg} with an empty salt`);
    }
  });

  test("RSA keys: below 2048 bits, even or tiny exponents — the same verdicts in both", () => {
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const sig = new Uint8Array(sign("sha256", msg, small.privateKey));
    assert.deepEqual(verdicts(paramsOf(small.publicKey), -257, msg, sig), both("invalid"), "RSA-1024 never verifies");
    const p = paramsOf(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey) as Extract<KeyParams, { kty: "RSA" }>;
    for (const e of ["01", "02", "010000"]) assert.deepEqual(verdicts({ ...p, e: h(e) }, -257, msg, sig), both("import-refused"), `e = ${e}`);
    assert.deepEqual(verdicts({ ...p, n: flip(p.n) }, -257, msg, sig), both("import-refused"), "even modulus");
  });

  test("SPKI import and keyInfo: the same key type, curve and size in both; the browser key verifies node's signature", () => {
    const pairs = [
      generateKeyPairSync("ec", { namedCurve: "P-256" }), generateKeyPairSync("ec", { namedCurve: "P-384" }), generateKeyPairSync("ec", { namedCurve: "P-521" }),
      generateKeyPairSync("ed25519"), generateKeyPairSync("rsa", { modulusLength: 3072 }),
    ];
    for (const { privateKey, publicKey } of pairs) {
      const der = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
      const n = node.importSpki(der);
      const b = browser.importSpki(der);
      assert.deepEqual(browser.keyInfo(b), node.keyInfo(n));
      assert.deepEqual(browser.keyInfo(browser.importKey(paramsOf(publicKey))), node.keyInfo(n));
      const info = node.keyInfo(n);
      const [alg, hash] = info.type === "ed25519" ? [-8, null] : info.type === "rsa" ? [-257, "sha256"] : info.curve === "P-256" ? [-7, "sha256"] : info.curve === "P-384" ? [-35, "sha384"] : [-36, "sha512"];
      const sig = new Uint8Array(sign(hash, msg, privateKey));
      assert.equal(browser.verifySignature(alg, b, msg, sig), true, JSON.stringify(info));
      assert.equal(node.verifySignature(alg, n, msg, sig), true, JSON.stringify(info));
      assert.equal(browser.isPublicKey(b) && node.isPublicKey(n) && !browser.isPublicKey(n) && !node.isPublicKey(b), true);
    }
    assert.deepEqual(node.keyInfo(node.importSpki(new Uint8Array(generateKeyPairSync("rsa", { modulusLength: 3072 }).publicKey.export({ format: "der", type: "spki" })))), { type: "rsa", bits: 3072 });
    for (const t of Object.values(twins)) assert.throws(() => t.importSpki(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)));
  });
});
