// Durable OTP verifications per second: TotpVerifier on SqliteStore (better-sqlite3, WAL, one
// compare-and-set UPDATE per verification; synchronous NORMAL and FULL) and on MemoryStore, against
// otpauth's stateless TOTP.validate (no replay floor, no lockout, nothing written). Every timed
// verification is ACCEPTED (a fresh code of one of 1,000 devices), so each one commits a write.
// Then the timing oracle: a wrong code for a known device vs an unknown device id vs a locked
// device, on SQLite, in µs per attempt and as ratios (goal: unknown/known ≈ 1).
// Run: node bench/otp-verify.mjs   (after `npx tsc -b host-sdk`; BENCH_ROUND_MS / BENCH_ROUNDS as in lib.mjs)
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as OTPAuth from "otpauth";
import { MemoryStore, SqliteStore, TotpVerifier } from "@segl/host-sdk/verify";
import { ROUND_MS, ROUNDS, medianRate, otpauthRow, table, totpCode as code } from "./lib.mjs";

const DEVICES = 1000;
const T0 = 1_700_000_010_000;
const seeds = Array.from({ length: DEVICES }, () => randomBytes(20));

/** Median accepted verifications per second of `v`, each device verified once per 30 s step (codes made before each round). */
async function durable(name, v) {
  let step = Math.floor(T0 / 30_000);
  const batch = () => {
    step++;
    return seeds.map((s, i) => [`dev-${i}`, code(s, step), step * 30_000 + 5_000]);
  };
  const round = async (ms) => {
    let n = 0, busy = 0;
    while (busy < ms) {
      const b = batch();
      const t0 = performance.now();
      for (const [id, c, now] of b) {
        if (!(await v.verify(id, c, { now })).verified) throw new Error(`${name}: a fresh code was refused`);
      }
      busy += performance.now() - t0;
      n += b.length;
    }
    return (n * 1000) / busy;
  };
  return medianRate(name, round);
}

async function enrolled(store, opts = {}) {
  const v = new TotpVerifier({ store, ...opts });
  for (let i = 0; i < DEVICES; i++) await v.enroll(`dev-${i}`, { secret: seeds[i] });
  return v;
}

const dir = mkdtempSync(join(tmpdir(), "segl-bench-otp-"));
try {
  const stores = [];
  const open = (file, o = {}) => {
    const s = new SqliteStore(join(dir, file), { secretKey: randomBytes(32), ...o });
    stores.push(s);
    return s;
  };
  const rows = [];
  rows.push(otpauthRow(OTPAuth, seeds, T0)); // the reference
  rows.push(await durable("TotpVerifier + SqliteStore (WAL, synchronous NORMAL)", await enrolled(open("normal.sqlite"))));
  rows.push(await durable("TotpVerifier + SqliteStore (WAL, synchronous FULL)", await enrolled(open("full.sqlite", { synchronous: "FULL" }))));
  rows.push(await durable("TotpVerifier + MemoryStore (not durable)", await enrolled(new MemoryStore())));
  table(`TOTP verification, ${DEVICES} devices, every attempt accepted and its state committed (one process, one core)`, rows);

  // Timing oracle: per-attempt cost of each kind of refusal on SQLite (NORMAL).
  const store = open("oracle.sqlite");
  const v = await enrolled(store, { maxFailures: 2 ** 40 }); // never locks: a wrong code stays a wrong code
  const lockedV = new TotpVerifier({ store, maxFailures: 1, lockoutMs: 10 * 365 * 86_400_000 });
  await lockedV.enroll("locked", { secret: seeds[0] });
  const wrong = (i) => (code(seeds[i], Math.floor(T0 / 30_000)) === "000000" ? "000001" : "000000");
  await lockedV.verify("locked", "000000" === code(seeds[0], Math.floor(T0 / 30_000)) ? "000001" : "000000", { now: T0 });
  const kinds = [
    ["wrong code, known device", (i) => v.verify(`dev-${i % DEVICES}`, wrong(i % DEVICES), { now: T0 })],
    ["unknown device id", (i) => v.verify(`nobody-${i % DEVICES}`, "000000", { now: T0 })],
    ["known device, locked", () => lockedV.verify("locked", "123456", { now: T0 })],
  ];
  const N = Math.max(2000, Math.round(ROUND_MS * 10));
  const us = new Map(kinds.map(([k]) => [k, []]));
  for (let i = 0; i < 200; i++) for (const [, f] of kinds) await f(i); // warm-up (creates the decoy)
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, f] of kinds) { // interleaved rounds: drift of the machine hits all kinds alike
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await f(i);
      us.get(k).push(((performance.now() - t0) * 1000) / N);
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const base = med(us.get(kinds[0][0]));
  console.log(`\n## Timing oracle: refusals on SQLite (µs per attempt, median of ${ROUNDS} rounds of ${N})\n`);
  console.log("| refusal | µs per attempt | ratio vs wrong code, known device |");
  console.log("|---|---:|---:|");
  for (const [k] of kinds) console.log(`| ${k} | ${med(us.get(k)).toFixed(1)} | ${(med(us.get(k)) / base).toFixed(2)}× |`);
  for (const s of stores) s.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
