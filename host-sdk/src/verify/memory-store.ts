// In-process VerifierStore: a Map of frozen copies, compare-and-set on the version.
import { SeglError } from "../errors.js";
import type { TokenRecord, VerifierStore } from "./types.js";

function copy(rec: TokenRecord, version: number): TokenRecord {
  return Object.freeze({ ...rec, secret: Uint8Array.from(rec.secret), version });
}

/**
 * Keeps records in memory. Safe for any number of verifiers in ONE process (each call runs to
 * completion between awaits); use SqliteStore or another shared store across processes.
 */
export class MemoryStore implements VerifierStore {
  private readonly records = new Map<string, TokenRecord>();

  async get(id: string): Promise<TokenRecord | undefined> {
    const r = this.records.get(id);
    return r === undefined ? undefined : copy(r, r.version);
  }

  async create(rec: TokenRecord): Promise<void> {
    if (this.records.has(rec.id)) throw new SeglError("ALREADY_EXISTS", `device ${JSON.stringify(rec.id)} already enrolled`, { details: { id: rec.id } });
    this.records.set(rec.id, copy(rec, rec.version));
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    const cur = this.records.get(id);
    if (cur === undefined || cur.version !== expectedVersion) return false;
    // id, kind and secret are fixed at create (as in SqliteStore).
    this.records.set(id, Object.freeze({ ...next, id, kind: cur.kind, secret: cur.secret, version: expectedVersion + 1 }));
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  /** Number of records (for tests and metrics). */
  get size(): number {
    return this.records.size;
  }
}
