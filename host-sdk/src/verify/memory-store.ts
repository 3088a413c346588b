// In-process VerifierStore: a Map of sealed rows (the same sealing as every other store), compare-and-set on the version.
import { randomBytes } from "../platform/crypto.js";
import { checkKeys, needsReseal, nextRow, openRow, sealRow, type SealKeys, type SealedRow } from "./seal.js";
import { SeglError } from "../errors.js";
import type { TokenRecord, VerifierStore } from "./types.js";
import {
  credentialKey, nextCredential, openChallenge, openCredential, sealChallenge, sealCredential,
  type ChallengeRecord, type CredentialRecord, type CredentialStore, type CredentialUse, type SealedChallenge, type SealedCredential,
} from "./credentials.js";

export interface MemoryStoreOptions {
  /** Seal keys (a 32-byte key or a key ring). Default: a random key for the life of the store. */
  readonly keys?: SealKeys;
}

/**
 * Keeps records in memory, sealed like SqliteStore's rows. Safe for any number of verifiers in ONE
 * process (each call runs to completion between awaits); use SqliteStore or another shared store across processes.
 */
export class MemoryStore implements VerifierStore, CredentialStore {
  private readonly rows = new Map<string, SealedRow>();
  private readonly creds = new Map<string, SealedCredential>();
  private readonly challenges = new Map<string, SealedChallenge>();
  private readonly keys: SealKeys;

  constructor(options: MemoryStoreOptions = {}) {
    const k = options.keys ?? randomBytes(32);
    this.keys = k instanceof Uint8Array ? Uint8Array.from(k) : k;
    checkKeys(this.keys);
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const r = this.rows.get(id);
    return r === undefined ? undefined : Object.freeze(openRow(this.keys, r));
  }

  async create(rec: TokenRecord): Promise<void> {
    if (this.rows.has(rec.id)) throw new SeglError("ALREADY_EXISTS", `device ${JSON.stringify(rec.id)} already enrolled`, { details: { id: rec.id } });
    this.rows.set(rec.id, Object.freeze(sealRow(this.keys, rec)));
  }

  async compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean> {
    const cur = this.rows.get(id);
    if (cur === undefined || cur.version !== expectedVersion) return false;
    // The configuration (id, kind, algorithm, digits, period, t0) and the seed are fixed at create.
    const { fields, mac } = nextRow(this.keys, cur, next, expectedVersion);
    this.rows.set(id, Object.freeze({ ...fields, seal: cur.seal, mac }));
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  /** Re-seals every row made with an older key under the current one; resolves the number re-sealed. */
  async reseal(): Promise<number> {
    let n = 0;
    for (const [id, row] of this.rows) {
      if (!needsReseal(this.keys, row)) continue;
      this.rows.set(id, Object.freeze(sealRow(this.keys, openRow(this.keys, row))));
      n++;
    }
    return n;
  }

  async getCredential(credentialId: Uint8Array): Promise<CredentialRecord | undefined> {
    const r = this.creds.get(credentialKey(credentialId));
    return r === undefined ? undefined : openCredential(this.keys, r);
  }

  async listCredentials(rpId: string, userHandle: Uint8Array): Promise<CredentialRecord[]> {
    const want = credentialKey(userHandle);
    return [...this.creds.values()]
      .filter((r) => r.rpId === rpId && credentialKey(r.userHandle) === want)
      .map((r) => openCredential(this.keys, r))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async createCredential(rec: CredentialRecord): Promise<void> {
    const s = sealCredential(this.keys, rec);
    const k = credentialKey(s.credentialId);
    if (this.creds.has(k)) throw new SeglError("ALREADY_EXISTS", `credential ${k} already registered`, { details: { credentialId: k } });
    this.creds.set(k, Object.freeze(s));
  }

  async updateCredential(read: CredentialRecord, use: CredentialUse): Promise<boolean> {
    const k = credentialKey(read.credentialId);
    const cur = this.creds.get(k);
    if (cur === undefined || cur.version !== read.version) return false;
    this.creds.set(k, Object.freeze(nextCredential(this.keys, cur, use, read.version)));
    return true;
  }

  async deleteCredential(credentialId: Uint8Array): Promise<boolean> {
    return this.creds.delete(credentialKey(credentialId));
  }

  async putChallenge(c: ChallengeRecord): Promise<void> {
    const s = sealChallenge(this.keys, c);
    if (this.challenges.has(s.challenge)) throw new SeglError("ALREADY_EXISTS", "challenge already pending", { details: {} });
    this.challenges.set(s.challenge, Object.freeze(s));
  }

  async takeChallenge(challenge: string, now: number): Promise<ChallengeRecord | undefined> {
    const s = this.challenges.get(challenge);
    this.challenges.delete(challenge);
    for (const [k, v] of this.challenges) if (v.expiresAt <= now) this.challenges.delete(k);
    if (s === undefined) return undefined;
    const c = openChallenge(this.keys, s);
    return c.expiresAt > now ? c : undefined;
  }

  /** Number of records (for tests and metrics). */
  get size(): number {
    return this.rows.size;
  }
}
