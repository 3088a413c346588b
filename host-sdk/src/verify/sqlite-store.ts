// VerifierStore on a real SQLite file (node-sqlite3-wasm: SQLite compiled to WASM, file I/O via node:fs).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Database, SQLiteValue, Statement } from "node-sqlite3-wasm";
import { checkKey, openSecret, sealSecret } from "./seal.js";
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
  /** 32-byte AES-256-GCM key that seals every seed at rest (AAD = device id). */
  readonly secretKey: Uint8Array;
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
  version            INTEGER NOT NULL
) STRICT;`;

const COLS = "id, kind, secret, algorithm, digits, period, t0, drift_steps, last_accepted_step, failures, locked_until, lockouts, version";

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
  private readonly key: Uint8Array;
  private readonly busyTimeoutMs: number;
  private db: Database | undefined;
  private stmts: { get: Statement; insert: Statement; cas: Statement; del: Statement } | undefined;

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
    if (!(options.secretKey instanceof Uint8Array) || options.secretKey.length !== 32) {
      throw new SeglError("INVALID_ARGUMENT", "secretKey must be 32 bytes (AES-256)", { details: { field: "secretKey" } });
    }
    checkKey(options.secretKey);
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
    this.key = Uint8Array.from(options.secretKey);
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
    const sealed = sealSecret(this.key, rec.id, rec.secret);
    await this.run("create", rec.id, (s) => s.insert.run([
      rec.id, rec.kind, sealed, rec.algorithm, rec.digits, rec.period, rec.t0, rec.driftSteps,
      rec.lastAcceptedStep, rec.failures, rec.lockedUntil, rec.lockouts, rec.version,
    ]));
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    const r = await this.run("compareAndSet", id, (s) => s.cas.run([
      next.algorithm, next.digits, next.period, next.t0, next.driftSteps, next.lastAcceptedStep,
      next.failures, next.lockedUntil, next.lockouts, id, expectedVersion,
    ]));
    return r.changes === 1;
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

  private open(): { get: Statement; insert: Statement; cas: Statement; del: Statement } {
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
        insert: prep(`INSERT INTO tokens (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
        cas: prep(
          "UPDATE tokens SET algorithm = ?, digits = ?, period = ?, t0 = ?, drift_steps = ?, last_accepted_step = ?, " +
            "failures = ?, locked_until = ?, lockouts = ?, version = version + 1 WHERE id = ? AND version = ?",
        ),
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
  private async run<T>(op: string, id: string, f: (s: { get: Statement; insert: Statement; cas: Statement; del: Statement }) => T): Promise<T> {
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

  private fromRow(r: Record<string, SQLiteValue>): TokenRecord {
    const id = String(r["id"]);
    const secret = r["secret"];
    if (!(secret instanceof Uint8Array)) throw new SeglError("SECRET_UNREADABLE", `row ${JSON.stringify(id)} has no sealed secret`, { details: { id } });
    return {
      id,
      kind: String(r["kind"]) as TokenKind,
      secret: openSecret(this.key, id, secret),
      algorithm: String(r["algorithm"]) as OtpAlgorithm,
      digits: Number(r["digits"]),
      period: Number(r["period"]),
      t0: Number(r["t0"]),
      driftSteps: Number(r["drift_steps"]),
      lastAcceptedStep: Number(r["last_accepted_step"]),
      failures: Number(r["failures"]),
      lockedUntil: Number(r["locked_until"]),
      lockouts: Number(r["lockouts"]),
      version: Number(r["version"]),
    };
  }
}
