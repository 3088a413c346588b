// Certificates for chain tests, signed by node:crypto keys of every kind the verifiers read (P-256/384/521,
// Ed25519, RSA PKCS#1 v1.5 and PSS), written with the SDK's DER writer.
import { constants, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import {
  derBitString, derExplicit, derInteger, derNull, derOctetString, derOid, derSequence, derSet, derTime, derTlv, derUtf8,
} from "../src/fido/asn1.js";
import { basicConstraintsExt } from "../src/fido/ca.js";

export type KeyKind = "p256" | "p384" | "p521" | "ed25519" | "rsa2048" | "rsa1024";
export interface Party { cn: string; kind: KeyKind; privateKey: KeyObject; publicKey: KeyObject; pss?: boolean }

export function party(cn: string, kind: KeyKind, pss = false): Party {
  const pair = kind === "ed25519" ? generateKeyPairSync("ed25519")
    : kind.startsWith("rsa") ? generateKeyPairSync("rsa", { modulusLength: kind === "rsa1024" ? 1024 : 2048 })
    : generateKeyPairSync("ec", { namedCurve: { p256: "P-256", p384: "P-384", p521: "P-521" }[kind as "p256"] });
  return { cn, kind, ...pair, pss };
}

const name = (cn: string) => derSequence(derSet(derSequence(derOid("2.5.4.3"), derUtf8(cn))));
const SHA256 = derSequence(derOid("2.16.840.1.101.3.4.2.1"), derNull());

/** The signature algorithm an issuer signs with, and the hash node:crypto needs for it. */
function signer(p: Party): { alg: Uint8Array; hash: string | null } {
  if (p.kind === "ed25519") return { alg: derSequence(derOid("1.3.101.112")), hash: null };
  if (p.kind.startsWith("rsa")) {
    if (p.pss) {
      const params = derSequence(derExplicit(0, SHA256), derExplicit(1, derSequence(derOid("1.2.840.113549.1.1.8"), SHA256)), derExplicit(2, derInteger(32)));
      return { alg: derSequence(derOid("1.2.840.113549.1.1.10"), params), hash: "sha256" };
    }
    return { alg: derSequence(derOid("1.2.840.113549.1.1.11"), derNull()), hash: "sha256" };
  }
  const [oid, hash] = p.kind === "p256" ? ["1.2.840.10045.4.3.2", "sha256"] : p.kind === "p384" ? ["1.2.840.10045.4.3.3", "sha384"] : ["1.2.840.10045.4.3.4", "sha512"];
  return { alg: derSequence(derOid(oid)), hash };
}

export interface CertOptions {
  subject: Party;
  issuer: Party;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints: true/false, or undefined to leave the extension out. */
  ca?: boolean;
  /** keyUsage bits as numbers (0 digitalSignature, 5 keyCertSign, 6 cRLSign); undefined = no extension. */
  keyUsage?: number[];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  serial?: number;
}

export function cert(o: CertOptions): Uint8Array {
  const { alg, hash } = signer(o.issuer);
  const exts: Uint8Array[] = [];
  const ext = (oid: string, critical: boolean, value: Uint8Array) =>
    exts.push(derSequence(derOid(oid), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), derOctetString(value)));
  if (o.ca !== undefined) { const b = basicConstraintsExt(o.ca); ext(b.oid, true, b.value); }
  if (o.keyUsage !== undefined) {
    let v = 0;
    for (const b of o.keyUsage) v |= 0x80 >> b;
    let unused = 0;
    while (unused < 7 && !(v & (1 << unused))) unused++;
    ext("2.5.29.15", true, Uint8Array.of(0x03, 0x02, unused, v));
  }
  if (o.subjectKeyId) ext("2.5.29.14", false, derOctetString(o.subjectKeyId));
  if (o.authorityKeyId) ext("2.5.29.35", false, derSequence(derTlv(0x80, o.authorityKeyId)));
  const spki = new Uint8Array(o.subject.publicKey.export({ format: "der", type: "spki" }));
  const tbs = derSequence(
    derExplicit(0, derInteger(2)), derInteger(o.serial ?? 1), alg, name(o.issuer.cn),
    derSequence(derTime(o.notBefore), derTime(o.notAfter)), name(o.subject.cn), spki,
    ...(exts.length > 0 ? [derExplicit(3, derSequence(...exts))] : []),
  );
  const key = o.issuer.pss ? { key: o.issuer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : o.issuer.privateKey;
  return derSequence(tbs, alg, derBitString(new Uint8Array(sign(hash, tbs, key))));
}
