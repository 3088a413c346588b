// Stateful TOTP/HOTP verification for brokers: replay floor, drift, resync, lockout, CAS on a store.
import { randomBytes, timingSafeEqual } from "../platform/crypto.js";
import { SeglError } from "../errors.js";
import { oathCode } from "./oath.js";
import {
  LOCKED_PERMANENTLY,
  type AuditEvent,
  type OtpFailureReason,
  type OtpAlgorithm,
  type TokenKind,
  type TokenRecord,
  type VerifierStore,
  type VerifyResult,
} from "./types.js";

/** Policy shared by both verifiers. */
export interface VerifierOptions {
  readonly store: VerifierStore;
  /** Consecutive failures that trigger a lock (default 3, like MitID). */
  readonly maxFailures?: number;
  /** Length of a lock in ms (default 15 min). */
  readonly lockoutMs?: number;
  /** Double the lock for every further lockout without a success in between (default false). */
  readonly lockoutDoubling?: boolean;
  /** Cap for doubled locks in ms (default 24 h). */
  readonly maxLockoutMs?: number;
  /** Block permanently (until {@link OtpVerifierBase.unlock}) at this many lockouts without a success; 0 = never (default). */
  readonly permanentLockAfter?: number;
  /** Bounded retries of read–compute–compareAndSet when another verifier changed the record (default 10). */
  readonly maxCasRetries?: number;
  /** Time source in Unix ms (default Date.now). A per-call `now` overrides it. */
  readonly clock?: () => number;
  /** Audit hook: receives the reason of every outcome. Exceptions it throws are swallowed. */
  readonly onAudit?: (event: AuditEvent) => void;
}

export interface TotpVerifierOptions extends VerifierOptions {
  /** Steps checked around the expected step (default past 1, future 1; RFC 6238 §5.2). */
  readonly window?: { readonly past?: number; readonly future?: number };
  /** resync searches ± this many steps around server time (default 40 = ±20 min at 30 s). */
  readonly resyncWindow?: number;
}

export interface HotpVerifierOptions extends VerifierOptions {
  /** Counters checked after the last accepted one (default 10). */
  readonly window?: number;
  /** Counters searched by resync after the last accepted one (default 100). */
  readonly resyncWindow?: number;
}

export interface TotpEnrollment {
  readonly secret: Uint8Array;
  readonly algorithm?: OtpAlgorithm;
  readonly digits?: number;
  readonly period?: number;
  readonly t0?: number;
  /** Known initial drift in steps, e.g. PSKC `<TimeDrift>` (default 0). */
  readonly driftSteps?: number;
}

export interface HotpEnrollment {
  readonly secret: Uint8Array;
  readonly algorithm?: OtpAlgorithm;
  readonly digits?: number;
  /** The next counter value the device will use (default 0), e.g. PSKC `<Counter>`. */
  readonly counter?: number;
}

export interface CallOptions {
  /** Unix ms to use instead of the verifier's clock. */
  readonly now?: number;
}

/** The state of a device without its secret, for administrators. */
export type TokenStatus = Omit<TokenRecord, "secret"> & { readonly locked: boolean };

const FAIL: VerifyResult = Object.freeze({ verified: false as const });
const ALGORITHMS: readonly OtpAlgorithm[] = ["SHA1", "SHA256", "SHA512"];

interface Range { readonly from: number; readonly to: number; readonly center: number }

function intOpt(v: number | undefined, dflt: number, min: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw badArgument(name, `${name} must be an integer >= ${min}`, { [name]: v });
  return v;
}

/** Common machinery of {@link TotpVerifier} and {@link HotpVerifier}. */
export abstract class OtpVerifierBase {
  protected readonly store: VerifierStore;
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly lockoutDoubling: boolean;
  private readonly maxLockoutMs: number;
  private readonly permanentLockAfter: number;
  private readonly maxCasRetries: number;
  private readonly clock: () => number;
  private readonly onAudit: ((event: AuditEvent) => void) | undefined;

  protected abstract readonly kind: TokenKind;
  /** Steps a single code may match. */
  protected abstract verifyRange(rec: TokenRecord, now: number): Range;
  /** Steps the first of two resync codes may match. */
  protected abstract resyncRange(rec: TokenRecord, now: number): Range;
  /** The drift to store (and report) after accepting `step`. */
  protected abstract driftAfter(rec: TokenRecord, step: number, now: number): number;
  /** The drift to report to the caller after accepting `step`. */
  protected abstract reportedDrift(rec: TokenRecord, step: number, now: number): number;

  protected constructor(o: VerifierOptions) {
    if (typeof o !== "object" || o === null) throw badArgument("options", "options are required ({ store, … })");
    if (!isStore(o.store)) throw badArgument("store", "a store is required: an object with get, create, compareAndSet and delete");
    if (o.clock !== undefined && typeof o.clock !== "function") throw badArgument("clock", "clock must be a function returning Unix ms");
    if (o.onAudit !== undefined && typeof o.onAudit !== "function") throw badArgument("onAudit", "onAudit must be a function");
    if (o.lockoutDoubling !== undefined && typeof o.lockoutDoubling !== "boolean") throw badArgument("lockoutDoubling", "lockoutDoubling must be a boolean", { lockoutDoubling: o.lockoutDoubling });
    this.store = o.store;
    this.maxFailures = intOpt(o.maxFailures, 3, 1, "maxFailures");
    this.lockoutMs = intOpt(o.lockoutMs, 15 * 60_000, 0, "lockoutMs");
    this.lockoutDoubling = o.lockoutDoubling ?? false;
    this.maxLockoutMs = intOpt(o.maxLockoutMs, 24 * 3_600_000, 0, "maxLockoutMs");
    this.permanentLockAfter = intOpt(o.permanentLockAfter, 0, 0, "permanentLockAfter");
    this.maxCasRetries = intOpt(o.maxCasRetries, 10, 0, "maxCasRetries");
    this.clock = o.clock ?? Date.now;
    this.onAudit = o.onAudit;
  }

  /**
   * Checks one code. Accepts it only for a step above the replay floor; on success stores the step
   * as the new floor, learns the drift and clears the failure count. Every failure (wrong code,
   * replay, locked, unknown device, malformed input, lost races) returns the same `{ verified: false }`.
   */
  async verify(id: string, code: string, opts: CallOptions = {}): Promise<VerifyResult> {
    const now = this.now(opts);
    return this.attempt("verify", id, now, (rec) => {
      const given = this.parse(rec, code);
      if (!given) return { reason: "malformed" };
      const r = this.verifyRange(rec, now);
      let best: number | undefined;
      let replayed = false;
      // Every candidate is computed and compared, matched or not, so timing says nothing about which step matched.
      for (let s = r.from; s <= r.to; s++) {
        if (s < 0 || s > Number.MAX_SAFE_INTEGER) continue;
        if (!timingSafeEqual(ascii(oathCode(rec.secret, s, rec.algorithm, rec.digits)), given)) continue;
        if (s <= rec.lastAcceptedStep) replayed = true;
        else if (best === undefined || closer(s, best, r.center)) best = s;
      }
      if (best !== undefined) return { step: best };
      return { reason: replayed ? "replay" : "mismatch" };
    });
  }

  /**
   * Resynchronises a device from two codes it showed for CONSECUTIVE steps (counters), searched in
   * the wide resync window and above the replay floor. On success the second code's step becomes
   * the floor and the drift is set from it. Same failure answer and lockout accounting as verify.
   */
  async resync(id: string, code1: string, code2: string, opts: CallOptions = {}): Promise<VerifyResult> {
    const now = this.now(opts);
    return this.attempt("resync", id, now, (rec) => {
      const g1 = this.parse(rec, code1);
      const g2 = this.parse(rec, code2);
      if (!g1 || !g2) return { reason: "malformed" };
      const r = this.resyncRange(rec, now);
      let best: number | undefined;
      let replayed = false;
      let prev: Uint8Array | undefined; // code of step s-1
      for (let s = r.from; s <= r.to + 1; s++) {
        if (s < 0 || s > Number.MAX_SAFE_INTEGER) { prev = undefined; continue; }
        const cur = ascii(oathCode(rec.secret, s, rec.algorithm, rec.digits));
        if (prev !== undefined) {
          const m1 = timingSafeEqual(prev, g1);
          const m2 = timingSafeEqual(cur, g2);
          if (m1 && m2) {
            if (s - 1 <= rec.lastAcceptedStep) replayed = true;
            else if (best === undefined || closer(s, best, r.center + 1)) best = s;
          }
        }
        prev = cur;
      }
      if (best !== undefined) return { step: best };
      return { reason: replayed ? "replay" : "mismatch" };
    });
  }

  /** Removes a device. Resolves true if it existed. */
  async remove(id: string): Promise<boolean> {
    const existed = await this.store.delete(id);
    this.audit({ at: this.clock(), id, op: "remove", outcome: "done" });
    return existed;
  }

  /** Administrator: lifts a temporary or permanent lock and clears failure and lockout counts. */
  async unlock(id: string): Promise<void> {
    for (let i = 0; i <= this.maxCasRetries; i++) {
      const rec = await this.read("unlock", id, this.clock());
      if (!rec || rec.kind !== this.kind) throw new SeglError("NOT_FOUND", `no ${this.kind} device ${JSON.stringify(id)}`, { details: { id, kind: this.kind } });
      const next: TokenRecord = { ...rec, failures: 0, lockouts: 0, lockedUntil: 0, version: rec.version + 1 };
      if (await this.store.compareAndSet(id, rec.version, next)) {
        this.audit({ at: this.clock(), id, op: "unlock", outcome: "done" });
        return;
      }
    }
    throw new SeglError("CONTENTION", `unlock of ${JSON.stringify(id)} kept losing races`, { details: { id, attempts: this.maxCasRetries + 1 } });
  }

  /** Administrator: the device's state without its secret, or undefined if unknown. */
  async status(id: string, opts: CallOptions = {}): Promise<TokenStatus | undefined> {
    const rec = await this.read("status", id, this.now(opts));
    if (!rec || rec.kind !== this.kind) return undefined;
    const { secret: _secret, ...rest } = rec;
    void _secret;
    return { ...rest, locked: rec.lockedUntil > this.now(opts) };
  }

  protected async insert(rec: TokenRecord): Promise<void> {
    validateId(rec.id);
    if (!(rec.secret instanceof Uint8Array) || rec.secret.length < 16 || rec.secret.length > 256) {
      throw badArgument("secret", "secret must be 16..256 bytes (RFC 4226: at least 128 bits)", { length: rec.secret.length });
    }
    if (!ALGORITHMS.includes(rec.algorithm)) throw badArgument("algorithm", "algorithm must be SHA1, SHA256 or SHA512", { algorithm: rec.algorithm });
    if (!Number.isInteger(rec.digits) || rec.digits < 6 || rec.digits > 10) throw badArgument("digits", "digits must be 6..10", { digits: rec.digits });
    await this.store.create(rec);
    this.audit({ at: this.clock(), id: rec.id, op: "enroll", outcome: "done" });
  }

  private now(opts: CallOptions): number {
    const n = opts.now ?? this.clock();
    if (typeof n !== "number" || !Number.isFinite(n)) throw badArgument("now", "now must be a finite number of ms", { now: n });
    return Math.floor(n);
  }

  /** The code as ASCII bytes if it has the device's length and only digits (whitespace ignored). */
  private parse(rec: TokenRecord, code: unknown): Uint8Array | undefined {
    if (typeof code !== "string" || code.length > 64) return undefined;
    const c = code.replace(/\s+/g, "");
    if (c.length !== rec.digits || !/^[0-9]+$/.test(c)) return undefined;
    return ascii(c);
  }

  /** read → decide → compareAndSet, re-reading after a lost race (bounded). */
  private async attempt(
    op: "verify" | "resync",
    id: string,
    now: number,
    decide: (rec: TokenRecord) => { step: number } | { reason: OtpFailureReason },
  ): Promise<VerifyResult> {
    if (typeof id !== "string") return this.reject(op, String(id), now, "unknown-device");
    // Ids enroll() refuses (empty, longer than 256, reserved) are never looked up: the decoys' ids are among them.
    if (!usableId(id)) {
      await this.decoy(now, decide);
      return this.reject(op, id, now, "unknown-device");
    }
    for (let i = 0; i <= this.maxCasRetries; i++) {
      const rec = await this.read(op, id, now);
      if (!rec || rec.kind !== this.kind) {
        await this.decoy(now, decide);
        return this.reject(op, id, now, "unknown-device");
      }
      // Locked: fails whatever the code. The work of a wrong code is still done — the window's codes
      // computed (the verdict thrown away) and the unchanged state written back — so that a fast
      // refusal does not tell a prober that this id exists and is locked. A lost race is not retried.
      if (rec.lockedUntil > now) {
        decide(rec);
        await this.store.compareAndSet(id, rec.version, { ...rec, version: rec.version + 1 });
        return this.reject(op, id, now, "locked", rec);
      }
      const d = decide(rec);
      if ("step" in d) {
        const driftSteps = this.driftAfter(rec, d.step, now);
        const next: TokenRecord = {
          ...rec, lastAcceptedStep: d.step, driftSteps, failures: 0, lockouts: 0, lockedUntil: 0, version: rec.version + 1,
        };
        if (await this.store.compareAndSet(id, rec.version, next)) {
          const reported = this.reportedDrift(rec, d.step, now);
          this.audit({ at: now, id, op, outcome: "accepted", step: d.step, driftSteps: reported });
          return { verified: true, step: d.step, driftSteps: reported };
        }
      } else if (d.reason === "replay") {
        // A code that was already accepted proves nothing about who sends it (a double click, an
        // HTTP retry, a lost race with the submission that won, or someone who saw it): refused,
        // but it does not count towards the lockout, so a used code cannot lock its owner out.
        return this.reject(op, id, now, "replay", rec);
      } else {
        const next = this.afterFailure(rec, now);
        if (await this.store.compareAndSet(id, rec.version, next)) return this.reject(op, id, now, d.reason, next);
      }
    }
    return this.reject(op, id, now, "contention");
  }

  /**
   * No timing oracle on enrolment: an unknown id costs what a wrong code for a known device costs.
   * The same work is done on a decoy record kept in the store under an id enroll() refuses
   * (`~segl-decoy-totp` / `-hotp`): read and open it (AES-GCM, MAC), compute and compare the window's codes, and
   * write a new failure count back with compareAndSet (a real write, fsync included). The decoy
   * never locks and never answers. A store failure (STORE_TRANSIENT, STORE_BUSY, STORE_UNAVAILABLE,
   * STORE_ERROR) is thrown as it would be for a known id — during an outage an unknown id must not
   * answer "rejected" where a known one answers STORE_TRANSIENT; anything else here is swallowed.
   */
  private async decoy(now: number, decide: (rec: TokenRecord) => unknown): Promise<void> {
    const id = decoyId(this.kind);
    try {
      let rec = await this.store.get(id);
      if (!rec) {
        // First unknown id ever seen by this store: create the decoy (a lost race with another process is fine).
        const secret = randomBytes(20);
        await this.store.create({
          id, kind: this.kind, secret, algorithm: "SHA1", digits: 6, period: 30, t0: 0,
          driftSteps: 0, lastAcceptedStep: -1, failures: 0, lockedUntil: 0, lockouts: 0, version: 0,
        }).catch((e: unknown) => {
          if (!(e instanceof SeglError && e.code === "ALREADY_EXISTS")) throw e;
        });
        rec = await this.store.get(id);
        if (!rec) return;
      }
      decide(rec);
      const next: TokenRecord = { ...rec, failures: rec.failures > 0 ? 0 : 1, lockedUntil: 0, version: rec.version + 1 };
      await this.store.compareAndSet(id, rec.version, next);
    } catch (e) {
      if (e instanceof SeglError && STORE_FAILURES.has(e.code)) throw e;
      /* otherwise the decoy only spends time; it never changes an answer */
    }
  }

  /**
   * Reads a record. A row that fails authentication (ROW_TAMPERED), cannot be opened
   * (SECRET_UNREADABLE) or is of the old format (LEGACY_ROW) is audited as "tampered" and the
   * error is thrown: a weakened row never verifies and never fails quietly.
   */
  private async read(op: AuditEvent["op"], id: string, now: number): Promise<TokenRecord | undefined> {
    try {
      return await this.store.get(id);
    } catch (e) {
      if (e instanceof SeglError && (e.code === "ROW_TAMPERED" || e.code === "SECRET_UNREADABLE" || e.code === "LEGACY_ROW")) {
        this.audit({ at: now, id, op, outcome: "rejected", reason: "tampered" });
      }
      throw e;
    }
  }

  private afterFailure(rec: TokenRecord, now: number): TokenRecord {
    const failures = rec.failures + 1;
    if (failures < this.maxFailures) return { ...rec, failures, lockedUntil: 0, version: rec.version + 1 };
    const lockouts = rec.lockouts + 1;
    let lockedUntil: number;
    if (this.permanentLockAfter > 0 && lockouts >= this.permanentLockAfter) lockedUntil = LOCKED_PERMANENTLY;
    else {
      const ms = this.lockoutDoubling ? Math.min(this.lockoutMs * 2 ** Math.min(lockouts - 1, 40), this.maxLockoutMs) : this.lockoutMs;
      lockedUntil = Math.min(now + ms, LOCKED_PERMANENTLY);
    }
    return { ...rec, failures: 0, lockouts, lockedUntil, version: rec.version + 1 };
  }

  private reject(op: "verify" | "resync", id: string, now: number, reason: OtpFailureReason, rec?: TokenRecord): VerifyResult {
    const ev: AuditEvent = rec
      ? { at: now, id, op, outcome: "rejected", reason, failures: rec.failures, lockedUntil: rec.lockedUntil }
      : { at: now, id, op, outcome: "rejected", reason };
    this.audit(ev);
    return FAIL;
  }

  private audit(ev: AuditEvent): void {
    if (!this.onAudit) return;
    try { this.onAudit(ev); } catch { /* an audit sink must not change the answer */ }
  }
}

/**
 * INVALID_ARGUMENT naming the option at fault (`details.field`), with what was given keyed by its
 * name as everywhere in the SDK (`{ digits: 5 }`), or only a seed's length or type.
 */
function badArgument(field: string, message: string, given: Record<string, unknown> = {}): SeglError {
  return new SeglError("INVALID_ARGUMENT", message, { details: { field, ...given } });
}

/** An enrollment is an object whose seed is bytes (a string or an array would be copied as something else). */
function checkEnrollment(e: unknown): asserts e is { secret: Uint8Array } {
  if (typeof e !== "object" || e === null) throw badArgument("enrollment", "an enrollment object ({ secret, … }) is required");
  const secret = (e as { secret?: unknown }).secret;
  if (!(secret instanceof Uint8Array)) throw badArgument("secret", "secret must be a Uint8Array of 16..256 bytes (decode base32 or hex first)", { type: typeof secret });
}

function isStore(s: unknown): s is VerifierStore {
  if (typeof s !== "object" || s === null) return false;
  const o = s as Record<string, unknown>;
  return typeof o["get"] === "function" && typeof o["create"] === "function" && typeof o["compareAndSet"] === "function" && typeof o["delete"] === "function";
}

/** A code's digits as bytes (ASCII), for the constant-time compare. */
const encoder = new TextEncoder();
const ascii = (digits: string): Uint8Array => encoder.encode(digits);

function closer(s: number, best: number, center: number): boolean {
  const a = Math.abs(s - center);
  const b = Math.abs(best - center);
  return a < b || (a === b && s > best);
}

/** Errors of the store itself, which the decoy passes on as a known id's read or write would. */
const STORE_FAILURES: ReadonlySet<string> = new Set(["STORE_TRANSIENT", "STORE_BUSY", "STORE_UNAVAILABLE", "STORE_ERROR"]);

/** Longest device id enroll() accepts. */
const MAX_ID_LENGTH = 256;

/** Ids beginning with this are reserved for the decoys: enroll() refuses them, verify() never looks them up. */
const RESERVED_PREFIX = "~segl-decoy-";

/** The decoy's id (one per kind), which no device can have. */
function decoyId(kind: TokenKind): string {
  return RESERVED_PREFIX + kind;
}

/** Ids enroll() accepts: 1..256 characters, not beginning with the reserved prefix. */
function usableId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && !id.startsWith(RESERVED_PREFIX);
}

function validateId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw badArgument("id", "id must be a non-empty string of at most 256 characters", typeof id === "string" ? { length: id.length } : { type: typeof id });
  }
  if (!usableId(id)) throw badArgument("id", `ids beginning with ${JSON.stringify(RESERVED_PREFIX)} are reserved`, { length: id.length });
}

/**
 * RFC 6238 TOTP verifier with a per-device drift (whole steps), replay floor and lockout.
 * Step T = floor((now/1000 − T0) / period); a code is checked against steps
 * [T + drift − past, T + drift + future].
 */
export class TotpVerifier extends OtpVerifierBase {
  protected readonly kind = "totp" as const;
  private readonly past: number;
  private readonly future: number;
  private readonly resyncSteps: number;

  constructor(o: TotpVerifierOptions) {
    super(o);
    this.past = intOpt(o.window?.past, 1, 0, "window.past");
    this.future = intOpt(o.window?.future, 1, 0, "window.future");
    this.resyncSteps = intOpt(o.resyncWindow, 40, 1, "resyncWindow");
    if (this.past > 1000 || this.future > 1000) throw badArgument("window", "window.past and window.future must be at most 1000 steps");
    if (this.resyncSteps > 100_000) throw badArgument("resyncWindow", "resyncWindow must be at most 100000 steps", { resyncWindow: this.resyncSteps });
  }

  /** Registers a device. Rejects with ALREADY_EXISTS if the id is taken. */
  async enroll(id: string, e: TotpEnrollment): Promise<void> {
    checkEnrollment(e);
    const period = intOpt(e.period, 30, 1, "period");
    const t0 = intOpt(e.t0, 0, 0, "t0");
    const driftSteps = e.driftSteps ?? 0;
    if (!Number.isSafeInteger(driftSteps)) throw badArgument("driftSteps", "driftSteps must be an integer", { driftSteps });
    await this.insert({
      id, kind: "totp", secret: Uint8Array.from(e.secret), algorithm: e.algorithm ?? "SHA1", digits: e.digits ?? 6,
      period, t0, driftSteps, lastAcceptedStep: -1, failures: 0, lockedUntil: 0, lockouts: 0, version: 0,
    });
  }

  /** The server's current step for a record (no drift applied). */
  static stepAt(rec: Pick<TokenRecord, "period" | "t0">, nowMs: number): number {
    return Math.floor((nowMs - rec.t0 * 1000) / (rec.period * 1000));
  }

  protected verifyRange(rec: TokenRecord, now: number): Range {
    const center = TotpVerifier.stepAt(rec, now) + rec.driftSteps;
    return { from: center - this.past, to: center + this.future, center };
  }

  protected resyncRange(rec: TokenRecord, now: number): Range {
    const center = TotpVerifier.stepAt(rec, now);
    return { from: center - this.resyncSteps, to: center + this.resyncSteps, center };
  }

  protected driftAfter(rec: TokenRecord, step: number, now: number): number {
    return step - TotpVerifier.stepAt(rec, now);
  }

  protected reportedDrift(rec: TokenRecord, step: number, now: number): number {
    return this.driftAfter(rec, step, now);
  }
}

/**
 * RFC 4226 HOTP verifier: look-ahead window after the last accepted counter, resync with two
 * consecutive codes, lockout. The reported `driftSteps` is the number of counters the device
 * skipped (0 when it used exactly the expected one).
 */
export class HotpVerifier extends OtpVerifierBase {
  protected readonly kind = "hotp" as const;
  private readonly window: number;
  private readonly resyncCount: number;

  constructor(o: HotpVerifierOptions) {
    super(o);
    this.window = intOpt(o.window, 10, 1, "window");
    this.resyncCount = intOpt(o.resyncWindow, 100, 2, "resyncWindow");
    if (this.window > 10_000) throw badArgument("window", "window must be at most 10000 counters", { window: this.window });
    if (this.resyncCount > 100_000) throw badArgument("resyncWindow", "resyncWindow must be at most 100000 counters", { resyncWindow: this.resyncCount });
  }

  async enroll(id: string, e: HotpEnrollment): Promise<void> {
    checkEnrollment(e);
    const counter = intOpt(e.counter, 0, 0, "counter");
    await this.insert({
      id, kind: "hotp", secret: Uint8Array.from(e.secret), algorithm: e.algorithm ?? "SHA1", digits: e.digits ?? 6,
      period: 30, t0: 0, driftSteps: 0, lastAcceptedStep: counter - 1, failures: 0, lockedUntil: 0, lockouts: 0, version: 0,
    });
  }

  /**
   * The look-ahead window after the floor, and as many counters below it: a code accepted a moment ago
   * (a double click, an HTTP retry, the loser of a race between two nodes) is then recognised as a
   * replay, which does not count towards the lockout, instead of a wrong code, which would.
   */
  protected verifyRange(rec: TokenRecord): Range {
    const first = rec.lastAcceptedStep + 1;
    return { from: Math.max(0, first - this.window), to: first + this.window - 1, center: first };
  }

  protected resyncRange(rec: TokenRecord): Range {
    const first = rec.lastAcceptedStep + 1;
    return { from: first, to: first + this.resyncCount - 2, center: first };
  }

  protected driftAfter(): number {
    return 0;
  }

  protected reportedDrift(rec: TokenRecord, step: number): number {
    return step - (rec.lastAcceptedStep + 1);
  }
}
