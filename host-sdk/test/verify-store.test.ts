import { test } from "vitest";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import {
  MemoryStore,
  SQLITE_SCHEMA_VERSION,
  SqliteStore,
  TotpVerifier,
  VerifierError,
} from "../src/verify/index.js";
import { casContract, isCode, record } from "./store-contract.js";

function tmp(): { dir: string; file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "segl-verify-"));
  return { dir, file: join(dir, "tokens.sqlite"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("MemoryStore: compare-and-set contract", async () => {
  await casContract(new MemoryStore());
});

test("SqliteStore: compare-and-set contract on a real SQLite file", async () => {
  const t = tmp();
  const store = new SqliteStore(t.file, { secretKey: randomBytes(32) });
  try {
    await casContract(store);
    assert.ok(existsSync(t.file));
  } finally {
    store.close();
    t.done();
  }
});

test("SqliteStore: state survives reopening; two handles on one file see each other's writes", async () => {
  const t = tmp();
  const key = randomBytes(32);
  const a = new SqliteStore(t.file, { secretKey: key });
  const b = new SqliteStore(t.file, { secretKey: key });
  try {
    const rec = record("p", { lastAcceptedStep: 2 ** 40, lockedUntil: 1_800_000_000_000 });
    await a.create(rec);
    assert.deepEqual(await b.get("p"), rec);
    assert.equal(await b.compareAndSet("p", 0, { ...rec, failures: 2 }), true);
    assert.equal(await a.compareAndSet("p", 0, { ...rec, failures: 3 }), false, "a's stale version loses");
    a.close();
    const c = new SqliteStore(t.file, { secretKey: key });
    assert.deepEqual(await c.get("p"), { ...rec, failures: 2, version: 1 });
    c.close();
  } finally {
    a.close();
    b.close();
    t.done();
  }
});

test("SqliteStore: seeds are sealed with AES-256-GCM (not in the file, wrong key and moved rows refused)", async () => {
  const t = tmp();
  const key = randomBytes(32);
  const store = new SqliteStore(t.file, { secretKey: key });
  try {
    const seed = Uint8Array.from(randomBytes(32));
    await store.create(record("alice", { secret: seed }));
    await store.create(record("bob"));
    store.close();
    const raw = readFileSync(t.file);
    assert.equal(raw.indexOf(Buffer.from(seed)), -1, "seed bytes do not appear in the file");
    assert.equal(raw.indexOf(Buffer.from(seed.subarray(0, 8))), -1);

    await assert.rejects(new SqliteStore(t.file, { secretKey: randomBytes(32) }).get("alice"), isCode("SECRET_UNREADABLE"));

    // Copy alice's sealed seed into bob's row: the AAD binds the id, so it fails authentication.
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(t.file);
    db.exec("UPDATE tokens SET secret = (SELECT secret FROM tokens WHERE id = 'alice') WHERE id = 'bob'");
    db.close();
    const again = new SqliteStore(t.file, { secretKey: key });
    assert.deepEqual((await again.get("alice"))?.secret, seed);
    await assert.rejects(again.get("bob"), isCode("ROW_TAMPERED"));
    again.close();
    assert.throws(() => new SqliteStore(t.file, { secretKey: randomBytes(16) }), isCode("INVALID_ARGUMENT"));
  } finally {
    store.close();
    t.done();
  }
});

test("SqliteStore behind TotpVerifier: verify, replay and lockout persist across reopen", async () => {
  const t = tmp();
  const key = randomBytes(32);
  const secret = randomBytes(20);
  const code = (ms: number) =>
    new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(secret).buffer }) }).generate({ timestamp: ms });
  const now = 1_700_000_010_000;
  try {
    const s1 = new SqliteStore(t.file, { secretKey: key });
    const v1 = new TotpVerifier({ store: s1 });
    await v1.enroll("d", { secret });
    assert.equal((await v1.verify("d", code(now), { now })).verified, true);
    s1.close();
    const s2 = new SqliteStore(t.file, { secretKey: key });
    const v2 = new TotpVerifier({ store: s2 });
    assert.equal((await v2.verify("d", code(now), { now })).verified, false, "replay refused after reopen");
    assert.equal((await v2.status("d"))?.failures, 0, "a replay is refused but not counted");
    const wrong = ["000000", "111111"].find((c) => c !== code(now) && c !== code(now - 30_000) && c !== code(now + 30_000))!;
    assert.equal((await v2.verify("d", wrong, { now })).verified, false);
    s2.close();
    const s3 = new SqliteStore(t.file, { secretKey: key });
    assert.equal((await new TotpVerifier({ store: s3 }).status("d"))?.failures, 1, "a wrong code's failure count persists");
    s3.close();
  } finally {
    t.done();
  }
});

const Sqlite = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");

test("SqliteStore schema: a file of the previous store (user_version 0) is migrated to the current version with its rows intact; a newer version is refused untouched", async () => {
  const t = tmp();
  const key = randomBytes(32);
  try {
    // The current schema as the previous (WASM) SqliteStore left it: same table, user_version 0, a sealed row.
    const s0 = new SqliteStore(t.file, { secretKey: key });
    await s0.create(record("kept"));
    assert.equal(await s0.schemaVersion(), SQLITE_SCHEMA_VERSION);
    s0.close();
    const raw = new Sqlite(t.file);
    raw.pragma("user_version = 0");
    raw.close();
    const s1 = new SqliteStore(t.file, { secretKey: key });
    assert.equal((await s1.get("kept"))?.driftSteps, -2, "the row survives the migration and still opens");
    assert.equal(await s1.schemaVersion(), SQLITE_SCHEMA_VERSION);
    s1.close();
    const check = new Sqlite(t.file, { readonly: true });
    assert.equal(check.pragma("user_version", { simple: true }), SQLITE_SCHEMA_VERSION);
    assert.equal(check.pragma("journal_mode", { simple: true }), "wal", "WAL is on (it is a property of the file)");
    check.close();

    const future = new Sqlite(t.file);
    future.pragma("user_version = 7");
    future.close();
    const s2 = new SqliteStore(t.file, { secretKey: key });
    await assert.rejects(s2.get("kept"), (e: unknown) => isCode("STORE_UNAVAILABLE")(e) && /newer/.test((e as Error).message));
    s2.close();
    const after = new Sqlite(t.file, { readonly: true });
    assert.equal(after.pragma("user_version", { simple: true }), 7, "left as found");
    after.close();
  } finally {
    t.done();
  }
});

test("SqliteStore options: synchronous NORMAL or FULL (both durable across reopen), anything else INVALID_ARGUMENT", async () => {
  const t = tmp();
  const key = randomBytes(32);
  try {
    assert.throws(() => new SqliteStore(t.file, { secretKey: key, synchronous: "OFF" as never }),
      (e: unknown) => isCode("INVALID_ARGUMENT")(e) && (e as VerifierError).details?.["field"] === "synchronous");
    const full = new SqliteStore(t.file, { secretKey: key, synchronous: "FULL" });
    await full.create(record("f"));
    assert.equal(await full.compareAndSet("f", 0, record("f", { failures: 2 })), true);
    full.close();
    const normal = new SqliteStore(t.file, { secretKey: key, synchronous: "NORMAL" });
    assert.equal((await normal.get("f"))?.failures, 2);
    normal.close();
  } finally {
    t.done();
  }
});

test("SqliteStore: another connection holding the write lock longer than busyTimeoutMs is STORE_BUSY; released, the store carries on", async () => {
  const t = tmp();
  const key = randomBytes(32);
  try {
    const s = new SqliteStore(t.file, { secretKey: key, busyTimeoutMs: 20 });
    await s.create(record("b"));
    const other = new Sqlite(t.file);
    other.exec("BEGIN IMMEDIATE");
    await assert.rejects(s.compareAndSet("b", 0, record("b")), (e: unknown) => isCode("STORE_BUSY")(e) && (e as VerifierError).details?.["timeoutMs"] === 20);
    assert.equal((await s.get("b"))?.version, 0, "WAL: reads go on while another connection writes");
    other.exec("ROLLBACK");
    other.close();
    assert.equal(await s.compareAndSet("b", 0, record("b")), true);
    s.close();
  } finally {
    t.done();
  }
});
