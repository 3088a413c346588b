// The page's broker: the codes a display or reader shows, checked with the SDK's TOTP (host-sdk/src/otp,
// whose HMAC runs on @noble/hashes in the page) over a window of ±1 step around the broker's own clock,
// each step accepted once. (The SDK's TotpVerifier itself seals its store with AES-GCM through
// node:crypto and does not run in a browser yet; docs/simulator.md "In a browser".)
import { totp } from "../../host-sdk/src/otp/hotp.js";

export type Verdict =
  | { accepted: true; offset: number; step: number }
  | { accepted: false; reason: "format" | "wrong code" | "already used" };

/** Checks `code` against the seed at `nowMs`; `lastStep` is the last step accepted (replays refused). */
export function verifyCode(seed: Uint8Array, code: string, nowMs: number, lastStep: number, period = 30, window = 1): Verdict {
  if (!/^\d{6}$/.test(code)) return { accepted: false, reason: "format" };
  const now = Math.floor(nowMs / 1000 / period);
  for (let offset = -window; offset <= window; offset++) {
    const step = now + offset;
    if (totp(seed, { time: step * period, period }) !== code) continue;
    return step <= lastStep ? { accepted: false, reason: "already used" } : { accepted: true, offset, step };
  }
  return { accepted: false, reason: "wrong code" };
}

export function describeVerdict(v: Verdict): string {
  return v.accepted ? `ACCEPTED (step ${v.offset === 0 ? "now" : v.offset > 0 ? `+${v.offset}` : v.offset})` : `REFUSED: ${v.reason}`;
}
