// The edges of the OTP functions' and the verifier's rules, each checked on both sides: found by
// mutation testing (docs/testing.md), where a shifted bound or a dropped check went unnoticed.
import { test } from "vitest";
import assert from "node:assert/strict";
import { hotp, totp, totpStep, counterBytes } from "../src/otp/index.js";
import { isSeglError } from "../src/errors.js";
import { MemoryStore, TotpVerifier } from "../src/verify/index.js";

const SECRET = Buffer.from("12345678901234567890", "ascii"); // RFC 4226 Appendix D
const bad = (detail?: [string, unknown], message?: RegExp) => (e: unknown) =>
  isSeglError(e, "INVALID_ARGUMENT") &&
  (detail === undefined || (e as { details?: Record<string, unknown> }).details?.[detail[0]] === detail[1]) &&
  (message === undefined || message.test((e as Error).message));

test("HOTP counter: 0 .. 2^53−1 as a number, 0 .. 2^64−1 as a bigint; outside is INVALID_ARGUMENT with the counter", () => {
  assert.equal(hotp(SECRET, 0), "755224");
  assert.deepEqual([...counterBytes(2n ** 64n - 1n)], [255, 255, 255, 255, 255, 255, 255, 255]);
  assert.deepEqual([...counterBytes(0n)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...counterBytes(Number.MAX_SAFE_INTEGER)], [0, 0x1f, 255, 255, 255, 255, 255, 255]);
  assert.throws(() => hotp(SECRET, -1), bad(["counter", -1], /non-negative safe integer/));
  assert.throws(() => hotp(SECRET, 2 ** 53), bad(["counter", 2 ** 53]));
  assert.throws(() => hotp(SECRET, 1.5), bad(["counter", 1.5]));
  assert.throws(() => hotp(SECRET, -1n), bad(["counter", "-1"], /0\.\.2\^64-1/));
  assert.throws(() => hotp(SECRET, 2n ** 64n), bad(["counter", String(2n ** 64n)]));
  assert.throws(() => counterBytes("7" as unknown as number), bad(undefined, /0\.\.2\^64-1/));
});

test("HOTP digits: 4 and 10 are the ends; 3, 11 and 6.5 are INVALID_ARGUMENT with the digits", () => {
  assert.equal(hotp(SECRET, 0, { digits: 4 }), "5224");
  assert.equal(hotp(SECRET, 0, { digits: 10 }).length, 10);
  for (const d of [3, 11, 6.5]) assert.throws(() => hotp(SECRET, 0, { digits: d }), bad(["digits", d], /digits must be an integer 4\.\.10/));
});

test("HOTP secret and algorithm: a non-Uint8Array secret and an unknown algorithm are INVALID_ARGUMENT", () => {
  assert.throws(() => hotp("12345678901234567890" as unknown as Uint8Array, 0), bad(undefined, /secret must be a Uint8Array/));
  assert.throws(() => hotp(SECRET, 0, { algorithm: "MD5" as "SHA1" }), bad(undefined, /unknown algorithm MD5/));
});

test("TOTP step: time equal to t0 is step 0, one second before is INVALID_ARGUMENT; period and t0 are checked and used", () => {
  assert.equal(totpStep(100, 30, 100), 0);
  assert.equal(totpStep(129.999, 30, 100), 0);
  assert.equal(totpStep(130, 30, 100), 1);
  assert.throws(() => totpStep(99, 30, 100), bad(["t0", 100], /time is before t0/));
  assert.throws(() => totpStep(100, 0), bad(["period", 0], /period must be positive/));
  assert.throws(() => totpStep(100, -30), bad(["period", -30]));
  assert.throws(() => totpStep(100, Number.NaN), bad(undefined, /period must be positive/));
  assert.throws(() => totpStep(Number.NaN), bad(undefined, /time must be a finite number/));
  assert.throws(() => totpStep(100, 30, Number.POSITIVE_INFINITY), bad(undefined, /t0 must be finite/));
  assert.equal(totpStep(new Date(59_000)), 1);
  // t0 reaches the code: T = (159 − 100) / 30 = 1 → HOTP counter 1
  assert.equal(totp(SECRET, { time: 159, t0: 100 }), hotp(SECRET, 1));
  assert.notEqual(totp(SECRET, { time: 159, t0: 100 }), totp(SECRET, { time: 159 }));
});

test("verifier status: locked while now < lockedUntil, unlocked at lockedUntil exactly", async () => {
  const BASE = Date.UTC(2030, 0, 1);
  const v = new TotpVerifier({ store: new MemoryStore(), maxFailures: 1, lockoutMs: 1000, clock: () => BASE });
  await v.enroll("d", { secret: new Uint8Array(20).fill(7) });
  assert.equal((await v.verify("d", "000000", { now: BASE })).verified, false);
  const st = await v.status("d", { now: BASE });
  assert.equal(st?.lockedUntil, BASE + 1000);
  assert.equal((await v.status("d", { now: BASE + 999 }))?.locked, true);
  assert.equal((await v.status("d", { now: BASE + 1000 }))?.locked, false);
});
