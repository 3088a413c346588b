// VerifierStore on a real SQLite file (node-sqlite3-wasm: SQLite compiled to WASM, file I/O via node:fs).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Database, SQLiteValue, Statement } from "node-sqlite3-wasm";
import { checkKeys, currentKeyId, needsReseal, nextRow, openLegacySecret, openRow, sealRow, validateFields, type SealKeys, type SealedRow } from "./seal.js";
import { SeglError } from "../errors.js";
import type { OtpAlgorithm, TokenKind, TokenRecord, VerifierStore } from "./types.js";

type SqliteModule = typeof import("node-sqlite3-wasm");

let sqlite: SqliteModule | undefined;
/** Loads the WASM SQLite on first use only, so code that never opens a SqliteStore never pays for it. */
function loadSqlite(): SqliteModule {
  if (!sqlite) {
    try {
      sqlite = createRequire(import.meta.url)("node-sqlite3-wasm") as SqliteModule;
    } catch (e) {
      throw new SeglError("NATIVE_MODULE_MISSING", "SqliteStore needs node-sqlite3-wasm: npm install node-sqlite3-wasm", {
        details: { module: "node-sqlite3-wasm", install: "npm install node-sqlite3-wasm" }, cause: e,
      });
    }
  }
  return sqlite;
}

const BUSY = /database is locked|SQLITE_BUSY|database table is locked/i;

export interface SqliteStoreOptions {
  /**
   * Seal keys: a 32-byte key, or a key ring `{ current, keys: { id: key } }` for rotation. Seeds are
   * sealed with AES-256-GCM bound to the row's configuration, the state is MACed (seal.ts).
   */
  readonly secretKey: SealKeys;
  /** How long one operation waits for another process holding the file lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
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
) STRICT;`;

const COLS = "id, kind, secret, algorithm, digits, period, t0, drift_steps, last_accepted_step, failures, locked_until, lockouts, version, mac";
type Stmts = { get: Statement; all: Statement; insert: Statement; cas: Statement; reseal: Statement; del: Statement };

/**
 * Verifier state in one SQLite file, shareable by several processes on one machine.
 *
 * compareAndSet is `UPDATE tokens SET … , version = version + 1 WHERE id = ? AND version = ?`
 * and succeeds only if exactly one row changed. The WASM build has no shared-memory WAL; it uses a
 * rollback journal and an exclusive lock directory (`<file>.lock`) per statement, so statements of
 * different processes are serialised and a busy file is retried asynchronously.
 *
 * `id`, `kind` and `secret` are fixed at create; compareAndSet does not change them.
 */
export class SqliteStore implements VerifierStore {
  readonly path: string;
  private readonly keys: SealKeys;
  private readonly busyTimeoutMs: number;
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
    if (typeof options !== "object" || options === null) {
      throw new SeglError("INVALID_ARGUMENT", "options are required: { secretKey: 32 bytes }", { details: { field: "options" } });
    }
    try {
      checkKeys(options.secretKey);
    } catch (e) {
      throw new SeglError("INVALID_ARGUMENT", e instanceof Error ? e.message : "bad secretKey", { details: { field: "secretKey" } });
    }
    const busy = options.busyTimeoutMs ?? 5000;
    if (typeof busy !== "number" || !Number.isFinite(busy) || busy < 0) {
      throw new SeglError("INVALID_ARGUMENT", "busyTimeoutMs must be a non-negative number of ms", { details: { field: "busyTimeoutMs", busyTimeoutMs: busy } });
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
    this.busyTimeoutMs = busy;
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    // all(), not get(): the statement must run to completion so that its read lock is released at once.
    const rows = await this.run("get", id, (s) => s.get.all([id]));
    const row = rows[0];
    if (!row) return undefined;
    return this.fromRow(row as Record<string, SQLiteValue>);
  }

  async create(rec: TokenRecord): Promise<void> {
    const r = sealRow(this.keys, rec);
    await this.run("create", rec.id, (s) => s.insert.run([
      r.id, r.kind, r.seal, r.algorithm, r.digits, r.period, r.t0, r.driftSteps,
      r.lastAcceptedStep, r.failures, r.lockedUntil, r.lockouts, r.version, r.mac,
    ]));
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    // Configuration and seed are fixed at create (not written here); the MAC covers the id and the new state.
    const { fields: f, mac } = nextRow(this.keys, { ...next, id }, next, expectedVersion);
    const r = await this.run("compareAndSet", id, (s) => s.cas.run([
      f.driftSteps, f.lastAcceptedStep, f.failures, f.lockedUntil, f.lockouts, mac, id, expectedVersion,
    ]));
    return r.changes === 1;
  }

  /**
   * Key rotation: re-seals every row whose seal or MAC was made with a key other than the current
   * one (each row checked first; a tampered row stops the run with ROW_TAMPERED, an old-format row
   * with LEGACY_ROW). Rows changed concurrently are skipped and counted on the next run. Resolves
   * the number of rows re-sealed.
   */
  async reseal(): Promise<number> {
    const rows = await this.run("reseal", "*", (s) => s.all.all([]));
    let n = 0;
    for (const raw of rows) {
      const row = this.sealedRow(raw as Record<string, SQLiteValue>);
      if (!needsReseal(this.keys, row)) continue;
      const r = sealRow(this.keys, openRow(this.keys, row));
      const res = await this.run("reseal", r.id, (s) => s.reseal.run([r.seal, r.mac, r.id, r.version]));
      n += res.changes;
    }
    return n;
  }

  /**
   * One-time migration of rows of the old format (only the id was authenticated): opens each with
   * `legacyKey`, checks the ranges of its fields and re-seals it under the current key. Run it only
   * on a file you trust not to have been altered: the old format could not tell.
   */
  async migrateLegacyRows(legacyKey: Uint8Array): Promise<number> {
    const rows = await this.run("migrateLegacyRows", "*", (s) => s.all.all([]));
    let n = 0;
    for (const raw of rows) {
      const r = raw as Record<string, SQLiteValue>;
      const seal = r["secret"];
      if (!(seal instanceof Uint8Array) || seal[0] !== 0x01) continue;
      const fields = this.fields(r);
      validateFields(fields);
      const secret = openLegacySecret(legacyKey, fields.id, seal);
      const s2 = sealRow(this.keys, { ...fields, secret });
      const res = await this.run("migrateLegacyRows", s2.id, (s) => s.reseal.run([s2.seal, s2.mac, s2.id, s2.version]));
      n += res.changes;
    }
    return n;
  }

  /** The id of the key new rows are sealed with. */
  get keyId(): string {
    return currentKeyId(this.keys);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.run("delete", id, (s) => s.del.run([id]));
    return r.changes === 1;
  }

  /** Closes the file. Further calls reopen it. */
  close(): void {
    this.dropStatements();
    this.db?.close();
    this.db = undefined;
  }

  /** A statement that failed (e.g. busy) cannot be reset in node-sqlite3-wasm: finalize all, prepare afresh. */
  private dropStatements(): void {
    if (this.stmts) {
      for (const st of Object.values(this.stmts)) {
        try { st.finalize(); } catch { /* finalize reports the statement's last error; it is released anyway */ }
      }
    }
    this.stmts = undefined;
  }

  private open(): Stmts {
    if (this.stmts) return this.stmts;
    let db = this.db;
    if (!db) {
      const { Database: Db } = loadSqlite();
      try {
        db = new Db(this.path);
      } catch (e) {
        throw new SeglError("STORE_UNAVAILABLE", `cannot open ${this.path}: ${e instanceof Error ? e.message : String(e)}`, { details: { path: this.path }, cause: e });
      }
      try {
        db.exec("PRAGMA busy_timeout = 0"); // waiting is done asynchronously in run()
        db.exec("PRAGMA journal_mode = DELETE"); // the WASM VFS has no shared memory, so no WAL
        db.exec("PRAGMA synchronous = FULL");
        db.exec(SCHEMA);
        // Files of the old format lack the mac column: add it (their rows stay refused until migrated).
        const cols = db.all("PRAGMA table_info(tokens)").map((c) => String(c["name"]));
        if (!cols.includes("mac")) db.exec("ALTER TABLE tokens ADD COLUMN mac BLOB");
      } catch (e) {
        db.close();
        if (e instanceof Error && BUSY.test(e.message)) throw e; // retried by run()
        throw new SeglError("STORE_UNAVAILABLE", `cannot use ${this.path} as a verifier store: ${e instanceof Error ? e.message : String(e)}`, {
          details: { path: this.path }, cause: e,
        });
      }
      this.db = db;
    }
    const made: Statement[] = [];
    const prep = (sql: string): Statement => {
      const st = db.prepare(sql);
      made.push(st);
      return st;
    };
    try {
      this.stmts = {
        get: prep(`SELECT ${COLS} FROM tokens WHERE id = ?`),
        all: prep(`SELECT ${COLS} FROM tokens`),
        insert: prep(`INSERT INTO tokens (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        cas: prep(
          "UPDATE tokens SET drift_steps = ?, last_accepted_step = ?, failures = ?, locked_until = ?, lockouts = ?, mac = ?, " +
            "version = version + 1 WHERE id = ? AND version = ?",
        ),
        reseal: prep("UPDATE tokens SET secret = ?, mac = ? WHERE id = ? AND version = ?"),
        del: prep("DELETE FROM tokens WHERE id = ?"),
      };
    } catch (e) {
      for (const st of made) {
        try { st.finalize(); } catch { /* released anyway */ }
      }
      if (e instanceof Error && BUSY.test(e.message)) throw e; // retried by run()
      throw new SeglError("STORE_UNAVAILABLE", `${this.path} holds a tokens table of another shape: ${e instanceof Error ? e.message : String(e)}`, {
        details: { path: this.path }, cause: e,
      });
    }
    return this.stmts;
  }

  /** Runs one statement (a typed error for every failure), retrying with a short random back-off while another process holds the file. */
  private async run<T>(op: string, id: string, f: (s: Stmts) => T): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let delay = 1; ; delay = Math.min(delay * 2, 32)) {
      try {
        return f(this.open());
      } catch (e) {
        this.dropStatements();
        if (e instanceof SeglError) throw e;
        const message = e instanceof Error ? e.message : String(e);
        if (/UNIQUE constraint/i.test(message)) {
          throw new SeglError("ALREADY_EXISTS", `device ${JSON.stringify(id)} already enrolled`, { details: { id }, cause: e });
        }
        if (!BUSY.test(message)) throw new SeglError("STORE_ERROR", `${op} on ${this.path} failed: ${message}`, { details: { path: this.path, op }, cause: e });
        if (Date.now() >= deadline) {
          throw new SeglError("STORE_BUSY", `${this.path} stayed locked for ${this.busyTimeoutMs} ms`, { details: { path: this.path, timeoutMs: this.busyTimeoutMs }, cause: e });
        }
        await sleep(Math.ceil(Math.random() * delay));
      }
    }
  }

  /** The clear fields of a row as stored (no checks: openRow() checks them). */
  private fields(r: Record<string, SQLiteValue>): Omit<TokenRecord, "secret"> {
    const num = (k: string): number => (typeof r[k] === "number" ? (r[k] as number) : typeof r[k] === "bigint" ? Number(r[k]) : NaN);
    return {
      id: String(r["id"]),
      kind: String(r["kind"]) as TokenKind,
      algorithm: String(r["algorithm"]) as OtpAlgorithm,
      digits: num("digits"),
      period: num("period"),
      t0: num("t0"),
      driftSteps: num("drift_steps"),
      lastAcceptedStep: num("last_accepted_step"),
      failures: num("failures"),
      lockedUntil: num("locked_until"),
      lockouts: num("lockouts"),
      version: num("version"),
    };
  }

  private sealedRow(r: Record<string, SQLiteValue>): SealedRow {
    const seal = r["secret"];
    const mac = r["mac"];
    return { ...this.fields(r), seal: seal instanceof Uint8Array ? seal : new Uint8Array(0), mac: mac instanceof Uint8Array ? mac : new Uint8Array(0) };
  }

  private fromRow(r: Record<string, SQLiteValue>): TokenRecord {
    return openRow(this.keys, this.sealedRow(r));
  }
}
