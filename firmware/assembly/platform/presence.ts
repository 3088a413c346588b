// User presence (the platform's touch). CTAP2 requests wait for a touch (ctaphid.ts parks them
// and grants it when the button goes down); U2F asks without waiting, so a touch is latched for
// a short while and consumed by one U2F request. No protocol reads the button any other way.
import { uptime_ms } from "../hal";

/** How long a touch stays usable by a U2F request. */
export const UP_LATCH_MS: i64 = 3_000;

let latchedAt: i64 = -1;

/** A touch arrived while no CTAP2 request was waiting for one. */
export function upLatch(): void {
  latchedAt = uptime_ms();
}

/** True once per touch, within UP_LATCH_MS of it. */
export function upConsume(): bool {
  if (latchedAt < 0) return false;
  const fresh = uptime_ms() - latchedAt <= UP_LATCH_MS;
  latchedAt = -1;
  return fresh;
}

export function upClear(): void {
  latchedAt = -1;
}
