// Pure OTP math: RFC 4226 / 6238 / 6287 vectors, base32 (RFC 4648), otpauth URIs, and a
// cross-check of hotp/totp against the independent `otpauth` package.
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import {
  hotp, totp, totpStep, ocra, parseOcraSuite, base32Encode, base32Decode, otpauthUri, parseOtpauthUri,
  isSeglError, type OtpAlgorithm,
} from "../src/index.js";

const ascii = (s: string) => new TextEncoder().encode(s);
const key20 = ascii("12345678901234567890");
const key32 = ascii("12345678901234567890123456789012");
const key64 = ascii("1234567890123456789012345678901234567890123456789012345678901234");

test("HOTP: RFC 4226 Appendix D", () => {
  const want = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  want.forEach((w, c) => assert.equal(hotp(key20, c), w));
  assert.equal(hotp(key20, 9n), "520489");
});

test("HOTP: counters beyond 2^53 as bigint, numbers checked", () => {
  const big = (1n << 63n) + 5n;
  const viaLib = new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: key20.slice().buffer }), digits: 6 });
  // otpauth takes numbers only: compare where both can express the counter
  assert.equal(hotp(key20, BigInt(2 ** 52)), viaLib.generate({ counter: 2 ** 52 }));
  assert.match(hotp(key20, big), /^\d{6}$/);
  assert.equal(hotp(key20, (1n << 64n) - 1n).length, 6);
  assert.throws(() => hotp(key20, 1n << 64n), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => hotp(key20, -1), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => hotp(key20, 2 ** 53), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => hotp(key20, 0, { digits: 3 }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("TOTP: RFC 6238 Appendix B (per-hash seeds), 8 and 6 digits", () => {
  const rows: Array<[number, string, string, string]> = [
    [59, "94287082", "46119246", "90693936"],
    [1111111109, "07081804", "68084774", "25091201"],
    [1111111111, "14050471", "67062674", "99943326"],
    [1234567890, "89005924", "91819424", "93441116"],
    [2000000000, "69279037", "90698825", "38618901"],
    [20000000000, "65353130", "77737706", "47863826"],
  ];
  for (const [t, s1, s256, s512] of rows) {
    assert.equal(totp(key20, { time: t, digits: 8 }), s1, `SHA1 t=${t}`);
    assert.equal(totp(key32, { time: t, digits: 8, algorithm: "SHA256" }), s256, `SHA256 t=${t}`);
    assert.equal(totp(key64, { time: t, digits: 8, algorithm: "SHA512" }), s512, `SHA512 t=${t}`);
    assert.equal(totp(key20, { time: t, digits: 6 }), s1.slice(2));
  }
  assert.equal(totp(key20, { time: new Date(59_000), digits: 8 }), "94287082");
  assert.equal(totpStep(20000000000), 0x27bc86aa);
  assert.equal(totpStep(100, 30, 40), 2);
  // the classic pitfall: 20-byte seed with SHA256 gives another code
  assert.equal(totp(key20, { time: 59, digits: 8, algorithm: "SHA256" }), "32247374");
});

test("HOTP/TOTP agree with the otpauth package on 400 random cases", () => {
  const algs: OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
  for (let i = 0; i < 400; i++) {
    const seed = new Uint8Array(randomBytes(16 + (i % 49)));
    const algorithm = algs[i % 3]!;
    const digits = 6 + (i % 3);
    const secret = new OTPAuth.Secret({ buffer: seed.slice().buffer });
    if (i % 2 === 0) {
      const counter = Math.floor(Math.random() * 2 ** 40);
      assert.equal(hotp(seed, counter, { algorithm, digits }), OTPAuth.HOTP.generate({ secret, algorithm, digits, counter }));
    } else {
      const period = [10, 30, 60, 300][i % 4]!;
      const ms = Math.floor(Math.random() * 4e12);
      const want = OTPAuth.TOTP.generate({ secret, algorithm, digits, period, timestamp: ms });
      assert.equal(totp(seed, { algorithm, digits, period, time: ms / 1000 }), want);
      assert.equal(totp(seed, { algorithm, digits, period, time: new Date(ms) }), want);
    }
  }
});

test("OCRA: RFC 6287 Appendix C one-way vectors", () => {
  const qn = ["00000000", "11111111", "22222222", "33333333", "44444444", "55555555", "66666666", "77777777", "88888888", "99999999"];
  const c1 = ["237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598", "750600", "294470"];
  qn.forEach((q, i) => assert.equal(ocra("OCRA-1:HOTP-SHA1-6:QN08", key20, { question: q }), c1[i]));

  const c2 = ["65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104", "91771096", "75011558", "08522129"];
  c2.forEach((w, c) => assert.equal(ocra("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", key32, { counter: c, question: "12345678", pin: "1234" }), w));
  // the same with the PIN hash given directly
  assert.equal(ocra("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", key32, { counter: 0, question: "12345678", pinHash: "7110eda4d09e062aa5e4a390b0a572ac0d2c0220" }), "65347737");

  const c3 = ["83238735", "01501458", "17957585", "86776967", "86807031"];
  c3.forEach((w, i) => assert.equal(ocra("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", key32, { question: String(i).repeat(8), pin: "1234" }), w));

  const c4 = ["07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969", "51946085", "20403879", "31409299"];
  c4.forEach((w, i) => assert.equal(ocra("OCRA-1:HOTP-SHA512-8:C-QN08", key64, { counter: i, question: String(i).repeat(8) }), w));

  const c5 = ["95209754", "55907591", "22048402", "24218844", "36209546"];
  c5.forEach((w, i) => assert.equal(ocra("OCRA-1:HOTP-SHA512-8:QN08-T1M", key64, { question: String(i).repeat(8), timestamp: 0x132d0b6 }), w));
  // T from a Date: 0x132d0b6 minutes
  assert.equal(ocra("OCRA-1:HOTP-SHA512-8:QN08-T1M", key64, { question: "00000000", time: new Date(0x132d0b6 * 60_000 + 59_000) }), "95209754");
});

test("OCRA: mutual challenge-response and signature vectors", () => {
  const srv = ["28247970", "01984843", "65387857", "03351211", "83412541"];
  const cli = ["15510767", "90175646", "33777207", "95285278", "28934924"];
  for (let i = 0; i < 5; i++) {
    const qc = `CLI2222${i}`, qs = `SRV1111${i}`;
    assert.equal(ocra("OCRA-1:HOTP-SHA256-8:QA08", key32, { question: qc + qs }), srv[i]);
    assert.equal(ocra("OCRA-1:HOTP-SHA256-8:QA08", key32, { question: qs + qc }), cli[i]);
  }
  const srv512 = ["79496648", "76831980", "12250499", "90856481", "12761449"];
  const cli512 = ["18806276", "70020315", "01600026", "18951020", "32528969"];
  for (let i = 0; i < 5; i++) {
    const qc = `CLI2222${i}`, qs = `SRV1111${i}`;
    assert.equal(ocra("OCRA-1:HOTP-SHA512-8:QA08", key64, { question: qc + qs }), srv512[i]);
    assert.equal(ocra("OCRA-1:HOTP-SHA512-8:QA08-PSHA1", key64, { question: qs + qc, pin: "1234" }), cli512[i]);
  }
  const sig = ["53095496", "04110475", "31331128", "76028668", "46554205"];
  sig.forEach((w, i) => assert.equal(ocra("OCRA-1:HOTP-SHA256-8:QA08", key32, { question: `SIG1${i}000` }), w));
  const sigT = ["77537423", "31970405", "10235557", "95213541", "65360607"];
  sigT.forEach((w, i) => assert.equal(ocra("OCRA-1:HOTP-SHA512-8:QA10-T1M", key64, { question: `SIG1${i}00000`, timestamp: 0x132d0b6 }), w));
});

test("OCRA: odd-length numeric questions (left-aligned hex)", () => {
  const want: Array<[string, string]> = [["11", "807261"], ["111", "901657"], ["1111", "134216"], ["11111", "861721"], ["111111", "275430"], ["1111111", "960547"]];
  for (const [q, w] of want) assert.equal(ocra("OCRA-1:HOTP-SHA1-6:QN08", key20, { question: q }), w, `Q=${q}`);
  assert.equal(ocra("OCRA-1:HOTP-SHA1-6:QN08", key20, { question: 11n }), "807261");
});

test("OCRA: suite parsing and missing inputs", () => {
  const s = parseOcraSuite("OCRA-1:HOTP-SHA512-8:C-QH40-PSHA256-S064-T30S");
  assert.deepEqual(
    { a: s.algorithm, d: s.digits, c: s.counter, q: s.question, p: s.pin, sl: s.sessionLength, t: s.timeStep },
    { a: "SHA512", d: 8, c: true, q: { format: "H", maxLength: 40 }, p: "SHA256", sl: 64, t: 30 },
  );
  for (const bad of ["OCRA-2:HOTP-SHA1-6:QN08", "OCRA-1:HOTP-MD5-6:QN08", "OCRA-1:HOTP-SHA1-3:QN08", "OCRA-1:HOTP-SHA1-6:QX08",
    "OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1", "OCRA-1:HOTP-SHA1-6:QN99", "OCRA-1:HOTP-SHA1-6:C", "OCRA-1:HOTP-SHA1-6:QN08-T60M"]) {
    assert.throws(() => parseOcraSuite(bad), (e) => isSeglError(e, "INVALID_ARGUMENT"), bad);
  }
  assert.throws(() => ocra("OCRA-1:HOTP-SHA1-6:C-QN08", key20, { question: "1" }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => ocra("OCRA-1:HOTP-SHA1-6:QN08-PSHA1", key20, { question: "1" }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => ocra("OCRA-1:HOTP-SHA1-6:QN08", key20, { question: "12ab" }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  // session info is left-padded to its declared length: a short value equals its zero-padded form
  const a = ocra("OCRA-1:HOTP-SHA1-6:QN08-S004", key20, { question: "1", session: new Uint8Array([1, 2]) });
  assert.equal(a, ocra("OCRA-1:HOTP-SHA1-6:QN08-S004", key20, { question: "1", session: "00000102" }));
  assert.throws(() => ocra("OCRA-1:HOTP-SHA1-6:QN08-S004", key20, { question: "1", session: new Uint8Array(5) }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.match(ocra("OCRA-1:HOTP-SHA1-0:QN08", key20, { question: "1" }), /^[0-9a-f]{40}$/);
});

test("base32: RFC 4648 §10 vectors, case-insensitive decode, bad input", () => {
  const v: Array<[string, string]> = [["", ""], ["f", "MY"], ["fo", "MZXQ"], ["foo", "MZXW6"], ["foob", "MZXW6YQ"], ["fooba", "MZXW6YTB"], ["foobar", "MZXW6YTBOI"]];
  for (const [plain, enc] of v) {
    assert.equal(base32Encode(ascii(plain)), enc);
    assert.deepEqual(base32Decode(enc), ascii(plain));
    assert.deepEqual(base32Decode(enc.toLowerCase()), ascii(plain));
  }
  assert.equal(base32Encode(ascii("foob"), { padding: true }), "MZXW6YQ=");
  assert.deepEqual(base32Decode("MZXW6YQ="), ascii("foob"));
  assert.deepEqual(base32Decode("mzxw 6ytb-oi"), ascii("foobar"));
  assert.deepEqual(base32Decode("JBSWY3DPEHPK3PXP"), new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]));
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(randomBytes(i % 70));
    assert.deepEqual(base32Decode(base32Encode(b)), b);
    assert.equal(base32Encode(b), new OTPAuth.Secret({ buffer: b.slice().buffer }).base32);
  }
  for (const bad of ["M", "MZX", "MZXW6Y", "MZ1Q", "MZ!Q", "MZXÅ"]) assert.throws(() => base32Decode(bad), (e) => isSeglError(e, "INVALID_ARGUMENT"), bad);
});

test("otpauth URIs: build, parse, round trip, and agreement with the otpauth package", () => {
  const secret = base32Decode("JBSWY3DPEHPK3PXP");
  const uri = otpauthUri({ secret, issuer: "ACME Co", account: "john.doe@email.com", period: 30 });
  assert.equal(uri, "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
  assert.ok(!uri.includes("+"));
  const p = parseOtpauthUri(uri);
  assert.deepEqual(p, { type: "totp", secret, secretBase32: "JBSWY3DPEHPK3PXP", issuer: "ACME Co", account: "john.doe@email.com", algorithm: "SHA1", digits: 6, period: 30 });

  const h = otpauthUri({ type: "hotp", secret: "jbswy3dpehpk3pxp", account: "SN 0001", algorithm: "SHA512", digits: 8, counter: 12345678901234567890n });
  const hp = parseOtpauthUri(h);
  assert.equal(hp.type, "hotp");
  assert.equal(hp.counter, 12345678901234567890n);
  assert.equal(hp.account, "SN 0001");
  assert.equal(hp.issuer, undefined);
  assert.equal(hp.algorithm, "SHA512");
  assert.equal(hp.digits, 8);

  // the otpauth package parses ours and we parse its URIs
  const lib = OTPAuth.URI.parse(uri);
  assert.ok(lib instanceof OTPAuth.TOTP);
  assert.equal(lib.issuer, "ACME Co");
  assert.equal(lib.label, "john.doe@email.com");
  assert.equal(lib.secret.base32, "JBSWY3DPEHPK3PXP");
  const theirs = new OTPAuth.TOTP({ issuer: "Segl Test", label: "dev 7", secret: OTPAuth.Secret.fromBase32("JBSWY3DPEHPK3PXP"), algorithm: "SHA256", digits: 8, period: 60 }).toString();
  const ours = parseOtpauthUri(theirs);
  assert.deepEqual([ours.issuer, ours.account, ours.algorithm, ours.digits, ours.period], ["Segl Test", "dev 7", "SHA256", 8, 60]);
  assert.equal(totp(ours.secret, { time: 1e9, algorithm: ours.algorithm, digits: ours.digits, period: ours.period! }),
    OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32("JBSWY3DPEHPK3PXP"), algorithm: "SHA256", digits: 8, period: 60, timestamp: 1e12 }));

  // defaults and errors
  const d = parseOtpauthUri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP");
  assert.deepEqual([d.issuer, d.account, d.algorithm, d.digits, d.period], ["Example", "alice", "SHA1", 6, 30]);
  for (const bad of ["https://x/y?secret=AA", "otpauth://totp/x", "otpauth://hotp/x?secret=JBSWY3DP", "otpauth://totp/x?secret=JBSWY3DP&algorithm=MD5", "otpauth://xotp/x?secret=JBSWY3DP"]) {
    assert.throws(() => parseOtpauthUri(bad), (e) => isSeglError(e, "INVALID_ARGUMENT"), bad);
  }
  assert.throws(() => otpauthUri({ type: "hotp", secret, account: "a" }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});
