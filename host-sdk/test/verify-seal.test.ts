// Stored rows cannot be weakened: every field that decides acceptance is authenticated with the
// seed (AEAD associated data) or by the row MAC, checked on read; tampering is a typed error and an
// audit event. Key rotation and the old row format.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCipheriv, randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { isSeglError } from "../src/errors.js";
import {
  MemoryStore, SqliteStore, TotpVerifier, HotpVerifier, VerifierError, type AuditEvent, type TokenRecord,
} from "../src/verify/index.js";
import { openRow, sealRow, type SealedRow } from "../src/verify/seal.js";

type Db = import("better-sqlite3").Database;
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");

const NOW = 1_700_000_010_000;
const SECRET = Uint8Array.from(randomBytes(20));
const totp = (ms: number, digits = 6) =>
  new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SECRET).buffer }), digits }).generate({ timestamp: ms });

function tmp(): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "segl-seal-"));
  return { file: join(dir, "tokens.sqlite"), done: () => rmSync(dir, { recursive: true, force: true }) };
}

function sql(file: string, f: (db: Db) => void): void {
  const db = new Database(file);
  try {
    f(db);
  } finally {
    db.close();
  }
}

const tamperedCode = (e: unknown) => isSeglError(e, "ROW_TAMPERED") && e instanceof VerifierError;

/** Each column an attacker with write access to the file might change, and a valid-looking new value. */
const EDITS: Array<[column: string, value: string]> = [
  ["kind", "'hotp'"], ["algorithm", "'SHA256'"], ["digits", "8"], ["period", "60"], ["t0", "30"],
  ["drift_steps", "5"], ["last_accepted_step", "12345"], ["failures", "0"], ["locked_until", "1"], ["lockouts", "3"],
  ["version", "version + 1"], ["secret", "randomblob(60)"], ["mac", "randomblob(50)"],
];

test("SqliteStore: changing any field of a stored row in the file is refused (ROW_TAMPERED) and audited", async () => {
  for (const [column, value] of EDITS) {
    const t = tmp();
    const key = randomBytes(32);
    const events: AuditEvent[] = [];
    try {
      const store = new SqliteStore(t.file, { secretKey: key });
      const v = new TotpVerifier({ store, onAudit: (e) => events.push(e), maxFailures: 100 });
      await v.enroll("d", { secret: SECRET });
      assert.equal((await v.verify("d", "000000", { now: NOW })).verified, totp(NOW) === "000000"); // leaves failures = 1
      store.close();
      sql(t.file, (db) => db.exec(`UPDATE tokens SET ${column} = ${value} WHERE id = 'd'`));
      events.length = 0;
      await assert.rejects(v.verify("d", totp(NOW + 30_000), { now: NOW + 30_000 }), tamperedCode, column);
      assert.deepEqual(events.map((e) => [e.op, e.outcome, e.reason]), [["verify", "rejected", "tampered"]], column);
      await assert.rejects(v.status("d"), tamperedCode, column);
      store.close();
    } finally {
      t.done();
    }
  }
});

test("SqliteStore: moving a row to another id is refused", async () => {
  const t = tmp();
  try {
    const store = new SqliteStore(t.file, { secretKey: randomBytes(32) });
    const v = new TotpVerifier({ store });
    await v.enroll("victim", { secret: SECRET });
    store.close();
    sql(t.file, (db) => db.exec("UPDATE tokens SET id = 'attacker' WHERE id = 'victim'"));
    await assert.rejects(v.verify("attacker", totp(NOW), { now: NOW }), tamperedCode);
    store.close();
  } finally {
    t.done();
  }
});

test("the digits=1 attack of issue 7: a one-digit row is refused, not guessed", async () => {
  const t = tmp();
  try {
    const store = new SqliteStore(t.file, { secretKey: randomBytes(32) });
    const events: AuditEvent[] = [];
    const v = new TotpVerifier({ store, onAudit: (e) => events.push(e) });
    await v.enroll("d", { secret: SECRET, digits: 6 });
    store.close();
    sql(t.file, (db) => db.exec("UPDATE tokens SET digits = 1, failures = 0, locked_until = 0 WHERE id = 'd'"));
    let accepted = 0;
    for (let g = 0; g < 10; g++) {
      try {
        if ((await v.verify("d", String(g), { now: NOW })).verified) accepted++;
      } catch (e) {
        assert.ok(tamperedCode(e), String(e));
      }
    }
    assert.equal(accepted, 0);
    assert.equal(events.filter((e) => e.reason === "tampered").length, 10);
    store.close();
  } finally {
    t.done();
  }
});

test("sealRow/openRow (shared by every store): each field of a sealed row is authenticated", () => {
  const key = new Uint8Array(randomBytes(32));
  const rec: TokenRecord = {
    id: "dev", kind: "hotp", secret: SECRET, algorithm: "SHA1", digits: 6, period: 30, t0: 0, driftSteps: 0,
    lastAcceptedStep: 41, failures: 2, lockedUntil: 0, lockouts: 1, version: 3,
  };
  const row = sealRow(key, rec);
  assert.deepEqual(openRow(key, row), rec);
  const changes: Array<Partial<SealedRow>> = [
    { id: "dev2" }, { kind: "totp" }, { algorithm: "SHA512" }, { digits: 7 }, { period: 31 }, { t0: 1 }, { driftSteps: 1 },
    { lastAcceptedStep: 40 }, { failures: 0 }, { lockedUntil: 1 }, { lockouts: 0 }, { version: 4 },
  ];
  for (const c of changes) assert.throws(() => openRow(key, { ...row, ...c }), tamperedCode, JSON.stringify(c));
  for (const part of ["seal", "mac"] as const) {
    for (const at of [0, 1, 5, row[part].length - 1]) {
      const b = row[part].slice();
      b[at]! ^= 1;
      assert.throws(() => openRow(key, { ...row, [part]: b }), (e) => isSeglError(e, "ROW_TAMPERED", "SECRET_UNREADABLE"), `${part}[${at}]`);
    }
  }
  // a MAC made by the key holder for out-of-range values would still be refused on read
  assert.throws(() => sealRow(key, { ...rec, digits: 1 }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("MemoryStore uses the same sealing: its rows open only with its keys", async () => {
  const key = new Uint8Array(randomBytes(32));
  const store = new MemoryStore({ keys: key });
  const v = new HotpVerifier({ store });
  await v.enroll("h", { secret: SECRET });
  const hotp = new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SECRET).buffer }) });
  assert.equal((await v.verify("h", hotp.generate({ counter: 0 }))).verified, true);
  assert.equal((await v.verify("h", hotp.generate({ counter: 0 }))).verified, false, "replay");
  assert.throws(() => new MemoryStore({ keys: new Uint8Array(16) }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("key rotation: rows of the old key still open, reseal() moves them to the new key", async () => {
  const t = tmp();
  const k1 = new Uint8Array(randomBytes(32));
  const k2 = new Uint8Array(randomBytes(32));
  try {
    const old = new SqliteStore(t.file, { secretKey: { current: "k1", keys: { k1 } } });
    const v1 = new TotpVerifier({ store: old });
    await v1.enroll("a", { secret: SECRET });
    await v1.enroll("b", { secret: SECRET });
    old.close();

    const both = new SqliteStore(t.file, { secretKey: { current: "k2", keys: { k1, k2 } } });
    const v2 = new TotpVerifier({ store: both });
    assert.equal((await v2.verify("a", totp(NOW), { now: NOW })).verified, true, "old seal opens; the write MACs with k2");
    assert.equal(both.keyId, "k2");
    assert.equal(await both.reseal(), 2);
    assert.equal(await both.reseal(), 0);
    both.close();

    const onlyNew = new SqliteStore(t.file, { secretKey: { current: "k2", keys: { k2 } } });
    assert.equal((await new TotpVerifier({ store: onlyNew }).verify("b", totp(NOW), { now: NOW })).verified, true);
    onlyNew.close();
    const onlyOld = new SqliteStore(t.file, { secretKey: { current: "k1", keys: { k1 } } });
    await assert.rejects(onlyOld.get("a"), (e) => isSeglError(e, "SECRET_UNREADABLE"));
    onlyOld.close();
    assert.throws(() => new SqliteStore(t.file, { secretKey: { current: "k3", keys: { k1 } } }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  } finally {
    t.done();
  }
});

test("rows of the old format are refused (LEGACY_ROW) until migrated with the old key", async () => {
  const t = tmp();
  const key = new Uint8Array(randomBytes(32));
  try {
    // A file as the previous SqliteStore wrote it: no mac column, seed sealed with AAD = id only.
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, nonce);
    c.setAAD(Buffer.from("old", "utf8"));
    const blob = Buffer.concat([Buffer.of(1), nonce, c.update(SECRET), c.final(), c.getAuthTag()]);
    sql(t.file, (db) => {
      db.exec(`CREATE TABLE tokens (id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, secret BLOB NOT NULL, algorithm TEXT NOT NULL,
        digits INTEGER NOT NULL, period INTEGER NOT NULL, t0 INTEGER NOT NULL, drift_steps INTEGER NOT NULL, last_accepted_step INTEGER NOT NULL,
        failures INTEGER NOT NULL, locked_until INTEGER NOT NULL, lockouts INTEGER NOT NULL, version INTEGER NOT NULL) STRICT`);
      db.prepare("INSERT INTO tokens VALUES ('old', 'totp', ?, 'SHA1', 6, 30, 0, 0, -1, 0, 0, 0, 0)").run(blob);
    });
    const store = new SqliteStore(t.file, { secretKey: key });
    const events: AuditEvent[] = [];
    const v = new TotpVerifier({ store, onAudit: (e) => events.push(e) });
    await assert.rejects(v.verify("old", totp(NOW), { now: NOW }), (e) => isSeglError(e, "LEGACY_ROW"));
    assert.equal(events[0]?.reason, "tampered");
    await assert.rejects(store.migrateLegacyRows(new Uint8Array(32)), (e) => isSeglError(e, "SECRET_UNREADABLE"));
    assert.equal(await store.migrateLegacyRows(key), 1);
    assert.equal((await v.verify("old", totp(NOW), { now: NOW })).verified, true);
    assert.equal(await store.migrateLegacyRows(key), 0);
    store.close();
  } finally {
    t.done();
  }
});
