// authenticatorData (WebAuthn §6.1) and attestationObject (§6.5) parsing.

import { cborDecode, cborDecodePrefix, type CborValue } from "../cbor.js";
import { SeglError } from "../errors.js";
import { fromHex, hex } from "../platform/encoding.js";
import { COSE_CBOR, parseCoseKey, type CoseKey } from "./cose.js";
import { CERT_LIMITS } from "./certificate.js";

/** Hard caps on WebAuthn structures (bytes unless said otherwise), checked before decoding. */
export const WEBAUTHN_LIMITS = Object.freeze({
  authenticatorData: 4096,
  credentialId: 1023,
  /** attestationObject: a full x5c of the largest certificates plus authData and signature. */
  attestationObject: CERT_LIMITS.chainLength * CERT_LIMITS.certificateBytes + 8192,
  clientDataJSON: 8192,
  /** CBOR nesting and items of authenticatorData extensions. */
  extensionDepth: 4,
  extensionItems: 128,
  /** CBOR nesting and items of an attestationObject (map → attStmt → x5c). */
  attestationDepth: 3,
  attestationItems: 64,
});

export const AUTH_DATA_FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AuthenticatorFlags {
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
}

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  /** AAGUID in the 8-4-4-4-12 hex form. */
  aaguidString: string;
  credentialId: Uint8Array;
  /** The COSE_Key exactly as it appears in authData. */
  credentialPublicKey: Uint8Array;
  coseKey: CoseKey;
}

export interface AuthenticatorData {
  /** The whole authData, as signed. */
  bytes: Uint8Array;
  rpIdHash: Uint8Array;
  flagsByte: number;
  flags: AuthenticatorFlags;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  extensions?: Map<CborValue, CborValue>;
}

const bad = (msg: string, offset?: number): never => {
  throw new SeglError("BAD_RESPONSE", `bad authenticatorData: ${msg}`, offset === undefined ? {} : { details: { offset } });
};

export function uuidString(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidBytes(s: string): Uint8Array {
  const h = s.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(h)) throw new SeglError("INVALID_ARGUMENT", `not a UUID: ${s}`);
  return fromHex(h);
}

/** Parses authenticatorData. Throws SeglError("BAD_RESPONSE") when it is malformed. */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (!(bytes instanceof Uint8Array)) throw new SeglError("INVALID_ARGUMENT", "authenticatorData must be a Uint8Array");
  if (bytes.length < 37) bad(`${bytes.length} bytes, at least 37 needed`);
  if (bytes.length > WEBAUTHN_LIMITS.authenticatorData) bad(`${bytes.length} bytes (max ${WEBAUTHN_LIMITS.authenticatorData})`);
  const f = bytes[32]!;
  const flags: AuthenticatorFlags = {
    up: (f & AUTH_DATA_FLAGS.UP) !== 0, uv: (f & AUTH_DATA_FLAGS.UV) !== 0, be: (f & AUTH_DATA_FLAGS.BE) !== 0,
    bs: (f & AUTH_DATA_FLAGS.BS) !== 0, at: (f & AUTH_DATA_FLAGS.AT) !== 0, ed: (f & AUTH_DATA_FLAGS.ED) !== 0,
  };
  const out: AuthenticatorData = {
    bytes,
    rpIdHash: bytes.slice(0, 32),
    flagsByte: f,
    flags,
    signCount: new DataView(bytes.buffer, bytes.byteOffset + 33, 4).getUint32(0),
  };
  let pos = 37;
  if (flags.at) {
    if (bytes.length < pos + 18) bad("AT set but attested credential data truncated", pos);
    const aaguid = bytes.slice(pos, pos + 16);
    const idLen = (bytes[pos + 16]! << 8) | bytes[pos + 17]!;
    pos += 18;
    if (idLen === 0 || idLen > WEBAUTHN_LIMITS.credentialId) bad(`credential id of ${idLen} bytes (1..${WEBAUTHN_LIMITS.credentialId} allowed)`, pos - 2);
    if (bytes.length < pos + idLen) bad("credential id truncated", pos);
    const credentialId = bytes.slice(pos, pos + idLen);
    pos += idLen;
    const { value, length } = cborDecodePrefix(bytes.subarray(pos), COSE_CBOR);
    if (!(value instanceof Map)) bad("credential public key is not a CBOR map", pos);
    const credentialPublicKey = bytes.slice(pos, pos + length);
    const coseKey = parseCoseKey(credentialPublicKey);
    pos += length;
    out.attestedCredentialData = { aaguid, aaguidString: uuidString(aaguid), credentialId, credentialPublicKey, coseKey };
  }
  if (flags.ed) {
    if (pos >= bytes.length) bad("ED set but no extensions", pos);
    const { value, length } = cborDecodePrefix(bytes.subarray(pos), {
      maxDepth: WEBAUTHN_LIMITS.extensionDepth, maxItems: WEBAUTHN_LIMITS.extensionItems, allowFloats: false,
    });
    if (!(value instanceof Map)) bad("extensions are not a CBOR map", pos);
    out.extensions = value as Map<CborValue, CborValue>;
    pos += length;
  }
  if (pos !== bytes.length) bad(`${bytes.length - pos} unexpected byte(s) at the end`, pos);
  return out;
}

export interface AttestationObject {
  fmt: string;
  attStmt: Map<CborValue, CborValue>;
  authData: Uint8Array;
}

/** Decodes an attestationObject `{fmt, attStmt, authData}` (text keys, as WebAuthn clients send it). */
export function parseAttestationObject(bytes: Uint8Array): AttestationObject {
  if (!(bytes instanceof Uint8Array)) throw new SeglError("INVALID_ARGUMENT", "attestationObject must be a Uint8Array");
  if (bytes.length > WEBAUTHN_LIMITS.attestationObject) {
    throw new SeglError("BAD_RESPONSE", `attestationObject of ${bytes.length} bytes (max ${WEBAUTHN_LIMITS.attestationObject})`, { details: { limit: "attestationObject" } });
  }
  const m = cborDecode(bytes, { maxDepth: WEBAUTHN_LIMITS.attestationDepth, maxItems: WEBAUTHN_LIMITS.attestationItems, allowFloats: false });
  if (!(m instanceof Map)) throw new SeglError("BAD_RESPONSE", "attestationObject is not a CBOR map");
  const fmt = m.get("fmt");
  const attStmt = m.get("attStmt");
  const authData = m.get("authData");
  if (typeof fmt !== "string" || !(attStmt instanceof Map) || !(authData instanceof Uint8Array)) {
    throw new SeglError("BAD_RESPONSE", "attestationObject lacks fmt (text), attStmt (map) or authData (bytes)");
  }
  return { fmt, attStmt, authData };
}
