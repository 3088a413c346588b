// FIDO credentials and ceremony challenges kept by the broker's stores (memory, SQLite, PostgreSQL),
// and how every store authenticates their rows (seal.ts's key ring, one MAC per row).
import { SeglError } from "../errors.js";
import { base64url as b64u } from "../platform/encoding.js";
import { checkMacText, macText, type SealKeys } from "./seal.js";

/** What the registration's attestation proved (fido/attestation.ts): "chained" to a maker root, or less. */
export type CredentialTrust = "chained" | "unchained" | "self" | "none";
const TRUSTS: readonly CredentialTrust[] = ["chained", "unchained", "self", "none"];

/** One registered FIDO credential as a broker keeps it. Nothing in it is secret; all of it is authenticated. */
export interface CredentialRecord {
  /** The credential id (1..1023 bytes, WebAuthn §5.1 rawId): the key of the record. */
  readonly credentialId: Uint8Array;
  /** The RP ID the credential was registered for. */
  readonly rpId: string;
  /** user.id of the account (1..64 bytes). */
  readonly userHandle: Uint8Array;
  /** The credential public key as COSE_Key bytes, from the registration. */
  readonly publicKey: Uint8Array;
  /** Its COSE algorithm. */
  readonly algorithm: number;
  /** The authenticator's AAGUID (UUID text). */
  readonly aaguid: string;
  /** The attestation verdict at registration. */
  readonly trust: CredentialTrust;
  /** The last signature counter accepted (0..2^32−1). */
  readonly signCount: number;
  /** Unix ms of the registration. */
  readonly createdAt: number;
  /** Unix ms of the last accepted assertion; 0 = never used. */
  readonly lastUsedAt: number;
  /** Optimistic-concurrency version; the store sets it to expected + 1 on every successful updateCredential. */
  readonly version: number;
}

/** The part of a credential an accepted assertion changes. */
export interface CredentialUse {
  readonly signCount: number;
  readonly lastUsedAt: number;
}

/** A challenge the broker issued for one ceremony; single use, until `expiresAt`. */
export interface ChallengeRecord {
  /** The challenge as base64url text (what clientDataJSON.challenge carries). */
  readonly challenge: string;
  readonly purpose: "registration" | "assertion";
  readonly rpId: string;
  /** The account the ceremony is for; empty = any (a username-less assertion). */
  readonly userHandle: Uint8Array;
  /** Unix ms after which the challenge is refused (and removed). */
  readonly expiresAt: number;
}

/**
 * Persistence of FIDO credentials and ceremony challenges, shared by every broker node on one store.
 * The sign counter only moves through updateCredential, a compare-and-set on the version: two nodes
 * accepting assertions of one credential at once cannot both write (one wins, the other re-reads).
 */
export interface CredentialStore {
  getCredential(credentialId: Uint8Array): Promise<CredentialRecord | undefined>;
  /** The credentials of one account at one RP (for excludeCredentials / allowCredentials), oldest first. */
  listCredentials(rpId: string, userHandle: Uint8Array): Promise<CredentialRecord[]>;
  /** Inserts a credential; ALREADY_EXISTS if its id is taken. */
  createCredential(rec: CredentialRecord): Promise<void>;
  /**
   * Writes the counter and last use iff the stored version still equals `cur.version` (then it becomes
   * cur.version + 1); resolves false if another call changed or removed the credential in between.
   * `cur` is the record as read (its fixed fields are MACed into the new row); one conditional write.
   */
  updateCredential(cur: CredentialRecord, use: CredentialUse): Promise<boolean>;
  deleteCredential(credentialId: Uint8Array): Promise<boolean>;
  /** Keeps a challenge (and drops expired ones). ALREADY_EXISTS if the same challenge is pending. */
  putChallenge(c: ChallengeRecord): Promise<void>;
  /**
   * Removes the challenge and returns it, in one step: of two concurrent calls at most one gets it.
   * An expired challenge is removed and not returned.
   */
  takeChallenge(challenge: string, now: number): Promise<ChallengeRecord | undefined>;
}

const int = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/** The map key of a credential id (base64url). */
export const credentialKey = b64u;

/** Range checks of a credential's fields (INVALID_ARGUMENT naming them). */
export function validateCredential(r: CredentialRecord): void {
  const bad: string[] = [];
  const bytes = (v: unknown, min: number, max: number) => v instanceof Uint8Array && v.length >= min && v.length <= max;
  if (!bytes(r.credentialId, 1, 1023)) bad.push("credentialId");
  if (typeof r.rpId !== "string" || r.rpId.length === 0 || r.rpId.length > 253) bad.push("rpId");
  if (!bytes(r.userHandle, 1, 64)) bad.push("userHandle");
  if (!bytes(r.publicKey, 1, 2048)) bad.push("publicKey");
  if (!int(r.algorithm, -65536, 65535)) bad.push("algorithm");
  if (typeof r.aaguid !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(r.aaguid)) bad.push("aaguid");
  if (!TRUSTS.includes(r.trust)) bad.push("trust");
  if (!int(r.signCount, 0, 0xffff_ffff)) bad.push("signCount");
  if (!int(r.createdAt, 0)) bad.push("createdAt");
  if (!int(r.lastUsedAt, 0)) bad.push("lastUsedAt");
  if (!int(r.version, 0)) bad.push("version");
  if (bad.length > 0) throw new SeglError("INVALID_ARGUMENT", `credential fields out of range: ${bad.join(", ")}`, { details: { field: bad[0], fields: bad } });
}

export function validateChallenge(c: ChallengeRecord): void {
  const bad: string[] = [];
  if (typeof c.challenge !== "string" || !/^[A-Za-z0-9_-]{22,128}$/.test(c.challenge)) bad.push("challenge");
  if (c.purpose !== "registration" && c.purpose !== "assertion") bad.push("purpose");
  if (typeof c.rpId !== "string" || c.rpId.length === 0 || c.rpId.length > 253) bad.push("rpId");
  if (!(c.userHandle instanceof Uint8Array) || c.userHandle.length > 64) bad.push("userHandle");
  if (!int(c.expiresAt, 0)) bad.push("expiresAt");
  if (bad.length > 0) throw new SeglError("INVALID_ARGUMENT", `challenge fields out of range: ${bad.join(", ")}`, { details: { field: bad[0], fields: bad } });
}

const credentialText = (r: CredentialRecord): string => JSON.stringify([
  "segl-cred/1", b64u(r.credentialId), r.rpId, b64u(r.userHandle), b64u(r.publicKey), r.algorithm, r.aaguid, r.trust,
  r.signCount, r.createdAt, r.lastUsedAt, r.version,
]);

const challengeText = (c: ChallengeRecord): string =>
  JSON.stringify(["segl-challenge/1", c.challenge, c.purpose, c.rpId, b64u(c.userHandle), c.expiresAt]);

/** A credential as stored: its fields and the MAC over all of them (public key and counter included). */
export interface SealedCredential extends CredentialRecord {
  readonly mac: Uint8Array;
}

/** A challenge as stored, with its MAC. */
export interface SealedChallenge extends ChallengeRecord {
  readonly mac: Uint8Array;
}

/** MACs a credential for storage under the current key (after range checks). */
export function sealCredential(k: SealKeys, r: CredentialRecord): SealedCredential {
  validateCredential(r);
  const rec = copyCredential(r);
  return { ...rec, mac: macText(k, b64u(r.credentialId), credentialText(rec)) };
}

/**
 * The row an updateCredential writes: everything from the stored row, the counter and last use from
 * `use`, version = expectedVersion + 1, MACed anew.
 */
export function nextCredential(k: SealKeys, cur: CredentialRecord, use: CredentialUse, expectedVersion: number): SealedCredential {
  return sealCredential(k, { ...cur, signCount: use.signCount, lastUsedAt: use.lastUsedAt, version: expectedVersion + 1 });
}

/**
 * Checks a stored credential's MAC and ranges: a public key, user, RP or counter changed by whoever can
 * write the database without the key is ROW_TAMPERED (a swapped public key would otherwise let its
 * holder sign in as the user).
 */
export function openCredential(k: SealKeys, row: SealedCredential): CredentialRecord {
  const { mac, ...rec } = row;
  const rowId = rec.credentialId instanceof Uint8Array ? b64u(rec.credentialId) : "?";
  checkMacText(k, rowId, mac, credentialText(rec), "credential (key, user, RP, counter or version)");
  try {
    validateCredential(rec);
  } catch (cause) {
    throw new SeglError("ROW_TAMPERED", `credential ${rowId} failed authentication: a field is out of range`, { details: { id: rowId }, cause });
  }
  return copyCredential(rec);
}

export function sealChallenge(k: SealKeys, c: ChallengeRecord): SealedChallenge {
  validateChallenge(c);
  const rec = { ...c, userHandle: Uint8Array.from(c.userHandle) };
  return { ...rec, mac: macText(k, c.challenge, challengeText(rec)) };
}

export function openChallenge(k: SealKeys, row: SealedChallenge): ChallengeRecord {
  const { mac, ...c } = row;
  checkMacText(k, String(c.challenge), mac, challengeText(c), "challenge");
  return { ...c, userHandle: Uint8Array.from(c.userHandle) };
}

function copyCredential(r: CredentialRecord): CredentialRecord {
  return {
    credentialId: Uint8Array.from(r.credentialId), rpId: r.rpId, userHandle: Uint8Array.from(r.userHandle),
    publicKey: Uint8Array.from(r.publicKey), algorithm: r.algorithm, aaguid: r.aaguid, trust: r.trust,
    signCount: r.signCount, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, version: r.version,
  };
}

/** A credential's clear fields from SQL columns (integers may come as bigints or decimal strings). */
export function credentialFromColumns(r: Readonly<Record<string, unknown>>): SealedCredential {
  const bytes = (k: string): Uint8Array => (r[k] instanceof Uint8Array ? new Uint8Array(r[k] as Uint8Array) : new Uint8Array(0));
  return {
    credentialId: bytes("credential_id"), rpId: String(r["rp_id"]), userHandle: bytes("user_handle"), publicKey: bytes("public_key"),
    algorithm: num(r["algorithm"]), aaguid: String(r["aaguid"]), trust: String(r["trust"]) as CredentialTrust,
    signCount: num(r["sign_count"]), createdAt: num(r["created_at"]), lastUsedAt: num(r["last_used_at"]), version: num(r["version"]),
    mac: bytes("mac"),
  };
}

export function challengeFromColumns(r: Readonly<Record<string, unknown>>): SealedChallenge {
  const bytes = (k: string): Uint8Array => (r[k] instanceof Uint8Array ? new Uint8Array(r[k] as Uint8Array) : new Uint8Array(0));
  return {
    challenge: String(r["challenge"]), purpose: String(r["purpose"]) as ChallengeRecord["purpose"], rpId: String(r["rp_id"]),
    userHandle: bytes("user_handle"), expiresAt: num(r["expires_at"]), mac: bytes("mac"),
  };
}

function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && /^-?\d{1,20}$/.test(v) ? Number(v) : NaN;
}

export const CREDENTIAL_COLS = "credential_id, rp_id, user_handle, public_key, algorithm, aaguid, trust, sign_count, created_at, last_used_at, version, mac";
export const CHALLENGE_COLS = "challenge, purpose, rp_id, user_handle, expires_at, mac";

/** The values of a sealed credential in {@link CREDENTIAL_COLS} order. */
export function credentialValues(s: SealedCredential, bytes: (b: Uint8Array) => unknown = (b) => b): unknown[] {
  return [bytes(s.credentialId), s.rpId, bytes(s.userHandle), bytes(s.publicKey), s.algorithm, s.aaguid, s.trust, s.signCount, s.createdAt, s.lastUsedAt, s.version, bytes(s.mac)];
}

export function challengeValues(s: SealedChallenge, bytes: (b: Uint8Array) => unknown = (b) => b): unknown[] {
  return [s.challenge, s.purpose, s.rpId, bytes(s.userHandle), s.expiresAt, bytes(s.mac)];
}
