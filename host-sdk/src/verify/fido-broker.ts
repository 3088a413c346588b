// FidoBroker: WebAuthn registrations and assertions verified fail-closed (fido/verify.ts) against
// credentials and single-use challenges kept in a shared CredentialStore, the counter advanced by
// compare-and-set. See host-sdk/docs/verify.md ("FIDO credentials") and docs/broker.md.
import { randomBytes } from "../platform/crypto.js";
import { base64url as b64u } from "../platform/encoding.js";
import { SeglError, argCheck } from "../errors.js";
import type { FidoFailureReason } from "../reasons.js";
import { FidoVerifier, checkCounter, type AttestationRequirement, type CounterStatus, type FidoPolicy, type ExpectedOrigin } from "../fido/verify.js";
import type { TrustAnchorInput } from "../fido/attestation.js";
import type { ChallengeRecord, CredentialRecord, CredentialStore, CredentialTrust } from "./credentials.js";


export interface FidoBrokerOptions extends FidoPolicy {
  /** Where credentials and challenges live (MemoryStore, SqliteStore, PostgresStore). */
  readonly store: CredentialStore;
  /** The RP ID (a registrable domain, e.g. "login.example"). */
  readonly rpId: string;
  /** The RP's name shown by authenticators (default: rpId). */
  readonly rpName?: string;
  /** The origin(s) of the login pages (e.g. "https://login.example"). */
  readonly origin: ExpectedOrigin;
  /** "chained" (default, needs trustAnchors) or "any". */
  readonly attestation?: AttestationRequirement;
  readonly trustAnchors?: readonly TrustAnchorInput[];
  /** How long an issued challenge stays usable, in ms (default 300 000 = WebAuthn's recommended 5 minutes). */
  readonly challengeTtlMs?: number;
  /** Compare-and-set rounds lost to other nodes before an assertion fails closed as "contention" (default 10). */
  readonly maxCasRetries?: number;
  /** Time source in Unix ms (default Date.now). */
  readonly clock?: () => number;
  /** Every decision, with its reasons; contains no key material. */
  readonly onAudit?: (event: FidoAuditEvent) => void;
}

export interface FidoAuditEvent {
  readonly at: number;
  readonly op: "registration-options" | "register" | "assertion-options" | "assert" | "remove";
  readonly outcome: "accepted" | "rejected" | "done";
  readonly reasons?: readonly FidoFailureReason[];
  /** base64url */
  readonly credentialId?: string;
  /** base64url */
  readonly userHandle?: string;
  readonly signCount?: number;
  readonly counter?: CounterStatus;
}

/** PublicKeyCredentialCreationOptionsJSON (WebAuthn L3 §5.1.1 JSON form): binary members as base64url. */
export interface RegistrationOptionsJSON {
  readonly challenge: string;
  readonly rp: { readonly id: string; readonly name: string };
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string };
  readonly pubKeyCredParams: ReadonlyArray<{ readonly type: "public-key"; readonly alg: number }>;
  readonly timeout: number;
  readonly attestation: "direct" | "none";
  readonly excludeCredentials: ReadonlyArray<{ readonly type: "public-key"; readonly id: string }>;
  readonly authenticatorSelection: { readonly userVerification: "required" | "discouraged"; readonly residentKey: "discouraged" };
}

/** PublicKeyCredentialRequestOptionsJSON. */
export interface AssertionOptionsJSON {
  readonly challenge: string;
  readonly rpId: string;
  readonly timeout: number;
  readonly userVerification: "required" | "discouraged";
  readonly allowCredentials: ReadonlyArray<{ readonly type: "public-key"; readonly id: string }>;
}

export interface RegisterInput {
  readonly clientDataJSON: Uint8Array;
  readonly attestationObject: Uint8Array;
}

export interface AssertInput {
  /** rawId the client returned. */
  readonly credentialId: Uint8Array;
  readonly clientDataJSON: Uint8Array;
  readonly authenticatorData: Uint8Array;
  readonly signature: Uint8Array;
  /** response.userHandle, when the authenticator returned one. */
  readonly userHandle?: Uint8Array | null;
}

/** A refusal says why (for the caller's audit); a broker's HTTP layer answers every refusal alike. */
export type FidoRegisterResult =
  | { readonly verified: true; readonly credentialId: string; readonly userHandle: string; readonly aaguid: string; readonly trust: CredentialTrust; readonly signCount: number }
  | {
    readonly verified: false; readonly reasons: readonly FidoFailureReason[];
    /** What the verification found, for people (e.g. "certificate 0 of x5c is not signed by …"), when it ran; no key material. */
    readonly problems?: readonly string[];
  };

export type FidoAssertResult =
  | { readonly verified: true; readonly credentialId: string; readonly userHandle: string; readonly signCount: number; readonly counter: CounterStatus }
  | { readonly verified: false; readonly reasons: readonly FidoFailureReason[] };

/**
 * The broker's FIDO side: issues challenges (kept in the store, single use, with an expiry, so any node
 * can finish a ceremony another node began), verifies registrations and assertions fail-closed with
 * {@link FidoVerifier}, keeps credentials, and advances the signature counter by compare-and-set:
 * two nodes accepting assertions with the same counter at once → one is accepted, the other is
 * refused as `counter-regressed` (WebAuthn §6.1.1; a counter that stays 0 is the exception).
 *
 * Store failures (STORE_TRANSIENT, STORE_BUSY, …) are thrown, never turned into an acceptance.
 */
export class FidoBroker {
  private readonly store: CredentialStore;
  private readonly verifier: FidoVerifier;
  private readonly rpId: string;
  private readonly rpName: string;
  private readonly ttl: number;
  private readonly retries: number;
  private readonly clock: () => number;
  private readonly onAudit: ((e: FidoAuditEvent) => void) | undefined;
  private readonly uv: boolean;
  private readonly algs: readonly number[];
  private readonly attestation: AttestationRequirement;

  constructor(o: FidoBrokerOptions) {
    argCheck(typeof o === "object" && o !== null, "options required");
    const s = o.store as Partial<CredentialStore> | undefined;
    argCheck(typeof s === "object" && s !== null && typeof s.getCredential === "function" && typeof s.takeChallenge === "function" && typeof s.updateCredential === "function",
      "store must be a CredentialStore (MemoryStore, SqliteStore, PostgresStore)");
    argCheck(typeof o.rpId === "string" && o.rpId.length > 0 && o.rpId.length <= 253, "rpId must be a domain name");
    this.rpId = o.rpId;
    this.rpName = o.rpName ?? o.rpId;
    argCheck(typeof this.rpName === "string" && this.rpName.length <= 256, "rpName must be a string");
    this.ttl = o.challengeTtlMs ?? 300_000;
    argCheck(Number.isSafeInteger(this.ttl) && this.ttl >= 1000 && this.ttl <= 86_400_000, "challengeTtlMs must be 1000..86400000");
    this.retries = o.maxCasRetries ?? 10;
    argCheck(Number.isSafeInteger(this.retries) && this.retries >= 0 && this.retries <= 1000, "maxCasRetries must be 0..1000");
    this.clock = o.clock ?? Date.now;
    argCheck(typeof this.clock === "function", "clock must be a function");
    argCheck(o.onAudit === undefined || typeof o.onAudit === "function", "onAudit must be a function");
    this.onAudit = o.onAudit;
    this.store = o.store;
    this.attestation = o.attestation ?? "chained";
    this.verifier = new FidoVerifier({
      rpId: o.rpId, origin: o.origin, attestation: this.attestation, counterPolicy: "reject",
      ...(o.trustAnchors !== undefined ? { trustAnchors: o.trustAnchors } : {}),
      ...(o.requireUserPresence !== undefined ? { requireUserPresence: o.requireUserPresence } : {}),
      ...(o.requireUserVerification !== undefined ? { requireUserVerification: o.requireUserVerification } : {}),
      ...(o.allowedAlgorithms !== undefined ? { allowedAlgorithms: o.allowedAlgorithms } : {}),
      ...(o.allowCrossOrigin !== undefined ? { allowCrossOrigin: o.allowCrossOrigin } : {}),
      clock: () => new Date(this.clock()),
    });
    this.uv = o.requireUserVerification ?? true;
    this.algs = o.allowedAlgorithms ?? [-7, -8, -257];
  }

  /** Starts a registration for an account: a fresh challenge kept in the store, the account's credentials excluded. */
  async registrationOptions(user: { userHandle: Uint8Array; name: string; displayName?: string }): Promise<RegistrationOptionsJSON> {
    argCheck(typeof user === "object" && user !== null, "user required");
    argCheck(user.userHandle instanceof Uint8Array && user.userHandle.length >= 1 && user.userHandle.length <= 64, "userHandle must be 1..64 bytes");
    argCheck(typeof user.name === "string" && user.name.length >= 1 && user.name.length <= 256, "name must be 1..256 characters");
    const displayName = user.displayName ?? user.name;
    argCheck(typeof displayName === "string" && displayName.length <= 256, "displayName must be at most 256 characters");
    const [challenge, existing] = await Promise.all([this.issue("registration", user.userHandle), this.store.listCredentials(this.rpId, user.userHandle)]);
    this.audit({ at: this.clock(), op: "registration-options", outcome: "done", userHandle: b64u(user.userHandle) });
    return {
      challenge, rp: { id: this.rpId, name: this.rpName },
      user: { id: b64u(user.userHandle), name: user.name, displayName },
      pubKeyCredParams: this.algs.map((alg) => ({ type: "public-key" as const, alg })),
      timeout: this.ttl,
      attestation: this.attestation === "chained" ? "direct" : "none",
      excludeCredentials: existing.map((c) => ({ type: "public-key" as const, id: b64u(c.credentialId) })),
      authenticatorSelection: { userVerification: this.uv ? "required" : "discouraged", residentKey: "discouraged" },
    };
  }

  /** Finishes a registration: its challenge taken (single use), the attestation verified fail-closed, the credential stored. */
  async registerCredential(input: RegisterInput): Promise<FidoRegisterResult> {
    argCheck(typeof input === "object" && input !== null, "input required");
    argCheck(input.clientDataJSON instanceof Uint8Array && input.attestationObject instanceof Uint8Array, "clientDataJSON and attestationObject must be bytes");
    const now = this.clock();
    const ch = await this.take(input.clientDataJSON, "registration", now);
    if (ch === undefined) return this.refuse("register", now, ["challenge-unknown"]);
    let r;
    try {
      r = this.verifier.verifyRegistration({ attestationObject: input.attestationObject, clientDataJSON: input.clientDataJSON, expectedChallenge: ch.challenge });
    } catch (e) {
      if (e instanceof SeglError && e.code === "BAD_RESPONSE") return this.refuse("register", now, ["malformed"], { userHandle: b64u(ch.userHandle) });
      throw e;
    }
    const c = r.credential;
    if (!r.verified) return { ...this.refuse("register", now, r.reasons, { userHandle: b64u(ch.userHandle), credentialId: c.idB64url }), problems: [...r.problems] };
    const rec: CredentialRecord = {
      credentialId: c.id, rpId: this.rpId, userHandle: ch.userHandle, publicKey: c.publicKey, algorithm: c.algorithm,
      aaguid: c.aaguid, trust: r.attestation.trust, signCount: c.signCount, createdAt: now, lastUsedAt: 0, version: 0,
    };
    try {
      await this.store.createCredential(rec);
    } catch (e) {
      if (e instanceof SeglError && e.code === "ALREADY_EXISTS") return this.refuse("register", now, ["credential-exists"], { credentialId: c.idB64url });
      if (e instanceof SeglError && e.code === "INVALID_ARGUMENT") return this.refuse("register", now, ["malformed"], { credentialId: c.idB64url });
      throw e;
    }
    this.audit({ at: now, op: "register", outcome: "accepted", credentialId: c.idB64url, userHandle: b64u(ch.userHandle), signCount: c.signCount });
    return { verified: true, credentialId: c.idB64url, userHandle: b64u(ch.userHandle), aaguid: c.aaguid, trust: r.attestation.trust, signCount: c.signCount };
  }

  /** Starts an assertion: a fresh challenge; with a userHandle, bound to that account and listing its credentials. */
  async assertionOptions(opts: { userHandle?: Uint8Array } = {}): Promise<AssertionOptionsJSON> {
    argCheck(typeof opts === "object" && opts !== null, "options must be an object");
    const uh = opts.userHandle ?? new Uint8Array(0);
    argCheck(uh instanceof Uint8Array && uh.length <= 64, "userHandle must be at most 64 bytes");
    const [challenge, creds] = await Promise.all([this.issue("assertion", uh), uh.length > 0 ? this.store.listCredentials(this.rpId, uh) : Promise.resolve([])]);
    this.audit({ at: this.clock(), op: "assertion-options", outcome: "done", ...(uh.length > 0 ? { userHandle: b64u(uh) } : {}) });
    return {
      challenge, rpId: this.rpId, timeout: this.ttl, userVerification: this.uv ? "required" : "discouraged",
      allowCredentials: creds.map((c) => ({ type: "public-key" as const, id: b64u(c.credentialId) })),
    };
  }

  /**
   * Finishes an assertion: the challenge taken (single use), the credential read, the assertion verified
   * fail-closed against it, then the counter advanced by compare-and-set. A lost race re-reads the
   * credential: a counter the winner already reached is `counter-regressed`; a counter still above it
   * (or both zero) tries again, at most maxCasRetries times.
   */
  async verifyAssertionAndUpdate(input: AssertInput): Promise<FidoAssertResult> {
    argCheck(typeof input === "object" && input !== null, "input required");
    argCheck(input.credentialId instanceof Uint8Array && input.clientDataJSON instanceof Uint8Array && input.authenticatorData instanceof Uint8Array && input.signature instanceof Uint8Array,
      "credentialId, clientDataJSON, authenticatorData and signature must be bytes");
    argCheck(input.userHandle === undefined || input.userHandle === null || input.userHandle instanceof Uint8Array, "userHandle must be bytes or null");
    const now = this.clock();
    const id = b64u(input.credentialId);
    // The challenge taken and the credential read at once (two round trips in parallel on a networked store).
    const [ch, found] = await Promise.all([
      this.take(input.clientDataJSON, "assertion", now),
      input.credentialId.length >= 1 && input.credentialId.length <= 1023 ? this.store.getCredential(input.credentialId) : Promise.resolve(undefined),
    ]);
    if (ch === undefined) return this.refuse("assert", now, ["challenge-unknown"], { credentialId: id });
    let rec = found;
    if (rec === undefined || rec.rpId !== this.rpId) return this.refuse("assert", now, ["unknown-credential"], { credentialId: id });
    if (ch.userHandle.length > 0 && b64u(ch.userHandle) !== b64u(rec.userHandle)) {
      return this.refuse("assert", now, ["unknown-credential"], { credentialId: id, userHandle: b64u(ch.userHandle) });
    }
    let r;
    try {
      r = this.verifier.verifyAssertion({
        credential: { id: rec.credentialId, publicKey: rec.publicKey, algorithm: rec.algorithm, signCount: rec.signCount, userHandle: rec.userHandle },
        credentialId: input.credentialId, userHandle: input.userHandle ?? null, authenticatorData: input.authenticatorData,
        signature: input.signature, clientDataJSON: input.clientDataJSON, expectedChallenge: ch.challenge,
      });
    } catch (e) {
      if (e instanceof SeglError && (e.code === "BAD_RESPONSE" || e.code === "INVALID_ARGUMENT")) return this.refuse("assert", now, ["malformed"], { credentialId: id });
      throw e;
    }
    const user = b64u(rec.userHandle);
    if (!r.verified) return this.refuse("assert", now, r.reasons, { credentialId: id, userHandle: user, signCount: r.counter.received });
    const received = r.counter.received;
    for (let i = 0; i <= this.retries; i++) {
      const status = checkCounter(rec.signCount, received);
      if (status === "regressed") {
        return this.refuse("assert", now, ["counter-regressed"], { credentialId: id, userHandle: user, signCount: received, counter: status });
      }
      if (await this.store.updateCredential(rec, { signCount: Math.max(rec.signCount, received), lastUsedAt: now })) {
        this.audit({ at: now, op: "assert", outcome: "accepted", credentialId: id, userHandle: user, signCount: received, counter: status });
        return { verified: true, credentialId: id, userHandle: user, signCount: received, counter: status };
      }
      const again = await this.store.getCredential(input.credentialId);
      if (again === undefined) return this.refuse("assert", now, ["unknown-credential"], { credentialId: id });
      rec = again;
    }
    return this.refuse("assert", now, ["contention"], { credentialId: id, userHandle: user });
  }

  /** Removes a credential; resolves true if there was one. */
  async removeCredential(credentialId: Uint8Array): Promise<boolean> {
    argCheck(credentialId instanceof Uint8Array && credentialId.length >= 1 && credentialId.length <= 1023, "credentialId must be 1..1023 bytes");
    const gone = await this.store.deleteCredential(credentialId);
    this.audit({ at: this.clock(), op: "remove", outcome: "done", credentialId: b64u(credentialId) });
    return gone;
  }

  private async issue(purpose: ChallengeRecord["purpose"], userHandle: Uint8Array): Promise<string> {
    const challenge = b64u(randomBytes(32));
    await this.store.putChallenge({ challenge, purpose, rpId: this.rpId, userHandle: Uint8Array.from(userHandle), expiresAt: this.clock() + this.ttl });
    return challenge;
  }

  /** The challenge clientDataJSON names, taken from the store (gone for everyone after this), if it is ours and for this ceremony. */
  private async take(clientDataJSON: Uint8Array, purpose: ChallengeRecord["purpose"], now: number): Promise<ChallengeRecord | undefined> {
    let challenge: unknown;
    try {
      if (clientDataJSON.length > 65_536) return undefined;
      challenge = (JSON.parse(new TextDecoder().decode(clientDataJSON)) as { challenge?: unknown }).challenge;
    } catch {
      return undefined;
    }
    if (typeof challenge !== "string" || !/^[A-Za-z0-9_-]{22,128}$/.test(challenge)) return undefined;
    const ch = await this.store.takeChallenge(challenge, now);
    if (ch === undefined || ch.purpose !== purpose || ch.rpId !== this.rpId) return undefined;
    return ch;
  }

  private refuse(op: "register" | "assert", at: number, reasons: readonly FidoFailureReason[], extra: Partial<FidoAuditEvent> = {}): { verified: false; reasons: readonly FidoFailureReason[] } {
    this.audit({ at, op, outcome: "rejected", reasons, ...extra });
    return { verified: false, reasons };
  }

  private audit(e: FidoAuditEvent): void {
    if (!this.onAudit) return;
    try { this.onAudit(e); } catch { /* an audit sink must not change the answer */ }
  }
}
