// PostgresStore against a real, throwaway PostgreSQL server (pg-server.ts): the store contract,
// versioned schema migrated by many nodes at once, sealed rows, exactly-once acceptance across
// connections, a connection lost mid-compare-and-set, and a server restarted under load.
import { describe, test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import pg from "pg";
import * as OTPAuth from "otpauth";
import { isSeglError } from "../src/errors.js";
import {
  POSTGRES_SCHEMA_VERSION, PostgresStore, TotpVerifier, type AuditEvent, type PostgresStoreOptions, type TokenRecord, type VerifierStore,
} from "../src/verify/index.js";
import { casContract, checkCounterRace, credential, credentialContract, record } from "./store-contract.js";
import { startPgServer, type PgServer } from "./pg-server.js";
import { accepted, raceCounters, start, type Child } from "./verify-process-child.js";
import { RP, newCred } from "./fido-soft.js";

let server: PgServer;
let tables = 0;

beforeAll(async () => {
  server = await startPgServer();
}, 30_000);
afterAll(async () => {
  await server?.destroy();
});

const NOW = 1_700_000_010_000;
const SECRET = Uint8Array.from(randomBytes(20));
const totp = (ms: number) => new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SECRET).buffer }) }).generate({ timestamp: ms });

/** Options for a store on its own table (tests do not see each other's rows). */
function opts(over: Partial<PostgresStoreOptions> = {}): PostgresStoreOptions & { table: string } {
  return { host: server.host, port: server.port, user: server.user, database: server.database, secretKey: randomBytes(32), table: `t${++tables}`, ...over } as PostgresStoreOptions & { table: string };
}

async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end();
  }
}

// SEGL_RACE_PROCS (default 4) × SEGL_RACE_TRIALS (default 300); the figure by hand:
// SEGL_RACE_PROCS=8 SEGL_RACE_TRIALS=10000 npx vitest run host-sdk/test/verify-postgres
const PROCS = Number(process.env["SEGL_RACE_PROCS"] ?? 4);
const TRIALS = Number(process.env["SEGL_RACE_TRIALS"] ?? 300);

describe("PostgresStore", () => {
  test("compare-and-set contract (the one every store passes)", async () => {
    const store = new PostgresStore(opts());
    try {
      await casContract(store);
    } finally {
      await store.close();
    }
  });

  test("FIDO credentials and challenges: the contract every store passes", async () => {
    const store = new PostgresStore(opts());
    try {
      await credentialContract(store);
    } finally {
      await store.close();
    }
  });

  test("a version-1 database migrates to 2 by itself (FIDO tables added), its OTP rows intact; a credential changed in the database is ROW_TAMPERED", async () => {
    const o = opts();
    const s1 = new PostgresStore(o);
    await s1.create(record("kept"));
    await s1.close();
    await sql(`DROP TABLE ${o.table}_fido; DROP TABLE ${o.table}_challenges`);
    await sql("UPDATE segl_schema SET version = 1 WHERE component = $1", [o.table]);
    const s2 = new PostgresStore(o);
    try {
      assert.equal((await s2.get("kept"))?.id, "kept");
      assert.equal(await s2.schemaVersion(), 2);
      const c = credential({ signCount: 9 });
      await s2.createCredential(c);
      assert.deepEqual(await s2.getCredential(c.credentialId), c);
      await sql(`UPDATE ${o.table}_fido SET public_key = decode(md5('k'), 'hex')`);
      await assert.rejects(s2.getCredential(c.credentialId), (e: unknown) => isSeglError(e, "ROW_TAMPERED"));
    } finally {
      await s2.close();
    }
  });

  test(`${PROCS} processes on one PostgreSQL submit assertions with the same counters at once: no counter accepted twice`, async () => {
    const o = opts();
    const key = randomBytes(32);
    const s = new PostgresStore({ ...o, secretKey: key });
    const cred = newCred();
    await s.createCredential(credential({ credentialId: cred.id, publicKey: cred.cose, rpId: RP, signCount: 0 }));
    const counters = Number(process.env["SEGL_RACE_COUNTERS"] ?? 60);
    const per = await raceCounters({
      pg: { host: server.host, port: server.port, user: server.user, database: server.database, table: o.table },
      keyHex: key.toString("hex"), credIdHex: Buffer.from(cred.id).toString("hex"), skHex: Buffer.from(cred.sk).toString("hex"), counters,
    }, PROCS);
    checkCounterRace(per, (await s.getCredential(cred.id))?.signCount, counters);
    await s.close();
    console.log(`PostgreSQL counter race: ${per.map((p) => p.length).join(" + ")} acceptances of ${counters} counters`);
  }, 60_000);

  test("eight nodes starting at once migrate the schema once (advisory lock); a newer schema is refused untouched", async () => {
    const o = opts();
    const stores = Array.from({ length: 8 }, () => new PostgresStore(o));
    try {
      assert.deepEqual(await Promise.all(stores.map((s) => s.schemaVersion())), Array(8).fill(POSTGRES_SCHEMA_VERSION));
      await stores[0]!.create(record("kept"));
      assert.equal((await stores[7]!.get("kept"))?.id, "kept");
      assert.deepEqual((await sql("SELECT version FROM segl_schema WHERE component = $1", [o.table])).rows, [{ version: POSTGRES_SCHEMA_VERSION }]);
      await sql("UPDATE segl_schema SET version = 99 WHERE component = $1", [o.table]);
      const newer = new PostgresStore(o);
      await assert.rejects(newer.get("kept"), (e: unknown) => isSeglError(e, "STORE_UNAVAILABLE") && /newer/.test((e as Error).message));
      await newer.close();
      assert.equal((await sql(`SELECT count(*)::int AS n FROM ${o.table}`)).rows[0].n, 1, "rows untouched");
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test("bad options are INVALID_ARGUMENT; an unreachable server is STORE_TRANSIENT and nothing was sent", async () => {
    assert.throws(() => new PostgresStore({ ...opts(), secretKey: randomBytes(16) }), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.["field"] === "secretKey");
    assert.throws(() => new PostgresStore(opts({ table: "x; DROP TABLE y" })), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.["field"] === "table");
    assert.throws(() => new PostgresStore({ secretKey: randomBytes(32) }), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.["field"] === "connectionString");
    assert.throws(() => new PostgresStore(opts({ poolSize: 0 })), (e: unknown) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.["field"] === "poolSize");
    const away = new PostgresStore(opts({ host: `${server.host}/nowhere` }));
    await assert.rejects(away.get("x"), (e: unknown) => isSeglError(e, "STORE_TRANSIENT") && e.details?.["outcomeUnknown"] === false);
    await away.close();
  });

  test("changing any field of a stored row in the database is refused (ROW_TAMPERED) and audited; so is a row moved to another id", async () => {
    const edits: Array<[string, string]> = [
      ["kind", "'hotp'"], ["algorithm", "'SHA256'"], ["digits", "8"], ["period", "60"], ["t0", "30"],
      ["drift_steps", "5"], ["last_accepted_step", "12345"], ["failures", "0"], ["locked_until", "1"], ["lockouts", "3"],
      ["version", "version + 1"], ["secret", "decode(md5('x'), 'hex')"], ["mac", "decode(md5('y'), 'hex')"],
    ];
    const o = opts();
    const store = new PostgresStore(o);
    const events: AuditEvent[] = [];
    const v = new TotpVerifier({ store, onAudit: (e) => events.push(e), maxFailures: 100 });
    try {
      for (const [column, value] of edits) {
        const id = `d-${column}`;
        await v.enroll(id, { secret: SECRET });
        assert.equal((await v.verify(id, "000000", { now: NOW })).verified, totp(NOW) === "000000"); // failures = 1
        await sql(`UPDATE ${o.table} SET ${column} = ${value} WHERE id = $1`, [id]);
        events.length = 0;
        await assert.rejects(v.verify(id, totp(NOW + 30_000), { now: NOW + 30_000 }), (e: unknown) => isSeglError(e, "ROW_TAMPERED"), column);
        assert.deepEqual(events.map((e) => [e.op, e.outcome, e.reason]), [["verify", "rejected", "tampered"]], column);
      }
      await v.enroll("alice", { secret: SECRET });
      await v.enroll("bob", { secret: Uint8Array.from(randomBytes(20)) });
      await sql(`UPDATE ${o.table} SET secret = a.secret, mac = a.mac FROM ${o.table} a WHERE a.id = 'alice' AND ${o.table}.id = 'bob'`);
      await assert.rejects(store.get("bob"), (e: unknown) => isSeglError(e, "ROW_TAMPERED"));
      assert.deepEqual((await store.get("alice"))?.secret, SECRET);
      // The seed is not in the database in the clear.
      const raw = (await sql(`SELECT secret FROM ${o.table} WHERE id = 'alice'`)).rows[0].secret as Buffer;
      assert.equal(raw.indexOf(Buffer.from(SECRET.subarray(0, 8))), -1);
    } finally {
      await store.close();
    }
  });

  test("eight nodes (own pools) verify the same code at once, 40 rounds: exactly one acceptance per round, replays do not lock out", async () => {
    const o = opts();
    let lost = 0;
    const nodes = Array.from({ length: 8 }, () => {
      const pgStore = new PostgresStore(o);
      const store: VerifierStore = {
        get: (id) => pgStore.get(id), create: (r: TokenRecord) => pgStore.create(r), delete: (id) => pgStore.delete(id),
        compareAndSet: async (id, ver, next) => { const ok = await pgStore.compareAndSet(id, ver, next); if (!ok) lost++; return ok; },
      };
      return { pgStore, v: new TotpVerifier({ store, maxFailures: 3 }) };
    });
    try {
      await nodes[0]!.v.enroll("u", { secret: SECRET });
      for (let round = 0; round < 40; round++) {
        const now = NOW + round * 30_000;
        const rs = await Promise.all(nodes.map((n) => n.v.verify("u", totp(now), { now })));
        assert.equal(rs.filter((r) => r.verified).length, 1, `round ${round}`);
      }
      const st = await nodes[3]!.v.status("u", { now: NOW + 40 * 30_000 });
      assert.equal(st?.failures, 0);
      assert.equal(st?.locked, false);
      assert.ok(lost > 0, "the nodes really raced");
    } finally {
      await Promise.all(nodes.map((n) => n.pgStore.close()));
    }
  });

  test("the connection killed while compareAndSet waits: STORE_TRANSIENT, no acceptance; the next call reconnects", async () => {
    const o = opts();
    const store = new PostgresStore({ ...o, poolSize: 1 });
    const v = new TotpVerifier({ store });
    const holder = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
    try {
      await v.enroll("u", { secret: SECRET });
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM ${o.table} WHERE id = 'u' FOR UPDATE`);
      // Settled into a value at once: its rejection arrives while this test is still awaiting other calls.
      const pending = v.verify("u", totp(NOW), { now: NOW }).then(() => "resolved", (e: unknown) => e);
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        const r = await holder.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'segl-verifier' AND wait_event_type = 'Lock'");
        pid = r.rows[0]?.pid as number | undefined;
        if (pid === undefined) await new Promise((res) => setTimeout(res, 10));
      }
      assert.ok(pid !== undefined, "the verifier's UPDATE is waiting for the row lock");
      await holder.query("SELECT pg_terminate_backend($1)", [pid]);
      const e = await pending;
      assert.ok(isSeglError(e, "STORE_TRANSIENT") && e.details?.["op"] === "compareAndSet" &&
        // The server answered 57P01 (terminated) to this very statement: it was rolled back, so the outcome is known.
        e.details?.["sqlstate"] === "57P01" && e.details?.["outcomeUnknown"] === false, String(e));
      await holder.query("ROLLBACK");
      // Same store, no manual step: the pool opens a new connection.
      assert.equal((await v.verify("u", totp(NOW), { now: NOW })).verified, true);
      assert.equal((await v.verify("u", totp(NOW), { now: NOW })).verified, false, "and only once");
    } finally {
      await holder.end().catch(() => undefined);
      await store.close();
    }
  });

  test("PostgreSQL restarted (immediate shutdown) under load by four nodes: only STORE_TRANSIENT meanwhile, nothing accepted twice, all recover by themselves", async () => {
    const o = opts();
    const nodes = Array.from({ length: 4 }, () => new PostgresStore({ ...o, connectTimeoutMs: 2000 }));
    const vs = nodes.map((store) => new TotpVerifier({ store }));
    try {
      await vs[0]!.enroll("u", { secret: SECRET });
      const accepted = new Map<number, number>();
      const errors: string[] = [];
      let restarted = false;
      let restart: Promise<void> | undefined;
      for (let round = 0; round < 60; round++) {
        const now = NOW + round * 30_000;
        // Each node keeps submitting the round's code until it gets an answer (a retrying HTTP client).
        if (round === 15) restart = (async () => { await server.stop(true); await new Promise((r) => setTimeout(r, 200)); await server.start(); restarted = true; })();
        const rs = await Promise.all(vs.map(async (v) => {
          for (let tries = 0; tries < 400; tries++) {
            try {
              return await v.verify("u", totp(now), { now });
            } catch (e) {
              errors.push(isSeglError(e) ? e.code : String(e));
              await new Promise((r) => setTimeout(r, 25));
            }
          }
          throw new Error("never recovered");
        }));
        accepted.set(round, rs.filter((r) => r.verified).length);
      }
      await restart;
      assert.ok(restarted);
      assert.ok(errors.length > 0, "the restart was seen by the nodes");
      assert.deepEqual([...new Set(errors)], ["STORE_TRANSIENT"]);
      for (const [round, n] of accepted) assert.ok(n <= 1, `round ${round} accepted ${n} times`);
      // A round whose winning UPDATE was lost with the connection may show no acceptance (never two); the others one.
      assert.ok([...accepted.values()].filter((n) => n === 1).length >= 58, JSON.stringify([...accepted]));
      for (let round = 20; round < 60; round++) assert.equal(accepted.get(round), 1, `round ${round} after the restart`);
    } finally {
      await Promise.all(nodes.map((s) => s.close()));
    }
  }, 60_000);

  test(`${PROCS} processes verify the same ${TRIALS} codes on one PostgreSQL; one more is SIGKILLed holding every row lock mid-transaction: every code accepted once, no failure counted`, async () => {
    const DEVICES = 8;
    const START_STEP = 56_666_667;
    const o = opts();
    const key = randomBytes(32);
    const seeds = Array.from({ length: DEVICES }, () => randomBytes(20));
    const children: Child[] = [];
    const setup = new PostgresStore({ ...o, secretKey: key });
    try {
      const v = new TotpVerifier({ store: setup });
      for (let d = 0; d < DEVICES; d++) await v.enroll(`dev-${d}`, { secret: seeds[d]! });
      const args = {
        pg: { host: server.host, port: server.port, user: server.user, database: server.database, table: o.table },
        path: "", keyHex: key.toString("hex"), seedsHex: seeds.map((x) => x.toString("hex")), first: 0, trials: TRIALS, startStep: START_STEP,
      };
      for (let i = 0; i < PROCS; i++) children.push(start(args));
      const victim = start({ ...args, holdAfter: 10 });
      children.push(victim);
      await Promise.all(children.map((c) => c.line((l) => l === "READY")));
      for (const c of children) c.proc.stdin!.write("go\n");
      await victim.line((l) => l === "HOLDING");
      victim.proc.kill("SIGKILL");
      assert.equal((await victim.exit).signal, "SIGKILL");
      for (const c of children.slice(0, PROCS)) await c.exit;
      for (const c of children) assert.deepEqual(c.lines.filter((l) => l.startsWith("E ")), [], "no process saw an error");
      const count = new Map<number, number>();
      for (const c of children) for (const t of accepted(c)) count.set(t, (count.get(t) ?? 0) + 1);
      assert.deepEqual([...count].filter(([, n]) => n > 1), [], "no code accepted twice");
      assert.equal(count.size, TRIALS, "every code accepted by someone");
      for (let d = 0; d < DEVICES; d++) {
        const rec = await setup.get(`dev-${d}`);
        assert.equal(rec?.lastAcceptedStep, START_STEP + Math.floor((TRIALS - 1 - ((TRIALS - 1 - d) % DEVICES)) / DEVICES));
        assert.equal(rec?.failures, 0, "replays not counted; the killed transaction was rolled back by the server");
      }
    } finally {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
      await setup.close();
    }
  }, 120_000);
});
