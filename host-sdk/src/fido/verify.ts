// Broker-side WebAuthn/CTAP2 verification: registrations (attestation) and assertions.
//
// Every check is reported on its own (signature, rpId, user presence/verification, client data,
// counter, attestation trust) and `verified` is their conjunction under the caller's policy.
// Verification failures never throw; malformed input throws SeglError("BAD_RESPONSE") and
// missing or contradictory options throw SeglError("INVALID_ARGUMENT").

import { createHash, timingSafeEqual, type KeyObject, type X509Certificate } from "node:crypto";
import type { CborValue } from "../cbor.js";
import { SeglError, argCheck } from "../errors.js";
import { clientDataReasons, type FidoFailureReason } from "../reasons.js";
import {
  checkChain, checkStatement, toX509, verifySignature,
  type AttestationTrust, type AttestationType, type TrustAnchorInput,
} from "./attestation.js";
import { parseAttestationObject, parseAuthenticatorData, uuidBytes, type AuthenticatorData, type AuthenticatorFlags } from "./authdata.js";
import { algForKeyObject, coseKeyToKeyObject, parseCoseKey } from "./cose.js";

export type Bytes = Uint8Array;
/** A challenge as raw bytes, as the base64url text of clientDataJSON, or a predicate on that text. */
export type ExpectedChallenge = Uint8Array | string | ((challengeB64url: string) => boolean);

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64url");
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

// ---------------------------------------------------------------------------------------------
// clientDataJSON

export interface ClientDataCheck {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin: boolean;
  typeValid: boolean;
  /** undefined when no expected challenge was given. */
  challengeValid?: boolean;
  /** undefined when no expected origin was given. */
  originValid?: boolean;
  valid: boolean;
  problems: string[];
}

export function checkClientData(
  json: Uint8Array | string,
  expectedType: "webauthn.create" | "webauthn.get",
  expectedChallenge?: ExpectedChallenge,
  expectedOrigin?: string | string[],
): ClientDataCheck {
  const text = typeof json === "string" ? json : Buffer.from(json).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SeglError("BAD_RESPONSE", "clientDataJSON is not JSON", { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null) throw new SeglError("BAD_RESPONSE", "clientDataJSON is not an object");
  const o = parsed as Record<string, unknown>;
  if (typeof o.type !== "string" || typeof o.challenge !== "string" || typeof o.origin !== "string") {
    throw new SeglError("BAD_RESPONSE", "clientDataJSON lacks type, challenge or origin");
  }
  const problems: string[] = [];
  const r: ClientDataCheck = {
    type: o.type, challenge: o.challenge, origin: o.origin, crossOrigin: o.crossOrigin === true,
    typeValid: o.type === expectedType, valid: false, problems,
  };
  if (!r.typeValid) problems.push(`clientData type is ${JSON.stringify(o.type)}, expected ${expectedType}`);
  if (expectedChallenge !== undefined) {
    if (typeof expectedChallenge === "function") r.challengeValid = expectedChallenge(o.challenge) === true;
    else if (typeof expectedChallenge === "string") r.challengeValid = o.challenge === expectedChallenge;
    else r.challengeValid = o.challenge === b64u(expectedChallenge);
    if (!r.challengeValid) problems.push("clientData challenge does not match");
  }
  if (expectedOrigin !== undefined) {
    const list = Array.isArray(expectedOrigin) ? expectedOrigin : [expectedOrigin];
    r.originValid = list.includes(o.origin);
    if (!r.originValid) problems.push(`clientData origin ${JSON.stringify(o.origin)} is not expected`);
  }
  r.valid = problems.length === 0;
  return r;
}

interface ClientDataInput {
  clientDataJSON?: Uint8Array | string;
  clientDataHash?: Uint8Array;
  expectedChallenge?: ExpectedChallenge;
  expectedOrigin?: string | string[];
}

function clientDataPart(inp: ClientDataInput, type: "webauthn.create" | "webauthn.get"): { hash: Uint8Array; check?: ClientDataCheck } {
  if (inp.clientDataJSON !== undefined) {
    argCheck(inp.clientDataHash === undefined, "give clientDataJSON or clientDataHash, not both");
    const bytes = typeof inp.clientDataJSON === "string" ? new TextEncoder().encode(inp.clientDataJSON) : inp.clientDataJSON;
    return { hash: sha256(bytes), check: checkClientData(bytes, type, inp.expectedChallenge, inp.expectedOrigin) };
  }
  argCheck(inp.clientDataHash instanceof Uint8Array && inp.clientDataHash.length === 32, "clientDataJSON or a 32-byte clientDataHash is required");
  argCheck(
    inp.expectedChallenge === undefined && inp.expectedOrigin === undefined,
    "expectedChallenge/expectedOrigin need clientDataJSON (a clientDataHash cannot be checked against them)",
  );
  return { hash: inp.clientDataHash };
}

function rpIdMatches(rpIdHash: Uint8Array, expected: string | string[]): boolean {
  const list = Array.isArray(expected) ? expected : [expected];
  argCheck(list.length > 0 && list.every((s) => typeof s === "string"), "expectedRpId must be a string or a list of strings");
  return list.some((id) => eq(rpIdHash, sha256(new TextEncoder().encode(id))));
}

/** The reason codes of the checks registration and assertion share (the same order as their problems). */
function commonReasons(
  rpIdValid: boolean, f: AuthenticatorFlags, o: { requireUserPresence?: boolean; requireUserVerification?: boolean }, cd: ClientDataCheck | undefined,
): FidoFailureReason[] {
  const r: FidoFailureReason[] = [];
  if (!rpIdValid) r.push("rp-id-mismatch");
  if ((o.requireUserPresence ?? true) && !f.up) r.push("user-not-present");
  if (o.requireUserVerification && !f.uv) r.push("user-not-verified");
  if (f.bs && !f.be) r.push("flags-inconsistent");
  r.push(...clientDataReasons(cd));
  return r;
}

function flagProblems(f: AuthenticatorFlags): string[] {
  return f.bs && !f.be ? ["authenticatorData has BS (backed up) without BE (backup eligible)"] : [];
}

// ---------------------------------------------------------------------------------------------
// Registration

export interface VerifyRegistrationOptions extends ClientDataInput {
  /** The attestationObject as a WebAuthn client returns it... */
  attestationObject?: Uint8Array;
  /** ...or the parts of a CTAP2 makeCredential response. */
  fmt?: string;
  authData?: Uint8Array;
  attStmt?: Map<CborValue, CborValue>;
  expectedRpId: string | string[];
  /** Maker roots (DER, PEM or X509Certificate). When given, `verified` requires trust "chained". */
  trustAnchors?: TrustAnchorInput[];
  /** AAGUID (16 bytes or UUID text) the authenticator must report. */
  expectedAaguid?: Uint8Array | string;
  requireUserPresence?: boolean;
  requireUserVerification?: boolean;
  /** Time for certificate validity checks. Default now. */
  now?: Date;
}

export interface RegisteredCredential {
  id: Uint8Array;
  /** base64url of id. */
  idB64url: string;
  /** COSE_Key bytes: store these (or keyObject) for assertions. */
  publicKey: Uint8Array;
  keyObject: KeyObject;
  algorithm: number;
  signCount: number;
  flags: AuthenticatorFlags;
  aaguid: string;
}

export interface AttestationResult {
  format: string;
  type: AttestationType;
  trust: AttestationTrust;
  /** x5c as parsed (leaf first), when present. */
  chain?: X509Certificate[];
  aaguid: string;
  /** undefined when no expectedAaguid was given. */
  aaguidValid?: boolean;
  /** Statement and certificate problems; chain problems when anchors were given. */
  problems: string[];
}

export interface RegistrationResult {
  verified: boolean;
  /** Why `verified` is false, as stable codes (empty when verified); `problems` says the same for people. */
  reasons: FidoFailureReason[];
  /** Attestation signature; undefined for format none (nothing signed). */
  signatureValid: boolean | undefined;
  rpIdValid: boolean;
  userPresent: boolean;
  userVerified: boolean;
  clientData?: ClientDataCheck;
  attestation: AttestationResult;
  credential: RegisteredCredential;
  authenticatorData: AuthenticatorData;
  /** Every reason `verified` is false (empty when verified). */
  problems: string[];
}

export function verifyRegistration(opts: VerifyRegistrationOptions): RegistrationResult {
  argCheck(typeof opts === "object" && opts !== null, "options required");
  let fmt: string;
  let attStmt: Map<CborValue, CborValue>;
  let authDataBytes: Uint8Array;
  if (opts.attestationObject !== undefined) {
    argCheck(opts.fmt === undefined && opts.authData === undefined && opts.attStmt === undefined, "give attestationObject or {fmt, authData, attStmt}, not both");
    ({ fmt, attStmt, authData: authDataBytes } = parseAttestationObject(opts.attestationObject));
  } else {
    argCheck(typeof opts.fmt === "string" && opts.authData instanceof Uint8Array && opts.attStmt instanceof Map, "attestationObject or {fmt, authData, attStmt} required");
    fmt = opts.fmt;
    attStmt = opts.attStmt;
    authDataBytes = opts.authData;
  }
  const cd = clientDataPart(opts, "webauthn.create");
  const ad = parseAuthenticatorData(authDataBytes);
  const acd = ad.attestedCredentialData;
  if (acd === undefined) throw new SeglError("BAD_RESPONSE", "registration authenticatorData has no attested credential data (AT flag clear)");
  const keyObject = coseKeyToKeyObject(acd.coseKey);
  const algorithm = acd.coseKey.alg ?? algForKeyObject(keyObject);
  if (algorithm === undefined) throw new SeglError("BAD_RESPONSE", "credential public key has no alg");

  const problems: string[] = [];
  const reasons: FidoFailureReason[] = [];
  const rpIdValid = rpIdMatches(ad.rpIdHash, opts.expectedRpId);
  if (!rpIdValid) problems.push("rpIdHash does not match the expected rpId");
  if ((opts.requireUserPresence ?? true) && !ad.flags.up) problems.push("user presence (UP) flag not set");
  if (opts.requireUserVerification && !ad.flags.uv) problems.push("user verification (UV) flag not set");
  reasons.push(...commonReasons(rpIdValid, ad.flags, opts, cd.check));
  problems.push(...flagProblems(ad.flags));
  if (cd.check) problems.push(...cd.check.problems);

  const st = checkStatement({ fmt, attStmt, authData: ad, clientDataHash: cd.hash, credentialKey: keyObject, credentialAlg: algorithm });
  const attProblems = [...st.problems];
  let trust: AttestationTrust = st.type === "self" ? "self" : st.type === "none" ? "none" : "unchained";
  if (st.x5c !== undefined && opts.trustAnchors !== undefined) {
    const anchors = opts.trustAnchors.map(toX509);
    const chainProblems = checkChain(st.x5c, anchors, opts.now ?? new Date());
    if (chainProblems.length === 0) trust = "chained";
    attProblems.push(...chainProblems);
  }
  const attestation: AttestationResult = { format: st.format, type: st.type, trust, aaguid: acd.aaguidString, problems: attProblems };
  if (st.x5c) attestation.chain = st.x5c;
  if (opts.expectedAaguid !== undefined) {
    const want = typeof opts.expectedAaguid === "string" ? uuidBytes(opts.expectedAaguid) : opts.expectedAaguid;
    attestation.aaguidValid = eq(want, acd.aaguid);
    if (!attestation.aaguidValid) { problems.push(`AAGUID ${acd.aaguidString} is not the expected one`); reasons.push("aaguid-mismatch"); }
  }
  problems.push(...attProblems);
  if (attProblems.length > 0) reasons.push("attestation-invalid");
  if (opts.trustAnchors !== undefined && trust !== "chained") { problems.push(`attestation trust is ${trust}, trust anchors require chained`); reasons.push("attestation-untrusted"); }
  const signatureValid = st.signatureValid;
  if (signatureValid === false) reasons.push("signature-invalid");

  return {
    verified: problems.length === 0 && signatureValid !== false,
    reasons,
    signatureValid,
    rpIdValid,
    userPresent: ad.flags.up,
    userVerified: ad.flags.uv,
    ...(cd.check ? { clientData: cd.check } : {}),
    attestation,
    credential: {
      id: acd.credentialId, idB64url: b64u(acd.credentialId), publicKey: acd.credentialPublicKey, keyObject, algorithm,
      signCount: ad.signCount, flags: ad.flags, aaguid: acd.aaguidString,
    },
    authenticatorData: ad,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Assertion

export type CounterStatus = "ok" | "unsupported" | "regressed";

/** WebAuthn §6.1.1: both zero → unsupported; received ≤ stored with either non-zero → regressed. */
export function checkCounter(stored: number, received: number): CounterStatus {
  if (stored === 0 && received === 0) return "unsupported";
  return received > stored ? "ok" : "regressed";
}

export interface StoredCredential {
  /** Credential id (needed by FidoVerifier's cache; optional otherwise). */
  id?: Uint8Array;
  /** COSE_Key bytes from registration, or an imported KeyObject. */
  publicKey: Uint8Array | KeyObject;
  /** COSE alg; taken from the COSE key or the KeyObject when absent. */
  algorithm?: number;
  /** Last stored signature counter. */
  signCount: number;
}

export interface VerifyAssertionOptions extends ClientDataInput {
  credential: StoredCredential;
  authenticatorData: Uint8Array;
  /** DER for ECDSA (WebAuthn form), 64 bytes for Ed25519. */
  signature: Uint8Array;
  expectedRpId: string | string[];
  /** Default true. */
  requireUserPresence?: boolean;
  /** Default false. */
  requireUserVerification?: boolean;
  /** "reject" (default): a regressed counter makes `verified` false; "report": it is only reported. */
  counterPolicy?: "reject" | "report";
}

export interface AssertionResult {
  verified: boolean;
  /** Why `verified` is false, as stable codes (empty when verified); `problems` says the same for people. */
  reasons: FidoFailureReason[];
  signatureValid: boolean;
  rpIdValid: boolean;
  userPresent: boolean;
  userVerified: boolean;
  counter: {
    status: CounterStatus;
    stored: number;
    received: number;
    /** The value to store when the assertion is accepted (never lower than stored). */
    next: number;
  };
  clientData?: ClientDataCheck;
  authenticatorData: AuthenticatorData;
  problems: string[];
}

function keyAndAlg(c: StoredCredential, key?: KeyObject): { key: KeyObject; alg: number } {
  let alg = c.algorithm;
  let k = key;
  if (k === undefined) {
    if (c.publicKey instanceof Uint8Array) {
      const cose = parseCoseKey(c.publicKey);
      k = coseKeyToKeyObject(cose);
      alg ??= cose.alg;
    } else k = c.publicKey;
  } else if (alg === undefined && c.publicKey instanceof Uint8Array) alg = parseCoseKey(c.publicKey).alg;
  alg ??= algForKeyObject(k);
  if (alg === undefined) throw new SeglError("INVALID_ARGUMENT", "cannot tell the credential's algorithm; pass credential.algorithm");
  return { key: k, alg };
}

function verifyAssertionWith(opts: VerifyAssertionOptions, key?: KeyObject): AssertionResult {
  argCheck(typeof opts === "object" && opts !== null && typeof opts.credential === "object", "options with credential required");
  argCheck(opts.signature instanceof Uint8Array, "signature must be a Uint8Array");
  const stored = opts.credential.signCount;
  argCheck(Number.isInteger(stored) && stored >= 0 && stored <= 0xffffffff, "credential.signCount must be a 32-bit unsigned integer");
  const cd = clientDataPart(opts, "webauthn.get");
  const ad = parseAuthenticatorData(opts.authenticatorData);
  const { key: k, alg } = keyAndAlg(opts.credential, key);
  const problems: string[] = [];
  const reasons: FidoFailureReason[] = [];
  const signed = new Uint8Array(ad.bytes.length + 32);
  signed.set(ad.bytes);
  signed.set(cd.hash, ad.bytes.length);
  const signatureValid = verifySignature(alg, k, signed, opts.signature);
  if (!signatureValid) { problems.push("assertion signature is not valid"); reasons.push("signature-invalid"); }
  const rpIdValid = rpIdMatches(ad.rpIdHash, opts.expectedRpId);
  reasons.push(...commonReasons(rpIdValid, ad.flags, opts, cd.check));
  if (!rpIdValid) problems.push("rpIdHash does not match the expected rpId");
  if ((opts.requireUserPresence ?? true) && !ad.flags.up) problems.push("user presence (UP) flag not set");
  if (opts.requireUserVerification && !ad.flags.uv) problems.push("user verification (UV) flag not set");
  problems.push(...flagProblems(ad.flags));
  if (cd.check) problems.push(...cd.check.problems);
  const status = checkCounter(stored, ad.signCount);
  if (status === "regressed" && (opts.counterPolicy ?? "reject") === "reject") {
    problems.push(`signature counter regressed (stored ${stored}, received ${ad.signCount}): possible cloned authenticator`);
    reasons.push("counter-regressed");
  }
  return {
    verified: problems.length === 0,
    reasons,
    signatureValid,
    rpIdValid,
    userPresent: ad.flags.up,
    userVerified: ad.flags.uv,
    counter: { status, stored, received: ad.signCount, next: Math.max(stored, ad.signCount) },
    ...(cd.check ? { clientData: cd.check } : {}),
    authenticatorData: ad,
    problems,
  };
}

/** Verifies an assertion (getAssertion / navigator.credentials.get) against a stored credential. */
export function verifyAssertion(opts: VerifyAssertionOptions): AssertionResult {
  return verifyAssertionWith(opts);
}

// ---------------------------------------------------------------------------------------------
// FidoVerifier: policy defaults and a KeyObject cache

export interface FidoVerifierOptions {
  rpId: string | string[];
  origin?: string | string[];
  trustAnchors?: TrustAnchorInput[];
  requireUserVerification?: boolean;
  counterPolicy?: "reject" | "report";
  /** Most KeyObjects kept (least recently used dropped first). Default 10 000. */
  maxCachedKeys?: number;
}

type Defaults = "expectedRpId" | "expectedOrigin";

/**
 * Verifier with the broker's defaults (rpId, origin, anchors, UV policy) that imports each
 * credential's public key once and reuses the KeyObject (key import costs more than a verify).
 */
export class FidoVerifier {
  private readonly cache = new Map<string, { cose: Uint8Array; key: KeyObject; alg: number }>();
  private readonly anchors: X509Certificate[] | undefined;
  private readonly max: number;

  constructor(readonly options: FidoVerifierOptions) {
    argCheck(typeof options === "object" && options !== null && options.rpId !== undefined, "rpId required");
    this.anchors = options.trustAnchors?.map(toX509);
    this.max = options.maxCachedKeys ?? 10_000;
  }

  /** The KeyObject for a credential, imported on first use. */
  importKey(credentialId: Uint8Array, cose: Uint8Array): { key: KeyObject; alg: number } {
    const id = b64u(credentialId);
    const hit = this.cache.get(id);
    if (hit !== undefined && (hit.cose === cose || eq(hit.cose, cose))) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const parsed = parseCoseKey(cose);
    const key = coseKeyToKeyObject(parsed);
    const alg = parsed.alg ?? algForKeyObject(key);
    if (alg === undefined) throw new SeglError("BAD_RESPONSE", "credential public key has no alg");
    const entry = { cose: cose.slice(), key, alg };
    this.cache.set(id, entry);
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  get cachedKeys(): number {
    return this.cache.size;
  }

  verifyRegistration(opts: Omit<VerifyRegistrationOptions, Defaults> & Partial<Pick<VerifyRegistrationOptions, Defaults>>): RegistrationResult {
    const o = this.options;
    const r = verifyRegistration({
      ...(o.origin !== undefined ? { expectedOrigin: o.origin } : {}),
      ...(this.anchors !== undefined ? { trustAnchors: this.anchors } : {}),
      ...(o.requireUserVerification !== undefined ? { requireUserVerification: o.requireUserVerification } : {}),
      ...opts,
      expectedRpId: opts.expectedRpId ?? o.rpId,
    });
    const c = r.credential;
    this.cache.set(c.idB64url, { cose: c.publicKey, key: c.keyObject, alg: c.algorithm });
    return r;
  }

  verifyAssertion(opts: Omit<VerifyAssertionOptions, Defaults> & Partial<Pick<VerifyAssertionOptions, Defaults>>): AssertionResult {
    const o = this.options;
    const full: VerifyAssertionOptions = {
      ...(o.origin !== undefined ? { expectedOrigin: o.origin } : {}),
      ...(o.requireUserVerification !== undefined ? { requireUserVerification: o.requireUserVerification } : {}),
      ...(o.counterPolicy !== undefined ? { counterPolicy: o.counterPolicy } : {}),
      ...opts,
      expectedRpId: opts.expectedRpId ?? o.rpId,
    };
    const c = opts.credential;
    if (c.id !== undefined && c.publicKey instanceof Uint8Array) {
      const { key, alg } = this.importKey(c.id, c.publicKey);
      return verifyAssertionWith({ ...full, credential: { ...c, algorithm: c.algorithm ?? alg } }, key);
    }
    return verifyAssertionWith(full);
  }
}
