// What the two public-key twins (./keys.ts on node:crypto, ./keys.browser.ts on @noble and BigInt RSA)
// share: the shapes they take and give, and which signature scheme and hash each COSE algorithm and
// each certificate signature OID means. Plain data, no crypto: both twins import it.
import type { HashName } from "./crypto.js";

/** Raw public key parameters, unsigned big-endian bytes (as in a COSE key or a JWK). */
export type KeyParams =
  | { kty: "EC"; crv: Curve; x: Uint8Array; y: Uint8Array }
  | { kty: "OKP"; crv: "Ed25519"; x: Uint8Array }
  | { kty: "RSA"; n: Uint8Array; e: Uint8Array };

export type Curve = "P-256" | "P-384" | "P-521";

/** What the policy checks need to know about a key. */
export interface KeyInfo {
  type: "ec" | "ed25519" | "rsa" | "other";
  /** EC keys only. */
  curve?: Curve;
  /** RSA keys: modulus bits. */
  bits?: number;
}

export type Scheme = "ecdsa" | "eddsa" | "pkcs1" | "pss";

export interface SignatureAlg {
  scheme: Scheme;
  /** Hash of the message (EdDSA: none, the scheme hashes itself). */
  hash: HashName | null;
  /** ECDSA: the curve the COSE algorithm requires (certificate signatures take the issuer key's curve). */
  curve?: Curve;
}

/** COSE algorithms (RFC 9053, RFC 8230) the twins verify. */
export const COSE_SIGNATURE_ALGS: ReadonlyMap<number, SignatureAlg> = new Map<number, SignatureAlg>([
  [-7, { scheme: "ecdsa", hash: "sha256", curve: "P-256" }],
  [-35, { scheme: "ecdsa", hash: "sha384", curve: "P-384" }],
  [-36, { scheme: "ecdsa", hash: "sha512", curve: "P-521" }],
  [-8, { scheme: "eddsa", hash: null }],
  [-257, { scheme: "pkcs1", hash: "sha256" }],
  [-258, { scheme: "pkcs1", hash: "sha384" }],
  [-259, { scheme: "pkcs1", hash: "sha512" }],
  [-37, { scheme: "pss", hash: "sha256" }],
  [-38, { scheme: "pss", hash: "sha384" }],
  [-39, { scheme: "pss", hash: "sha512" }],
]);

/** Certificate signature algorithms (RFC 5758, RFC 4055, RFC 8410) the browser twin verifies. */
export const CERT_SIGNATURE_ALGS: ReadonlyMap<string, SignatureAlg> = new Map<string, SignatureAlg>([
  ["1.2.840.10045.4.3.2", { scheme: "ecdsa", hash: "sha256" }],
  ["1.2.840.10045.4.3.3", { scheme: "ecdsa", hash: "sha384" }],
  ["1.2.840.10045.4.3.4", { scheme: "ecdsa", hash: "sha512" }],
  ["1.2.840.113549.1.1.11", { scheme: "pkcs1", hash: "sha256" }],
  ["1.2.840.113549.1.1.12", { scheme: "pkcs1", hash: "sha384" }],
  ["1.2.840.113549.1.1.13", { scheme: "pkcs1", hash: "sha512" }],
  ["1.3.101.112", { scheme: "eddsa", hash: null }],
]);

/** RSA keys below this are refused by both twins, for signatures and certificates alike. */
export const RSA_MIN_BITS = 2048;

/** The key is of the algorithm's type: ECDSA on its own curve, EdDSA on Ed25519, the RSA schemes on RSA. */
export function keyFits(a: SignatureAlg, k: KeyInfo): boolean {
  switch (a.scheme) {
    case "ecdsa": return k.type === "ec" && (a.curve === undefined || a.curve === k.curve);
    case "eddsa": return k.type === "ed25519";
    default: return k.type === "rsa";
  }
}

/** Both twins verify with a key only when it fits the algorithm and is not RSA below RSA_MIN_BITS. */
export const canVerify = (a: SignatureAlg, k: KeyInfo): boolean => keyFits(a, k) && !(k.type === "rsa" && (k.bits ?? 0) < RSA_MIN_BITS);
