// VerifierStore on a real SQLite file (better-sqlite3: native SQLite, WAL, one conditional UPDATE per change).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { checkStoreOptions, currentKeyId, fieldsFromColumns, needsReseal, nextRow, openLegacySecret, openRow, sealRow, validateFields, type SealKeys, type SealedRow } from "./seal.js";
import { SeglError } from "../errors.js";
import { alreadyExists, type TokenRecord, type VerifierStore } from "./types.js";
import {
  CHALLENGE_COLS, CREDENTIAL_COLS, challengeFromColumns, challengeValues, credentialFromColumns, credentialKey, credentialValues,
  nextCredential, openChallenge, openCredential, sealChallenge, sealCredential,
  type ChallengeRecord, type CredentialRecord, type CredentialStore, type CredentialUse,
} from "./credentials.js";

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;
type DatabaseCtor = typeof BetterSqlite3;
type Row = Record<string, unknown>;

let sqlite: DatabaseCtor | undefined;
/** Loads the native SQLite on first use only, so code that never opens a SqliteStore never needs it. */
function loadSqlite(): DatabaseCtor {
  if (!sqlite) {
    try {
      sqlite = createRequire(import.meta.url)("better-sqlite3") as DatabaseCtor;
    } catch (e) {
      throw new SeglError("NATIVE_MODULE_MISSING", "SqliteStore needs better-sqlite3 (a native module): npm install better-sqlite3", {
        details: { module: "better-sqlite3", install: "npm install better-sqlite3" }, cause: e,
      });
    }
  }
  return sqlite;
}

/** better-sqlite3's messages when its compiled addon cannot be loaded (not built, or built for another Node.js). */
const NATIVE_MISSING = /bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|invalid ELF/i;

/** SQLite result codes (better-sqlite3 puts them in `err.code`) that mean "another connection holds the lock". */
const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;

/** Durability of a commit: see docs/verification.md ("SQLite store"). */
export type SqliteSynchronous = "NORMAL" | "FULL";

export interface SqliteStoreOptions {
  /**
   * Seal keys: a 32-byte key, or a key ring `{ current, keys: { id: key } }` for rotation. Seeds are
   * sealed with AES-256-GCM bound to the row's configuration, the state is MACed (seal.ts).
   */
  readonly secretKey: SealKeys;
  /** How long one operation waits for another connection holding the write lock (SQLite busy_timeout; default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * `NORMAL` (default): in WAL mode a commit survives a crash of the process; a power loss or OS
   * crash may lose the last commits (never corrupts). `FULL`: every commit is fsynced before it
   * returns, so it also survives power loss, at a cost of one fsync per verification.
   */
  readonly synchronous?: SqliteSynchronous;
}

/** The schema version this code writes (`PRAGMA user_version`). 0 = a file of an older SqliteStore. */
export const SQLITE_SCHEMA_VERSION = 2;

const CREATE_TOKENS = `
CREATE TABLE IF NOT EXISTS tokens (
  id                 TEXT    PRIMARY KEY NOT NULL,
  kind               TEXT    NOT NULL CHECK (kind IN ('totp', 'hotp')),
  secret             BLOB    NOT NULL,
  algorithm          TEXT    NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
  digits             INTEGER NOT NULL,
  period             INTEGER NOT NULL,
  t0                 INTEGER NOT NULL,
  drift_steps        INTEGER NOT NULL,
  last_accepted_step INTEGER NOT NULL,
  failures           INTEGER NOT NULL,
  locked_until       INTEGER NOT NULL,
  lockouts           INTEGER NOT NULL,
  version            INTEGER NOT NULL,
  mac                BLOB
) STRICT`;

/**
 * Migration steps, index i takes a file from user_version i to i + 1; each runs in one transaction
 * with the version bump, so a crash leaves the file at the old or the new version, never between.
 */
const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  // 0 → 1: a new file, or one written by the WASM SqliteStore (same table; very old files lack `mac`,
  // their rows stay refused as LEGACY_ROW until migrateLegacyRows()).
  (db) => {
    db.exec(CREATE_TOKENS);
    const cols = (db.prepare("PRAGMA table_info(tokens)").all() as Row[]).map((c) => String(c["name"]));
    const missing = COLS.split(", ").filter((c) => c !== "mac" && !cols.includes(c));
    if (missing.length > 0) throw new Error(`a tokens table of another shape (no ${missing.join(", ")})`);
    if (!cols.includes("mac")) db.exec("ALTER TABLE tokens ADD COLUMN mac BLOB");
  },
  // 1 → 2: FIDO credentials and ceremony challenges.
  (db) => {
    db.exec(`CREATE TABLE IF NOT EXISTS fido_credentials (
      credential_id BLOB    PRIMARY KEY NOT NULL,
      rp_id         TEXT    NOT NULL,
      user_handle   BLOB    NOT NULL,
      public_key    BLOB    NOT NULL,
      algorithm     INTEGER NOT NULL,
      aaguid        TEXT    NOT NULL,
      trust         TEXT    NOT NULL,
      sign_count    INTEGER NOT NULL,
      created_at    INTEGER NOT NULL,
      last_used_at  INTEGER NOT NULL,
      version       INTEGER NOT NULL,
      mac           BLOB    NOT NULL
    ) STRICT`);
    db.exec("CREATE INDEX IF NOT EXISTS fido_credentials_user ON fido_credentials (rp_id, user_handle)");
    db.exec(`CREATE TABLE IF NOT EXISTS fido_challenges (
      challenge   TEXT    PRIMARY KEY NOT NULL,
      purpose     TEXT    NOT NULL,
      rp_id       TEXT    NOT NULL,
      user_handle BLOB    NOT NULL,
      expires_at  INTEGER NOT NULL,
      mac         BLOB    NOT NULL
    ) STRICT`);
    db.exec("CREATE INDEX IF NOT EXISTS fido_challenges_expiry ON fido_challenges (expires_at)");
  },
];

const COLS = "id, kind, secret, algorithm, digits, period, t0, drift_steps, last_accepted_step, failures, locked_until, lockouts, version, mac";
type Stmts = {
  get: Statement; all: Statement; insert: Statement; cas: Statement; reseal: Statement; del: Statement;
  credGet: Statement; credList: Statement; credInsert: Statement; credCas: Statement; credDel: Statement;
  chalInsert: Statement; chalTake: (challenge: string, now: number) => Row | undefined;
};

/**
 * Verifier state in one SQLite file, shareable by several processes on one machine.
 *
 * The file is in WAL mode: readers never block the writer, and a process killed at any point
 * (even with SIGKILL in the middle of a commit) leaves nothing to clean up — SQLite's own locks
 * are released by the OS with the process and the next opener recovers the WAL by itself.
 * compareAndSet is ONE statement, `UPDATE tokens SET …, version = version + 1 WHERE id = ? AND version = ?`,
 * which succeeds only if it changed exactly one row: there is no read between check and write.
 *
 * `id`, `kind` and `secret` are fixed at create; compareAndSet does not change them.
 */
export class SqliteStore implements VerifierStore, CredentialStore {
  readonly path: string;
  private readonly keys: SealKeys;
  private readonly busyTimeoutMs: number;
  private readonly synchronous: SqliteSynchronous;
  private db: Database | undefined;
  private stmts: Stmts | undefined;

  /**
   * Checks its arguments and that the file's directory exists; the file itself is opened (and
   * created) on first use. Throws INVALID_ARGUMENT (`details.field`) or STORE_UNAVAILABLE.
   */
  constructor(path: string, options: SqliteStoreOptions) {
    if (typeof path !== "string" || path.length === 0 || path.includes("\0")) {
      throw new SeglError("INVALID_ARGUMENT", "path must be a file name", { details: { field: "path" } });
    }
    checkStoreOptions(options, "{ secretKey: 32 bytes }");
    const busy = options.busyTimeoutMs ?? 5000;
    if (typeof busy !== "number" || !Number.isFinite(busy) || busy < 0 || busy > 2 ** 31 - 1) {
      throw new SeglError("INVALID_ARGUMENT", "busyTimeoutMs must be a non-negative number of ms", { details: { field: "busyTimeoutMs", busyTimeoutMs: busy } });
    }
    const sync = options.synchronous ?? "NORMAL";
    if (sync !== "NORMAL" && sync !== "FULL") {
      throw new SeglError("INVALID_ARGUMENT", "synchronous must be \"NORMAL\" or \"FULL\"", { details: { field: "synchronous", synchronous: sync } });
    }
    if (path !== ":memory:") {
      const dir = dirname(resolve(path));
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new SeglError("STORE_UNAVAILABLE", `cannot keep ${path}: directory ${dir} does not exist (create it first)`, {
          details: { path, directory: dir },
        });
      }
    }
    this.path = path;
    this.keys = options.secretKey instanceof Uint8Array ? Uint8Array.from(options.secretKey) : options.secretKey;
    this.busyTimeoutMs = Math.floor(busy);
    this.synchronous = sync;
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = this.run("get", id, (s) => s.get.get(id) as Row | undefined);
    return row === undefined ? undefined : this.fromRow(row);
  }

  async create(rec: TokenRecord): Promise<void> {
    const r = sealRow(this.keys, rec);
    this.run("create", rec.id, (s) => s.insert.run(
      r.id, r.kind, r.seal, r.algorithm, r.digits, r.period, r.t0, r.driftSteps,
      r.lastAcceptedStep, r.failures, r.lockedUntil, r.lockouts, r.version, r.mac,
    ));
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    // Configuration and seed are fixed at create (not written here); the MAC covers the id and the new state.
    const { fields: f, mac } = nextRow(this.keys, { ...next, id }, next, expectedVersion);
    const r = this.run("compareAndSet", id, (s) => s.cas.run(
      f.driftSteps, f.lastAcceptedStep, f.failures, f.lockedUntil, f.lockouts, mac, id, expectedVersion,
    ));
    return r.changes === 1;
  }

  /**
   * Key rotation: re-seals every row whose seal or MAC was made with a key other than the current
   * one (each row checked first; a tampered row stops the run with ROW_TAMPERED, an old-format row
   * with LEGACY_ROW). Rows changed concurrently are skipped and counted on the next run. Resolves
   * the number of rows re-sealed.
   */
  async reseal(): Promise<number> {
    const rows = this.run("reseal", "*", (s) => s.all.all() as Row[]);
    let n = 0;
    for (const raw of rows) {
      const row = this.sealedRow(raw);
      if (!needsReseal(this.keys, row)) continue;
      const r = sealRow(this.keys, openRow(this.keys, row));
      n += this.run("reseal", r.id, (s) => s.reseal.run(r.seal, r.mac, r.id, r.version)).changes;
    }
    return n;
  }

  /**
   * One-time migration of rows of the old format (only the id was authenticated): opens each with
   * `legacyKey`, checks the ranges of its fields and re-seals it under the current key. Run it only
   * on a file you trust not to have been altered: the old format could not tell.
   */
  async migrateLegacyRows(legacyKey: Uint8Array): Promise<number> {
    const rows = this.run("migrateLegacyRows", "*", (s) => s.all.all() as Row[]);
    let n = 0;
    for (const r of rows) {
      const seal = r["secret"];
      if (!(seal instanceof Uint8Array) || seal[0] !== 0x01) continue;
      const fields = fieldsFromColumns(r);
      validateFields(fields);
      const secret = openLegacySecret(legacyKey, fields.id, seal);
      const s2 = sealRow(this.keys, { ...fields, secret });
      n += this.run("migrateLegacyRows", s2.id, (s) => s.reseal.run(s2.seal, s2.mac, s2.id, s2.version)).changes;
    }
    return n;
  }

  /** The id of the key new rows are sealed with. */
  get keyId(): string {
    return currentKeyId(this.keys);
  }

  /** The file's schema version (`PRAGMA user_version`) after opening and migrating it. */
  async schemaVersion(): Promise<number> {
    return this.run("schemaVersion", "*", () => Number(this.db!.pragma("user_version", { simple: true })));
  }

  async delete(id: string): Promise<boolean> {
    return this.run("delete", id, (s) => s.del.run(id)).changes === 1;
  }

  async getCredential(credentialId: Uint8Array): Promise<CredentialRecord | undefined> {
    const row = this.run("getCredential", credentialKey(credentialId), (s) => s.credGet.get(credentialId) as Row | undefined);
    return row === undefined ? undefined : openCredential(this.keys, credentialFromColumns(row));
  }

  async listCredentials(rpId: string, userHandle: Uint8Array): Promise<CredentialRecord[]> {
    const rows = this.run("listCredentials", "*", (s) => s.credList.all(rpId, userHandle) as Row[]);
    return rows.map((r) => openCredential(this.keys, credentialFromColumns(r)));
  }

  async createCredential(rec: CredentialRecord): Promise<void> {
    const sealed = sealCredential(this.keys, rec);
    this.run("createCredential", credentialKey(rec.credentialId), (s) => s.credInsert.run(...credentialValues(sealed)));
  }

  async updateCredential(cur: CredentialRecord, use: CredentialUse): Promise<boolean> {
    // One conditional UPDATE on the version: a concurrent winner has bumped it, so this one changes nothing.
    const n = nextCredential(this.keys, cur, use, cur.version);
    return this.run("updateCredential", credentialKey(cur.credentialId), (s) => s.credCas.run(n.signCount, n.lastUsedAt, n.mac, cur.credentialId, cur.version)).changes === 1;
  }

  async deleteCredential(credentialId: Uint8Array): Promise<boolean> {
    return this.run("deleteCredential", credentialKey(credentialId), (s) => s.credDel.run(credentialId)).changes === 1;
  }

  async putChallenge(c: ChallengeRecord): Promise<void> {
    const sealed = sealChallenge(this.keys, c);
    this.run("putChallenge", "*", (s) => s.chalInsert.run(...challengeValues(sealed)));
  }

  async takeChallenge(challenge: string, now: number): Promise<ChallengeRecord | undefined> {
    const row = this.run("takeChallenge", "*", (s) => s.chalTake(challenge, now));
    if (row === undefined) return undefined;
    const c = openChallenge(this.keys, challengeFromColumns(row));
    return c.expiresAt > now ? c : undefined;
  }

  /** Closes the file. Further calls reopen it. */
  close(): void {
    this.stmts = undefined;
    const db = this.db;
    this.db = undefined;
    try { db?.close(); } catch { /* closing a broken handle: nothing left to release */ }
  }

  private open(): Stmts {
    if (this.stmts) return this.stmts;
    const Db = loadSqlite();
    let db: Database;
    try {
      db = new Db(this.path, { timeout: this.busyTimeoutMs });
    } catch (e) {
      if (e instanceof Error && NATIVE_MISSING.test(e.message)) {
        throw new SeglError("NATIVE_MODULE_MISSING", "better-sqlite3 is installed but its native build is missing or for another Node.js: npm rebuild better-sqlite3", {
          details: { module: "better-sqlite3", install: "npm rebuild better-sqlite3" }, cause: e,
        });
      }
      throw new SeglError("STORE_UNAVAILABLE", `cannot open ${this.path}: ${e instanceof Error ? e.message : String(e)}`, { details: { path: this.path }, cause: e });
    }
    try {
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      if (this.path !== ":memory:") db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${this.synchronous}`);
      this.migrate(db);
      this.stmts = {
        get: db.prepare(`SELECT ${COLS} FROM tokens WHERE id = ?`),
        all: db.prepare(`SELECT ${COLS} FROM tokens`),
        insert: db.prepare(`INSERT INTO tokens (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        cas: db.prepare(
          "UPDATE tokens SET drift_steps = ?, last_accepted_step = ?, failures = ?, locked_until = ?, lockouts = ?, mac = ?, " +
            "version = version + 1 WHERE id = ? AND version = ?",
        ),
        reseal: db.prepare("UPDATE tokens SET secret = ?, mac = ? WHERE id = ? AND version = ?"),
        del: db.prepare("DELETE FROM tokens WHERE id = ?"),
        credGet: db.prepare(`SELECT ${CREDENTIAL_COLS} FROM fido_credentials WHERE credential_id = ?`),
        credList: db.prepare(`SELECT ${CREDENTIAL_COLS} FROM fido_credentials WHERE rp_id = ? AND user_handle = ? ORDER BY created_at, credential_id`),
        credInsert: db.prepare(`INSERT INTO fido_credentials (${CREDENTIAL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        credCas: db.prepare("UPDATE fido_credentials SET sign_count = ?, last_used_at = ?, mac = ?, version = version + 1 WHERE credential_id = ? AND version = ?"),
        credDel: db.prepare("DELETE FROM fido_credentials WHERE credential_id = ?"),
        chalInsert: db.prepare(`INSERT INTO fido_challenges (${CHALLENGE_COLS}) VALUES (?, ?, ?, ?, ?, ?)`),
        chalTake: takeChallengeTx(db),
      };
    } catch (e) {
      try { db.close(); } catch { /* already unusable */ }
      if (isBusy(e)) throw e; // mapped to STORE_BUSY by run()
      throw new SeglError("STORE_UNAVAILABLE", `cannot use ${this.path} as a verifier store: ${e instanceof Error ? e.message : String(e)}`, {
        details: { path: this.path }, cause: e,
      });
    }
    this.db = db;
    return this.stmts;
  }

  /** Brings the file to {@link SQLITE_SCHEMA_VERSION}, one step per transaction (BEGIN IMMEDIATE: one migrator at a time). */
  private migrate(db: Database): void {
    for (;;) {
      const v = Number(db.pragma("user_version", { simple: true }));
      if (v === SQLITE_SCHEMA_VERSION) return;
      if (!Number.isInteger(v) || v < 0 || v > SQLITE_SCHEMA_VERSION) {
        throw new Error(`schema version ${v} is newer than this SDK understands (${SQLITE_SCHEMA_VERSION}): upgrade the SDK`);
      }
      db.transaction(() => {
        // Another process may have migrated between our read and our lock: re-read inside the lock.
        const cur = Number(db.pragma("user_version", { simple: true }));
        if (cur !== v) return;
        MIGRATIONS[v]!(db);
        db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  /** Runs one statement, mapping every failure to a typed error. Waiting for a busy file is SQLite's busy_timeout. */
  private run<T>(op: string, id: string, f: (s: Stmts) => T): T {
    try {
      return f(this.open());
    } catch (e) {
      if (e instanceof SeglError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      const code = sqliteCode(e);
      if (code.startsWith("SQLITE_CONSTRAINT_PRIMARYKEY") || code.startsWith("SQLITE_CONSTRAINT_UNIQUE")) {
        throw alreadyExists(op, id, e);
      }
      if (isBusy(e)) {
        throw new SeglError("STORE_BUSY", `${this.path} stayed locked for ${this.busyTimeoutMs} ms`, { details: { path: this.path, timeoutMs: this.busyTimeoutMs }, cause: e });
      }
      // The handle may be unusable (disk I/O error, file replaced): reopen on the next call.
      this.close();
      throw new SeglError("STORE_ERROR", `${op} on ${this.path} failed: ${message}`, { details: { path: this.path, op, ...(code ? { sqlite: code } : {}) }, cause: e });
    }
  }

  private sealedRow(r: Row): SealedRow {
    const seal = r["secret"];
    const mac = r["mac"];
    return { ...fieldsFromColumns(r), seal: seal instanceof Uint8Array ? seal : new Uint8Array(0), mac: mac instanceof Uint8Array ? mac : new Uint8Array(0) };
  }

  private fromRow(r: Row): TokenRecord {
    return openRow(this.keys, this.sealedRow(r));
  }
}

/** The challenge taken (deleted and returned) and the expired ones swept, in one transaction: one commit. */
function takeChallengeTx(db: Database): (challenge: string, now: number) => Row | undefined {
  const take = db.prepare(`DELETE FROM fido_challenges WHERE challenge = ? RETURNING ${CHALLENGE_COLS}`);
  const sweep = db.prepare("DELETE FROM fido_challenges WHERE expires_at <= ?");
  const tx = db.transaction((challenge: string, now: number) => {
    const r = take.get(challenge) as Row | undefined;
    sweep.run(now);
    return r;
  });
  // IMMEDIATE: the write lock from the start (waiting busy_timeout for it), never an upgrade that fails at once.
  return (challenge, now) => tx.immediate(challenge, now);
}

function sqliteCode(e: unknown): string {
  const c = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof c === "string" ? c : "";
}

function isBusy(e: unknown): boolean {
  return BUSY_CODES.test(sqliteCode(e));
}
