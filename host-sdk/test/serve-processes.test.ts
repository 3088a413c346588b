// Three real `segl serve` processes on one throwaway PostgreSQL behind a client that spreads requests
// and submits every code twice at once (a double click on two nodes): one instance SIGKILLed under load,
// one SIGTERMed under load, and PostgreSQL restarted under load. Every code is accepted at most once,
// never lost without a trace, and the others carry on by themselves.
// SEGL_RACE_TRIALS (default 12) codes per device, 8 devices.
import { describe, test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { base32Encode } from "../src/otp/index.js";
import { PostgresStore } from "../src/verify/index.js";
import { startPgServer, type PgServer } from "./pg-server.js";
import { SpreadingClient, startServe, type Attempt, type ServeProcess } from "./serve-harness.js";

const DEVICES = 8;
const CODES = Number(process.env["SEGL_RACE_TRIALS"] ?? 12);
const TOKEN = "resilience-token-0123456789";
const KEY = randomBytes(32);
const SEEDS = Array.from({ length: DEVICES }, () => Uint8Array.from(randomBytes(20)));
const hotp = (d: number, n: number) => new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SEEDS[d]!).buffer }) }).generate({ counter: n });

let pg: PgServer;
let databases = 0;
beforeAll(async () => { pg = await startPgServer(); }, 30_000);
afterAll(async () => { await pg?.destroy(); });

interface Run { instances: ServeProcess[]; client: SpreadingClient; url: string; table: string }

/** A fresh database table set (its own `table` via a schema per run is overkill: one database per run). */
async function setUp(): Promise<Run> {
  const db = `run${++databases}`;
  const admin = new (await import("pg")).default.Client({ host: pg.host, port: pg.port, user: pg.user, database: pg.database });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = `postgresql://${pg.user}@localhost/${db}?host=${encodeURIComponent(pg.host)}&port=${pg.port}`;
  const instances = await Promise.all([0, 1, 2].map(() => startServe(url, KEY.toString("hex"), TOKEN, ["--pool", "4", "--quiet"])));
  const client = new SpreadingClient(instances.map((i) => i.port), TOKEN);
  for (let d = 0; d < DEVICES; d++) {
    const a = await client.submit("/v1/otp/enroll", { id: `dev-${d}`, kind: "hotp", secret: base32Encode(SEEDS[d]!) });
    const last = a.at(-1);
    assert.equal(last?.kind === "answer" ? last.status : last?.error, 201);
  }
  return { instances, client, url, table: "segl_otp_tokens" };
}

async function tearDown(r: Run): Promise<void> {
  r.client.close();
  for (const i of r.instances) if (i.proc.exitCode === null && i.proc.signalCode === null) i.proc.kill("SIGKILL");
  await Promise.all(r.instances.map((i) => i.exit));
}

interface CodeResult { device: number; counter: number; submissions: Attempt[][] }

/**
 * Every device walks its codes in order; each code is submitted twice at once, each submission retried
 * on other instances until answered. `during` runs once a third of the codes are through.
 */
async function load(r: Run, during: () => Promise<void>): Promise<{ results: CodeResult[]; duringDone: Promise<void> }> {
  const results: CodeResult[] = [];
  let done = 0;
  let fired: Promise<void> | undefined;
  const third = Math.floor((DEVICES * CODES) / 3);
  await Promise.all(Array.from({ length: DEVICES }, async (_, d) => {
    for (let n = 0; n < CODES; n++) {
      const body = { id: `dev-${d}`, kind: "hotp", code: hotp(d, n) };
      const submissions = await Promise.all([r.client.submit("/v1/otp/verify", body, 400), r.client.submit("/v1/otp/verify", body, 400)]);
      results.push({ device: d, counter: n, submissions });
      if (++done === third) fired = during();
    }
  }));
  return { results, duringDone: fired ?? Promise.resolve() };
}

const accepted = (a: Attempt | undefined): boolean => a?.kind === "answer" && a.status === 200 && a.body["verified"] === true;
/** An attempt whose outcome the client cannot know: the reply was lost after the request was sent. */
const unknownOutcome = (a: Attempt): boolean =>
  (a.kind === "lost" && a.error !== "ECONNREFUSED") ||
  (a.kind === "answer" && a.status === 503 && (a.body["error"] as { outcomeUnknown?: boolean } | undefined)?.outcomeUnknown === true);

/** The exactly-once checks every scenario shares; resolves the codes whose acceptance the client never saw. */
async function checkExactlyOnce(r: Run, results: CodeResult[], survivors: ServeProcess[]): Promise<CodeResult[]> {
  assert.equal(results.length, DEVICES * CODES);
  const unseen: CodeResult[] = [];
  for (const c of results) {
    const finals = c.submissions.map((s) => s.at(-1));
    for (const f of finals) assert.ok(f?.kind === "answer" && f.status === 200, `code ${c.device}/${c.counter} got a definitive answer: ${JSON.stringify(f)}`);
    const n = finals.filter(accepted).length;
    assert.ok(n <= 1, `code ${c.device}/${c.counter} accepted ${n} times`);
    if (n === 0) {
      // Never accepted as far as the client saw: only possible if one of its attempts was lost mid-flight.
      assert.ok(c.submissions.flat().some(unknownOutcome), `code ${c.device}/${c.counter} refused everywhere without a lost reply: ${JSON.stringify(c.submissions)}`);
      unseen.push(c);
    }
  }
  // No instance's audit log shows one code accepted twice (the logs of the dead are complete up to their death).
  const seen = new Map<string, number>();
  for (const i of r.instances) for (const l of i.log) {
    if (l["type"] === "audit" && l["op"] === "verify" && l["outcome"] === "accepted") {
      const k = `${String(l["id"])}/${String(l["step"])}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  assert.deepEqual([...seen].filter(([, n]) => n > 1), []);
  // In the database every device's counter reached its last code.
  const check = new PostgresStore({ connectionString: r.url, secretKey: KEY });
  for (let d = 0; d < DEVICES; d++) {
    const rec = await check.get(`dev-${d}`);
    assert.equal(rec?.lastAcceptedStep, CODES - 1);
    assert.equal(rec?.failures, 0, "replays (the double submissions) never count as failures");
  }
  await check.close();
  // The survivors are ready.
  for (const s of survivors) {
    const ready = await fetch(`http://127.0.0.1:${s.port}/readyz`);
    assert.equal(ready.status, 200);
  }
  return unseen;
}

describe("segl serve: three instances on one PostgreSQL", () => {
  test("one instance SIGKILLed under load: no code accepted twice, none lost without a trace, the client carries on with the survivors", async () => {
    const r = await setUp();
    try {
      const victim = r.instances[0]!;
      const { results, duringDone } = await load(r, async () => { victim.proc.kill("SIGKILL"); });
      await duringDone;
      assert.equal((await victim.exit).signal, "SIGKILL");
      const unseen = await checkExactlyOnce(r, results, r.instances.slice(1));
      // The survivors answered requests after the kill.
      const afterKill = results.slice(Math.floor(results.length / 2)).flatMap((c) => c.submissions.flat()).filter((a) => a.kind === "answer" && a.port !== victim.port);
      assert.ok(afterKill.length > 0);
      assert.ok(unseen.length <= 2 * DEVICES, `at most the requests in flight at the kill are unknown (${unseen.length})`);
      console.log(`SIGKILL: ${results.length} codes, ${unseen.length} with a lost reply, ${results.flatMap((c) => c.submissions.flat()).filter((a) => a.kind === "lost").length} lost attempts retried`);
    } finally {
      await tearDown(r);
    }
  }, 90_000);

  test("one instance SIGTERMed under load: it finishes what it accepted (no reset for an accepted request) and exits 0", async () => {
    const r = await setUp();
    try {
      const leaving = r.instances[1]!;
      const { results, duringDone } = await load(r, async () => { leaving.proc.kill("SIGTERM"); });
      await duringDone;
      const exit = await leaving.exit;
      assert.deepEqual(exit, { code: 0, signal: null }, "exit 0 after a graceful stop");
      assert.ok(leaving.log.some((l) => l["type"] === "shutdown" && l["signal"] === "SIGTERM"));
      await checkExactlyOnce(r, results, [r.instances[0]!, r.instances[2]!]);
      // Every acceptance the leaving instance logged reached the client as an answer from it.
      const logged = leaving.log.filter((l) => l["type"] === "audit" && l["outcome"] === "accepted");
      assert.ok(logged.length > 0, "it accepted codes before the signal");
      const answered = new Set(results.flatMap((c) => c.submissions.flat().filter((a) => a.port === leaving.port && accepted(a)).map(() => `dev-${c.device}/${c.counter}`)));
      for (const l of logged) assert.ok(answered.has(`${String(l["id"])}/${String(l["step"])}`), `accepted ${String(l["id"])}/${String(l["step"])} but its answer was lost`);
    } finally {
      await tearDown(r);
    }
  }, 90_000);

  test("PostgreSQL restarted under load: the instances answer 503 meanwhile, recover by themselves, nothing accepted twice", async () => {
    const r = await setUp();
    try {
      const { results, duringDone } = await load(r, async () => {
        await pg.stop(true);
        await new Promise((res) => setTimeout(res, 300));
        await pg.start();
      });
      await duringDone;
      await checkExactlyOnce(r, results, r.instances);
      const attempts = results.flatMap((c) => c.submissions.flat());
      const transient = attempts.filter((a) => a.kind === "answer" && a.status === 503);
      assert.ok(transient.length > 0, "the outage was seen (503 STORE_TRANSIENT)");
      for (const t of transient) assert.ok(t.kind === "answer" && (t.body["error"] as { code: string }).code === "STORE_TRANSIENT");
      // Every instance answered accepted codes after the restart, without being restarted itself.
      const last = results.slice(-DEVICES * 2).flatMap((c) => c.submissions.flat()).filter(accepted).map((a) => a.port);
      assert.ok(last.length > 0);
      for (const i of r.instances) assert.equal(i.proc.exitCode, null, "still running");
      console.log(`PostgreSQL restart: ${transient.length} answers 503 STORE_TRANSIENT, all retried`);
    } finally {
      await tearDown(r);
    }
  }, 90_000);
});

test("an instance started while PostgreSQL is down serves, not ready, and becomes ready by itself when the database is back", async () => {
  const url = `postgresql://${pg.user}@localhost/${pg.database}?host=${encodeURIComponent(pg.host)}&port=${pg.port}`;
  await pg.stop();
  let down = true;
  let s: ServeProcess | undefined;
  try {
    s = await startServe(url, KEY.toString("hex"), TOKEN, ["--quiet"]);
    assert.ok(s.log.some((l) => l["type"] === "error" && l["code"] === "STORE_TRANSIENT"), JSON.stringify(s.log));
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/readyz`)).status, 503);
    await pg.start();
    down = false;
    let status = 0;
    for (let i = 0; i < 200 && status !== 200; i++) {
      status = (await fetch(`http://127.0.0.1:${s.port}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200, "ready once the database is back, without a restart");
  } finally {
    if (down) await pg.start();
    if (s) { s.proc.kill("SIGTERM"); await s.exit; }
  }
}, 60_000);
