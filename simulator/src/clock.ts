// World time for simulated devices. "manual": time moves only by advance()/set() (tests,
// reproducible runs); "real": time follows the host clock plus an offset (interactive use).
export type ClockMode = "manual" | "real";

export interface ClockListener {
  /** Earliest world time (ms) at which this listener wants to run, or undefined. */
  nextWakeWorldMs(): number | undefined;
  /** Called with the world time reached. */
  onTime(worldMs: number): void;
}

export class SimClock {
  readonly mode: ClockMode;
  private manualNow: number;
  private offset = 0;
  private readonly listeners = new Set<ClockListener>();

  constructor(opts: { mode?: ClockMode; startMs?: number } = {}) {
    this.mode = opts.mode ?? "manual";
    this.manualNow = opts.startMs ?? Date.now();
    if (this.mode === "real" && opts.startMs !== undefined) this.offset = opts.startMs - Date.now();
  }

  /** Current world time, Unix milliseconds. */
  now(): number {
    return this.mode === "manual" ? this.manualNow : Date.now() + this.offset;
  }

  /** Moves world time forward by ms, running every listener's wake-ups in time order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError("advance() takes a non-negative number of ms");
    const target = this.now() + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let first: ClockListener | undefined;
      let firstAt = Infinity;
      for (const l of this.listeners) {
        const at = l.nextWakeWorldMs();
        if (at !== undefined && at <= target && at < firstAt) { first = l; firstAt = at; }
      }
      if (!first) break;
      this.jumpTo(Math.max(firstAt, this.now()));
      first.onTime(this.now());
    }
    this.jumpTo(target);
    for (const l of this.listeners) l.onTime(this.now());
  }

  /** Sets world time (may go backwards: an RTC can be set wrong). */
  set(unixMs: number): void {
    this.jumpTo(unixMs);
    for (const l of this.listeners) l.onTime(this.now());
  }

  add(l: ClockListener): void {
    this.listeners.add(l);
  }

  remove(l: ClockListener): void {
    this.listeners.delete(l);
  }

  private jumpTo(ms: number): void {
    if (this.mode === "manual") this.manualNow = ms;
    else this.offset = ms - Date.now();
  }
}
