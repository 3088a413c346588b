// VerifierStore on PostgreSQL (`pg`, an optional peer loaded on first use): many broker nodes, one database.
import type * as Pg from "pg";
import { checkStoreOptions, currentKeyId, fieldsFromColumns, needsReseal, nextRow, openRow, sealRow, type SealKeys, type SealedRow } from "./seal.js";
import { SeglError } from "../errors.js";
import { importOptional } from "../transport/native.js";
import { alreadyExists, type TokenRecord, type VerifierStore } from "./types.js";
import {
  CHALLENGE_COLS, CREDENTIAL_COLS, challengeFromColumns, challengeValues, credentialFromColumns, credentialKey, credentialValues,
  nextCredential, openChallenge, openCredential, sealChallenge, sealCredential,
  type ChallengeRecord, type CredentialRecord, type CredentialStore, type CredentialUse,
} from "./credentials.js";

type PgModule = typeof Pg;
type Row = Record<string, unknown>;

let pgModule: Promise<PgModule> | undefined;
/** Loads `pg` on first use only, so code that never opens a PostgresStore never needs it. */
function loadPg(): Promise<PgModule> {
  pgModule ??= importOptional<PgModule & { default?: PgModule }>("pg", "PostgresStore").then((m) => m.default ?? m);
  pgModule.catch(() => { pgModule = undefined; });
  return pgModule;
}

export interface PostgresStoreOptions {
  /** Seal keys, as for SqliteStore: a 32-byte key or a key ring `{ current, keys }` (seal.ts). */
  readonly secretKey: SealKeys;
  /**
   * Where the database is: a connection string (`postgres://user@host/db`, `postgresql:///db?host=/run/postgresql`)
   * or the parts. A `host` beginning with `/` is the directory of a Unix socket.
   */
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  /** Connections in the pool (default 10). Each node of a broker has its own pool. */
  readonly poolSize?: number;
  /** How long to wait for a connection, in ms (default 5000); past it: STORE_TRANSIENT. */
  readonly connectTimeoutMs?: number;
  /** Server-side limit of one statement, in ms (default 5000; 0 = none); past it: STORE_TRANSIENT. */
  readonly statementTimeoutMs?: number;
  /** Name of the tokens table (default `segl_otp_tokens`), to keep several stores in one database. */
  readonly table?: string;
}

/** The schema version this code writes (table `segl_schema`, component = the tokens table's name). */
export const POSTGRES_SCHEMA_VERSION = 2;

/** The advisory lock every migrator takes (transaction scope): "segl" in ASCII. */
const MIGRATION_LOCK = 0x7365676c;

const COLS = "id, kind, secret, algorithm, digits, period, t0, drift_steps, last_accepted_step, failures, locked_until, lockouts, version, mac";

/**
 * Migration steps, index i takes the tables from version i to i + 1 (run inside the migration transaction).
 * `t` is the tokens table; the FIDO tables are named after it (`${t}_fido`, `${t}_challenges`).
 */
const MIGRATIONS: ReadonlyArray<(t: string) => string> = [
  (t) => `CREATE TABLE ${t} (
    id                 TEXT     PRIMARY KEY,
    kind               TEXT     NOT NULL CHECK (kind IN ('totp', 'hotp')),
    secret             BYTEA    NOT NULL,
    algorithm          TEXT     NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits             INTEGER  NOT NULL,
    period             INTEGER  NOT NULL,
    t0                 BIGINT   NOT NULL,
    drift_steps        BIGINT   NOT NULL,
    last_accepted_step BIGINT   NOT NULL,
    failures           BIGINT   NOT NULL,
    locked_until       BIGINT   NOT NULL,
    lockouts           BIGINT   NOT NULL,
    version            BIGINT   NOT NULL,
    mac                BYTEA    NOT NULL
  )`,
  // 1 → 2: FIDO credentials and ceremony challenges.
  (t) => `CREATE TABLE IF NOT EXISTS ${t}_fido (
    credential_id BYTEA   PRIMARY KEY,
    rp_id         TEXT    NOT NULL,
    user_handle   BYTEA   NOT NULL,
    public_key    BYTEA   NOT NULL,
    algorithm     INTEGER NOT NULL,
    aaguid        TEXT    NOT NULL,
    trust         TEXT    NOT NULL,
    sign_count    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT  NOT NULL,
    version       BIGINT  NOT NULL,
    mac           BYTEA   NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ${t}_fido_user ON ${t}_fido (rp_id, user_handle);
  CREATE TABLE IF NOT EXISTS ${t}_challenges (
    challenge   TEXT   PRIMARY KEY,
    purpose     TEXT   NOT NULL,
    rp_id       TEXT   NOT NULL,
    user_handle BYTEA  NOT NULL,
    expires_at  BIGINT NOT NULL,
    mac         BYTEA  NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ${t}_challenges_expiry ON ${t}_challenges (expires_at)`,
];

/**
 * SQLSTATE classes and node errors that mean "the server or the connection went away; try again":
 * 08 connection exception, 57P01..57P03 shutdown / cannot connect now, 53300 too many connections,
 * 40001/40P01 serialization failure / deadlock, 57014 statement timeout.
 */
const TRANSIENT_SQLSTATE = /^(08|57P0[1-3]|53300|40001|40P01|57014)/;
const TRANSIENT_NODE = /^(ECONNREFUSED|ECONNRESET|ENOENT|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/;
const TRANSIENT_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection/i;

/**
 * Verifier state in a PostgreSQL table, shared by any number of broker nodes.
 *
 * compareAndSet is ONE statement and one round trip, `UPDATE … SET …, version = version + 1 WHERE id = $7
 * AND version = $8 RETURNING version`: it wins only if it changed the row, with no read between check and
 * write, so two nodes can never both accept a code. When the connection drops after the statement was sent,
 * its outcome is unknown: the call rejects with STORE_TRANSIENT (`outcomeUnknown: true`) and the verifier
 * reports no acceptance. The pool replaces broken connections by itself; the next call reconnects.
 *
 * The schema is versioned in `segl_schema`; the first call of each node migrates inside one transaction
 * under an advisory lock, so many nodes may start at once.
 */
export class PostgresStore implements VerifierStore, CredentialStore {
  private readonly keys: SealKeys;
  private readonly table: string;
  private readonly config: Pg.PoolConfig;
  private pool: Pg.Pool | undefined;
  private ready: Promise<Pg.Pool> | undefined;
  private readonly names = new Map<string, string>();

  /** Checks its arguments; connects on first use. Throws INVALID_ARGUMENT (`details.field`). */
  constructor(options: PostgresStoreOptions) {
    checkStoreOptions(options, "{ secretKey: 32 bytes, connectionString | host/database }");
    const table = options.table ?? "segl_otp_tokens";
    // At most 48 characters: the FIDO tables and indexes are named after it (`…_challenges_expiry`).
    if (typeof table !== "string" || !/^[a-z_][a-z0-9_]{0,47}$/.test(table)) {
      throw new SeglError("INVALID_ARGUMENT", "table must be a lower-case SQL identifier (a-z, 0-9, _) of at most 48 characters", { details: { field: "table" } });
    }
    const int = (field: string, v: unknown, dflt: number, min: number, max: number): number => {
      const n = v ?? dflt;
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
        throw new SeglError("INVALID_ARGUMENT", `${field} must be an integer in ${min}..${max}`, { details: { field, [field]: n } });
      }
      return n;
    };
    for (const f of ["connectionString", "host", "database", "user", "password"] as const) {
      const v = options[f];
      if (v !== undefined && (typeof v !== "string" || v.includes("\0"))) {
        throw new SeglError("INVALID_ARGUMENT", `${f} must be a string`, { details: { field: f } });
      }
    }
    if (options.connectionString === undefined && options.host === undefined && options.database === undefined) {
      throw new SeglError("INVALID_ARGUMENT", "give connectionString or host/database (PGHOST and friends are not read implicitly)", { details: { field: "connectionString" } });
    }
    const statementTimeout = int("statementTimeoutMs", options.statementTimeoutMs, 5000, 0, 2 ** 31 - 1);
    this.config = {
      ...(options.connectionString !== undefined ? { connectionString: options.connectionString } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: int("port", options.port, 5432, 1, 65535) } : {}),
      ...(options.database !== undefined ? { database: options.database } : {}),
      ...(options.user !== undefined ? { user: options.user } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      max: int("poolSize", options.poolSize, 10, 1, 1000),
      connectionTimeoutMillis: int("connectTimeoutMs", options.connectTimeoutMs, 5000, 1, 2 ** 31 - 1),
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      application_name: "segl-verifier",
    };
    this.keys = options.secretKey instanceof Uint8Array ? Uint8Array.from(options.secretKey) : options.secretKey;
    this.table = table;
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const r = await this.query("get", id, `SELECT ${COLS} FROM ${this.table} WHERE id = $1`, [id]);
    const row = r.rows[0];
    return row === undefined ? undefined : openRow(this.keys, this.sealedRow(row));
  }

  async create(rec: TokenRecord): Promise<void> {
    const r = sealRow(this.keys, rec);
    await this.query("create", rec.id, `INSERT INTO ${this.table} (${COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, [
      r.id, r.kind, Buffer.from(r.seal), r.algorithm, r.digits, r.period, r.t0, r.driftSteps,
      r.lastAcceptedStep, r.failures, r.lockedUntil, r.lockouts, r.version, Buffer.from(r.mac),
    ]);
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    const { fields: f, mac } = nextRow(this.keys, { ...next, id }, next, expectedVersion);
    const r = await this.query(
      "compareAndSet", id,
      `UPDATE ${this.table} SET drift_steps = $1, last_accepted_step = $2, failures = $3, locked_until = $4, lockouts = $5, mac = $6, ` +
        "version = version + 1 WHERE id = $7 AND version = $8 RETURNING version",
      [f.driftSteps, f.lastAcceptedStep, f.failures, f.lockedUntil, f.lockouts, Buffer.from(mac), id, expectedVersion],
    );
    return r.rowCount === 1 && Number(r.rows[0]?.["version"]) === expectedVersion + 1;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.query("delete", id, `DELETE FROM ${this.table} WHERE id = $1`, [id])).rowCount === 1;
  }

  async getCredential(credentialId: Uint8Array): Promise<CredentialRecord | undefined> {
    const r = await this.query("getCredential", credentialKey(credentialId), `SELECT ${CREDENTIAL_COLS} FROM ${this.table}_fido WHERE credential_id = $1`, [Buffer.from(credentialId)]);
    const row = r.rows[0];
    return row === undefined ? undefined : openCredential(this.keys, credentialFromColumns(row));
  }

  async listCredentials(rpId: string, userHandle: Uint8Array): Promise<CredentialRecord[]> {
    const r = await this.query("listCredentials", "*",
      `SELECT ${CREDENTIAL_COLS} FROM ${this.table}_fido WHERE rp_id = $1 AND user_handle = $2 ORDER BY created_at, credential_id`, [rpId, Buffer.from(userHandle)]);
    return r.rows.map((row) => openCredential(this.keys, credentialFromColumns(row)));
  }

  async createCredential(rec: CredentialRecord): Promise<void> {
    const s = sealCredential(this.keys, rec);
    await this.query("createCredential", credentialKey(rec.credentialId),
      `INSERT INTO ${this.table}_fido (${CREDENTIAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, credentialValues(s, toBuffer));
  }

  async updateCredential(cur: CredentialRecord, use: CredentialUse): Promise<boolean> {
    // One round trip, conditional on the version: of two nodes accepting one counter value, one changes the row.
    const n = nextCredential(this.keys, cur, use, cur.version);
    const r = await this.query("updateCredential", credentialKey(cur.credentialId),
      `UPDATE ${this.table}_fido SET sign_count = $1, last_used_at = $2, mac = $3, version = version + 1 WHERE credential_id = $4 AND version = $5 RETURNING version`,
      [n.signCount, n.lastUsedAt, Buffer.from(n.mac), Buffer.from(cur.credentialId), cur.version]);
    return r.rowCount === 1 && Number(r.rows[0]?.["version"]) === cur.version + 1;
  }

  async deleteCredential(credentialId: Uint8Array): Promise<boolean> {
    return (await this.query("deleteCredential", credentialKey(credentialId), `DELETE FROM ${this.table}_fido WHERE credential_id = $1`, [Buffer.from(credentialId)])).rowCount === 1;
  }

  async putChallenge(c: ChallengeRecord): Promise<void> {
    const s = sealChallenge(this.keys, c);
    await this.query("putChallenge", "*", `INSERT INTO ${this.table}_challenges (${CHALLENGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6)`, challengeValues(s, toBuffer));
  }

  async takeChallenge(challenge: string, now: number): Promise<ChallengeRecord | undefined> {
    // One statement: the challenge taken (single use) and the expired ones swept.
    const r = await this.query("takeChallenge", "*",
      `WITH taken AS (DELETE FROM ${this.table}_challenges WHERE challenge = $1 RETURNING ${CHALLENGE_COLS}), ` +
        `swept AS (DELETE FROM ${this.table}_challenges WHERE expires_at <= $2 AND challenge <> $1) SELECT * FROM taken`,
      [challenge, now]);
    const row = r.rows[0];
    if (row === undefined) return undefined;
    const c = openChallenge(this.keys, challengeFromColumns(row));
    return c.expiresAt > now ? c : undefined;
  }

  /** Key rotation, as SqliteStore.reseal(): re-seals every row not sealed with the current key; resolves how many. */
  async reseal(): Promise<number> {
    const rows = (await this.query("reseal", "*", `SELECT ${COLS} FROM ${this.table}`, [])).rows;
    let n = 0;
    for (const raw of rows) {
      const row = this.sealedRow(raw);
      if (!needsReseal(this.keys, row)) continue;
      const r = sealRow(this.keys, openRow(this.keys, row));
      n += (await this.query("reseal", r.id, `UPDATE ${this.table} SET secret = $1, mac = $2 WHERE id = $3 AND version = $4`, [
        Buffer.from(r.seal), Buffer.from(r.mac), r.id, r.version,
      ])).rowCount ?? 0;
    }
    return n;
  }

  /** The id of the key new rows are sealed with. */
  get keyId(): string {
    return currentKeyId(this.keys);
  }

  /** The table's schema version after migrating it. */
  async schemaVersion(): Promise<number> {
    const r = await this.query("schemaVersion", "*", "SELECT version FROM segl_schema WHERE component = $1", [this.table]);
    return Number(r.rows[0]?.["version"] ?? 0);
  }

  /** Closes the pool. Further calls open a new one. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    await pool?.end().catch(() => { /* already broken: nothing left to release */ });
  }

  /** The pool, created and the schema migrated on first use (again after a failed first use). */
  private open(): Promise<Pg.Pool> {
    this.ready ??= (async () => {
      const pg = await loadPg();
      const pool = new pg.Pool(this.config);
      // An idle connection killed by the server emits here; the pool drops it and opens another on demand.
      pool.on("error", () => { /* handled by the pool: the broken client is discarded */ });
      // A checked-out connection that dies between statements emits "error" too: its next query fails and is mapped.
      pool.on("connect", (client) => { client.on("error", () => { /* reported by the failing query */ }); });
      try {
        await this.migrate(pool);
      } catch (e) {
        await pool.end().catch(() => { /* never connected */ });
        throw e;
      }
      this.pool = pool;
      return pool;
    })();
    this.ready.catch(() => { this.ready = undefined; });
    return this.ready;
  }

  /** Brings the table to {@link POSTGRES_SCHEMA_VERSION} in one transaction, holding an advisory lock. */
  private async migrate(pool: Pg.Pool): Promise<void> {
    let client: Pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw this.mapError("connect", "*", e, false);
    }
    let broken: unknown;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS segl_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
      const r = await client.query("SELECT version FROM segl_schema WHERE component = $1", [this.table]);
      const v = r.rows.length === 0 ? 0 : Number((r.rows[0] as Row)["version"]);
      if (!Number.isInteger(v) || v < 0 || v > POSTGRES_SCHEMA_VERSION) {
        throw new SeglError("STORE_UNAVAILABLE", `schema version ${v} of ${this.table} is newer than this SDK understands (${POSTGRES_SCHEMA_VERSION}): upgrade the SDK`, {
          details: { table: this.table, version: v },
        });
      }
      for (let i = v; i < POSTGRES_SCHEMA_VERSION; i++) await client.query(MIGRATIONS[i]!(this.table));
      if (v !== POSTGRES_SCHEMA_VERSION) {
        await client.query(
          "INSERT INTO segl_schema (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
          [this.table, POSTGRES_SCHEMA_VERSION],
        );
      }
      await client.query("COMMIT");
    } catch (e) {
      broken = e;
      await client.query("ROLLBACK").catch(() => { /* the connection is gone: the server rolled back */ });
      if (e instanceof SeglError) throw e;
      const t = this.mapError("migrate", "*", e, false);
      throw t.code === "STORE_ERROR"
        ? new SeglError("STORE_UNAVAILABLE", `cannot use ${this.table} as a verifier store: ${t.message}`, { details: { table: this.table }, cause: e })
        : t;
    } finally {
      client.release(broken instanceof Error && !(broken instanceof SeglError) ? broken : undefined);
    }
  }

  /** One statement on a pooled connection (one round trip); every failure mapped to a typed error. */
  private async query(op: string, id: string, text: string, values: unknown[]): Promise<Pg.QueryResult<Row>> {
    const pool = await this.open();
    // Connection first, so that a failure to connect (nothing sent) is told apart from a lost reply.
    let client: Pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw this.mapError(op, id, e, false);
    }
    try {
      // Named: parsed and planned once per connection, then only bound and executed (still one round trip).
      const r = await client.query<Row>({ name: this.statementName(text), text, values });
      client.release();
      return r;
    } catch (e) {
      const mapped = this.mapError(op, id, e, true);
      // A connection that failed is destroyed, never handed to the next call.
      client.release(mapped.code === "STORE_TRANSIENT" || mapped.code === "STORE_ERROR" ? (e instanceof Error ? e : new Error(String(e))) : undefined);
      throw mapped;
    }
  }

  /** One name per statement text (names are per connection, and this store's pool is its own). */
  private statementName(text: string): string {
    let n = this.names.get(text);
    if (n === undefined) this.names.set(text, (n = `segl_${this.names.size}`));
    return n;
  }

  private mapError(op: string, id: string, e: unknown, sent: boolean): SeglError {
    if (e instanceof SeglError) return e;
    const code = typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : "";
    const message = e instanceof Error ? e.message : String(e);
    if (code === "23505") return alreadyExists(op, id, e);
    const transient = TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE.test(code) || TRANSIENT_MESSAGE.test(message);
    if (transient) {
      // A statement refused by the server before running (shutdown, too many connections, timeout that
      // cancelled it) did not apply; a reply lost with the connection may have.
      const outcomeUnknown = sent && !/^(57P0[1-3]|53300|57014|40001|40P01)$/.test(code) && code !== "ECONNREFUSED" && code !== "ENOENT";
      return new SeglError("STORE_TRANSIENT", `${op} on PostgreSQL failed, retry later: ${message}`, {
        details: { op, outcomeUnknown, ...(code ? { sqlstate: code } : {}) }, cause: e,
      });
    }
    return new SeglError("STORE_ERROR", `${op} on PostgreSQL failed: ${message}`, { details: { op, table: this.table, ...(code ? { sqlstate: code } : {}) }, cause: e });
  }

  private sealedRow(r: Row): SealedRow {
    const bytes = (k: string): Uint8Array => (r[k] instanceof Uint8Array ? new Uint8Array(r[k] as Uint8Array) : new Uint8Array(0));
    return {
      ...fieldsFromColumns(r),
      seal: bytes("secret"),
      mac: bytes("mac"),
    };
  }
}

const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b);
