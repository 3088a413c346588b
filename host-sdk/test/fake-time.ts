// Tests whose subject waits (timeouts, retries, delays, keepalives) run on vitest's fake timers:
// setTimeout/setInterval/setImmediate and Date move only when the test moves them, so the outcome
// and every elapsed-time figure are exact, however loaded the machine is.
import { vi, beforeEach, afterEach } from "vitest";

/** Every test of the calling file starts on fake timers at `startMs` (Unix ms). */
export function fakeTimeForEachTest(startMs = Date.UTC(2030, 0, 1)): void {
  beforeEach(() => { vi.useFakeTimers({ now: startMs }); });
  afterEach(() => { vi.useRealTimers(); });
}

/**
 * Runs the fake clock forward, one timer at a time (promise callbacks run in between), until `p`
 * settles; returns what `p` gives or throws what it throws.
 */
export async function settle<T>(p: Promise<T>, maxSteps = 100_000): Promise<T> {
  let done = false;
  const watched = p.then(
    (v) => { done = true; return v; },
    (e: unknown) => { done = true; throw e; },
  );
  watched.catch(() => { /* the caller sees it */ });
  for (let i = 0; !done; i++) {
    if (i >= maxSteps) throw new Error(`settle: still pending after ${maxSteps} steps of fake time`);
    if (vi.getTimerCount() > 0) await vi.advanceTimersToNextTimerAsync();
    else await vi.advanceTimersByTimeAsync(0);
  }
  return watched;
}
