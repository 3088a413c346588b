// Reading X.509 certificates that arrive from the outside (attestation x5c, trust anchors).
//
// Parsing is done by @peculiar/asn1-x509 (schemas) over asn1js (BER/DER tokenizer), the pair
// SimpleWebAuthn uses; ../platform/keys.ts then loads the same bytes for chains and signatures
// (node:crypto's X509Certificate, OpenSSL, in Node; its browser twin in a page). Every size an
// attacker controls is capped: the certificate's bytes before anything is
// tokenized, then the tokenized tree (node count, depth, OID and extension lengths, no indefinite
// lengths, no trailing bytes) before the schema maps it and before any OID is turned into text.
// The DER must be canonical: the schema's re-encoding has to give back the very same bytes.

import * as asn1js from "asn1js";
import { AsnConvert, AsnParser } from "@peculiar/asn1-schema";
import { BasicConstraints, Certificate } from "@peculiar/asn1-x509";
import { SeglError } from "../errors.js";
import { bytesEqual, fromBase64, toBase64 } from "../platform/bytes.js";
import { digest } from "../platform/crypto.js";
import { certificateDer, certificateKey, isCertificate, loadCertificate, type PublicKey, type X509 } from "../platform/keys.js";

/** Hard caps on certificate input (bytes unless said otherwise). */
export const CERT_LIMITS = Object.freeze({
  /** One certificate. Attestation certificates of real authenticators are 0.5–2 KB. */
  certificateBytes: 8192,
  /** Certificates in one x5c. */
  chainLength: 4,
  /** extnValue of one extension. */
  extensionBytes: 2048,
  /** Content of one OBJECT IDENTIFIER (real ones are under 20). */
  oidBytes: 32,
  /** ASN.1 nodes in one certificate. */
  nodes: 512,
  /** Nesting of ASN.1 nodes. */
  depth: 16,
});

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** Content of the extnValue OCTET STRING (itself DER). */
  value: Uint8Array;
}

export interface CertFields {
  /** X.509 version number as people say it (1, 2 or 3). */
  version: number;
  /** Subject attributes by short name (C, O, OU, CN, ...) -> values (a name may repeat). */
  subject: Record<string, string[]>;
  extensions: CertExtension[];
  /** DER of the subject Name. */
  subjectDer: Uint8Array;
  /** subjectPublicKey BIT STRING content (without the unused-bits byte). */
  subjectPublicKey: Uint8Array;
}

const NAME_OIDS: Record<string, string> = {
  "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress",
};

function bad(msg: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new SeglError("BAD_RESPONSE", `certificate: ${msg}`, cause === undefined ? { details } : { details, cause });
}

/** Checks the caps on an asn1js tree without recursion. */
function checkTree(root: asn1js.AsnType): void {
  const stack: Array<{ n: asn1js.BaseBlock; d: number }> = [{ n: root as asn1js.BaseBlock, d: 1 }];
  let count = 0;
  while (stack.length > 0) {
    const { n, d } = stack.pop()!;
    if (++count > CERT_LIMITS.nodes) bad(`more than ${CERT_LIMITS.nodes} ASN.1 nodes`, { limit: "nodes" });
    if (d > CERT_LIMITS.depth) bad(`nesting deeper than ${CERT_LIMITS.depth}`, { limit: "depth" });
    if (n.lenBlock.isIndefiniteForm) bad("indefinite length (BER, not DER)");
    if (n instanceof asn1js.ObjectIdentifier && n.lenBlock.length > CERT_LIMITS.oidBytes) {
      bad(`OBJECT IDENTIFIER longer than ${CERT_LIMITS.oidBytes} bytes`, { limit: "oidBytes" });
    }
    const vb = (n as { valueBlock?: { value?: unknown } }).valueBlock;
    if (vb !== undefined && Array.isArray(vb.value)) {
      for (const c of vb.value as unknown[]) if (c instanceof asn1js.BaseBlock) stack.push({ n: c, d: d + 1 });
    }
  }
}

/** asn1js's tokenizer; it throws plain Errors on some malformed times and strings: those become BAD_RESPONSE. */
function tokenize(der: Uint8Array): ReturnType<typeof asn1js.fromBER> {
  try {
    return asn1js.fromBER(new Uint8Array(der)); // own ArrayBuffer: asn1js keeps views into it
  } catch (e) {
    return bad("not DER (the tokenizer refused it)", {}, e);
  }
}

/**
 * Parses one DER certificate under the caps. Throws SeglError("BAD_RESPONSE") for anything that is
 * not exactly one canonical DER certificate (PEM text, trailing bytes, BER forms, oversized parts).
 */
export function parseCertificate(der: Uint8Array): Certificate {
  if (!(der instanceof Uint8Array)) bad("must be DER bytes (Uint8Array)");
  if (der.length === 0 || der.length > CERT_LIMITS.certificateBytes) {
    bad(`${der.length} bytes (1..${CERT_LIMITS.certificateBytes} allowed)`, { limit: "certificateBytes", length: der.length });
  }
  if (der[0] !== 0x30) bad("does not start with a DER SEQUENCE (PEM text is not accepted here)");
  const tok = tokenize(der);
  if (tok.offset === -1 || tok.result.error) bad(`not DER: ${tok.result.error || "unreadable"}`);
  if (tok.offset !== der.length) bad(`${der.length - tok.offset} trailing byte(s) after the certificate`);
  checkTree(tok.result);
  let cert: Certificate;
  try {
    cert = AsnParser.fromASN(tok.result, Certificate);
  } catch (e) {
    return bad("does not match the X.509 Certificate schema", {}, e);
  }
  let again: ArrayBuffer;
  try {
    again = AsnConvert.serialize(cert);
  } catch (e) {
    return bad("cannot be re-encoded", {}, e);
  }
  if (!bytesEqual(new Uint8Array(again), der)) bad("is not canonical DER");
  return cert;
}

/** A certificate the caller configured (a trust anchor): read by the schema without the caps and the canonical-DER rule. */
export function readCertificate(der: Uint8Array): Certificate {
  return AsnParser.parse(new Uint8Array(der), Certificate);
}

/** Certificates already checked by parseCertificate, by their platform object (no second parse). */
const parsed = new WeakMap<X509, Certificate>();

/**
 * The fields of a certificate that WebAuthn §8.2.1 checks and that node:crypto does not expose.
 * Takes DER (checked under the caps) or a certificate from {@link toNodeCertificate}.
 */
export function certFields(input: Uint8Array | X509): CertFields {
  const cert = isCertificate(input) ? (parsed.get(input) ?? parseCertificate(certificateDer(input))) : parseCertificate(input);
  try {
    return fieldsOf(cert);
  } catch (e) {
    if (e instanceof SeglError) throw e;
    return bad("a field cannot be read", {}, e);
  }
}

function fieldsOf(cert: Certificate): CertFields {
  const tbs = cert.tbsCertificate;
  const subject: Record<string, string[]> = {};
  for (const rdn of tbs.subject) {
    for (const atv of rdn) (subject[NAME_OIDS[atv.type] ?? atv.type] ??= []).push(atv.value.toString());
  }
  const extensions: CertExtension[] = [];
  for (const e of tbs.extensions ?? []) {
    const value = new Uint8Array(e.extnValue.buffer);
    if (value.length > CERT_LIMITS.extensionBytes) bad(`extension ${e.extnID} is ${value.length} bytes (max ${CERT_LIMITS.extensionBytes})`, { limit: "extensionBytes" });
    extensions.push({ oid: e.extnID, critical: e.critical, value: value.slice() });
  }
  return {
    version: tbs.version + 1,
    subject,
    extensions,
    subjectDer: new Uint8Array(AsnConvert.serialize(tbs.subject)),
    subjectPublicKey: new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey),
  };
}

/** Backward-compatible name of {@link certFields}. */
export const parseCertFields = certFields;

/** cA of a basicConstraints extension value; throws BAD_RESPONSE when it does not parse. */
export function basicConstraintsCa(value: Uint8Array): boolean {
  try {
    return AsnParser.parse(value, BasicConstraints).cA;
  } catch (e) {
    return bad("basicConstraints cannot be parsed", {}, e);
  }
}

/** Content of a DER OCTET STRING that is exactly `value`, or undefined. */
export function octetStringContent(value: Uint8Array): Uint8Array | undefined {
  let tok: ReturnType<typeof asn1js.fromBER>;
  try {
    tok = tokenize(value);
  } catch {
    return undefined;
  }
  if (tok.offset !== value.length || !(tok.result instanceof asn1js.OctetString) || tok.result.lenBlock.isIndefiniteForm) return undefined;
  if (tok.result.idBlock.isConstructed) return undefined;
  return new Uint8Array(tok.result.valueBlock.valueHexView);
}

/**
 * Certificates that passed both parsers, by the SHA-256 of their exact bytes (least recently used
 * dropped). Every device of a batch sends the same batch certificate, so a broker parses each once;
 * only bytes that parsed are kept, and a different byte is a different key.
 */
const known = new Map<string, X509>();
const KNOWN_MAX = 256;

/** A platform certificate (node:crypto's in Node) from DER checked by {@link parseCertificate} first (cached by its bytes). */
export function toNodeCertificate(der: Uint8Array): X509 {
  if (!(der instanceof Uint8Array)) bad("must be DER bytes (Uint8Array)");
  const id = der.length <= CERT_LIMITS.certificateBytes ? toBase64(digest("sha256", der)) : "";
  const hit = id === "" ? undefined : known.get(id);
  if (hit !== undefined) {
    known.delete(id);
    known.set(id, hit);
    return hit;
  }
  const cert = parseCertificate(der);
  let x: X509;
  try {
    x = loadCertificate(der, () => cert);
  } catch (e) {
    return bad("the platform's X.509 reader does not read it", {}, e);
  }
  parsed.set(x, cert);
  known.set(id, x);
  if (known.size > KNOWN_MAX) known.delete(known.keys().next().value!);
  return x;
}

/** A certificate's public key; an invalid key (off-curve point, bad RSA) is BAD_RESPONSE, not an OpenSSL error. */
export function certPublicKey(c: X509): PublicKey {
  try {
    return certificateKey(c);
  } catch (e) {
    return bad("public key is not valid (off-curve point or malformed key)", {}, e);
  }
}

export function pemToDer(pem: string): Uint8Array {
  if (typeof pem !== "string" || pem.length > 4 * CERT_LIMITS.certificateBytes) throw new SeglError("INVALID_ARGUMENT", "not a PEM certificate");
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new SeglError("INVALID_ARGUMENT", "not a PEM certificate");
  try {
    return fromBase64(m[1]!.replace(/\s+/g, ""));
  } catch (e) {
    throw new SeglError("INVALID_ARGUMENT", "not a PEM certificate", { cause: e });
  }
}
