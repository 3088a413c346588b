// SHA-1/256/512 and HMAC inside the image: FIPS 180-4, RFC 2202, RFC 4231, and random
// cross-checks against node:crypto (an independent implementation).
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { ALG, NODE_ALG, ascii, harnessKat, hex, prng, repeat, targets, unhex } from "./kat-util.js";

const kats = targets();
const h = harnessKat();
afterAll(() => { for (const k of kats) k.dispose(); h.dispose(); });

const M448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const M896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values"): "", "abc", 448-bit, 896-bit, 10^6 × 'a'
const FIPS: Record<number, string[]> = {
  [ALG.SHA1]: [
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "a9993e364706816aba3e25717850c26c9cd0d89d",
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    "a49b2446a02c645bf419f995b67091253a04a259",
    "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  ],
  [ALG.SHA256]: [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  ],
  [ALG.SHA512]: [
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445",
    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
  ],
};

for (const k of kats) {
  test(`${k.name}: FIPS 180-4 examples`, () => {
    for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
      const [empty, abc, m448, m896] = FIPS[alg]!;
      assert.equal(hex(k.hash(alg, new Uint8Array(0))), empty, `alg ${alg} ""`);
      assert.equal(hex(k.hash(alg, ascii("abc"))), abc, `alg ${alg} abc`);
      assert.equal(hex(k.hash(alg, ascii(M448))), m448, `alg ${alg} 448-bit`);
      assert.equal(hex(k.hash(alg, ascii(M896))), m896, `alg ${alg} 896-bit`);
    }
  });

  test(`${k.name}: hash matches node:crypto for random lengths 0..300 and block boundaries`, () => {
    const r = prng(0x5e91);
    const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 191, 192, 255, 256, 300];
    for (let i = 0; i < 150; i++) lengths.push(r.below(301));
    for (const len of lengths) {
      const msg = r.bytes(len);
      for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
        assert.equal(hex(k.hash(alg, msg)), createHash(NODE_ALG[alg]!).update(msg).digest("hex"), `alg ${alg} len ${len}`);
      }
    }
    // large one-shot input (most of the exchange buffer)
    const big = r.bytes(7900);
    for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
      assert.equal(hex(k.hash(alg, big)), createHash(NODE_ALG[alg]!).update(big).digest("hex"));
    }
  });

  test(`${k.name}: RFC 2202 HMAC-SHA-1`, () => {
    const seq = new Uint8Array(25).map((_, i) => i + 1);
    const cases: [Uint8Array, Uint8Array, string][] = [
      [repeat(0x0b, 20), ascii("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"],
      [ascii("Jefe"), ascii("what do ya want for nothing?"), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"],
      [repeat(0xaa, 20), repeat(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"],
      [seq, repeat(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"],
      [repeat(0x0c, 20), ascii("Test With Truncation"), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"],
      [repeat(0xaa, 80), ascii("Test Using Larger Than Block-Size Key - Hash Key First"), "aa4ae5e15272d00e95705637ce8a3b55ed402112"],
      [repeat(0xaa, 80), ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
        "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"],
    ];
    cases.forEach(([key, msg, mac], i) => assert.equal(hex(k.hmac(ALG.SHA1, key, msg)), mac, `case ${i + 1}`));
    // test case 5 truncated to 96 bits
    assert.equal(hex(k.hmac(ALG.SHA1, repeat(0x0c, 20), ascii("Test With Truncation"))).slice(0, 24), "4c1a03424b55e07fe7f27be1");
  });

  test(`${k.name}: RFC 4231 HMAC-SHA-256 and HMAC-SHA-512 (incl. 131-byte keys, truncated case 5)`, () => {
    const seq = new Uint8Array(25).map((_, i) => i + 1);
    const cases: [Uint8Array, Uint8Array, string, string][] = [
      [repeat(0x0b, 20), ascii("Hi There"),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"],
      [ascii("Jefe"), ascii("what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"],
      [repeat(0xaa, 20), repeat(0xdd, 50),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"],
      [seq, repeat(0xcd, 50),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"],
      // test case 5: output truncated to 128 bits
      [repeat(0x0c, 20), ascii("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b", "415fad6271580a531d4179bc891d87a6"],
      [repeat(0xaa, 131), ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"],
      [repeat(0xaa, 131), ascii("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"],
    ];
    cases.forEach(([key, msg, m256, m512], i) => {
      const a = hex(k.hmac(ALG.SHA256, key, msg)), b = hex(k.hmac(ALG.SHA512, key, msg));
      if (i === 4) {
        assert.equal(a.slice(0, 32), m256, `case 5 sha256`);
        assert.equal(b.slice(0, 32), m512, `case 5 sha512`);
        assert.equal(a.length, 64);
        assert.equal(b.length, 128);
      } else {
        assert.equal(a, m256, `case ${i + 1} sha256`);
        assert.equal(b, m512, `case ${i + 1} sha512`);
      }
    });
  });

  test(`${k.name}: HMAC matches node:crypto for random key and message lengths`, () => {
    const r = prng(0xc0ffee);
    const keyLens = [0, 1, 19, 20, 32, 63, 64, 65, 127, 128, 129, 131, 200, 300];
    const msgLens = [0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 300];
    const pairs: [number, number][] = [];
    for (const kl of keyLens) for (const ml of msgLens) pairs.push([kl, ml]);
    for (let i = 0; i < 200; i++) pairs.push([r.below(301), r.below(301)]);
    for (const [kl, ml] of pairs) {
      const key = r.bytes(kl), msg = r.bytes(ml);
      for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
        assert.equal(hex(k.hmac(alg, key, msg)), createHmac(NODE_ALG[alg]!, key).update(msg).digest("hex"),
          `alg ${alg} key ${kl} msg ${ml}`);
      }
    }
  });

  test(`${k.name}: the one-shot HMAC key cache never returns a stale MAC`, () => {
    const msg = ascii("cache");
    const key = unhex("3132333435363738393031323334353637383930");
    const mac = (alg: number, kk: Uint8Array) => createHmac(NODE_ALG[alg]!, kk).update(msg).digest("hex");
    assert.equal(hex(k.hmac(ALG.SHA1, key, msg)), mac(ALG.SHA1, key));
    // same length, one bit different
    const key2 = key.slice(); key2[19]! ^= 1;
    assert.equal(hex(k.hmac(ALG.SHA1, key2, msg)), mac(ALG.SHA1, key2));
    // same bytes, other algorithm
    assert.equal(hex(k.hmac(ALG.SHA256, key2, msg)), mac(ALG.SHA256, key2));
    // prefix of the cached key (shorter length)
    assert.equal(hex(k.hmac(ALG.SHA256, key2.subarray(0, 19), msg)), mac(ALG.SHA256, key2.subarray(0, 19)));
    // key equal to its zero-padded form gives the same MAC (RFC 2104), and the cache must still work
    const padded = new Uint8Array(21); padded.set(key2.subarray(0, 19));
    assert.equal(hex(k.hmac(ALG.SHA256, padded, msg)), mac(ALG.SHA256, padded));
    // long keys (not cached) alternate with short ones
    const long = repeat(0x42, 129);
    for (let i = 0; i < 3; i++) {
      assert.equal(hex(k.hmac(ALG.SHA512, long, msg)), mac(ALG.SHA512, long));
      assert.equal(hex(k.hmac(ALG.SHA512, key, msg)), mac(ALG.SHA512, key));
    }
  });

  test(`${k.name}: bad algorithm or pointers give negative codes, never a trap`, () => {
    const x = k.x, io = k.io, size = x.io_size();
    for (const alg of [0, 4, -1, 0x7fffffff]) {
      assert.equal(x.crypto_hash(alg, io, 3, io + 100), -1);
      assert.equal(x.crypto_hmac(alg, io, 3, io, 3, io + 100), -1);
    }
    assert.equal(x.crypto_hash(ALG.SHA256, 0, 3, io), -2); // message outside the buffer
    assert.equal(x.crypto_hash(ALG.SHA256, io, size + 1, io), -2);
    assert.equal(x.crypto_hash(ALG.SHA256, io, 0xffffffff, io), -2);
    assert.equal(x.crypto_hash(ALG.SHA256, io + size - 4, 8, io), -2);
    assert.equal(x.crypto_hash(ALG.SHA256, io, 3, io + size - 32), -2); // output does not fit
    assert.equal(x.crypto_hash(ALG.SHA256, io, 3, 0xfffffff0), -2);
    assert.equal(x.crypto_hmac(ALG.SHA1, io, 0xffffffff, io, 3, io + 100), -2);
    assert.equal(x.crypto_hmac(ALG.SHA1, io, 3, io, size + 1, io + 100), -2);
    assert.equal(x.crypto_hmac(ALG.SHA1, io, 3, io, size, io + 100), 20); // exactly the whole buffer is fine
    assert.equal(k.device.state, "on");
    assert.equal(k.device.faults.length, 0);
  });
}

// ---- streaming (harness only) ----

test("streaming hash: one million 'a' (FIPS 180-4) in 8000-byte chunks", () => {
  const x = h.x, io = h.io;
  h.put(0, repeat(0x61, 8000));
  for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
    assert.equal(x.kat_hash_init(alg), 0);
    for (let done = 0; done < 1_000_000; done += 8000) x.kat_hash_update(io, 8000);
    assert.equal(x.kat_hash_final(h.outAddr), alg === ALG.SHA1 ? 20 : alg === ALG.SHA256 ? 32 : 64);
    assert.equal(hex(h.out(alg === ALG.SHA1 ? 20 : alg === ALG.SHA256 ? 32 : 64)), FIPS[alg]![4], `alg ${alg}`);
  }
});

test("streaming hash and HMAC with random chunking equal node:crypto", () => {
  const x = h.x, io = h.io;
  const r = prng(77);
  for (let round = 0; round < 40; round++) {
    const len = r.below(1200);
    const msg = r.bytes(len);
    h.put(0, msg);
    const key = r.bytes(r.below(160));
    h.put(4000, key);
    for (const alg of [ALG.SHA1, ALG.SHA256, ALG.SHA512]) {
      // chunk boundaries are random, including empty chunks
      const cuts: number[] = [0];
      while (cuts[cuts.length - 1]! < len) cuts.push(Math.min(len, cuts[cuts.length - 1]! + r.below(150)));
      assert.equal(x.kat_hash_init(alg), 0);
      assert.equal(x.kat_hmac_init(alg, io + 4000, key.length), 0);
      for (let i = 1; i < cuts.length; i++) {
        x.kat_hash_update(io + cuts[i - 1]!, cuts[i]! - cuts[i - 1]!);
        x.kat_hmac_update(io + cuts[i - 1]!, cuts[i]! - cuts[i - 1]!);
      }
      const n = x.kat_hash_final(h.outAddr);
      assert.equal(hex(h.out(n)), createHash(NODE_ALG[alg]!).update(msg).digest("hex"), `hash alg ${alg} len ${len}`);
      const m = x.kat_hmac_final(h.outAddr);
      const want = createHmac(NODE_ALG[alg]!, key).update(msg).digest("hex");
      assert.equal(hex(h.out(m)), want, `hmac alg ${alg} len ${len}`);
      // precomputed key API
      assert.equal(x.kat_hmac_key(alg, io + 4000, key.length), 0);
      assert.equal(hex(h.out(x.kat_hmac_with_key(io, len, h.outAddr))), want);
    }
  }
  assert.equal(x.kat_hash_init(9), -1);
  assert.equal(x.kat_hmac_init(9, io, 4), -1);
  // sha256() one-shot helper
  h.put(0, ascii("abc"));
  x.kat_sha256(io, 3, h.outAddr);
  assert.equal(hex(h.out(32)), FIPS[ALG.SHA256]![1]);
});

test("hmacForget wipes the cache and later MACs stay correct", () => {
  const key = ascii("12345678901234567890"), msg = ascii("x");
  assert.equal(hex(h.hmac(ALG.SHA1, key, msg)), createHmac("sha1", key).update(msg).digest("hex"));
  h.x.kat_hmac_forget();
  assert.equal(hex(h.hmac(ALG.SHA1, key, msg)), createHmac("sha1", key).update(msg).digest("hex"));
});
