// Checked reading of CTAP2 responses and authenticatorData: anything that does not follow the
// spec's shapes is BAD_RESPONSE, never a crash.
import { SeglError } from "../../errors.js";
import { cborDecodePrefix, type CborValue } from "../../cbor.js";
import type { CoseKey } from "./pin-protocol.js";

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

export interface AuthenticatorDataFlags {
  /** User present. */
  up: boolean;
  /** User verified. */
  uv: boolean;
  /** Backup eligible. */
  be: boolean;
  /** Backed up. */
  bs: boolean;
  /** Attested credential data included. */
  at: boolean;
  /** Extension data included. */
  ed: boolean;
  raw: number;
}

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The credential public key as a COSE_Key map. */
  publicKey: CoseKey;
  /** The COSE_Key exactly as it appears in authData. */
  publicKeyBytes: Uint8Array;
}

export interface ParsedAuthenticatorData {
  rpIdHash: Uint8Array;
  flags: AuthenticatorDataFlags;
  /** Big-endian 32-bit counter. */
  signCount: number;
  attestedCredential?: AttestedCredentialData;
  extensions?: CborMap;
}

/** Parses authenticatorData (WebAuthn §6.1): checked, no trailing bytes. */
export function parseAuthenticatorData(authData: Uint8Array, what = "authenticatorData"): ParsedAuthenticatorData {
  if (authData.length < 37) throw badCtap(what, `authData is ${authData.length} bytes, at least 37 expected`);
  const f = authData[32]!;
  const flags: AuthenticatorDataFlags = {
    up: (f & 0x01) !== 0, uv: (f & 0x04) !== 0, be: (f & 0x08) !== 0, bs: (f & 0x10) !== 0, at: (f & 0x40) !== 0, ed: (f & 0x80) !== 0, raw: f,
  };
  const out: ParsedAuthenticatorData = {
    rpIdHash: authData.slice(0, 32),
    flags,
    signCount: new DataView(authData.buffer, authData.byteOffset, authData.byteLength).getUint32(33),
  };
  let pos = 37;
  if (flags.at) {
    if (authData.length < pos + 18) throw badCtap(what, "attested credential data is cut short");
    const aaguid = authData.slice(pos, pos + 16);
    const n = (authData[pos + 16]! << 8) | authData[pos + 17]!;
    pos += 18;
    if (authData.length < pos + n) throw badCtap(what, "credential id is cut short");
    const credentialId = authData.slice(pos, pos + n);
    pos += n;
    const { value, length } = cborDecodePrefix(authData.subarray(pos));
    if (!(value instanceof Map)) throw badCtap(what, "the credential public key is not a COSE_Key map");
    out.attestedCredential = { aaguid, credentialId, publicKey: value, publicKeyBytes: authData.slice(pos, pos + length) };
    pos += length;
  }
  if (flags.ed) {
    const { value, length } = cborDecodePrefix(authData.subarray(pos));
    if (!(value instanceof Map)) throw badCtap(what, "extensions are not a CBOR map");
    out.extensions = value;
    pos += length;
  }
  if (pos !== authData.length) throw badCtap(what, `${authData.length - pos} unexpected byte(s) at the end of authData`);
  return out;
}
