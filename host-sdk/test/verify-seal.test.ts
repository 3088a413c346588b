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
import { openLegacySecret, openRow, sealRow, type SealedRow } from "../src/verify/seal.js";
import { credentialKey, openChallenge, openCredential, sealChallenge, sealCredential } from "../src/verify/credentials.js";

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

// Rows sealed by the code before the crypto seam (node:crypto called directly in seal.ts), computed once
// with that code and kept here: the seam must open them byte for byte, in every store.
const FIXED_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const FIXED_SECRET = new TextEncoder().encode("12345678901234567890");
const hexBytes = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const FIXED_ROW1: SealedRow = {
  id: "vec-1", kind: "totp", algorithm: "SHA1", digits: 6, period: 30, t0: 0, driftSteps: -1, lastAcceptedStep: 56666666,
  failures: 2, lockedUntil: 0, lockouts: 1, version: 7,
  seal: hexBytes("0210316232343335323835636238396238398db3937f7dcb61432d1567d6ff61983f16a2d25432017dc726e3305e9a1c205a7726ef846306009d80203849af38719a"),
  mac: hexBytes("021031623234333532383563623839623839c05eebcd4902a38f23fbee2bbc5fe5e3a8589437fcda7875b2e59e010e60c133"),
};
const FIXED_K2 = Uint8Array.from({ length: 32 }, (_, i) => 0x10 + i);
const FIXED_ROW2: SealedRow = {
  id: "vec-2", kind: "hotp", algorithm: "SHA256", digits: 8, period: 30, t0: 0, driftSteps: 0, lastAcceptedStep: 41,
  failures: 0, lockedUntil: 0, lockouts: 0, version: 0,
  seal: hexBytes("02056b32303236cffa67e9bfc6f7ed5b6f98a5e5137ae6e709a9d07e3158886dfa2ef6945f5928f04eb3368870445cf20e053b01d0e63c"),
  mac: hexBytes("02056b3230323678686850b9977524a6f6166e1abff9404b37ada970a19d05a98c7f92180b1f47"),
};

test("rows sealed before the crypto seam open unchanged: openRow, a key ring, a SQLite file, the old format; new MACs are byte-identical", async () => {
  const { seal: _a, mac: _b, ...clear1 } = FIXED_ROW1;
  void _a; void _b;
  assert.deepEqual(openRow(FIXED_KEY, FIXED_ROW1), { ...clear1, secret: FIXED_SECRET });
  const ring = { current: "k2026", keys: { k2026: FIXED_K2 } };
  assert.deepEqual(openRow(ring, FIXED_ROW2).secret, FIXED_SECRET);
  assert.throws(() => openRow(FIXED_KEY, { ...FIXED_ROW1, lastAcceptedStep: 56666667 }), tamperedCode);
  // Deterministic parts made anew by the seam are the old bytes: the key id header and the state MAC.
  const again = sealRow(FIXED_KEY, { ...clear1, secret: FIXED_SECRET });
  assert.deepEqual(again.mac, FIXED_ROW1.mac);
  assert.deepEqual(again.seal.subarray(0, 18), FIXED_ROW1.seal.subarray(0, 18));
  assert.deepEqual(sealRow(ring, { ...FIXED_ROW2, secret: FIXED_SECRET }).mac, FIXED_ROW2.mac);

  // The same row in a SqliteStore file, as the old code wrote it: read through the store and verified.
  const t = tmp();
  try {
    const fresh = new SqliteStore(t.file, { secretKey: FIXED_KEY }); // the file and its tables, made by an enrolment
    await new TotpVerifier({ store: fresh }).enroll("other", { secret: SECRET });
    fresh.close();
    sql(t.file, (db) => db.prepare(`INSERT INTO tokens (id, kind, secret, algorithm, digits, period, t0, drift_steps, last_accepted_step, failures, locked_until, lockouts, version, mac)
      VALUES (@id, @kind, @seal, @algorithm, @digits, @period, @t0, @driftSteps, @lastAcceptedStep, @failures, @lockedUntil, @lockouts, @version, @mac)`).run(FIXED_ROW1));
    const store = new SqliteStore(t.file, { secretKey: FIXED_KEY });
    assert.deepEqual((await store.get("vec-1"))?.secret, FIXED_SECRET);
    // The row's state holds: drift −1 (the device one step behind), replay floor 56666666.
    const code = (step: number) => new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(FIXED_SECRET).buffer }) }).generate({ counter: step });
    const v = new TotpVerifier({ store });
    const now = 56666668 * 30_000 + 5_000;
    assert.deepEqual(await v.verify("vec-1", code(56666666), { now }), { verified: false }, "the floor's own code is a replay");
    assert.deepEqual(await v.verify("vec-1", code(56666667), { now }), { verified: true, step: 56666667, driftSteps: -1 });
    store.close();
  } finally {
    t.done();
  }

  // The old format (0x01, AAD = id) as the pre-seal code wrote it, for migration.
  const legacy = hexBytes("01000102030405060708090a0b0fdefa43c8248dcdf75e7e7b88d00dde958b8d2aa862c2a8b3218232fd74cc3e9bdb69c5");
  assert.deepEqual(openLegacySecret(FIXED_KEY, "old", legacy), FIXED_SECRET);
  assert.throws(() => openLegacySecret(FIXED_KEY, "moved", legacy), (e) => isSeglError(e, "SECRET_UNREADABLE"));
  assert.throws(() => openLegacySecret(new Uint8Array(16), "old", legacy), (e) => isSeglError(e, "SECRET_UNREADABLE"));
});

test("MACs of FIDO credentials and challenges made before the crypto seam still check, and are made byte-identical", () => {
  const cred = {
    credentialId: Uint8Array.of(0xfb, 0xff, 0xbe, 0x00, 0x01, 0x3e, 0x3f), rpId: "example.com", userHandle: Uint8Array.of(0xff, 0xfe, 0xfd, 1),
    publicKey: Uint8Array.from({ length: 77 }, (_, i) => (i * 37) & 0xff), algorithm: -7, aaguid: "00112233-4455-6677-8899-aabbccddeeff",
    trust: "chained" as const, signCount: 4242, createdAt: 1_700_000_000_000, lastUsedAt: 1_700_000_100_000, version: 3,
  };
  const credMac = hexBytes("021031623234333532383563623839623839db1e4a518e3721e4ef659d954b767f0bc8a9131c615cdb0a3c2bcafb76f7e27b");
  assert.deepEqual(openCredential(FIXED_KEY, { ...cred, mac: credMac }), cred);
  assert.deepEqual(sealCredential(FIXED_KEY, cred).mac, credMac);
  assert.throws(() => openCredential(FIXED_KEY, { ...cred, signCount: 4241, mac: credMac }), tamperedCode);
  assert.equal(credentialKey(cred.credentialId), "-_--AAE-Pw");
  const ch = { challenge: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", purpose: "assertion" as const, rpId: "example.com", userHandle: Uint8Array.of(0xff, 0xfe), expiresAt: 1_700_000_200_000 };
  const chMac = hexBytes("0210316232343335323835636238396238398d8701fd1afc9af7c3b33186ff5dda00ad455f5d56d6873fab86c064491dd5ca");
  assert.deepEqual(openChallenge(FIXED_KEY, { ...ch, mac: chMac }), ch);
  assert.deepEqual(sealChallenge(FIXED_KEY, ch).mac, chMac);
});
