// Attestation statements (WebAuthn §8): packed (basic and self), fido-u2f, none; attestation
// certificate requirements (§8.2.1) and chain building to the maker's roots.

import type { CborValue } from "../cbor.js";
import { bytesEqual, concatBytes } from "../platform/bytes.js";
import {
  certificateDer, certificateIsCa, certificateIssuedBy, certificateValidity, isCertificate, keyInfo, loadCertificate,
  verifySignature as platformVerify, type PublicKey, type X509,
} from "../platform/keys.js";
import { RSA_MIN_BITS } from "../platform/keys-types.js";
import { SeglError } from "../errors.js";
import {
  CERT_LIMITS, basicConstraintsCa, certFields, certPublicKey, octetStringContent, pemToDer, readCertificate, toNodeCertificate,
} from "./certificate.js";
import type { AuthenticatorData } from "./authdata.js";
import { COSE_ALG, COSE_CRV, COSE_KTY, algFitsKey, algForKeyObject } from "./cose.js";

export const OID_FIDO_GEN_CE_AAGUID = "1.3.6.1.4.1.45724.1.1.4";
export const OID_BASIC_CONSTRAINTS = "2.5.29.19";

export type AttestationFormat = "packed" | "fido-u2f" | "none";
export type AttestationType = "basic" | "self" | "none";
/** chained: x5c leads to a given trust anchor; unchained: x5c present but not (or no anchors given). */
export type AttestationTrust = "chained" | "unchained" | "self" | "none";

/**
 * Verifies a signature for a COSE alg (../platform/keys.ts: node:crypto, or its browser twin); false
 * (never a throw) for any failure or a key that does not fit the alg. ECDSA: DER, high-S accepted.
 */
export function verifySignature(alg: number, key: PublicKey, data: Uint8Array, sig: Uint8Array): boolean {
  return platformVerify(alg, key, data, sig);
}

/** Problems with an attestation certificate against WebAuthn §8.2.1 (packed). Empty = meets them. */
export function checkAttestationCertificate(der: Uint8Array | X509, aaguid?: Uint8Array): string[] {
  const problems: string[] = [];
  let fields;
  try {
    fields = certFields(der);
  } catch (e) {
    return [`attestation certificate cannot be parsed: ${(e as Error).message}`];
  }
  if (fields.version !== 3) problems.push(`attestation certificate is X.509 v${fields.version}, must be v3`);
  const s = fields.subject;
  for (const a of ["C", "O", "CN"]) {
    if (!s[a]?.[0]) problems.push(`attestation certificate subject lacks ${a}`);
  }
  if (!s.OU?.includes("Authenticator Attestation")) {
    problems.push(`attestation certificate subject OU must be "Authenticator Attestation" (is ${s.OU ? JSON.stringify(s.OU.join(",")) : "absent"})`);
  }
  const bc = fields.extensions.find((e) => e.oid === OID_BASIC_CONSTRAINTS);
  if (bc !== undefined) {
    try {
      if (basicConstraintsCa(bc.value)) problems.push("attestation certificate has basicConstraints CA=true");
    } catch {
      problems.push("attestation certificate basicConstraints cannot be parsed");
    }
  }
  const ext = fields.extensions.find((e) => e.oid === OID_FIDO_GEN_CE_AAGUID);
  if (ext !== undefined) {
    if (ext.critical) problems.push("AAGUID extension (1.3.6.1.4.1.45724.1.1.4) must not be critical");
    const inner = octetStringContent(ext.value);
    const certAaguid = inner !== undefined && inner.length === 16 ? inner : undefined;
    if (certAaguid === undefined) problems.push("AAGUID extension is not an OCTET STRING of 16 bytes");
    else if (aaguid !== undefined && !bytesEqual(certAaguid, aaguid)) {
      problems.push("AAGUID in the attestation certificate differs from the one in authenticatorData");
    }
  }
  return problems;
}

export type TrustAnchorInput = Uint8Array | string | X509;

/**
 * A trust anchor as a certificate of ../platform/keys.ts (node:crypto's X509Certificate in Node).
 * Anchors are the caller's own configuration, not input from the outside: they are read without the
 * caps of x5c (OpenSSL reads them directly in Node); a bad one is INVALID_ARGUMENT.
 */
export function toX509(c: TrustAnchorInput): X509 {
  if (isCertificate(c)) return c;
  try {
    const der = typeof c === "string" ? pemToDer(c) : c;
    return loadCertificate(der, () => readCertificate(der));
  } catch (e) {
    throw new SeglError("INVALID_ARGUMENT", "trust anchor is not an X.509 certificate", { cause: e });
  }
}

function within(cert: X509, now: Date): boolean {
  const { notBefore, notAfter } = certificateValidity(cert);
  return notBefore.getTime() <= now.getTime() && now.getTime() <= notAfter.getTime();
}

/** Problems with the validity periods of x5c at `now` (expired or not yet valid). */
export function validityProblems(x5c: X509[], now: Date): string[] {
  const problems: string[] = [];
  x5c.forEach((c, i) => {
    if (!within(c, now)) {
      const { notBefore, notAfter } = certificateValidity(c);
      problems.push(`certificate ${i} of x5c is outside its validity period (${notBefore.toISOString()} .. ${notAfter.toISOString()})`);
    }
  });
  return problems;
}

/** Checks that x5c (leaf first) chains to one of `anchors`. Returns problems; empty = chained. */
export function checkChain(x5c: X509[], anchors: X509[], now: Date): string[] {
  const problems = validityProblems(x5c, now);
  for (let i = 0; i + 1 < x5c.length; i++) {
    const child = x5c[i]!;
    const parent = x5c[i + 1]!;
    if (!certificateIsCa(parent)) problems.push(`certificate ${i + 1} of x5c is not a CA`);
    certPublicKey(parent); // a bad key is BAD_RESPONSE, as for the leaf
    if (!certificateIssuedBy(child, parent)) problems.push(`certificate ${i} of x5c is not signed by certificate ${i + 1}`);
  }
  const last = x5c[x5c.length - 1]!;
  const lastDer = certificateDer(last);
  let anchored = anchors.some((a) => bytesEqual(certificateDer(a), lastDer));
  if (!anchored) {
    for (const a of anchors) {
      if (!certificateIsCa(a) || !within(a, now)) continue;
      if (certificateIssuedBy(last, a)) {
        anchored = true;
        break;
      }
    }
  }
  if (!anchored) problems.push("x5c does not chain to any given trust anchor");
  return problems;
}

/** x5c from an attStmt: 1..CERT_LIMITS.chainLength strict DER certificates. BAD_RESPONSE otherwise. */
export function parseX5c(raw: CborValue): X509[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((c) => c instanceof Uint8Array)) {
    throw new SeglError("BAD_RESPONSE", "attStmt.x5c must be a non-empty array of byte strings");
  }
  if (raw.length > CERT_LIMITS.chainLength) {
    throw new SeglError("BAD_RESPONSE", `attStmt.x5c holds ${raw.length} certificates (max ${CERT_LIMITS.chainLength})`, { details: { limit: "chainLength" } });
  }
  const out = (raw as Uint8Array[]).map(toNodeCertificate);
  for (const c of out) certPublicKey(c);
  return out;
}

function keyProblems(k: PublicKey, what: string): string[] {
  const i = keyInfo(k);
  if (i.type === "rsa" && (i.bits ?? 0) < RSA_MIN_BITS) return [`${what} is RSA below ${RSA_MIN_BITS} bits`];
  return [];
}

export interface AttestationCheckInput {
  fmt: string;
  attStmt: Map<CborValue, CborValue>;
  authData: AuthenticatorData;
  clientDataHash: Uint8Array;
  credentialKey: PublicKey;
  credentialAlg: number;
}

export interface StatementCheck {
  format: string;
  type: AttestationType;
  /** undefined when the format carries no signature (none). */
  signatureValid: boolean | undefined;
  x5c?: X509[];
  problems: string[];
}

/** Verifies the attestation statement itself (signature and certificate rules, not the chain). */
export function checkStatement(inp: AttestationCheckInput): StatementCheck {
  const { fmt, attStmt, authData, clientDataHash } = inp;
  const problems: string[] = [];
  const signed = concatBytes(authData.bytes, clientDataHash);
  const x5cRaw = attStmt.get("x5c");
  const x5c = x5cRaw === undefined ? undefined : parseX5c(x5cRaw);
  const sigRaw = attStmt.get("sig");
  if (fmt === "none") {
    if (attStmt.size !== 0) problems.push("attStmt of format none must be empty");
    return { format: fmt, type: "none", signatureValid: undefined, problems };
  }
  if (fmt !== "packed" && fmt !== "fido-u2f") {
    problems.push(`attestation format ${JSON.stringify(fmt)} is not supported`);
    return { format: fmt, type: x5c ? "basic" : "none", signatureValid: false, ...(x5c ? { x5c } : {}), problems };
  }
  if (!(sigRaw instanceof Uint8Array)) throw new SeglError("BAD_RESPONSE", `attStmt.sig missing for format ${fmt}`);
  const sig = sigRaw;
  if (fmt === "packed") {
    const alg = attStmt.get("alg");
    if (typeof alg !== "number") throw new SeglError("BAD_RESPONSE", "packed attStmt.alg missing");
    if (x5c === undefined) {
      if (alg !== inp.credentialAlg) problems.push(`self attestation alg ${alg} differs from the credential's alg ${inp.credentialAlg}`);
      const ok = alg === inp.credentialAlg && verifySignature(alg, inp.credentialKey, signed, sig);
      if (!ok) problems.push("attestation signature is not valid");
      return { format: fmt, type: "self", signatureValid: ok, problems };
    }
    const leafKey = certPublicKey(x5c[0]!);
    problems.push(...keyProblems(leafKey, "attestation certificate key"));
    const fits = algFitsKey(alg, leafKey);
    if (!fits) problems.push(`attStmt.alg ${alg} does not fit the attestation certificate key`);
    const ok = fits && verifySignature(alg, leafKey, signed, sig);
    if (!ok) problems.push("attestation signature is not valid");
    problems.push(...checkAttestationCertificate(x5c[0]!, authData.attestedCredentialData?.aaguid));
    return { format: fmt, type: "basic", signatureValid: ok, x5c, problems };
  }
  if (fmt === "fido-u2f") {
    if (x5c === undefined || x5c.length !== 1) {
      problems.push("fido-u2f attStmt.x5c must hold exactly one certificate");
      if (x5c === undefined) return { format: fmt, type: "basic", signatureValid: false, problems };
    }
    const leafKey = certPublicKey(x5c[0]!);
    if (algForKeyObject(leafKey) !== COSE_ALG.ES256) problems.push("fido-u2f attestation key is not P-256");
    const acd = authData.attestedCredentialData!;
    const k = acd.coseKey;
    if (k.kty !== COSE_KTY.EC2 || k.crv !== COSE_CRV.P256) {
      problems.push("fido-u2f credential key is not P-256");
      return { format: fmt, type: "basic", signatureValid: false, x5c, problems };
    }
    const base = concatBytes(Uint8Array.of(0), authData.rpIdHash, clientDataHash, acd.credentialId, Uint8Array.of(4), k.x!, k.y!);
    const ok = verifySignature(COSE_ALG.ES256, leafKey, base, sig);
    if (!ok) problems.push("attestation signature is not valid");
    return { format: fmt, type: "basic", signatureValid: ok, x5c, problems };
  }
  const never: never = fmt;
  return never;
}
