// Checked reading of CTAP2 responses (authenticatorData: fido/authdata.ts): anything that does not follow the
// spec's shapes is BAD_RESPONSE, never a crash.
import { SeglError } from "../../errors.js";
import type { CborValue } from "../../cbor.js";

export type CborMap = Map<CborValue, CborValue>;

export function badCtap(what: string, why: string): SeglError {
  return new SeglError("BAD_RESPONSE", `${what}: ${why}`, { details: { command: what } });
}

export function asMap(v: CborValue | undefined, what: string): CborMap {
  if (!(v instanceof Map)) throw badCtap(what, "a CBOR map was expected");
  return v;
}

export function optBytes(m: CborMap, key: CborValue, what: string): Uint8Array | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) throw badCtap(what, `member ${String(key)} must be a byte string`);
  return v;
}
export function reqBytes(m: CborMap, key: CborValue, what: string): Uint8Array {
  const v = optBytes(m, key, what);
  if (v === undefined) throw badCtap(what, `member ${String(key)} is missing`);
  return v;
}
export function optText(m: CborMap, key: CborValue, what: string): string | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw badCtap(what, `member ${String(key)} must be a text string`);
  return v;
}
export function optUint(m: CborMap, key: CborValue, what: string): number | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw badCtap(what, `member ${String(key)} must be an unsigned integer`);
  return v;
}
export function optBool(m: CborMap, key: CborValue, what: string): boolean | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw badCtap(what, `member ${String(key)} must be a boolean`);
  return v;
}
export function optTextArray(m: CborMap, key: CborValue, what: string): string[] | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw badCtap(what, `member ${String(key)} must be an array of text strings`);
  return v as string[];
}

/** A PublicKeyCredentialDescriptor. */
export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

/** A PublicKeyCredentialUserEntity. */
export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

/** A PublicKeyCredentialRpEntity. */
export interface RpEntity {
  id: string;
  name?: string;
}

export function readDescriptor(v: CborValue | undefined, what: string): CredentialDescriptor {
  const m = asMap(v, what);
  const type = optText(m, "type", what);
  const id = optBytes(m, "id", what);
  if (type === undefined || id === undefined) throw badCtap(what, "a credential descriptor needs type and id");
  const transports = optTextArray(m, "transports", what);
  return transports === undefined ? { type, id } : { type, id, transports };
}

export function readUser(v: CborValue | undefined, what: string): UserEntity {
  const m = asMap(v, what);
  const u: UserEntity = { id: reqBytes(m, "id", what) };
  const name = optText(m, "name", what);
  const displayName = optText(m, "displayName", what);
  if (name !== undefined) u.name = name;
  if (displayName !== undefined) u.displayName = displayName;
  return u;
}

export function readRp(v: CborValue | undefined, what: string): RpEntity {
  const m = asMap(v, what);
  const id = optText(m, "id", what);
  if (id === undefined) throw badCtap(what, "rp.id is missing");
  const name = optText(m, "name", what);
  return name === undefined ? { id } : { id, name };
}

export function descriptorToCbor(d: CredentialDescriptor): CborMap {
  const m: CborMap = new Map<CborValue, CborValue>([["type", d.type], ["id", d.id]]);
  if (d.transports) m.set("transports", d.transports);
  return m;
}

export function userToCbor(u: UserEntity): CborMap {
  const m: CborMap = new Map<CborValue, CborValue>([["id", u.id]]);
  if (u.name !== undefined) m.set("name", u.name);
  if (u.displayName !== undefined) m.set("displayName", u.displayName);
  return m;
}

