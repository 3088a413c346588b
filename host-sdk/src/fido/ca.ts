// Maker CA and batch attestation certificates (P-256, ECDSA-SHA256), written with our own DER
// writer and signed with @noble/curves. Batch certificates meet WebAuthn §8.2.1 (packed): X.509
// v3, subject C/O/OU="Authenticator Attestation"/CN, basicConstraints CA=false, and the AAGUID
// extension 1.3.6.1.4.1.45724.1.1.4 (non-critical). The batch private key comes back as 32 raw
// bytes: the form the chip's factory provisioning takes.

import { p256 } from "@noble/curves/nist.js";
import { SeglError, argCheck } from "../errors.js";
import { digest, randomBytes } from "../platform/crypto.js";
import {
  derBitString, derBoolean, derExplicit, derInteger, derOctetString, derOid, derPrintable, derSequence, derSet,
  derTime, derToPem, derUtf8,
} from "./asn1.js";
import { certFields } from "./certificate.js";
import { OID_BASIC_CONSTRAINTS, OID_FIDO_GEN_CE_AAGUID } from "./attestation.js";
import { uuidBytes } from "./authdata.js";

const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  keyUsage: "2.5.29.15",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  C: "2.5.4.6", O: "2.5.4.10", OU: "2.5.4.11", CN: "2.5.4.3",
} as const;

export const ATTESTATION_OU = "Authenticator Attestation";

/** Subject attributes in order; C is written as PrintableString, the others as UTF8String. */
export type NameAttribute = readonly ["C" | "O" | "OU" | "CN", string];

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** DER of the extension value (wrapped in the extnValue OCTET STRING by the writer). */
  value: Uint8Array;
}

export interface IssueCertificateOptions {
  subject: readonly NameAttribute[];
  /** Issuer attributes, or the issuer certificate's subject Name as raw DER (matches exactly). */
  issuer: readonly NameAttribute[] | Uint8Array;
  /** Uncompressed P-256 point (65 bytes). */
  subjectPublicKey: Uint8Array;
  /** Issuer's P-256 private key (32 bytes). */
  signingKey: Uint8Array;
  serial: bigint | Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: CertificateExtension[];
  /** 3 (default); other values only to test verifiers. */
  version?: 1 | 3;
}

function name(attrs: readonly NameAttribute[]): Uint8Array {
  return derSequence(
    ...attrs.map(([k, v]) => derSet(derSequence(derOid(OID[k]), k === "C" ? derPrintable(v) : derUtf8(v)))),
  );
}

function spki(point: Uint8Array): Uint8Array {
  return derSequence(derSequence(derOid(OID.ecPublicKey), derOid(OID.prime256v1)), derBitString(point));
}

const keyId = (point: Uint8Array): Uint8Array => digest("sha1", point);

/** Issues an X.509 certificate for a P-256 key, signed ECDSA-SHA256 by `signingKey`. Returns DER. */
export function issueCertificate(o: IssueCertificateOptions): Uint8Array {
  argCheck(o.subjectPublicKey.length === 65 && o.subjectPublicKey[0] === 4, "subjectPublicKey must be an uncompressed P-256 point");
  argCheck(o.signingKey.length === 32, "signingKey must be 32 bytes");
  argCheck(o.notBefore.getTime() < o.notAfter.getTime(), "notBefore must precede notAfter");
  const sigAlg = derSequence(derOid(OID.ecdsaWithSha256));
  const v3 = (o.version ?? 3) === 3;
  const tbs = derSequence(
    ...(v3 ? [derExplicit(0, derInteger(2))] : []),
    derInteger(o.serial),
    sigAlg,
    o.issuer instanceof Uint8Array ? o.issuer : name(o.issuer),
    derSequence(derTime(o.notBefore), derTime(o.notAfter)),
    name(o.subject),
    spki(o.subjectPublicKey),
    ...(v3 && o.extensions.length > 0
      ? [derExplicit(3, derSequence(...o.extensions.map((e) => derSequence(
        derOid(e.oid), ...(e.critical ? [derBoolean(true)] : []), derOctetString(e.value),
      ))))]
      : []),
  );
  const sig = p256.sign(tbs, o.signingKey, { format: "der", prehash: true, lowS: true });
  return derSequence(tbs, sigAlg, derBitString(sig));
}

export const basicConstraintsExt = (ca: boolean, pathLen?: number): CertificateExtension => ({
  oid: OID_BASIC_CONSTRAINTS,
  critical: true,
  value: derSequence(...(ca ? [derBoolean(true)] : []), ...(ca && pathLen !== undefined ? [derInteger(pathLen)] : [])),
});

export const aaguidExt = (aaguid: Uint8Array, critical = false): CertificateExtension => ({
  oid: OID_FIDO_GEN_CE_AAGUID, critical, value: derOctetString(aaguid),
});

/** keyUsage: bit 0 digitalSignature, bit 5 keyCertSign, bit 6 cRLSign. */
function keyUsageExt(bits: number[]): CertificateExtension {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  let unused = 0;
  while (unused < 7 && !(v & (1 << unused))) unused++;
  return { oid: OID.keyUsage, critical: true, value: Uint8Array.of(0x03, 0x02, unused, v) };
}

function randomSerial(): Uint8Array {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x01; // positive, 16 bytes
  return s;
}

export interface IssuedCertificate {
  certificateDer: Uint8Array;
  certificatePem: string;
  /** 32-byte raw P-256 private key. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed public point. */
  publicKey: Uint8Array;
}

export interface MakerCaOptions {
  /** Default C=DK, O="Segl device maker", CN="Segl Attestation Root CA". */
  subject?: { C?: string; O?: string; OU?: string; CN?: string };
  notBefore?: Date;
  /** Default 25 years after notBefore. */
  notAfter?: Date;
  /** Use this 32-byte key instead of a fresh one. */
  privateKey?: Uint8Array;
  serial?: bigint | Uint8Array;
}

function subjectList(s: { C?: string; O?: string; OU?: string | null; CN?: string }): NameAttribute[] {
  const out: NameAttribute[] = [];
  if (s.C) out.push(["C", s.C]);
  if (s.O) out.push(["O", s.O]);
  if (s.OU) out.push(["OU", s.OU]);
  if (s.CN) out.push(["CN", s.CN]);
  return out;
}

function keypair(given?: Uint8Array): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = given ?? p256.utils.randomSecretKey();
  argCheck(privateKey.length === 32, "privateKey must be 32 bytes");
  try {
    return { privateKey: privateKey.slice(), publicKey: p256.getPublicKey(privateKey, false) };
  } catch (e) {
    throw new SeglError("INVALID_ARGUMENT", "privateKey is not a valid P-256 scalar", { cause: e });
  }
}

const addYears = (d: Date, y: number) => new Date(Date.UTC(d.getUTCFullYear() + y, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
const wholeSecond = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** A self-signed P-256 root for the maker (CA=true, keyCertSign|cRLSign). */
export function createMakerCa(opts: MakerCaOptions = {}): IssuedCertificate {
  const { privateKey, publicKey } = keypair(opts.privateKey);
  const s = { C: "DK", O: "Segl device maker", CN: "Segl Attestation Root CA", ...opts.subject };
  const subject = subjectList(s);
  const notBefore = wholeSecond(opts.notBefore ?? new Date(Date.now() - 60_000));
  const notAfter = wholeSecond(opts.notAfter ?? addYears(notBefore, 25));
  const ski = keyId(publicKey);
  const der = issueCertificate({
    subject, issuer: subject, subjectPublicKey: publicKey, signingKey: privateKey, serial: opts.serial ?? randomSerial(),
    notBefore, notAfter,
    extensions: [
      basicConstraintsExt(true),
      keyUsageExt([5, 6]),
      { oid: OID.subjectKeyId, critical: false, value: derOctetString(ski) },
    ],
  });
  return { certificateDer: der, certificatePem: derToPem(der), privateKey, publicKey };
}

export interface BatchCertificateOptions {
  /** The issuing CA: its certificate (for the issuer name) and 32-byte private key. */
  ca: { certificateDer: Uint8Array; privateKey: Uint8Array };
  /** AAGUID of the authenticator model (16 bytes or UUID text). */
  aaguid: Uint8Array | string;
  /**
   * Subject. OU defaults to "Authenticator Attestation" (required by WebAuthn); `OU: null` leaves
   * it out (only to test verifiers). Default C=DK, O="Segl device maker", CN="Segl Chip Batch 1".
   */
  subject?: { C?: string; O?: string; OU?: string | null; CN?: string };
  notBefore?: Date;
  /** Default 15 years after notBefore (attestation certificates outlive devices). */
  notAfter?: Date;
  privateKey?: Uint8Array;
  serial?: bigint | Uint8Array;
  /** Leave out the AAGUID extension (allowed by WebAuthn). Default false. */
  omitAaguidExtension?: boolean;
}

/** A batch attestation certificate for packed attestation, issued by the maker CA. */
export function createBatchCertificate(opts: BatchCertificateOptions): IssuedCertificate {
  argCheck(opts?.ca?.certificateDer instanceof Uint8Array && opts.ca.privateKey instanceof Uint8Array, "ca {certificateDer, privateKey} required");
  const aaguid = typeof opts.aaguid === "string" ? uuidBytes(opts.aaguid) : opts.aaguid;
  argCheck(aaguid.length === 16, "aaguid must be 16 bytes");
  const { privateKey, publicKey } = keypair(opts.privateKey);
  const s = { C: "DK", O: "Segl device maker", CN: "Segl Chip Batch 1", ...opts.subject };
  const subject = subjectList({ ...s, OU: s.OU === undefined ? ATTESTATION_OU : s.OU });
  const notBefore = wholeSecond(opts.notBefore ?? new Date(Date.now() - 60_000));
  const notAfter = wholeSecond(opts.notAfter ?? addYears(notBefore, 15));
  const caFields = certFields(opts.ca.certificateDer);
  const issuerDer = caFields.subjectDer;
  const caPoint = caFields.subjectPublicKey;
  const der = issueCertificate({
    subject, issuer: issuerDer, subjectPublicKey: publicKey, signingKey: opts.ca.privateKey,
    serial: opts.serial ?? randomSerial(), notBefore, notAfter,
    extensions: [
      basicConstraintsExt(false),
      keyUsageExt([0]),
      { oid: OID.authorityKeyId, critical: false, value: derSequence(derTlvContext0(keyId(caPoint))) },
      ...(opts.omitAaguidExtension ? [] : [aaguidExt(aaguid)]),
    ],
  });
  return { certificateDer: der, certificatePem: derToPem(der), privateKey, publicKey };
}

/** [0] IMPLICIT OCTET STRING (keyIdentifier in AuthorityKeyIdentifier). */
function derTlvContext0(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + b.length);
  out[0] = 0x80;
  out[1] = b.length;
  out.set(b, 2);
  return out;
}
