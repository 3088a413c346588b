// The SDK's crypto primitives: the browser twin (@noble, swapped into the simulator's page) against the
// Node one on the same inputs, RFC 6238's own vectors through both, and the portable constant-time compare.
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
