// Opens the broker store a command names: a PostgreSQL URL (postgres://… or postgresql://…) or else a
// SQLite file. `segl serve` and `segl broker import` take the same --store, so one opener serves both.
import { PostgresStore, SqliteStore } from "@segl/host-sdk/verify";

export interface OpenedStore {
  readonly store: SqliteStore | PostgresStore;
  /** What to print: the file, or "postgresql" (a URL may hold a password). */
  readonly name: string;
  readonly postgres: boolean;
}

export interface StoreOptions {
  secretKey: Uint8Array;
  /** PostgreSQL pool size. */
  pool?: number;
  /** SQLite synchronous mode. */
  synchronous?: "NORMAL" | "FULL";
}

export const isPostgresUrl = (where: string): boolean => /^postgres(ql)?:\/\//.test(where);

export function openBrokerStore(where: string, o: StoreOptions): OpenedStore {
  if (isPostgresUrl(where)) {
    return { store: new PostgresStore({ connectionString: where, secretKey: o.secretKey, ...(o.pool !== undefined ? { poolSize: o.pool } : {}) }), name: "postgresql", postgres: true };
  }
  return { store: new SqliteStore(where, { secretKey: o.secretKey, ...(o.synchronous ? { synchronous: o.synchronous } : {}) }), name: where, postgres: false };
}
