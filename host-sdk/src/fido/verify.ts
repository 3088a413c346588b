// Broker-side WebAuthn/CTAP2 verification: registrations (attestation) and assertions.
//
// The policy fails closed: the expected challenge, origin(s) and RP ID are required (types and
// runtime); user presence and verification are required, only ES256, EdDSA and RS256 (≥ 2048 bits)
// keys are accepted, cross-origin ceremonies are refused, and a registration must chain to the
// caller's trust anchors, unless the caller says otherwise with a defined value. An option left
// `undefined` always means its safe default (it never drops a check).
//
// Every check is reported on its own and `verified` is their conjunction. Verification failures
// never throw; malformed input throws SeglError("BAD_RESPONSE"); missing or contradictory options
// throw SeglError("INVALID_ARGUMENT"). Nothing else is thrown (see docs/fido-verification.md).

import type { CborValue } from "../cbor.js";
import { base64url } from "../platform/encoding.js";
import { digest } from "../platform/crypto.js";
import { timingSafeEqual } from "../platform/equal.js";
import { isPublicKey, keyInfo, type PublicKey, type X509 } from "../platform/keys.js";
import { RSA_MIN_BITS } from "../platform/keys-types.js";
import { SeglError, argCheck } from "../errors.js";
import { clientDataReasons, type FidoFailureReason } from "../reasons.js";
import {
  checkChain, checkStatement, toX509, validityProblems, verifySignature,
  type AttestationTrust, type AttestationType, type TrustAnchorInput,
} from "./attestation.js";
import {
  WEBAUTHN_LIMITS, parseAttestationObject, parseAuthenticatorData, uuidBytes, type AuthenticatorData, type AuthenticatorFlags,
} from "./authdata.js";
import { COSE_ALG, algFitsKey, coseKeyToKeyObject, parseCoseKey } from "./cose.js";

export type Bytes = Uint8Array;
/** A challenge as raw bytes, as the base64url text of clientDataJSON, or a predicate on that text. */
export type ExpectedChallenge = Uint8Array | string | ((challengeB64url: string) => boolean);
/** One origin or a list of them (exact match, e.g. "https://login.example"). */
export type ExpectedOrigin = string | readonly string[];

/** Credential algorithms accepted unless the caller gives its own list: ES256, EdDSA, RS256. */
export const DEFAULT_ALLOWED_ALGORITHMS: readonly number[] = Object.freeze([COSE_ALG.ES256, COSE_ALG.EdDSA, COSE_ALG.RS256]);
const SUPPORTED_ALGORITHMS: readonly number[] = Object.values(COSE_ALG);

const sha256 = (b: Uint8Array): Uint8Array => digest("sha256", b);
const b64u = base64url;
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

/** Policy shared by registrations and assertions. `undefined` = the safe default. */
export interface FidoPolicy {
  /** Default true. */
  requireUserPresence?: boolean;
  /** Default true (as SimpleWebAuthn): pass false only for authenticators without PIN or biometrics. */
  requireUserVerification?: boolean;
  /** COSE algorithms accepted for credential keys. Default {@link DEFAULT_ALLOWED_ALGORITHMS}. RSA below 2048 bits is always refused. */
  allowedAlgorithms?: readonly number[];
  /**
   * Cross-origin ceremonies (an iframe on another site) are refused unless this is given: then
   * clientData must say crossOrigin: true with a topOrigin from this list.
   */
  allowCrossOrigin?: { topOrigin: ExpectedOrigin };
}

interface Ceremony {
  /** clientDataJSON exactly as the client returned it. */
  clientDataJSON: Uint8Array | string;
  /** Required: the challenge this server issued for this ceremony (bytes, base64url text or a predicate). */
  expectedChallenge: ExpectedChallenge;
  /** Required: the origin(s) of the pages allowed to run the ceremony. */
  expectedOrigin: ExpectedOrigin;
  /** Required: the RP ID(s) whose hash authenticatorData must carry. */
  expectedRpId: string | readonly string[];
}

interface ResolvedPolicy {
  up: boolean;
  uv: boolean;
  algs: readonly number[];
  topOrigins: readonly string[] | undefined;
}

function resolvePolicy(p: FidoPolicy): ResolvedPolicy {
  const up = p.requireUserPresence ?? true;
  const uv = p.requireUserVerification ?? true;
  argCheck(typeof up === "boolean" && typeof uv === "boolean", "requireUserPresence/requireUserVerification must be booleans");
  const algs = p.allowedAlgorithms ?? DEFAULT_ALLOWED_ALGORITHMS;
  argCheck(Array.isArray(algs) && algs.length > 0 && algs.every((a) => SUPPORTED_ALGORITHMS.includes(a)),
    `allowedAlgorithms must be a non-empty list of ${SUPPORTED_ALGORITHMS.join(", ")}`);
  let topOrigins: readonly string[] | undefined;
  if (p.allowCrossOrigin !== undefined) {
    argCheck(typeof p.allowCrossOrigin === "object" && p.allowCrossOrigin !== null, "allowCrossOrigin must be { topOrigin }");
    topOrigins = stringList(p.allowCrossOrigin.topOrigin, "allowCrossOrigin.topOrigin");
  }
  return { up, uv, algs, topOrigins };
}

function stringList(v: unknown, name: string): readonly string[] {
  const list = typeof v === "string" ? [v] : v;
  argCheck(Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === "string" && s.length > 0), `${name} is required: a non-empty string or list of strings`);
  return list as readonly string[];
}

function checkExpectedChallenge(c: unknown): asserts c is ExpectedChallenge {
  argCheck(
    (c instanceof Uint8Array && c.length >= 16) || (typeof c === "string" && c.length >= 16) || typeof c === "function",
    "expectedChallenge is required: the challenge bytes (≥ 16), its base64url text, or a predicate",
  );
}

// ---------------------------------------------------------------------------------------------
// clientDataJSON

export interface ClientDataCheck {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin: boolean;
  topOrigin?: string;
  typeValid: boolean;
  challengeValid: boolean;
  originValid: boolean;
  /** false when the ceremony ran cross-origin without the caller allowing it (or from a top origin not allowed). */
  crossOriginValid: boolean;
  valid: boolean;
  problems: string[];
}

/** Checks clientDataJSON (WebAuthn §7.1 steps 7–10, §7.2 steps 11–14). All three expectations are required. */
export function checkClientData(
  json: Uint8Array | string,
  expectedType: "webauthn.create" | "webauthn.get",
  expectedChallenge: ExpectedChallenge,
  expectedOrigin: ExpectedOrigin,
  allowCrossOrigin?: { topOrigin: ExpectedOrigin },
): ClientDataCheck {
  checkExpectedChallenge(expectedChallenge);
  const origins = stringList(expectedOrigin, "expectedOrigin");
  const { topOrigins } = resolvePolicy(allowCrossOrigin === undefined ? {} : { allowCrossOrigin });
  argCheck(typeof json === "string" || json instanceof Uint8Array, "clientDataJSON is required (bytes or text)");
  const bytes = typeof json === "string" ? new TextEncoder().encode(json) : json;
  const size = bytes.length;
  if (size > WEBAUTHN_LIMITS.clientDataJSON) {
    throw new SeglError("BAD_RESPONSE", `clientDataJSON of ${size} bytes (max ${WEBAUTHN_LIMITS.clientDataJSON})`, { details: { limit: "clientDataJSON" } });
  }
  const text = typeof json === "string" ? json : new TextDecoder().decode(bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SeglError("BAD_RESPONSE", "clientDataJSON is not JSON", { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new SeglError("BAD_RESPONSE", "clientDataJSON is not an object");
  const o = parsed as Record<string, unknown>;
  if (typeof o.type !== "string" || typeof o.challenge !== "string" || typeof o.origin !== "string") {
    throw new SeglError("BAD_RESPONSE", "clientDataJSON lacks type, challenge or origin");
  }
  if (o.crossOrigin !== undefined && typeof o.crossOrigin !== "boolean") throw new SeglError("BAD_RESPONSE", "clientDataJSON crossOrigin is not a boolean");
  if (o.topOrigin !== undefined && typeof o.topOrigin !== "string") throw new SeglError("BAD_RESPONSE", "clientDataJSON topOrigin is not a string");
  const problems: string[] = [];
  const crossOrigin = o.crossOrigin === true;
  const r: ClientDataCheck = {
    type: o.type, challenge: o.challenge, origin: o.origin, crossOrigin,
    typeValid: o.type === expectedType, challengeValid: false, originValid: false, crossOriginValid: false, valid: false, problems,
  };
  if (typeof o.topOrigin === "string") r.topOrigin = o.topOrigin;
  if (!r.typeValid) problems.push(`clientData type is ${JSON.stringify(o.type)}, expected ${expectedType}`);
  if (typeof expectedChallenge === "function") {
    let ok: unknown = false;
    try {
      ok = expectedChallenge(o.challenge);
    } catch (e) {
      throw new SeglError("INVALID_ARGUMENT", "the expectedChallenge predicate threw", { cause: e });
    }
    r.challengeValid = ok === true;
  } else if (typeof expectedChallenge === "string") r.challengeValid = o.challenge === expectedChallenge;
  else r.challengeValid = o.challenge === b64u(expectedChallenge);
  if (!r.challengeValid) problems.push("clientData challenge does not match");
  r.originValid = origins.includes(o.origin);
  if (!r.originValid) problems.push(`clientData origin ${JSON.stringify(o.origin)} is not expected`);
  if (!crossOrigin) {
    r.crossOriginValid = r.topOrigin === undefined;
    if (!r.crossOriginValid) problems.push("clientData has a topOrigin without crossOrigin: true");
  } else if (topOrigins === undefined) {
    problems.push("cross-origin ceremony refused (the caller did not allow cross-origin)");
  } else {
    r.crossOriginValid = r.topOrigin !== undefined && topOrigins.includes(r.topOrigin);
    if (!r.crossOriginValid) problems.push(`cross-origin ceremony from top origin ${JSON.stringify(r.topOrigin ?? null)} is not allowed`);
  }
  r.valid = problems.length === 0;
  return r;
}

function clientDataPart(inp: Ceremony, type: "webauthn.create" | "webauthn.get", p: FidoPolicy): { hash: Uint8Array; check: ClientDataCheck } {
  const check = checkClientData(inp.clientDataJSON, type, inp.expectedChallenge, inp.expectedOrigin, p.allowCrossOrigin);
  const bytes = typeof inp.clientDataJSON === "string" ? new TextEncoder().encode(inp.clientDataJSON) : inp.clientDataJSON;
  return { hash: sha256(bytes), check };
}

function rpIdMatches(rpIdHash: Uint8Array, expected: unknown): boolean {
  const list = stringList(expected, "expectedRpId");
  return list.some((id) => eq(rpIdHash, sha256(new TextEncoder().encode(id))));
}

/** Why a result is not verified: problems for people, reason codes (../reasons.ts) for programs. */
class Verdict {
  readonly problems: string[] = [];
  readonly reasons: FidoFailureReason[] = [];
  add(reason: FidoFailureReason, ...problems: string[]): void {
    if (problems.length === 0) return;
    this.problems.push(...problems);
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
  }
  clientData(cd: ClientDataCheck): void {
    this.problems.push(...cd.problems);
    for (const r of clientDataReasons(cd)) if (!this.reasons.includes(r)) this.reasons.push(r);
  }
  flags(f: AuthenticatorFlags, pol: ResolvedPolicy): void {
    if (pol.up && !f.up) this.add("user-not-present", "user presence (UP) flag not set");
    if (pol.uv && !f.uv) this.add("user-not-verified", "user verification (UV) flag not set");
    if (f.bs && !f.be) this.add("flags-inconsistent", "authenticatorData has BS (backed up) without BE (backup eligible)");
  }
  algorithm(alg: number, key: PublicKey, pol: ResolvedPolicy): void {
    if (!pol.algs.includes(alg)) this.add("algorithm-not-allowed", `credential algorithm ${alg} is not allowed (allowed: ${pol.algs.join(", ")})`);
    const info = keyInfo(key);
    if (info.type === "rsa" && (info.bits ?? 0) < RSA_MIN_BITS) this.add("algorithm-not-allowed", `RSA key below ${RSA_MIN_BITS} bits`);
  }
}

// ---------------------------------------------------------------------------------------------
// Registration

/** What the caller accepts as attestation: "chained" (default) needs trustAnchors; "any" also takes none, self and unchained. */
export type AttestationRequirement = "chained" | "any";

export interface VerifyRegistrationOptions extends Ceremony, FidoPolicy {
  /** The attestationObject as a WebAuthn client returns it... */
  attestationObject?: Uint8Array;
  /** ...or the parts of a CTAP2 makeCredential response. */
  fmt?: string;
  authData?: Uint8Array;
  attStmt?: Map<CborValue, CborValue>;
  /** Default "chained": x5c must chain to one of trustAnchors (which must then be given). */
  attestation?: AttestationRequirement;
  /** Maker roots (DER, PEM or X509Certificate). */
  trustAnchors?: readonly TrustAnchorInput[];
  /** AAGUID (16 bytes or UUID text) the authenticator must report. */
  expectedAaguid?: Uint8Array | string;
  /** Time for certificate validity checks (expired and not-yet-valid x5c are always refused). Default now. */
  now?: Date;
}

export interface RegisteredCredential {
  id: Uint8Array;
  /** base64url of id. */
  idB64url: string;
  /** COSE_Key bytes: store these (or keyObject) for assertions. */
  publicKey: Uint8Array;
  keyObject: PublicKey;
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
  chain?: X509[];
  aaguid: string;
  /** undefined when no expectedAaguid was given. */
  aaguidValid?: boolean;
  /** Statement, certificate, validity and chain problems. */
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
  clientData: ClientDataCheck;
  attestation: AttestationResult;
  credential: RegisteredCredential;
  authenticatorData: AuthenticatorData;
  /** Every reason `verified` is false (empty when verified). */
  problems: string[];
}

export function verifyRegistration(opts: VerifyRegistrationOptions): RegistrationResult {
  argCheck(typeof opts === "object" && opts !== null, "options required");
  const pol = resolvePolicy(opts);
  const requirement = opts.attestation ?? "chained";
  argCheck(requirement === "chained" || requirement === "any", 'attestation must be "chained" or "any"');
  argCheck(opts.trustAnchors === undefined || Array.isArray(opts.trustAnchors), "trustAnchors must be a list");
  argCheck(requirement !== "chained" || (opts.trustAnchors !== undefined && opts.trustAnchors.length > 0),
    'attestation "chained" (the default) needs trustAnchors; pass attestation: "any" to accept unverifiable attestation');
  const anchors = opts.trustAnchors?.map(toX509);
  const now = opts.now ?? new Date();
  argCheck(now instanceof Date && Number.isFinite(now.getTime()), "now must be a valid Date");
  stringList(opts.expectedRpId, "expectedRpId");
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
  const cd = clientDataPart(opts, "webauthn.create", opts);
  const ad = parseAuthenticatorData(authDataBytes);
  const acd = ad.attestedCredentialData;
  if (acd === undefined) throw new SeglError("BAD_RESPONSE", "registration authenticatorData has no attested credential data (AT flag clear)");
  const keyObject = coseKeyToKeyObject(acd.coseKey);
  const algorithm = acd.coseKey.alg;

  const v = new Verdict();
  const rpIdValid = rpIdMatches(ad.rpIdHash, opts.expectedRpId);
  if (!rpIdValid) v.add("rp-id-mismatch", "rpIdHash does not match the expected rpId");
  v.flags(ad.flags, pol);
  v.clientData(cd.check);
  v.algorithm(algorithm, keyObject, pol);

  const st = checkStatement({ fmt, attStmt, authData: ad, clientDataHash: cd.hash, credentialKey: keyObject, credentialAlg: algorithm });
  const attProblems = [...st.problems];
  let trust: AttestationTrust = st.type === "self" ? "self" : st.type === "none" ? "none" : "unchained";
  if (st.x5c !== undefined) {
    if (anchors !== undefined && anchors.length > 0) {
      const chainProblems = checkChain(st.x5c, anchors, now);
      if (chainProblems.length === 0) trust = "chained";
      attProblems.push(...chainProblems);
    } else attProblems.push(...validityProblems(st.x5c, now));
  }
  const attestation: AttestationResult = { format: st.format, type: st.type, trust, aaguid: acd.aaguidString, problems: attProblems };
  if (st.x5c) attestation.chain = st.x5c;
  if (opts.expectedAaguid !== undefined) {
    const want = typeof opts.expectedAaguid === "string" ? uuidBytes(opts.expectedAaguid) : opts.expectedAaguid;
    argCheck(want instanceof Uint8Array && want.length === 16, "expectedAaguid must be 16 bytes or a UUID");
    attestation.aaguidValid = eq(want, acd.aaguid);
    if (!attestation.aaguidValid) v.add("aaguid-mismatch", `AAGUID ${acd.aaguidString} is not the expected one`);
  }
  v.add("attestation-invalid", ...attProblems);
  if (requirement === "chained" && trust !== "chained") v.add("attestation-untrusted", `attestation trust is ${trust}; policy requires chained`);
  const signatureValid = st.signatureValid;
  if (signatureValid === false) {
    if (v.problems.includes("attestation signature is not valid")) v.reasons.push("signature-invalid");
    else v.add("signature-invalid", "attestation signature is not valid");
  }
  const { problems, reasons } = v;

  return {
    verified: problems.length === 0,
    reasons,
    signatureValid,
    rpIdValid,
    userPresent: ad.flags.up,
    userVerified: ad.flags.uv,
    clientData: cd.check,
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

/** What the broker stored at registration. */
export interface StoredCredential {
  /** Credential id. */
  id: Uint8Array;
  /** COSE_Key bytes from registration, or an imported KeyObject (then `algorithm` is required). */
  publicKey: Uint8Array | PublicKey;
  /** COSE alg; must equal the COSE key's alg when both are there. */
  algorithm?: number;
  /** Last stored signature counter. */
  signCount: number;
  /** The user handle (user.id) the credential was registered for. */
  userHandle: Uint8Array;
}

export interface VerifyAssertionOptions extends Ceremony, FidoPolicy {
  /** The stored credential the caller looked up (by the returned credential id, or from the user's allowCredentials). */
  credential: StoredCredential;
  /** The credential id the client returned (rawId): must equal credential.id. */
  credentialId: Uint8Array;
  /** The userHandle the client returned (null/undefined when the authenticator gave none). */
  userHandle?: Uint8Array | null;
  /** Require a userHandle (discoverable, username-less login). Default false. */
  requireUserHandle?: boolean;
  authenticatorData: Uint8Array;
  /** DER for ECDSA (WebAuthn form), 64 bytes for Ed25519. */
  signature: Uint8Array;
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
  /** The returned credential id is the stored credential's. */
  credentialIdValid: boolean;
  /** The returned userHandle (if any) is the stored credential's user; false when required and absent. */
  userHandleValid: boolean;
  counter: {
    status: CounterStatus;
    stored: number;
    received: number;
    /** The value to store when the assertion is accepted (never lower than stored). */
    next: number;
  };
  clientData: ClientDataCheck;
  authenticatorData: AuthenticatorData;
  problems: string[];
}

function keyAndAlg(c: StoredCredential, cached?: { key: PublicKey; alg: number }): { key: PublicKey; alg: number } {
  let key: PublicKey;
  let alg: number;
  if (cached !== undefined) ({ key, alg } = cached);
  else if (c.publicKey instanceof Uint8Array) {
    const cose = parseCoseKey(c.publicKey);
    key = coseKeyToKeyObject(cose);
    alg = cose.alg;
  } else {
    argCheck(typeof c.algorithm === "number", "credential.algorithm is required with a KeyObject public key");
    argCheck(isPublicKey(c.publicKey), "credential.publicKey must be COSE bytes or a public KeyObject");
    key = c.publicKey;
    alg = c.algorithm;
    argCheck(algFitsKey(alg, key), `credential.algorithm ${alg} does not fit the KeyObject`);
  }
  argCheck(c.algorithm === undefined || c.algorithm === alg, `credential.algorithm ${String(c.algorithm)} differs from the key's alg ${alg}`);
  return { key, alg };
}

function verifyAssertionWith(opts: VerifyAssertionOptions, cached?: { key: PublicKey; alg: number }): AssertionResult {
  argCheck(typeof opts === "object" && opts !== null && typeof opts.credential === "object" && opts.credential !== null, "options with credential required");
  const pol = resolvePolicy(opts);
  const c = opts.credential;
  argCheck(c.id instanceof Uint8Array && c.id.length > 0, "credential.id (the stored credential id) is required");
  argCheck(c.userHandle instanceof Uint8Array && c.userHandle.length > 0 && c.userHandle.length <= 64, "credential.userHandle (the user.id it was registered for, 1..64 bytes) is required");
  argCheck(opts.credentialId instanceof Uint8Array, "credentialId (the id the client returned) is required");
  argCheck(opts.userHandle === undefined || opts.userHandle === null || opts.userHandle instanceof Uint8Array, "userHandle must be bytes, null or undefined");
  const requireUserHandle = opts.requireUserHandle ?? false;
  argCheck(typeof requireUserHandle === "boolean", "requireUserHandle must be a boolean");
  const counterPolicy = opts.counterPolicy ?? "reject";
  argCheck(counterPolicy === "reject" || counterPolicy === "report", 'counterPolicy must be "reject" or "report"');
  argCheck(opts.signature instanceof Uint8Array, "signature must be a Uint8Array");
  const stored = c.signCount;
  argCheck(Number.isInteger(stored) && stored >= 0 && stored <= 0xffffffff, "credential.signCount must be a 32-bit unsigned integer");
  stringList(opts.expectedRpId, "expectedRpId");
  const cd = clientDataPart(opts, "webauthn.get", opts);
  const ad = parseAuthenticatorData(opts.authenticatorData);
  if (ad.flags.at) throw new SeglError("BAD_RESPONSE", "assertion authenticatorData must not carry attested credential data (AT set)");
  const { key, alg } = keyAndAlg(c, cached);
  const v = new Verdict();
  const credentialIdValid = eq(opts.credentialId, c.id);
  if (!credentialIdValid) v.add("credential-id-mismatch", "the returned credential id is not the stored credential's");
  const uh = opts.userHandle ?? undefined;
  const userHandleValid = uh === undefined ? !requireUserHandle : eq(uh, c.userHandle);
  if (!userHandleValid) v.add("user-handle-mismatch", uh === undefined ? "userHandle required but absent" : "the returned userHandle is not the credential's user");
  v.algorithm(alg, key, pol);
  const signed = new Uint8Array(ad.bytes.length + 32);
  signed.set(ad.bytes);
  signed.set(cd.hash, ad.bytes.length);
  const signatureValid = verifySignature(alg, key, signed, opts.signature); // a disallowed algorithm is refused above, not here
  if (!signatureValid) v.add("signature-invalid", "assertion signature is not valid");
  const rpIdValid = rpIdMatches(ad.rpIdHash, opts.expectedRpId);
  if (!rpIdValid) v.add("rp-id-mismatch", "rpIdHash does not match the expected rpId");
  v.flags(ad.flags, pol);
  v.clientData(cd.check);
  const status = checkCounter(stored, ad.signCount);
  if (status === "regressed" && counterPolicy === "reject") {
    v.add("counter-regressed", `signature counter regressed (stored ${stored}, received ${ad.signCount}): possible cloned authenticator`);
  }
  const { problems, reasons } = v;
  return {
    verified: problems.length === 0,
    reasons,
    signatureValid,
    rpIdValid,
    userPresent: ad.flags.up,
    userVerified: ad.flags.uv,
    credentialIdValid,
    userHandleValid,
    counter: { status, stored, received: ad.signCount, next: Math.max(stored, ad.signCount) },
    clientData: cd.check,
    authenticatorData: ad,
    problems,
  };
}

/** Verifies an assertion (getAssertion / navigator.credentials.get) against a stored credential. */
export function verifyAssertion(opts: VerifyAssertionOptions): AssertionResult {
  return verifyAssertionWith(opts);
}

// ---------------------------------------------------------------------------------------------
// FidoVerifier: the broker's policy once, and a bounded KeyObject cache

export interface FidoVerifierOptions extends FidoPolicy {
  rpId: string | readonly string[];
  /** Required: the origin(s) of the login pages. */
  origin: ExpectedOrigin;
  attestation?: AttestationRequirement;
  trustAnchors?: readonly TrustAnchorInput[];
  counterPolicy?: "reject" | "report";
  /** Most KeyObjects kept (least recently used dropped first). Default 10 000. */
  maxCachedKeys?: number;
  /** Time source for certificate validity. Default `() => new Date()`. */
  clock?: () => Date;
}

type VerifierSet = "expectedRpId" | "expectedOrigin" | "trustAnchors" | "now";
export type FidoVerifierRegistration = Omit<VerifyRegistrationOptions, VerifierSet> & Partial<Pick<VerifyRegistrationOptions, "expectedRpId" | "expectedOrigin">>;
export type FidoVerifierAssertion = Omit<VerifyAssertionOptions, "expectedRpId" | "expectedOrigin"> & Partial<Pick<VerifyAssertionOptions, "expectedRpId" | "expectedOrigin">>;

/** `base` overlaid with the entries of `over` that are not undefined (an undefined never removes a setting). */
function overlay<T extends object>(base: T, over: Partial<T>): T {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

interface CachedKey { cose: Uint8Array; key: PublicKey; alg: number }

/**
 * Verifier with the broker's policy (rpId, origin, anchors, UV, algorithms, attestation) that
 * imports each credential's public key once and reuses the KeyObject. Per-call options override
 * the verifier's only when defined.
 */
export class FidoVerifier {
  private readonly cache = new Map<string, CachedKey>();
  private readonly anchors: X509[] | undefined;
  private readonly max: number;
  private readonly clock: () => Date;
  private readonly policy: FidoPolicy & { attestation?: AttestationRequirement; counterPolicy?: "reject" | "report" };

  constructor(readonly options: FidoVerifierOptions) {
    argCheck(typeof options === "object" && options !== null, "options required");
    stringList(options.rpId, "rpId");
    stringList(options.origin, "origin");
    this.anchors = options.trustAnchors?.map(toX509);
    this.max = options.maxCachedKeys ?? 10_000;
    argCheck(Number.isInteger(this.max) && this.max >= 0, "maxCachedKeys must be an integer ≥ 0");
    this.clock = options.clock ?? (() => new Date());
    argCheck(typeof this.clock === "function", "clock must be a function");
    const { rpId: _r, origin: _o, trustAnchors: _t, maxCachedKeys: _m, clock: _c, ...policy } = options;
    this.policy = policy;
    resolvePolicy(policy);
  }

  private remember(id: string, entry: CachedKey): void {
    if (this.max === 0) return;
    this.cache.delete(id);
    this.cache.set(id, entry);
    while (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!);
  }

  /** The KeyObject for a stored credential, imported on first use. */
  importKey(credentialId: Uint8Array, cose: Uint8Array): { key: PublicKey; alg: number } {
    argCheck(credentialId instanceof Uint8Array && cose instanceof Uint8Array, "credentialId and cose must be bytes");
    const id = b64u(credentialId);
    const hit = this.cache.get(id);
    if (hit !== undefined && (hit.cose === cose || eq(hit.cose, cose))) {
      this.remember(id, hit);
      return hit;
    }
    const parsed = parseCoseKey(cose);
    const entry = { cose: cose.slice(), key: coseKeyToKeyObject(parsed), alg: parsed.alg };
    this.remember(id, entry);
    return entry;
  }

  get cachedKeys(): number {
    return this.cache.size;
  }

  verifyRegistration(opts: FidoVerifierRegistration): RegistrationResult {
    argCheck(typeof opts === "object" && opts !== null, "options required");
    const base: VerifyRegistrationOptions = {
      ...this.policy,
      expectedRpId: this.options.rpId, expectedOrigin: this.options.origin,
      ...(this.anchors !== undefined ? { trustAnchors: this.anchors } : {}),
      now: this.clock(),
    } as VerifyRegistrationOptions;
    const r = verifyRegistration(overlay(base, opts as Partial<VerifyRegistrationOptions>));
    if (r.verified) {
      const c = r.credential;
      this.remember(c.idB64url, { cose: c.publicKey.slice(), key: c.keyObject, alg: c.algorithm });
    }
    return r;
  }

  verifyAssertion(opts: FidoVerifierAssertion): AssertionResult {
    argCheck(typeof opts === "object" && opts !== null && typeof opts.credential === "object" && opts.credential !== null, "options with credential required");
    const base = { ...this.policy, expectedRpId: this.options.rpId, expectedOrigin: this.options.origin } as VerifyAssertionOptions;
    const full = overlay(base, opts as Partial<VerifyAssertionOptions>);
    const c = full.credential;
    if (c.id instanceof Uint8Array && c.publicKey instanceof Uint8Array) return verifyAssertionWith(full, this.importKey(c.id, c.publicKey));
    return verifyAssertionWith(full);
  }
}
