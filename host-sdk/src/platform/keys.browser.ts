// The browser's ./keys.ts (swapped in by scripts/build-web.mjs): public keys, signatures and X.509
// certificates on @noble/curves (P-256/384/521, Ed25519) and a BigInt RSA (./rsa.ts), all synchronous
// like their node:crypto twins. Certificates come already parsed by @peculiar/asn1-x509 under the caps
// of ../fido/certificate.ts; this module only reads the parts a chain check needs.
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import {
  AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsageFlags, SubjectKeyIdentifier, SubjectPublicKeyInfo, type Certificate,
} from "@peculiar/asn1-x509";
import { bytesEqual, concatBytes } from "./bytes.js";
import { digest } from "./crypto.js";
import { hex } from "./encoding.js";
import { CERT_SIGNATURE_ALGS, COSE_SIGNATURE_ALGS, canVerify, type Curve, type KeyInfo, type KeyParams, type SignatureAlg } from "./keys-types.js";
import { rsaPublic, verifyPkcs1, verifyPss, type RsaPublic } from "./rsa.js";

const NOBLE = { "P-256": p256, "P-384": p384, "P-521": p521 } as const;
const SIZES: Record<Curve, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** A public key: EC (uncompressed point), Ed25519 (32 bytes) or RSA (n, e). Immutable. */
export class PublicKey {
  readonly type = "public";
  private constructor(readonly info: KeyInfo, readonly point: Uint8Array | undefined, readonly rsa: RsaPublic | undefined) {
    Object.freeze(this);
  }
  /** @internal */
  static ec(curve: Curve, point: Uint8Array): PublicKey {
    NOBLE[curve].Point.fromBytes(point).assertValidity(); // throws for points off the curve (and the point at infinity)
    return new PublicKey({ type: "ec", curve }, point.slice(), undefined);
  }
  /** @internal Like node:crypto, Ed25519 bytes are taken as they are; a bad point fails verification. */
  static ed25519(x: Uint8Array): PublicKey {
    if (x.length !== 32) throw new Error("Ed25519 public key must be 32 bytes");
    return new PublicKey({ type: "ed25519" }, x.slice(), undefined);
  }
  /** @internal */
  static rsa(n: Uint8Array, e: Uint8Array): PublicKey {
    const k = rsaPublic(n, e);
    return new PublicKey({ type: "rsa", bits: k.bits }, undefined, k);
  }
}

export function importKey(p: KeyParams): PublicKey {
  if (p.kty === "EC") {
    const size = SIZES[p.crv];
    if (size === undefined || p.x.length !== size || p.y.length !== size) throw new Error(`EC coordinates must be ${size} bytes`);
    return PublicKey.ec(p.crv, concatBytes(Uint8Array.of(4), p.x, p.y));
  }
  if (p.kty === "OKP") return PublicKey.ed25519(p.x);
  return PublicKey.rsa(p.n, p.e);
}

// ---------------------------------------------------------------------------------------------
// A minimal DER reader: just enough to slice a certificate and read an RSAPublicKey or a curve OID.

interface Tlv { tag: number; at: number; start: number; end: number }

function tlv(b: Uint8Array, at: number): Tlv {
  const tag = b[at];
  let len = b[at + 1];
  if (tag === undefined || len === undefined) throw new Error("DER truncated");
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("DER length form not supported");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? NaN);
    start += n;
  }
  if (!(start + len <= b.length)) throw new Error("DER truncated");
  return { tag, at, start, end: start + len };
}

/** The children of a constructed TLV. */
function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.start; at < t.end;) {
    const c = tlv(b, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

const unsigned = (b: Uint8Array): Uint8Array => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const OID_EC = "1.2.840.10045.2.1";
const OID_RSA = "1.2.840.113549.1.1.1";
const OID_ED25519 = "1.3.101.112";
/** namedCurve parameters, as DER OBJECT IDENTIFIER bytes (hex). */
const CURVE_OIDS: Record<string, Curve> = {
  "06082a8648ce3d030107": "P-256", "06052b81040022": "P-384", "06052b81040023": "P-521",
};

function spkiKey(info: SubjectPublicKeyInfo): PublicKey {
  const alg = info.algorithm.algorithm;
  const key = new Uint8Array(info.subjectPublicKey);
  if (alg === OID_EC) {
    const params = info.algorithm.parameters;
    const curve = params ? CURVE_OIDS[hex(new Uint8Array(params))] : undefined;
    if (curve === undefined) throw new Error("EC key on an unsupported curve");
    if (key.length !== 1 + 2 * SIZES[curve] || key[0] !== 4) throw new Error("EC point is not uncompressed");
    return PublicKey.ec(curve, key);
  }
  if (alg === OID_ED25519) return PublicKey.ed25519(key);
  if (alg === OID_RSA) {
    const seq = tlv(key, 0);
    const parts = children(key, seq);
    if (seq.tag !== 0x30 || seq.end !== key.length || parts.length !== 2 || parts.some((p) => p.tag !== 0x02)) throw new Error("not an RSAPublicKey");
    const [n, e] = parts.map((p) => unsigned(key.subarray(p.start, p.end)));
    return PublicKey.rsa(n!, e!);
  }
  throw new Error(`public key algorithm ${alg} is not supported`);
}

export function importSpki(der: Uint8Array): PublicKey {
  return spkiKey(AsnParser.parse(der, SubjectPublicKeyInfo));
}

export function isPublicKey(x: unknown): x is PublicKey {
  return x instanceof PublicKey;
}

export function keyInfo(k: PublicKey): KeyInfo {
  return { ...k.info };
}

function verifyWith(a: SignatureAlg, key: PublicKey, data: Uint8Array, sig: Uint8Array): boolean {
  if (!isPublicKey(key) || !canVerify(a, key.info)) return false;
  try {
    if (a.scheme === "ecdsa") {
      return NOBLE[key.info.curve!].verify(sig, digest(a.hash!, data), key.point!, { prehash: false, lowS: false, format: "der" });
    }
    if (a.scheme === "eddsa") return ed25519.verify(sig, data, key.point!, { zip215: false });
    if (a.scheme === "pkcs1") return verifyPkcs1(key.rsa!, a.hash!, data, sig);
    return verifyPss(key.rsa!, a.hash!, data, sig);
  } catch {
    return false;
  }
}

/** See ./keys.ts. */
export function verifySignature(alg: number, key: PublicKey, data: Uint8Array, sig: Uint8Array): boolean {
  const a = COSE_SIGNATURE_ALGS.get(alg);
  return a !== undefined && verifyWith(a, key, data, sig);
}

// ---------------------------------------------------------------------------------------------
// Certificates

const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_KEY_USAGE = "2.5.29.15";
const OID_SKI = "2.5.29.14";
const OID_AKI = "2.5.29.35";

/** What a chain check needs from one certificate, read once. */
export class X509 {
  readonly raw: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: SubjectPublicKeyInfo;
  /** basicConstraints cA; undefined when the extension is absent. */
  readonly basicCa: boolean | undefined;
  /** keyUsage bits (KeyUsageFlags); undefined when absent. */
  readonly keyUsage: number | undefined;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  readonly authoritySerial: Uint8Array | undefined;

  constructor(der: Uint8Array, cert: Certificate) {
    this.raw = der.slice();
    const outer = tlv(this.raw, 0);
    const [tbs] = children(this.raw, outer);
    if (tbs === undefined) throw new Error("certificate has no tbsCertificate");
    this.tbs = this.raw.subarray(tbs.at, tbs.end);
    this.signatureAlgorithm = cert.signatureAlgorithm.algorithm;
    this.signature = new Uint8Array(cert.signatureValue);
    const t = cert.tbsCertificate;
    this.issuer = new Uint8Array(AsnConvert.serialize(t.issuer));
    this.subject = new Uint8Array(AsnConvert.serialize(t.subject));
    this.serial = unsigned(new Uint8Array(t.serialNumber));
    this.notBefore = t.validity.notBefore.getTime();
    this.notAfter = t.validity.notAfter.getTime();
    this.spki = t.subjectPublicKeyInfo;
    let basicCa: boolean | undefined;
    let keyUsage: number | undefined;
    let ski: Uint8Array | undefined;
    let aki: AuthorityKeyIdentifier | undefined;
    for (const e of t.extensions ?? []) {
      const v = e.extnValue.buffer;
      if (e.extnID === OID_BASIC_CONSTRAINTS) basicCa = AsnParser.parse(v, BasicConstraints).cA;
      else if (e.extnID === OID_KEY_USAGE) keyUsage = AsnParser.parse(v, KeyUsage).toNumber();
      else if (e.extnID === OID_SKI) ski = new Uint8Array(AsnParser.parse(v, SubjectKeyIdentifier).buffer);
      else if (e.extnID === OID_AKI) aki = AsnParser.parse(v, AuthorityKeyIdentifier);
    }
    this.basicCa = basicCa;
    this.keyUsage = keyUsage;
    this.subjectKeyId = ski;
    this.authorityKeyId = aki?.keyIdentifier ? new Uint8Array(aki.keyIdentifier.buffer) : undefined;
    this.authoritySerial = aki?.authorityCertSerialNumber ? unsigned(new Uint8Array(aki.authorityCertSerialNumber)) : undefined;
    Object.freeze(this);
  }
}

/** A certificate from DER already checked by ../fido/certificate.ts; `parsed` gives its @peculiar parse. */
export function loadCertificate(der: Uint8Array, parsed: () => Certificate): X509 {
  return new X509(der, parsed());
}

export function isCertificate(x: unknown): x is X509 {
  return x instanceof X509;
}

export function certificateDer(c: X509): Uint8Array {
  return c.raw.slice();
}

/** Certificate keys already read (a certificate's key is read by several checks). */
const certKeys = new WeakMap<X509, PublicKey>();

export function certificateKey(c: X509): PublicKey {
  let k = certKeys.get(c);
  if (k === undefined) certKeys.set(c, (k = spkiKey(c.spki)));
  return k;
}

export function certificateIsCa(c: X509): boolean {
  return c.basicCa === true && (c.keyUsage === undefined || (c.keyUsage & KeyUsageFlags.keyCertSign) !== 0);
}

export function certificateValidity(c: X509): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter) };
}

export function certificateIssuedBy(child: X509, parent: X509): boolean {
  if (!bytesEqual(child.issuer, parent.subject)) return false;
  if (child.authorityKeyId !== undefined && parent.subjectKeyId !== undefined && !bytesEqual(child.authorityKeyId, parent.subjectKeyId)) return false;
  if (child.authoritySerial !== undefined && !bytesEqual(child.authoritySerial, parent.serial)) return false;
  if (parent.keyUsage !== undefined && (parent.keyUsage & KeyUsageFlags.keyCertSign) === 0) return false;
  const a = CERT_SIGNATURE_ALGS.get(child.signatureAlgorithm);
  if (a === undefined) return false;
  try {
    return verifyWith(a, certificateKey(parent), child.tbs, child.signature);
  } catch {
    return false;
  }
}
