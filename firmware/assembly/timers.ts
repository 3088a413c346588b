// A few named deadlines multiplexed onto the single hal.wake_at request.
import { uptime_ms, wake_at } from "./hal";

export const TIMER_DISPLAY: i32 = 0;
export const TIMER_CTAPHID: i32 = 1;
export const TIMER_ROLL: i32 = 2; // the audio reader: the code being spoken expires
export const TIMER_COUNT: i32 = 4;

const deadlines: usize = memory.data(TIMER_COUNT * 8, 8); // i64 uptime ms each, 0 = off

export function timerSet(slot: i32, at: i64): void {
  store<i64>(deadlines + (<usize>slot << 3), at < 1 ? 1 : at);
  rearm();
}

export function timerCancel(slot: i32): void {
  store<i64>(deadlines + (<usize>slot << 3), 0);
  rearm();
}

/** True (and the timer cleared) if slot's deadline has passed. */
export function timerExpired(slot: i32): bool {
  const p = deadlines + (<usize>slot << 3);
  const at = load<i64>(p);
  if (at == 0 || uptime_ms() < at) return false;
  store<i64>(p, 0);
  return true;
}

export function rearm(): void {
  let next: i64 = 0;
  for (let i = 0; i < TIMER_COUNT; i++) {
    const at = load<i64>(deadlines + (<usize>i << 3));
    if (at != 0 && (next == 0 || at < next)) next = at;
  }
  wake_at(next);
}

export function timersReset(): void {
  memory.fill(deadlines, 0, TIMER_COUNT * 8);
}
