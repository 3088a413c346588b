// The page's broker: the SDK's own TotpVerifier on a MemoryStore, running in the page (its HMAC, HKDF and
// AES-GCM sealing on @noble through host-sdk/src/platform/crypto.browser.ts). A display or reader is
// enrolled at provisioning; the LCD's code or a typed one is verified with the SDK's policy: a window of
// ±1 step around the page's clock, each step accepted once (replay), the device's drift learned, and a
// lock after `maxFailures` wrong codes in a row. The verdict says what the SDK decided (its audit reason).
// The store lives as long as the page; the state of each device (not its seed, which the page keeps
// itself) is handed to the caller to keep in IndexedDB and restored with the seed on the next load.
import { TotpVerifier } from "../../host-sdk/src/verify/verifier.js";
import { MemoryStore } from "../../host-sdk/src/verify/memory-store.js";
import type { AuditEvent, OtpFailureReason, TokenRecord } from "../../host-sdk/src/verify/types.js";

export type Verdict =
  | { accepted: true; step: number; driftSteps: number }
  | { accepted: false; reason: OtpFailureReason; failures: number; lockedUntil: number; maxFailures: number };

/** What the page keeps of one enrolled device across reloads (the verifier's state, without the seed). */
export type BrokerState = Pick<TokenRecord, "driftSteps" | "lastAcceptedStep" | "failures" | "lockedUntil" | "lockouts">;

/** The code display's and audio reader's settings, as the page provisions them. */
const TOKEN = { algorithm: "SHA1", digits: 6, period: 30, t0: 0 } as const;

export class PageBroker {
  private readonly store = new MemoryStore();
  private readonly verifier: TotpVerifier;
  private readonly maxFailures: number;
  private last: AuditEvent | undefined;

  constructor(clock: () => number, options: { maxFailures?: number; lockoutMs?: number } = {}) {
    this.maxFailures = options.maxFailures ?? 3;
    this.verifier = new TotpVerifier({
      store: this.store, clock, maxFailures: this.maxFailures, lockoutMs: options.lockoutMs ?? 15 * 60_000,
      onAudit: (e) => { this.last = e; },
    });
  }

  /** Enrols a device's seed (at provisioning), or restores it with the state it had before a reload; a no-op when already enrolled. */
  async enroll(id: string, seed: Uint8Array, state?: BrokerState): Promise<void> {
    if (await this.store.get(id)) return;
    if (!state) return this.verifier.enroll(id, { secret: seed, ...TOKEN });
    await this.store.create({ id, kind: "totp", secret: seed, ...TOKEN, ...state, version: 0 });
  }

  /** Verifies a code with the SDK and says why it was refused (the verifier answers only `verified: false`; its audit event says why). */
  async verify(id: string, code: string): Promise<Verdict> {
    this.last = undefined;
    const r = await this.verifier.verify(id, code);
    if (r.verified) return { accepted: true, step: r.step, driftSteps: r.driftSteps };
    const e = this.last as AuditEvent | undefined;
    return { accepted: false, reason: e?.reason ?? "mismatch", failures: e?.failures ?? 0, lockedUntil: e?.lockedUntil ?? 0, maxFailures: this.maxFailures };
  }

  /** The state to keep for `id` (undefined when not enrolled). */
  async state(id: string): Promise<BrokerState | undefined> {
    const r = await this.store.get(id);
    return r && { driftSteps: r.driftSteps, lastAcceptedStep: r.lastAcceptedStep, failures: r.failures, lockedUntil: r.lockedUntil, lockouts: r.lockouts };
  }

  async remove(id: string): Promise<void> {
    await this.store.delete(id);
  }
}

const steps = (n: number): string => `${n > 0 ? "+" : ""}${n} step${Math.abs(n) === 1 ? "" : "s"}`;
const until = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** The verdict in words: what the SDK decided, the drift it learned, the failures towards a lock. */
export function describeVerdict(v: Verdict): string {
  if (v.accepted) return `ACCEPTED (step ${v.step}, ${v.driftSteps === 0 ? "no drift" : `drift ${steps(v.driftSteps)}`})`;
  switch (v.reason) {
    case "replay": return "REFUSED: replay (code already used)";
    case "mismatch": return v.lockedUntil > 0 ? `REFUSED: wrong code; locked until ${until(v.lockedUntil)} after ${v.maxFailures} wrong codes` : `REFUSED: wrong code (${v.failures} of ${v.maxFailures} before a lock)`;
    case "malformed": return "REFUSED: malformed (6 digits expected)";
    case "locked": return `REFUSED: locked until ${until(v.lockedUntil)}`;
    default: return `REFUSED: ${v.reason}`;
  }
}
