// Test helper: a software FIDO2 authenticator (P-256, node:crypto) that makes "none"
// registrations and signed assertions in the WebAuthn shapes a browser returns, so verifiers can
// be fed valid input and then one changed field at a time.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { cborEncode, type CborValue } from "../src/cbor.js";
import { coseEs256 } from "../src/fido/cose.js";

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());
const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
const cat = (...p: Uint8Array[]) => new Uint8Array(Buffer.concat(p));

export const FLAG_UP = 0x01, FLAG_UV = 0x04, FLAG_BE = 0x08, FLAG_BS = 0x10, FLAG_AT = 0x40;

export interface SoftCredential {
  readonly id: Uint8Array;
  /** COSE_Key bytes, as a broker stores them at registration. */
  readonly cose: Uint8Array;
  readonly privateKey: KeyObject;
}

export function newCredential(): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const coord = (s: string | undefined) => new Uint8Array(Buffer.from(s!, "base64url"));
  return { id: new Uint8Array(randomBytes(16)), cose: coseEs256(coord(jwk.x), coord(jwk.y)), privateKey };
}

export function clientDataJSON(type: "webauthn.create" | "webauthn.get", challenge: Uint8Array, origin: string): string {
  return JSON.stringify({ type, challenge: Buffer.from(challenge).toString("base64url"), origin, crossOrigin: false });
}

export interface SoftAssertion {
  authenticatorData: Uint8Array;
  clientDataJSON: string;
  signature: Uint8Array;
  challenge: Uint8Array;
}

/** An assertion for `rpId`, signed over authenticatorData ‖ SHA-256(clientDataJSON). */
export function assert(cred: SoftCredential, o: { rpId: string; origin: string; counter: number; flags?: number; type?: "webauthn.get" | "webauthn.create" }): SoftAssertion {
  const challenge = new Uint8Array(randomBytes(32));
  const authenticatorData = cat(sha256(o.rpId), Uint8Array.of(o.flags ?? FLAG_UP), u32(o.counter));
  const cd = clientDataJSON(o.type ?? "webauthn.get", challenge, o.origin);
  const signature = new Uint8Array(sign("sha256", cat(authenticatorData, sha256(cd)), cred.privateKey));
  return { authenticatorData, clientDataJSON: cd, signature, challenge };
}

/** A registration with attestation format "none", as navigator.credentials.create() returns it. */
export function registerNone(cred: SoftCredential, o: { rpId: string; origin: string; aaguid?: Uint8Array; flags?: number }) {
  const challenge = new Uint8Array(randomBytes(32));
  const idLen = Uint8Array.of(cred.id.length >> 8, cred.id.length & 0xff);
  const authData = cat(sha256(o.rpId), Uint8Array.of((o.flags ?? FLAG_UP) | FLAG_AT), u32(0), o.aaguid ?? new Uint8Array(16), idLen, cred.id, cred.cose);
  const attestationObject = cborEncode(new Map<CborValue, CborValue>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
  return { attestationObject, clientDataJSON: clientDataJSON("webauthn.create", challenge, o.origin), challenge };
}
