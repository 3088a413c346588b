// HOTP (RFC 4226) and TOTP (RFC 6238) inside the image, plus a random cross-check against a
// node:crypto implementation of RFC 4226 truncation.
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ALG, NODE_ALG, ascii, hex, prng, targets } from "./kat-util.js";

const kats = targets();
afterAll(() => { for (const k of kats) k.dispose(); });

const KEY20 = ascii("12345678901234567890");
const KEY32 = ascii("12345678901234567890123456789012");
const KEY64 = ascii("1234567890123456789012345678901234567890123456789012345678901234");

/** Independent RFC 4226 value via node:crypto. */
function refHotp(alg: number, key: Uint8Array, counter: bigint, digits: number): number {
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(counter);
  const mac = createHmac(NODE_ALG[alg]!, key).update(c).digest();
  const off = mac[mac.length - 1]! & 0x0f;
  return (mac.readUInt32BE(off) & 0x7fffffff) % 10 ** digits;
}

for (const k of kats) {
  test(`${k.name}: RFC 4226 Appendix D`, () => {
    const want = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
    want.forEach((v, c) => assert.equal(k.hotp(ALG.SHA1, KEY20, BigInt(c), 6), v, `counter ${c}`));
    // intermediate HMAC-SHA-1 for C = 0
    assert.equal(hex(k.hmac(ALG.SHA1, KEY20, new Uint8Array(8))), "cc93cf18508d94934c64b65d8ba7667fb7cde4b0");
  });

  test(`${k.name}: RFC 6238 Appendix B (SHA-1/256/512 with 20/32/64-byte seeds, 8 digits)`, () => {
    const rows: [bigint, number, number, number][] = [
      [59n, 94287082, 46119246, 90693936],
      [1111111109n, 7081804, 68084774, 25091201],
      [1111111111n, 14050471, 67062674, 99943326],
      [1234567890n, 89005924, 91819424, 93441116],
      [2000000000n, 69279037, 90698825, 38618901],
      [20000000000n, 65353130, 77737706, 47863826],
    ];
    for (const [t, s1, s256, s512] of rows) {
      assert.equal(k.totp(ALG.SHA1, KEY20, t, 30, 8), s1, `sha1 t=${t}`);
      assert.equal(k.totp(ALG.SHA256, KEY32, t, 30, 8), s256, `sha256 t=${t}`);
      assert.equal(k.totp(ALG.SHA512, KEY64, t, 30, 8), s512, `sha512 t=${t}`);
      // 6 digits = the last 6 of the 8-digit value
      assert.equal(k.totp(ALG.SHA1, KEY20, t, 30, 6), s1 % 1_000_000);
    }
    // the errata pitfall: the 20-byte seed with SHA-256 gives a different value at t=59
    assert.equal(k.totp(ALG.SHA256, KEY20, 59n, 30, 8), 32247374);
  });

  test(`${k.name}: HOTP/TOTP match node:crypto for random keys, 64-bit counters, 6..9 digits`, () => {
    const r = prng(4226);
    const counters = [0n, 1n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn];
    for (let i = 0; i < 150; i++) counters.push((BigInt(r.u32()) << 32n) | BigInt(r.u32()));
    for (const c of counters) {
      const alg = 1 + r.below(3), digits = 6 + r.below(4);
      const key = r.bytes(r.below(140));
      assert.equal(k.hotp(alg, key, c, digits), refHotp(alg, key, c, digits), `alg ${alg} counter ${c} digits ${digits}`);
      const period = 1 + r.below(120);
      assert.equal(k.totp(alg, key, c, period, digits), refHotp(alg, key, c / BigInt(period), digits),
        `totp alg ${alg} t ${c} period ${period}`);
    }
  });

  test(`${k.name}: OTP parameter errors are negative codes, never traps`, () => {
    for (const d of [-1, 0, 5, 10, 11, 1000]) assert.equal(k.hotp(ALG.SHA1, KEY20, 0n, d), -3, `digits ${d}`);
    for (const a of [0, 4, -7]) assert.equal(k.hotp(a, KEY20, 0n, 6), -1, `alg ${a}`);
    assert.equal(k.totp(ALG.SHA1, KEY20, 59n, 0, 6), -4);
    assert.equal(k.totp(ALG.SHA1, KEY20, 59n, 30, 5), -3);
    assert.equal(k.totp(9, KEY20, 59n, 30, 6), -1);
    const x = k.x;
    assert.equal(x.otp_hotp(ALG.SHA1, 0, 20, 0n, 6), -2);
    assert.equal(x.otp_hotp(ALG.SHA1, k.io, 0xffffffff, 0n, 6), -2);
    assert.equal(x.otp_totp(ALG.SHA1, k.io + x.io_size() - 10, 20, 0n, 30, 6), -2);
    // a u64 beyond 2^64 wraps at the boundary (BigInt → i64), it must not trap
    assert.equal(typeof x.otp_hotp(ALG.SHA1, k.io, 20, (1n << 64n) + 5n, 6), "number");
    assert.equal(k.device.state, "on");
  });
}
