// A software authenticator (noble keys) for the FIDO verification tests: packed-with-batch,
// packed-self, none and fido-u2f registrations, assertions, and the options the SDK expects.
import { createHash, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  cborEncode, certFields, coseEs256, coseEd25519, createBatchCertificate, createMakerCa, issueCertificate, verifyAssertion, verifyRegistration,
  type CborValue, type IssuedCertificate,
} from "../src/index.js";
import {
  derBitString, derExplicit, derInteger, derOctetString, derOid, derSequence, derSet, derTime, derTlv, derUtf8, derToPem,
} from "../src/fido/asn1.js";
import assert from "node:assert/strict";

export const RP = "segl.example";
export const ORIGIN = "https://segl.example";
export const AAGUID = "5e61c0de-0000-4000-8000-00000000c41d";
export const aaguidBytes = new Uint8Array(Buffer.from(AAGUID.replace(/-/g, ""), "hex"));
export const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());
export const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
export const cat = (...p: Uint8Array[]) => new Uint8Array(Buffer.concat(p));
export const u32 = (n: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b; };
export const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

export const ca = createMakerCa();
export const otherCa = createMakerCa({ subject: { CN: "Somebody else's root" } });
export const batch = createBatchCertificate({ ca, aaguid: AAGUID });

/** authenticatorData flags (WebAuthn §6.1). */
export const FLAG_UP = 0x01, FLAG_UV = 0x04, FLAG_BE = 0x08, FLAG_BS = 0x10, FLAG_AT = 0x40;

export type Fmt = "packed-batch" | "packed-self" | "none" | "fido-u2f";

export interface SoftCred {
  id: Uint8Array;
  sk: Uint8Array;
  cose: Uint8Array;
  kind: "p256" | "ed25519";
}

export function newCred(kind: "p256" | "ed25519" = "p256"): SoftCred {
  if (kind === "ed25519") {
    const sk = ed25519.utils.randomSecretKey();
    return { id: new Uint8Array(randomBytes(32)), sk, cose: coseEd25519(ed25519.getPublicKey(sk)), kind };
  }
  const sk = p256.utils.randomSecretKey();
  return { id: new Uint8Array(randomBytes(48)), sk, cose: coseEs256(p256.getPublicKey(sk, false)), kind };
}

export function sign(c: { sk: Uint8Array; kind: "p256" | "ed25519" }, msg: Uint8Array): Uint8Array {
  return c.kind === "ed25519" ? ed25519.sign(msg, c.sk) : p256.sign(msg, c.sk, { format: "der" });
}

export function clientData(type: string, challenge: Uint8Array, origin = ORIGIN, extra: Record<string, unknown> = {}): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type, challenge: b64u(challenge), origin, crossOrigin: false, ...extra }));
}

export function authData(opts: { rpId?: string; flags: number; counter: number; cred?: SoftCred; aaguid?: Uint8Array }): Uint8Array {
  const parts: Uint8Array[] = [sha256(opts.rpId ?? RP), Uint8Array.of(opts.flags), u32(opts.counter)];
  if (opts.cred) {
    const id = opts.cred.id;
    parts.push(opts.aaguid ?? aaguidBytes, Uint8Array.of(id.length >> 8, id.length & 0xff), id, opts.cred.cose);
  }
  return cat(...parts);
}

export interface Reg {
  cred: SoftCred;
  challenge: Uint8Array;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  authData: Uint8Array;
  attStmt: Map<CborValue, CborValue>;
  fmt: string;
}

export function register(fmt: Fmt, o: {
  cred?: SoftCred; batch?: IssuedCertificate; rpId?: string; flags?: number; counter?: number; aaguid?: Uint8Array;
  tamper?: (ad: Uint8Array) => Uint8Array;
  /** x5c to send instead of [batch certificate] (still signed with the batch key). */
  x5c?: Uint8Array[];
  /** Extra clientData members (crossOrigin, topOrigin). */
  cd?: Record<string, unknown>;
  /** The challenge to sign (default: fresh random bytes). */
  challenge?: Uint8Array;
} = {}): Reg {
  const cred = o.cred ?? newCred();
  const challenge = o.challenge ?? new Uint8Array(randomBytes(32));
  const clientDataJSON = clientData("webauthn.create", challenge, ORIGIN, o.cd);
  const cdh = sha256(clientDataJSON);
  const aaguid = fmt === "fido-u2f" ? new Uint8Array(16) : o.aaguid ?? aaguidBytes;
  const ad = authData({ rpId: o.rpId, flags: o.flags ?? 0x41, counter: o.counter ?? 0, cred, aaguid });
  const att = o.batch ?? batch;
  let attStmt: Map<CborValue, CborValue>;
  let f: string = fmt;
  if (fmt === "packed-batch") {
    f = "packed";
    attStmt = new Map<CborValue, CborValue>([["alg", -7], ["sig", sign({ sk: att.privateKey, kind: "p256" }, cat(ad, cdh))], ["x5c", o.x5c ?? [att.certificateDer]]]);
  } else if (fmt === "packed-self") {
    f = "packed";
    attStmt = new Map<CborValue, CborValue>([["alg", cred.kind === "p256" ? -7 : -8], ["sig", sign(cred, cat(ad, cdh))]]);
  } else if (fmt === "none") {
    attStmt = new Map();
  } else {
    const pub = p256.getPublicKey(cred.sk, false);
    const base = cat(Uint8Array.of(0), sha256(o.rpId ?? RP), cdh, cred.id, pub);
    attStmt = new Map<CborValue, CborValue>([["sig", sign({ sk: att.privateKey, kind: "p256" }, base)], ["x5c", [att.certificateDer]]]);
  }
  const finalAd = o.tamper ? o.tamper(ad) : ad;
  const attestationObject = cborEncode(new Map<CborValue, CborValue>([["fmt", f], ["attStmt", attStmt], ["authData", finalAd]]));
  return { cred, challenge, clientDataJSON, attestationObject, authData: finalAd, attStmt, fmt: f };
}

export interface Asr {
  challenge: Uint8Array;
  clientDataJSON: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
}

export function assertWith(cred: SoftCred, o: { counter?: number; flags?: number; rpId?: string; highS?: boolean; origin?: string; cd?: Record<string, unknown>; type?: string; challenge?: Uint8Array } = {}): Asr {
  const challenge = o.challenge ?? new Uint8Array(randomBytes(32));
  const clientDataJSON = clientData(o.type ?? "webauthn.get", challenge, o.origin, o.cd);
  const ad = authData({ rpId: o.rpId, flags: o.flags ?? 0x01, counter: o.counter ?? 1 });
  let signature = sign(cred, cat(ad, sha256(clientDataJSON)));
  if (o.highS) {
    const sig = p256.Signature.fromBytes(signature, "der");
    const s = sig.s > N / 2n ? sig.s : N - sig.s;
    signature = derSequence(derInteger(sig.r), derInteger(s));
    assert.ok(s > N / 2n);
  }
  return { challenge, clientDataJSON, authenticatorData: ad, signature };
}

export const ours = (r: Reg, extra: Partial<Parameters<typeof verifyRegistration>[0]> = {}) =>
  verifyRegistration({
    attestationObject: r.attestationObject, clientDataJSON: r.clientDataJSON, expectedRpId: RP, expectedChallenge: r.challenge,
    expectedOrigin: ORIGIN, requireUserVerification: false, attestation: extra.trustAnchors ? "chained" : "any", ...extra,
  });
export const parts = (r: Reg, extra: Partial<Parameters<typeof verifyRegistration>[0]> = {}) =>
  verifyRegistration({
    fmt: r.fmt, authData: r.authData, attStmt: r.attStmt, clientDataJSON: r.clientDataJSON, expectedRpId: RP, expectedChallenge: r.challenge,
    expectedOrigin: ORIGIN, requireUserVerification: false, attestation: extra.trustAnchors ? "chained" : "any", ...extra,
  });
export const USER = Uint8Array.of(1, 2, 3, 4);
/** Options of an assertion by `cred` (stored counter `stored`); `o` overrides. */
export const asr = (cred: SoftCred, a: Asr, stored: number, o: Partial<Parameters<typeof verifyAssertion>[0]> = {}): Parameters<typeof verifyAssertion>[0] => ({
  authenticatorData: a.authenticatorData, clientDataJSON: a.clientDataJSON, signature: a.signature, expectedRpId: RP,
  expectedChallenge: a.challenge, expectedOrigin: ORIGIN, requireUserVerification: false, credentialId: cred.id,
  credential: { id: cred.id, publicKey: cred.cose, signCount: stored, userHandle: USER }, ...o,
});

// ---------------------------------------------------------------------------------------------
// Certificates made for the tests

export const caSubject = certFields(ca.certificateDer).subjectDer;
const NAME = derSequence(
  derSet(derSequence(derOid("2.5.4.6"), derTlv(0x13, new TextEncoder().encode("DK")))),
  derSet(derSequence(derOid("2.5.4.10"), derUtf8("Segl device maker"))),
  derSet(derSequence(derOid("2.5.4.11"), derUtf8("Authenticator Attestation"))),
  derSet(derSequence(derOid("2.5.4.3"), derUtf8("Batch"))),
);
export const SPKI = (point: Uint8Array) => derSequence(derSequence(derOid("1.2.840.10045.2.1"), derOid("1.2.840.10045.3.1.7")), derBitString(point));

/** A certificate with raw extension DER (each an Extension SEQUENCE), signed by the test CA. */
export function rawCert(extensions: Uint8Array[], point = p256.getPublicKey(p256.utils.randomSecretKey(), false)): Uint8Array {
  const sigAlg = derSequence(derOid("1.2.840.10045.4.3.2"));
  const tbs = derSequence(
    derExplicit(0, derInteger(2)), derInteger(12345), sigAlg, caSubject,
    derSequence(derTime(new Date(Date.now() - 86400e3)), derTime(new Date(Date.now() + 86400e3 * 365))), NAME, SPKI(point),
    derExplicit(3, derSequence(...extensions)),
  );
  return derSequence(tbs, sigAlg, derBitString(p256.sign(tbs, ca.privateKey, { format: "der", prehash: true, lowS: true })));
}

/** An Extension whose OID has `n` content bytes (the quadratic-decoding input of the issue). */
export function hugeOidExtension(n: number, fill = 0xff): Uint8Array {
  const content = new Uint8Array(n).fill(fill);
  content[0] = 0x2a;
  content[n - 1] = 0x01;
  return derSequence(derTlv(0x06, content), derOctetString(Uint8Array.of(5, 0)));
}

export function leaf(o: { notBefore?: Date; notAfter?: Date; point?: Uint8Array } = {}): IssuedCertificate {
  const sk = p256.utils.randomSecretKey();
  const pub = p256.getPublicKey(sk, false);
  const der = issueCertificate({
    subject: [["C", "DK"], ["O", "Segl device maker"], ["OU", "Authenticator Attestation"], ["CN", "Batch"]],
    issuer: caSubject, subjectPublicKey: o.point ?? pub, signingKey: ca.privateKey, serial: 7n,
    notBefore: o.notBefore ?? new Date(Date.now() - 86400e3), notAfter: o.notAfter ?? new Date(Date.now() + 86400e3 * 365), extensions: [],
  });
  return { certificateDer: der, certificatePem: derToPem(der), privateKey: sk, publicKey: pub };
}

