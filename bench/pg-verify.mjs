// Durable OTP verifications per second on PostgresStore (a throwaway PostgreSQL on a Unix socket,
// started here like the tests' one: host-sdk/test/pg-server.ts), with 1 and 16 concurrent requests,
// against otpauth's stateless TOTP.validate. Every timed verification is ACCEPTED (a fresh code of one
// of 1,000 devices), so each one is a read and a committed compare-and-set UPDATE (two round trips).
// Note: the throwaway server runs with fsync=off. Run: node bench/pg-verify.mjs (after `npx tsc -b host-sdk`)
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { PostgresStore, TotpVerifier } from "@segl/host-sdk/verify";
import { runTs } from "../scripts/run-ts.mjs";
import { ROUND_MS, medianRate, otpauthRow, table, totpCode as code } from "./lib.mjs";

const DEVICES = 1000;
const T0 = 1_700_000_010_000;
const seeds = Array.from({ length: DEVICES }, () => randomBytes(20));

/** Median accepted verifications per second with `concurrency` requests in flight (each on its own device). */
let step = Math.floor(T0 / 30_000); // shared by every run: a step is never verified twice
async function durable(name, v, concurrency) {
  const round = async (ms) => {
    let n = 0, busy = 0;
    while (busy < ms) {
      step++;
      const s = step;
      const t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < DEVICES; i = next++) {
          if (!(await v.verify(`dev-${i}`, code(seeds[i], s), { now: s * 30_000 + 5_000 })).verified) throw new Error(`${name}: a fresh code was refused`);
        }
      }));
      busy += performance.now() - t0;
      n += DEVICES;
    }
    return (n * 1000) / busy;
  };
  return medianRate(name, round);
}

const { startPgServer } = await runTs(new URL("../host-sdk/test/pg-server.ts", import.meta.url).href);
const server = await startPgServer();
try {
  const rows = [];
  rows.push(otpauthRow(OTPAuth, seeds, T0)); // the reference
  const store = new PostgresStore({ host: server.host, port: server.port, user: server.user, database: server.database, secretKey: randomBytes(32), poolSize: 16 });
  const v = new TotpVerifier({ store });
  for (let i = 0; i < DEVICES; i++) await v.enroll(`dev-${i}`, { secret: seeds[i] });
  rows.push(await durable("TotpVerifier + PostgresStore, 1 request at a time", v, 1));
  rows.push(await durable("TotpVerifier + PostgresStore, 16 concurrent requests (pool of 16)", v, 16));
  await store.close();
  table(`TOTP verification on PostgreSQL (Unix socket, fsync=off), ${DEVICES} devices, every attempt accepted and committed`, rows);
} finally {
  await server.destroy();
}
