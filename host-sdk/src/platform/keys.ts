// Public keys, signatures and X.509 certificates on node:crypto (OpenSSL). The simulator's browser page
// (scripts/build-web.mjs) swaps this module for ./keys.browser.ts: the same functions on @noble/curves
// and a BigInt RSA, all synchronous. Only what differs between the two lives here; parsing, chain
// walking and policy stay in ../fido/. In Node the handles are node:crypto's own KeyObject and
// X509Certificate, so the SDK's public API that takes or returns them is unchanged.
// Keep both twins in step (test/fido-platform-keys.test.ts runs them on the same inputs).
import { KeyObject, X509Certificate, constants, createPublicKey, verify } from "node:crypto";
import type { Certificate } from "@peculiar/asn1-x509";
import { COSE_SIGNATURE_ALGS, RSA_MIN_BITS, canVerify, type Curve, type KeyInfo, type KeyParams } from "./keys-types.js";
import { rsaPublic } from "./rsa.js";

export type PublicKey = KeyObject;
export type X509 = X509Certificate;

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64url");

/** RSA keys pass the same sanity rules as in the browser twin (./rsa.ts: odd n, odd e ≥ 3); throws otherwise. */
function sane(k: KeyObject): KeyObject {
  if (k.asymmetricKeyType === "rsa") {
    const j = k.export({ format: "jwk" });
    rsaPublic(Buffer.from(j.n ?? "", "base64url"), Buffer.from(j.e ?? "", "base64url"));
  }
  return k;
}

/** Imports raw key parameters; throws (any error) when they are not a valid public key (EC points off the curve). */
export function importKey(p: KeyParams): PublicKey {
  if (p.kty === "EC") return createPublicKey({ key: { kty: "EC", crv: p.crv, x: b64u(p.x), y: b64u(p.y) }, format: "jwk" });
  if (p.kty === "OKP") {
    if (p.x.length !== 32) throw new Error("Ed25519 public key must be 32 bytes");
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64u(p.x) }, format: "jwk" });
  }
  return sane(createPublicKey({ key: { kty: "RSA", n: b64u(p.n), e: b64u(p.e) }, format: "jwk" }));
}

/** Imports a DER SubjectPublicKeyInfo; throws when it is not a valid public key. */
export function importSpki(der: Uint8Array): PublicKey {
  return sane(createPublicKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: "der", type: "spki" }));
}

export function isPublicKey(x: unknown): x is PublicKey {
  return x instanceof KeyObject && x.type === "public";
}

const CURVES: Record<string, Curve> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** keyInfo per key: node:crypto builds asymmetricKeyDetails anew on every read. */
const infos = new WeakMap<KeyObject, KeyInfo>();

export function keyInfo(k: PublicKey): KeyInfo {
  let info = infos.get(k);
  if (info === undefined) infos.set(k, (info = readInfo(k)));
  return { ...info };
}

function readInfo(k: KeyObject): KeyInfo {
  const t = k.asymmetricKeyType;
  if (t === "ed25519") return { type: "ed25519" };
  if (t === "rsa") return { type: "rsa", bits: k.asymmetricKeyDetails?.modulusLength ?? 0 };
  if (t === "ec") {
    const curve = CURVES[k.asymmetricKeyDetails?.namedCurve ?? ""];
    return curve === undefined ? { type: "other" } : { type: "ec", curve };
  }
  return { type: "other" };
}

/**
 * Verifies a signature for a COSE algorithm; false (never a throw) for any failure, for an algorithm it
 * does not know and for a key that does not fit it. ECDSA: DER, high-S accepted; PSS: salt = hash length.
 */
export function verifySignature(alg: number, key: PublicKey, data: Uint8Array, sig: Uint8Array): boolean {
  const a = COSE_SIGNATURE_ALGS.get(alg);
  if (a === undefined || !isPublicKey(key) || !canVerify(a, keyInfo(key))) return false;
  try {
    const k = a.scheme === "pss" ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key;
    return verify(a.hash, data, k, sig);
  } catch {
    return false;
  }
}

/** A certificate from DER that ../fido/certificate.ts has checked (Node needs not its parse: OpenSSL reads the bytes). */
export function loadCertificate(der: Uint8Array, _parsed: () => Certificate): X509 {
  return new X509Certificate(der);
}

export function isCertificate(x: unknown): x is X509 {
  return x instanceof X509Certificate;
}

export function certificateDer(c: X509): Uint8Array {
  return new Uint8Array(c.raw);
}

/** The certificate's public key; throws when it is not valid (off-curve point, malformed RSA). */
export function certificateKey(c: X509): PublicKey {
  return sane(c.publicKey);
}

/** basicConstraints cA = true, and keyCertSign when keyUsage is there (OpenSSL's X509_check_ca = 1). */
export function certificateIsCa(c: X509): boolean {
  return c.ca;
}

export function certificateValidity(c: X509): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) };
}

/**
 * `parent` issued `child` and its signature verifies: issuer name = parent's subject, authority key id
 * (when both carry one) = parent's subject key id, parent's keyUsage (if any) allows keyCertSign, and
 * the signature verifies with the parent's key (RSA below RSA_MIN_BITS refused). False, never a throw.
 */
export function certificateIssuedBy(child: X509, parent: X509): boolean {
  try {
    const key = certificateKey(parent);
    const info = keyInfo(key);
    if (info.type === "rsa" && (info.bits ?? 0) < RSA_MIN_BITS) return false;
    return child.checkIssued(parent) && child.verify(key);
  } catch {
    return false;
  }
}
