import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import {
  HotpVerifier,
  MemoryStore,
  TotpVerifier,
  VerifierError,
  LOCKED_PERMANENTLY,
  type AuditEvent,
  type OtpAlgorithm,
  type VerifyResult,
  type VerifierStore,
  type TokenRecord,
} from "../src/verify/index.js";

// RFC 6238 Appendix B seeds: one per hash (errata: the seed length follows the hash).
const SEED: Record<OtpAlgorithm, Uint8Array> = {
  SHA1: Buffer.from("12345678901234567890", "ascii"),
  SHA256: Buffer.from("12345678901234567890123456789012", "ascii"),
  SHA512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii"),
};
const RFC6238: [number, string, Record<OtpAlgorithm, string>][] = [
  [59, "1", { SHA1: "94287082", SHA256: "46119246", SHA512: "90693936" }],
  [1111111109, "23523EC", { SHA1: "07081804", SHA256: "68084774", SHA512: "25091201" }],
  [1111111111, "23523ED", { SHA1: "14050471", SHA256: "67062674", SHA512: "99943326" }],
  [1234567890, "273EF07", { SHA1: "89005924", SHA256: "91819424", SHA512: "93441116" }],
  [2000000000, "3F940AA", { SHA1: "69279037", SHA256: "90698825", SHA512: "38618901" }],
  [20000000000, "27BC86AA", { SHA1: "65353130", SHA256: "77737706", SHA512: "47863826" }],
];

/** Independent reference: otpauth (not our code) computes the device's codes. */
function deviceCode(secret: Uint8Array, ms: number, o: { algorithm?: OtpAlgorithm; digits?: number; period?: number } = {}): string {
  return new OTPAuth.TOTP({
    secret: new OTPAuth.Secret({ buffer: Uint8Array.from(secret).buffer }),
    algorithm: o.algorithm ?? "SHA1", digits: o.digits ?? 6, period: o.period ?? 30,
  }).generate({ timestamp: ms });
}
function hotpCode(secret: Uint8Array, counter: number): string {
  return new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(secret).buffer }) }).generate({ counter });
}

/** A 6-digit code that matches none of the steps within ±3 of `ms` (so it is wrong whatever the drift learned). */
function wrongCode(secret: Uint8Array, ms: number): string {
  const near = new Set([-3, -2, -1, 0, 1, 2, 3].map((k) => deviceCode(secret, ms + k * 30_000)));
  for (let n = 0; ; n++) { const c = String(n).padStart(6, "0"); if (!near.has(c)) return c; }
}

const BASE = 1_700_000_010_000; // 10 s into a 30 s step (1_700_000_010_000 / 30_000 = 56_666_667.0...)
const STEP = Math.floor(BASE / 30_000);
const MIN = 60_000;

function setup(opts: Partial<ConstructorParameters<typeof TotpVerifier>[0]> = {}) {
  const events: AuditEvent[] = [];
  const store = new MemoryStore();
  const v = new TotpVerifier({ store, onAudit: (e) => events.push(e), ...opts });
  return { v, store, events };
}

test("RFC 6238 Appendix B vectors verify through the stateful verifier (8 digits, SHA1/256/512)", async () => {
  const { v } = setup();
  for (const [t, hexStep, codes] of RFC6238) {
    for (const alg of ["SHA1", "SHA256", "SHA512"] as const) {
      const id = `rfc-${alg}-${t}`;
      await v.enroll(id, { secret: SEED[alg], algorithm: alg, digits: 8 });
      const r = await v.verify(id, codes[alg], { now: t * 1000 });
      assert.deepEqual(r, { verified: true, step: parseInt(hexStep, 16), driftSteps: 0 }, `${alg} t=${t}`);
    }
  }
  // 6-digit device: last six digits of the 8-digit value (287082 at t = 59).
  await v.enroll("six", { secret: SEED.SHA1 });
  assert.equal((await v.verify("six", "287082", { now: 59_000 })).verified, true);
  // The RFC 6238 errata pitfall: the 20-byte seed with SHA256 gives 32247374, which must NOT verify.
  await v.enroll("wrong-seed", { secret: SEED.SHA256, algorithm: "SHA256", digits: 8 });
  assert.equal((await v.verify("wrong-seed", "32247374", { now: 59_000 })).verified, false);
});

test("cross-check with otpauth: random seeds, hashes, digits, periods, times", async () => {
  const { v } = setup();
  for (let i = 0; i < 60; i++) {
    const algorithm = (["SHA1", "SHA256", "SHA512"] as const)[i % 3]!;
    const digits = 6 + (i % 5);
    const period = [30, 60, 15][i % 3]!;
    const secret = randomBytes(16 + (i % 49));
    const now = 1_000_000_000_000 + Math.floor(Math.random() * 2e12);
    await v.enroll(`x${i}`, { secret, algorithm, digits, period });
    const r = await v.verify(`x${i}`, deviceCode(secret, now, { algorithm, digits, period }), { now });
    assert.equal(r.verified, true, `case ${i} ${algorithm} ${digits} ${period}`);
  }
});

test("replay: a code is accepted once, and an older step is refused after a newer one", async () => {
  const { v, events } = setup();
  const secret = randomBytes(20);
  await v.enroll("d", { secret });
  const code = deviceCode(secret, BASE);
  assert.deepEqual(await v.verify("d", code, { now: BASE }), { verified: true, step: STEP, driftSteps: 0 });
  assert.deepEqual(await v.verify("d", code, { now: BASE + 5000 }), { verified: false });
  assert.equal(events.at(-1)?.reason, "replay");
  // Newer step accepted (device a step ahead), then the previous step (still inside ±1) is refused.
  await v.enroll("e", { secret });
  assert.equal((await v.verify("e", deviceCode(secret, BASE + 30_000), { now: BASE })).verified, true);
  assert.deepEqual(await v.verify("e", deviceCode(secret, BASE), { now: BASE }), { verified: false });
  assert.equal(events.at(-1)?.reason, "replay");
});

test("window edges: ±1 step accepted, ±2 steps refused; custom asymmetric window", async () => {
  const { v } = setup();
  const secret = randomBytes(20);
  for (const [k, ok] of [[-2, false], [-1, true], [0, true], [1, true], [2, false]] as const) {
    const id = `w${k}`;
    await v.enroll(id, { secret });
    const r = await v.verify(id, deviceCode(secret, BASE + k * 30_000), { now: BASE });
    assert.equal(r.verified, ok, `offset ${k}`);
    if (r.verified) assert.equal(r.driftSteps, k);
  }
  // past 0, future 2: −1 refused, +2 accepted.
  const w = new TotpVerifier({ store: new MemoryStore(), window: { past: 0, future: 2 } });
  await w.enroll("a", { secret });
  await w.enroll("b", { secret });
  assert.equal((await w.verify("a", deviceCode(secret, BASE - 30_000), { now: BASE })).verified, false);
  assert.equal((await w.verify("b", deviceCode(secret, BASE + 60_000), { now: BASE })).verified, true);
});

test("drift: device clock 90 s fast — single codes fail, resync with two consecutive codes, then single codes verify", async () => {
  const { v, events } = setup();
  const secret = randomBytes(20);
  await v.enroll("fast", { secret });
  const dev = (server: number) => deviceCode(secret, server + 90_000);
  assert.equal((await v.verify("fast", dev(BASE), { now: BASE })).verified, false);
  // The user presses twice, 30 s apart; the broker calls resync after the second press.
  const c1 = dev(BASE + 1000);
  const c2 = dev(BASE + 31_000);
  const rs = await v.resync("fast", c1, c2, { now: BASE + 31_000 });
  assert.deepEqual(rs, { verified: true, step: STEP + 4, driftSteps: 3 });
  assert.equal(events.at(-1)?.op, "resync");
  // Resync consumed both codes.
  assert.equal((await v.verify("fast", c2, { now: BASE + 32_000 })).verified, false);
  // From now on ordinary single codes verify, for hours.
  for (let i = 1; i <= 10; i++) {
    const now = BASE + 31_000 + i * 17 * MIN;
    const r = await v.verify("fast", dev(now), { now });
    assert.equal(r.verified, true, `login ${i}`);
    if (r.verified) assert.equal(r.driftSteps, 3);
  }
  assert.equal((await v.status("fast"))?.driftSteps, 3);
});

test("drift is followed when it grows slowly (one login a day, clock gaining 20 s/day)", async () => {
  const { v } = setup();
  const secret = randomBytes(20);
  await v.enroll("slow", { secret });
  let last: VerifyResult = { verified: false };
  for (let day = 0; day < 15; day++) {
    const now = BASE + day * 86_400_000;
    last = await v.verify("slow", deviceCode(secret, now + day * 20_000), { now });
    assert.equal(last.verified, true, `day ${day}`);
  }
  assert.ok(last.verified && last.driftSteps >= 9, "drift of ~280 s learned in whole steps");
});

test("resync: refuses non-consecutive codes, codes outside ±40 steps, and codes at or below the replay floor", async () => {
  const { v } = setup({ maxFailures: 100 });
  const secret = randomBytes(20);
  await v.enroll("r", { secret });
  const at = (steps: number) => deviceCode(secret, BASE + steps * 30_000);
  assert.equal((await v.resync("r", at(5), at(7), { now: BASE })).verified, false, "gap of one step");
  assert.equal((await v.resync("r", at(6), at(5), { now: BASE })).verified, false, "reversed");
  assert.equal((await v.resync("r", at(41), at(42), { now: BASE })).verified, false, "first code beyond +40");
  assert.equal((await v.resync("r", at(-41), at(-40), { now: BASE })).verified, false, "first code beyond −40");
  assert.deepEqual(await v.resync("r", at(-40), at(-39), { now: BASE }), { verified: true, step: STEP - 39, driftSteps: -39 });
  assert.equal((await v.resync("r", at(-40), at(-39), { now: BASE })).verified, false, "replayed pair");
  assert.deepEqual(await v.resync("r", at(39), at(40), { now: BASE }), { verified: true, step: STEP + 40, driftSteps: 40 });
  assert.equal((await v.resync("r", at(10), at(11), { now: BASE })).verified, false, "pair below the floor");
});

test("lockout: 3 failures lock for 15 min; the right code fails while locked; accepted after the lock", async () => {
  const { v, events } = setup();
  const secret = randomBytes(20);
  await v.enroll("L", { secret });
  const good = deviceCode(secret, BASE);
  const wrong = wrongCode(secret, BASE);
  for (let i = 0; i < 3; i++) assert.equal((await v.verify("L", wrong, { now: BASE + i })).verified, false);
  const st = await v.status("L", { now: BASE + 10 });
  assert.equal(st?.locked, true);
  assert.equal(st?.lockedUntil, BASE + 2 + 15 * MIN);
  // Right code during the lock: refused without being examined, and not consumed.
  assert.deepEqual(await v.verify("L", good, { now: BASE + 1000 }), { verified: false });
  assert.equal(events.at(-1)?.reason, "locked");
  assert.equal((await v.status("L"))?.lastAcceptedStep, -1);
  const later = BASE + 2 + 15 * MIN - 1;
  assert.equal((await v.verify("L", deviceCode(secret, later), { now: later })).verified, false, "1 ms before the end");
  const after = BASE + 2 + 15 * MIN;
  assert.equal((await v.verify("L", deviceCode(secret, after), { now: after })).verified, true);
  const s2 = await v.status("L", { now: after });
  assert.equal(s2?.failures, 0);
  assert.equal(s2?.lockouts, 0);
});

test("lockout: success resets the failure count; failures after an expired lock start from zero", async () => {
  const { v } = setup();
  const secret = randomBytes(20);
  await v.enroll("F", { secret });
  const wrong = (n: number) => wrongCode(secret, n);
  await v.verify("F", wrong(BASE), { now: BASE });
  await v.verify("F", wrong(BASE), { now: BASE });
  assert.equal((await v.verify("F", deviceCode(secret, BASE), { now: BASE })).verified, true);
  await v.verify("F", wrong(BASE), { now: BASE + 1 });
  await v.verify("F", wrong(BASE), { now: BASE + 2 });
  assert.equal((await v.status("F", { now: BASE + 3 }))?.locked, false, "2 failures after a success do not lock");
});

test("lockout: doubling, permanent block, admin unlock", async () => {
  const { v, events } = setup({ lockoutDoubling: true, permanentLockAfter: 3 });
  const secret = randomBytes(20);
  await v.enroll("D", { secret });
  let t = BASE;
  const burst = async () => { for (let i = 0; i < 3; i++) await v.verify("D", wrongCode(secret, t), { now: t }); };
  await burst();
  assert.equal((await v.status("D"))?.lockedUntil, t + 15 * MIN);
  t += 15 * MIN;
  await burst();
  assert.equal((await v.status("D"))?.lockedUntil, t + 30 * MIN);
  t += 30 * MIN;
  await burst();
  assert.equal((await v.status("D"))?.lockedUntil, LOCKED_PERMANENTLY);
  t += 365 * 86_400_000;
  assert.equal((await v.verify("D", deviceCode(secret, t), { now: t })).verified, false, "still blocked a year later");
  await v.unlock("D");
  assert.equal(events.at(-1)?.op, "unlock");
  assert.equal((await v.verify("D", deviceCode(secret, t), { now: t })).verified, true);
  await assert.rejects(v.unlock("nobody"), (e: unknown) => e instanceof VerifierError && e.code === "NOT_FOUND");
});

test("every kind of failure returns the identical answer; only the audit hook sees the reason", async () => {
  const { v, events } = setup();
  const secret = randomBytes(20);
  await v.enroll("a", { secret });
  await v.enroll("b", { secret });
  await v.enroll("c", { secret });
  await v.enroll("e", { secret });
  const h = new HotpVerifier({ store: (v as unknown as { store: MemoryStore }).store });
  await h.enroll("hotp-device", { secret });
  const good = deviceCode(secret, BASE);
  const wrong = wrongCode(secret, BASE);
  const results: VerifyResult[] = [];
  const reasons: (string | undefined)[] = [];
  const run = async (p: Promise<VerifyResult>) => { results.push(await p); reasons.push(events.at(-1)?.reason); };
  await run(v.verify("a", wrong, { now: BASE })); // mismatch
  await v.verify("b", good, { now: BASE });
  await run(v.verify("b", good, { now: BASE })); // replay
  await run(v.verify("nope", good, { now: BASE })); // unknown device
  await run(v.verify("hotp-device", good, { now: BASE })); // other kind = unknown
  await run(v.verify("a", "12345", { now: BASE })); // malformed: short
  await run(v.verify("a", "12a456", { now: BASE })); // malformed: not digits (third failure of "a": locks it)
  await run(v.verify("c", wrong, { now: BASE }));
  await run(v.verify("c", wrong, { now: BASE }));
  await run(v.verify("c", wrong, { now: BASE }));
  await run(v.verify("c", good, { now: BASE })); // locked
  await run(v.resync("e", wrong, wrong, { now: BASE }));
  const first = JSON.stringify(results[0]);
  for (const r of results) {
    assert.deepEqual(r, { verified: false });
    assert.equal(JSON.stringify(r), first);
    assert.deepEqual(Object.keys(r), ["verified"]);
  }
  assert.deepEqual(reasons, [
    "mismatch", "replay", "unknown-device", "unknown-device", "malformed", "malformed", "mismatch", "mismatch", "mismatch", "locked", "mismatch",
  ]);
  for (const e of events) assert.ok(!JSON.stringify(e).includes(good), "audit events never carry the code");
});

test("whitespace inside a typed code is ignored; a throwing audit hook does not change the answer", async () => {
  const v = new TotpVerifier({ store: new MemoryStore(), onAudit: () => { throw new Error("sink down"); } });
  const secret = randomBytes(20);
  await v.enroll("s", { secret });
  const c = deviceCode(secret, BASE);
  assert.equal((await v.verify("s", `${c.slice(0, 3)} ${c.slice(3)}`, { now: BASE })).verified, true);
});

test("two verifiers sharing a MemoryStore race on one code: exactly one acceptance", async () => {
  const store = new MemoryStore();
  const v1 = new TotpVerifier({ store });
  const v2 = new TotpVerifier({ store });
  const secret = randomBytes(20);
  await v1.enroll("race", { secret });
  for (let i = 0; i < 50; i++) {
    const now = BASE + i * 30_000;
    const code = deviceCode(secret, now);
    const rs = await Promise.all([v1.verify("race", code, { now }), v2.verify("race", code, { now }), v1.verify("race", code, { now })]);
    assert.equal(rs.filter((r) => r.verified).length, 1, `round ${i}`);
  }
});

test("negative control: a store whose compareAndSet ignores the version lets the same race accept twice", async () => {
  const m = new Map<string, TokenRecord>();
  const naive: VerifierStore = {
    get: async (id) => m.get(id),
    create: async (rec) => { m.set(rec.id, rec); },
    delete: async (id) => m.delete(id),
    compareAndSet: async (id, _expected, next) => { m.set(id, next); return true; }, // check-then-store, no version check
  };
  const v1 = new TotpVerifier({ store: naive });
  const v2 = new TotpVerifier({ store: naive });
  const secret = randomBytes(20);
  await v1.enroll("race", { secret });
  const code = deviceCode(secret, BASE);
  const rs = await Promise.all([v1.verify("race", code, { now: BASE }), v2.verify("race", code, { now: BASE })]);
  assert.equal(rs.filter((r) => r.verified).length, 2, "without CAS both accept: the race tests above have teeth");
});

test("enrolment validation and remove", async () => {
  const { v } = setup();
  const bad = async (f: () => Promise<unknown>, code: string) =>
    assert.rejects(f(), (e: unknown) => e instanceof VerifierError && e.code === code);
  await bad(() => v.enroll("k", { secret: randomBytes(15) }), "INVALID_ARGUMENT");
  await bad(() => v.enroll("k", { secret: randomBytes(20), digits: 5 }), "INVALID_ARGUMENT");
  await bad(() => v.enroll("k", { secret: randomBytes(20), digits: 11 }), "INVALID_ARGUMENT");
  await bad(() => v.enroll("k", { secret: randomBytes(20), period: 0 }), "INVALID_ARGUMENT");
  await bad(() => v.enroll("k", { secret: randomBytes(20), algorithm: "MD5" as OtpAlgorithm }), "INVALID_ARGUMENT");
  await bad(() => v.enroll("", { secret: randomBytes(20) }), "INVALID_ARGUMENT");
  await v.enroll("k", { secret: randomBytes(20) });
  await bad(() => v.enroll("k", { secret: randomBytes(20) }), "ALREADY_EXISTS");
  assert.equal(await v.remove("k"), true);
  assert.equal(await v.remove("k"), false);
  assert.equal(await v.status("k"), undefined);
  // A non-zero T0 and a clock before T0 fail cleanly.
  const secret = randomBytes(20);
  await v.enroll("t0", { secret, t0: 1_000_000 });
  assert.equal((await v.verify("t0", "123456", { now: 0 })).verified, false);
});

test("HOTP (RFC 4226 Appendix D): sequential codes, look-ahead, replay, resync", async () => {
  const store = new MemoryStore();
  const h = new HotpVerifier({ store, maxFailures: 100 });
  const secret = Buffer.from("12345678901234567890", "ascii");
  const D = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  await h.enroll("h", { secret });
  for (let i = 0; i < 4; i++) assert.deepEqual(await h.verify("h", D[i]!), { verified: true, step: i, driftSteps: 0 });
  assert.deepEqual(await h.verify("h", D[7]!), { verified: true, step: 7, driftSteps: 3 }, "look-ahead skips 4..6");
  assert.equal((await h.verify("h", D[5]!)).verified, false, "counter below the floor");
  assert.equal((await h.verify("h", D[7]!)).verified, false, "replay");
  // Far ahead (counter 60, beyond the window of 10): single code fails, resync with 60+61 succeeds.
  await h.enroll("far", { secret });
  assert.equal((await h.verify("far", hotpCode(secret, 60))).verified, false);
  assert.deepEqual(await h.resync("far", hotpCode(secret, 60), hotpCode(secret, 61)), { verified: true, step: 61, driftSteps: 61 });
  assert.equal((await h.verify("far", hotpCode(secret, 62))).verified, true);
  // Enrol at a known counter (PSKC <Counter>).
  await h.enroll("c", { secret, counter: 9 });
  assert.deepEqual(await h.verify("c", D[9]!), { verified: true, step: 9, driftSteps: 0 });
  // A TOTP verifier does not see HOTP devices.
  const t = new TotpVerifier({ store });
  assert.equal(await t.status("c"), undefined);
});

test("three simultaneous submissions of the same correct code: one acceptance, two refusals that do not count, no lockout", async () => {
  const { v, events } = setup();
  const secret = randomBytes(20);
  await v.enroll("d", { secret });
  const good = deviceCode(secret, BASE);
  // All three read the record before any writes (a double click plus an HTTP retry).
  const results = await Promise.all([1, 2, 3].map(() => v.verify("d", good, { now: BASE })));
  assert.equal(results.filter((r) => r.verified).length, 1);
  assert.deepEqual(events.filter((e) => e.op === "verify").map((e) => e.reason ?? e.outcome).sort(), ["accepted", "replay", "replay"]);
  const st = await v.status("d", { now: BASE });
  assert.equal(st?.failures, 0, "replays are not failures");
  assert.equal(st?.locked, false);
  // Many more replays still lock nobody out; the next step's code is accepted.
  for (let i = 0; i < 10; i++) assert.equal((await v.verify("d", good, { now: BASE })).verified, false);
  assert.equal((await v.status("d", { now: BASE }))?.failures, 0);
  assert.equal((await v.verify("d", deviceCode(secret, BASE + 30_000), { now: BASE + 30_000 })).verified, true);
});

test("lockout still follows consecutive wrong codes, with timed release, after replays", async () => {
  const { v } = setup();
  const secret = randomBytes(20);
  await v.enroll("d", { secret });
  const good = deviceCode(secret, BASE);
  assert.equal((await v.verify("d", good, { now: BASE })).verified, true);
  const wrong = wrongCode(secret, BASE);
  await v.verify("d", wrong, { now: BASE });
  await v.verify("d", good, { now: BASE }); // replay: neither counts nor resets
  await v.verify("d", wrong, { now: BASE });
  assert.equal((await v.status("d", { now: BASE }))?.failures, 2);
  await v.verify("d", wrong, { now: BASE });
  const st = await v.status("d", { now: BASE });
  assert.equal(st?.locked, true);
  assert.equal(st?.lockedUntil, BASE + 15 * MIN);
  const later = BASE + 15 * MIN;
  assert.equal((await v.verify("d", deviceCode(secret, later), { now: later })).verified, true, "released after 15 min");
});

/** A store that counts what the verifier asks of it, per id, and the HMAC-relevant reads. */
function countingStore(inner: VerifierStore) {
  const ops: string[] = [];
  const store: VerifierStore = {
    get: async (id) => { const r = await inner.get(id); ops.push(r ? "get:found" : "get:none"); return r; },
    create: async (rec) => { ops.push("create"); return inner.create(rec); },
    compareAndSet: async (id, ver, next) => { const ok = await inner.compareAndSet(id, ver, next); ops.push(ok ? "cas:written" : "cas:lost"); return ok; },
    delete: (id) => inner.delete(id),
  };
  return { store, ops };
}

test("no timing oracle: an unknown id does the work of a wrong code (read a sealed row, one written compare-and-set); nothing audited for the decoy", async () => {
  const events: AuditEvent[] = [];
  const { store, ops } = countingStore(new MemoryStore());
  const v = new TotpVerifier({ store, onAudit: (e) => events.push(e) });
  const secret = randomBytes(20);
  await v.enroll("known", { secret });
  const wrong = wrongCode(secret, BASE);
  await v.verify("nobody", wrong, { now: BASE }); // first unknown id: creates the decoy once
  ops.length = 0;
  await v.verify("known", wrong, { now: BASE });
  const known = ops.splice(0);
  await v.verify("nobody", wrong, { now: BASE });
  const unknown = ops.splice(0);
  assert.deepEqual(known, ["get:found", "cas:written"]);
  assert.deepEqual(unknown, ["get:none", "get:found", "cas:written"], "the decoy row is read, opened and written like a real one");
  assert.deepEqual(events.filter((e) => e.op === "verify").map((e) => [e.id, e.reason]), [["nobody", "unknown-device"], ["known", "mismatch"], ["nobody", "unknown-device"]]);
  // The decoy can never be enrolled, verified or locked by a caller.
  await assert.rejects(v.enroll("~segl-decoy-totp", { secret }), (e: unknown) => e instanceof VerifierError && e.code === "INVALID_ARGUMENT");
  for (let i = 0; i < 5; i++) await v.verify("nobody", wrong, { now: BASE });
  const decoy = await store.get("~segl-decoy-totp");
  assert.equal(decoy?.lockedUntil, 0, "the decoy never locks (the work stays the same)");
  assert.deepEqual((await v.verify("~segl-decoy-totp", wrong, { now: BASE })), { verified: false });
  assert.equal(events.at(-1)?.reason, "unknown-device");
});

test("no timing oracle on a locked device either: the right code fails, yet a wrong code's work is done (codes computed, state written back unchanged)", async () => {
  const { store, ops } = countingStore(new MemoryStore());
  const v = new TotpVerifier({ store });
  const secret = randomBytes(20);
  await v.enroll("known", { secret });
  const wrong = wrongCode(secret, BASE);
  for (let i = 0; i < 3; i++) await v.verify("known", wrong, { now: BASE });
  assert.equal((await v.status("known", { now: BASE }))?.locked, true);
  ops.length = 0;
  assert.equal((await v.verify("known", deviceCode(secret, BASE), { now: BASE })).verified, false, "the right code while locked");
  assert.deepEqual(ops, ["get:found", "cas:written"]);
  ops.length = 0;
  await v.verify("known", wrong, { now: BASE });
  assert.deepEqual(ops, ["get:found", "cas:written"]);
  const st = await v.status("known", { now: BASE });
  assert.equal(st?.lockedUntil, BASE + 15 * MIN, "the lock itself is unchanged");
  assert.equal(st?.lastAcceptedStep, -1, "the right code was not consumed");
  assert.equal(st?.lockouts, 1);
  const later = BASE + 15 * MIN;
  assert.equal((await v.verify("known", deviceCode(secret, later), { now: later })).verified, true);
});
