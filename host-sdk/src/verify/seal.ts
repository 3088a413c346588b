// Sealing of verifier rows at rest, shared by every store (memory, SQLite, and later ones).
//
// A row has two sealed parts, each tagged with the id of the key that made it:
//   seal = 0x02 ‖ len ‖ keyId ‖ nonce(12) ‖ AES-256-GCM(secret) ‖ tag(16)
//          AAD = canonical JSON of ["segl-token/2", keyId, id, kind, algorithm, digits, period, t0]
//   mac  = 0x02 ‖ len ‖ keyId ‖ HMAC-SHA256(macKey, canonical JSON of
//          ["segl-state/2", id, driftSteps, lastAcceptedStep, failures, lockedUntil, lockouts, version])
//          macKey = HKDF-SHA256(key, info "segl row mac/2")
// The configuration that decides acceptance (id, kind, algorithm, digits, period, t0) is fixed at
// enrolment and bound to the seed by the AEAD; the state that changes on every attempt (replay
// floor, drift, failures, lock) is bound by the MAC, recomputed on every write. Whoever can write
// the database but does not hold the key can neither change a field nor move a seed to another row:
// openRow() refuses with ROW_TAMPERED. A whole row rolled back to an earlier sealed copy of itself
// is not detectable here (see docs/verification.md).

import { aesGcmOpen, aesGcmSeal, digest, hkdf, hmac, randomBytes, timingSafeEqual } from "../platform/crypto.js";
import { concatBytes } from "../platform/bytes.js";
import { hex } from "../platform/encoding.js";
import { SeglError } from "../errors.js";
import { LOCKED_PERMANENTLY, type OtpAlgorithm, type TokenKind, type TokenRecord } from "./types.js";

const FORMAT = 0x02;
const LEGACY_FORMAT = 0x01;
const NONCE = 12;
const TAG = 16;
const MAC = 32;

/** Seal keys: the id of the key new seals use, and every key still needed to open older rows. */
export interface SealKeyRing {
  readonly current: string;
  readonly keys: Readonly<Record<string, Uint8Array>>;
}

/** A single 32-byte key (its id is derived from it) or a key ring for rotation. */
export type SealKeys = Uint8Array | SealKeyRing;

interface Ring {
  current: string;
  keys: Map<string, RowKeys>;
}

interface RowKeys { enc: Uint8Array; mac: Uint8Array }

const rings = new WeakMap<object, Ring>();
const utf8 = new TextEncoder();

/** The id a bare key gets: 16 hex digits of SHA-256("segl-key-id" ‖ key). Reveals nothing usable about the key. */
export function keyIdOf(key: Uint8Array): string {
  return hex(digest("sha256", utf8.encode("segl-key-id"), key)).slice(0, 16);
}

export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new SeglError("INVALID_ARGUMENT", "secretKey must be 32 bytes (AES-256)", { details: { field: "secretKey" } });
}

function ring(k: SealKeys): Ring {
  const hit = rings.get(k);
  if (hit) return hit;
  const keys = new Map<string, RowKeys>();
  const add = (id: string, key: Uint8Array) => {
    checkKey(key);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new SeglError("INVALID_ARGUMENT", "key ids are 1..64 characters of A-Z a-z 0-9 . _ -");
    keys.set(id, { enc: Uint8Array.from(key), mac: hkdf("sha256", key, new Uint8Array(0), "segl row mac/2", 32) });
  };
  let current: string;
  if (k instanceof Uint8Array) {
    current = keyIdOf(k);
    add(current, k);
  } else {
    if (typeof k !== "object" || k === null || typeof k.current !== "string" || typeof k.keys !== "object" || k.keys === null) {
      throw new SeglError("INVALID_ARGUMENT", "keys must be a 32-byte key or { current, keys: { id: key } }");
    }
    for (const [id, key] of Object.entries(k.keys)) add(id, key);
    current = k.current;
    if (!keys.has(current)) throw new SeglError("INVALID_ARGUMENT", `current key ${JSON.stringify(current)} is not in keys`);
  }
  const r = { current, keys };
  rings.set(k, r);
  return r;
}

/** A store constructor's `options` object and its `secretKey` (INVALID_ARGUMENT naming the field); `hint` shows what is expected. */
export function checkStoreOptions(options: unknown, hint: string): asserts options is { secretKey: SealKeys } {
  if (typeof options !== "object" || options === null) {
    throw new SeglError("INVALID_ARGUMENT", `options are required: ${hint}`, { details: { field: "options" } });
  }
  try {
    checkKeys((options as { secretKey?: unknown }).secretKey);
  } catch (e) {
    throw new SeglError("INVALID_ARGUMENT", e instanceof Error ? e.message : "bad secretKey", { details: { field: "secretKey" } });
  }
}

/** Checks a key argument at construction (throws INVALID_ARGUMENT). */
export function checkKeys(k: unknown): asserts k is SealKeys {
  ring(k as SealKeys);
}

/** The id of the key new seals are made with. */
export function currentKeyId(k: SealKeys): string {
  return ring(k).current;
}

/** The fields a store keeps in the clear next to the two sealed parts. */
export type RowFields = Omit<TokenRecord, "secret">;

/** A row as a store keeps it: fields in the clear, the seed sealed, the state MACed. */
export interface SealedRow extends RowFields {
  readonly seal: Uint8Array;
  readonly mac: Uint8Array;
}

/**
 * The clear fields of a stored row from its columns (`drift_steps`, `last_accepted_step`, …), as a SQL
 * store reads them: integers may come as numbers, bigints or decimal strings (PostgreSQL's BIGINT).
 * Nothing is checked here: openRow() checks every field.
 */
export function fieldsFromColumns(r: Readonly<Record<string, unknown>>): RowFields {
  const num = (k: string): number => {
    const v = r[k];
    return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && /^-?\d{1,20}$/.test(v) ? Number(v) : NaN;
  };
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

const configAad = (keyId: string, r: RowFields): Uint8Array =>
  utf8.encode(JSON.stringify(["segl-token/2", keyId, r.id, r.kind, r.algorithm, r.digits, r.period, r.t0]));

const stateText = (r: RowFields): string =>
  JSON.stringify(["segl-state/2", r.id, r.driftSteps, r.lastAcceptedStep, r.failures, r.lockedUntil, r.lockouts, r.version]);

/** FORMAT ‖ len ‖ keyId ‖ parts…: key ids are ASCII (checked in ring()), one byte per character. */
function withHeader(keyId: string, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(FORMAT, keyId.length), utf8.encode(keyId), ...parts);
}

function readHeader(blob: Uint8Array, what: string, rowId: string): { keyId: string; body: Uint8Array } {
  if (!(blob instanceof Uint8Array) || blob.length < 3) tampered(rowId, `${what} missing or too short`);
  if (blob[0] === LEGACY_FORMAT && what === "seal") {
    throw new SeglError("LEGACY_ROW", `row ${JSON.stringify(rowId)} is in the old format (only its id was authenticated); migrate it (docs/verification.md)`, { details: { id: rowId } });
  }
  if (blob[0] !== FORMAT) tampered(rowId, `${what} has an unknown format`);
  const n = blob[1]!;
  if (blob.length < 2 + n) tampered(rowId, `${what} truncated`);
  let keyId = "";
  for (let i = 2; i < 2 + n; i++) keyId += String.fromCharCode(blob[i]!);
  return { keyId, body: blob.subarray(2 + n) };
}

function tampered(id: string, why: string, cause?: unknown): never {
  throw new SeglError("ROW_TAMPERED", `row ${JSON.stringify(id)} failed authentication: ${why}`, cause === undefined ? { details: { id } } : { details: { id }, cause });
}

function keyFor(k: SealKeys, keyId: string, rowId: string): RowKeys {
  const key = ring(k).keys.get(keyId);
  if (!key) throw new SeglError("SECRET_UNREADABLE", `row ${JSON.stringify(rowId)} is sealed with key ${JSON.stringify(keyId)}, which is not configured`, { details: { id: rowId, keyId } });
  return key;
}

/** The MAC of a row's state under the current key. */
export function macRow(k: SealKeys, r: RowFields): Uint8Array {
  const id = ring(k).current;
  return withHeader(id, hmac("sha256", keyFor(k, id, r.id).mac, stateText(r)));
}

/**
 * The fields and MAC a compare-and-set writes: configuration from the stored row (fixed at
 * enrolment), state from `next`, version = expectedVersion + 1. Throws INVALID_ARGUMENT for
 * out-of-range state, so nothing unreadable is ever written.
 */
export function nextRow(k: SealKeys, cur: RowFields, next: TokenRecord, expectedVersion: number): { fields: RowFields; mac: Uint8Array } {
  const fields: RowFields = {
    id: cur.id, kind: cur.kind, algorithm: cur.algorithm, digits: cur.digits, period: cur.period, t0: cur.t0,
    driftSteps: next.driftSteps, lastAcceptedStep: next.lastAcceptedStep, failures: next.failures,
    lockedUntil: next.lockedUntil, lockouts: next.lockouts, version: expectedVersion + 1,
  };
  validateFields(fields);
  return { fields, mac: macRow(k, fields) };
}

/** Seals a record for storage under the current key. */
export function sealRow(k: SealKeys, rec: TokenRecord): SealedRow {
  const { secret, ...fields } = rec;
  validateFields(fields);
  const id = ring(k).current;
  const nonce = randomBytes(NONCE);
  const seal = withHeader(id, nonce, aesGcmSeal(keyFor(k, id, rec.id).enc, nonce, secret, configAad(id, fields)));
  return { ...fields, seal, mac: macRow(k, fields) };
}

/**
 * Opens a stored row: checks the seal (seed + configuration) and the MAC (state), then the range
 * of every field. Throws SeglError ROW_TAMPERED when anything was changed, SECRET_UNREADABLE
 * when the row's key is not configured, LEGACY_ROW for rows of the old format.
 */
export function openRow(k: SealKeys, row: SealedRow): TokenRecord {
  const { seal, mac, ...fields } = row;
  const rowId = String(fields.id);
  const s = readHeader(seal, "seal", rowId);
  const m = readHeader(mac, "mac", rowId);
  if (s.body.length < NONCE + TAG) tampered(rowId, "seal truncated");
  const sk = keyFor(k, s.keyId, rowId);
  const mk = keyFor(k, m.keyId, rowId);
  const want = hmac("sha256", mk.mac, stateText(fields));
  if (m.body.length !== MAC || !timingSafeEqual(want, m.body)) tampered(rowId, "state (counter, drift, failures, lock or version) changed");
  // configAad may throw on fields that are not even JSON (a bigint): that too is a changed row.
  let secret: Uint8Array | null;
  try {
    secret = aesGcmOpen(sk.enc, s.body.subarray(0, NONCE), s.body.subarray(NONCE), configAad(s.keyId, fields));
  } catch (cause) {
    return tampered(rowId, "seed or configuration (id, kind, algorithm, digits, period, t0) changed, or the row was moved", cause);
  }
  if (secret === null) tampered(rowId, "seed or configuration (id, kind, algorithm, digits, period, t0) changed, or the row was moved");
  try {
    validateFields(fields);
  } catch (cause) {
    return tampered(rowId, "a field is out of range", cause);
  }
  return { ...fields, secret };
}

/** True when either sealed part of the row was made with a key other than the current one. */
export function needsReseal(k: SealKeys, row: Pick<SealedRow, "seal" | "mac" | "id">): boolean {
  const cur = ring(k).current;
  return readHeader(row.seal, "seal", row.id).keyId !== cur || readHeader(row.mac, "mac", row.id).keyId !== cur;
}

/**
 * Opens a row of the old format (0x01 ‖ nonce ‖ ct ‖ tag, AAD = id, sealed with a bare key), for a
 * one-time migration only: its configuration and state were never authenticated.
 */
export function openLegacySecret(key: Uint8Array, id: string, blob: Uint8Array): Uint8Array {
  if (!(blob instanceof Uint8Array) || blob.length < 1 + NONCE + TAG || blob[0] !== LEGACY_FORMAT) {
    throw new SeglError("SECRET_UNREADABLE", `sealed secret of ${JSON.stringify(id)} is not in the old format`, { details: { id } });
  }
  const secret = key instanceof Uint8Array && key.length === 32 ? aesGcmOpen(key, blob.subarray(1, 1 + NONCE), blob.subarray(1 + NONCE), utf8.encode(id)) : null;
  if (secret === null) throw new SeglError("SECRET_UNREADABLE", `secret of ${JSON.stringify(id)} failed authentication (wrong key, or row tampered/moved)`, { details: { id } });
  return secret;
}

const ALGORITHMS: readonly OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];
const KINDS: readonly TokenKind[] = ["totp", "hotp"];
const int = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/** Range checks of every field a verifier relies on (the same ones enrolment applies). */
export function validateFields(r: RowFields): void {
  const bad: string[] = [];
  if (typeof r.id !== "string" || r.id.length === 0 || r.id.length > 256) bad.push("id");
  if (!KINDS.includes(r.kind)) bad.push("kind");
  if (!ALGORITHMS.includes(r.algorithm)) bad.push("algorithm");
  if (!int(r.digits, 6, 10)) bad.push("digits");
  if (!int(r.period, 1, 86_400)) bad.push("period");
  if (!int(r.t0, 0)) bad.push("t0");
  if (!int(r.driftSteps, -Number.MAX_SAFE_INTEGER)) bad.push("driftSteps");
  if (!int(r.lastAcceptedStep, -1)) bad.push("lastAcceptedStep");
  if (!int(r.failures, 0)) bad.push("failures");
  if (!int(r.lockedUntil, 0, LOCKED_PERMANENTLY)) bad.push("lockedUntil");
  if (!int(r.lockouts, 0)) bad.push("lockouts");
  if (!int(r.version, 0)) bad.push("version");
  if (bad.length > 0) throw new SeglError("INVALID_ARGUMENT", `record fields out of range: ${bad.join(", ")}`, { details: { field: bad[0], fields: bad } });
}

// ---------------------------------------------------------------------------------------------
// MACs of other rows (FIDO credentials, challenges): the same key ring and MAC key, the same
// header; the text always starts with its own tag ("segl-cred/1", "segl-challenge/1"), so a MAC made
// for one kind of row never opens another.

/** header(keyId) ‖ HMAC-SHA256(macKey, text) under the current key. */
export function macText(k: SealKeys, rowId: string, text: string): Uint8Array {
  const id = ring(k).current;
  return withHeader(id, hmac("sha256", keyFor(k, id, rowId).mac, text));
}

/** Checks a MAC made by {@link macText} under any configured key: ROW_TAMPERED, or SECRET_UNREADABLE for an unknown key. */
export function checkMacText(k: SealKeys, rowId: string, mac: Uint8Array, text: string, what: string): void {
  const m = readHeader(mac, "mac", rowId);
  const want = hmac("sha256", keyFor(k, m.keyId, rowId).mac, text);
  if (m.body.length !== MAC || !timingSafeEqual(want, m.body)) tampered(rowId, `${what} changed`);
}
