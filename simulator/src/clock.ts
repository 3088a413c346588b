// World time for simulated devices. "manual": time moves only by advance()/set() (tests,
// reproducible runs); "real": time follows the host clock plus an offset (interactive use),
// and a driver runs each listener's wake-up with a host timer, re-armed whenever the wake-ups
// change (listeners call reschedule()).
export type ClockMode = "manual" | "real";

export interface ClockListener {
  /** Earliest world time (ms) at which this listener wants to run, or undefined. */
  nextWakeWorldMs(): number | undefined;
  /** Called with the world time reached. */
  onTime(worldMs: number): void;
}

export interface SimClockOptions {
  mode?: ClockMode;
  /** World time at creation (Unix ms); default: the host clock. */
  startMs?: number;
  /**
   * Real mode only: whether a pending wake-up timer keeps the Node process alive. Default false
   * (the timer is unref'd); a program that must stay up holds its own handle (stdin, a server).
   */
  keepAlive?: boolean;
}

/** setTimeout cannot wait longer than 2^31-1 ms; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 0x7fff_ffff;
const LOOP_GUARD = 1_000_000;

export class SimClock {
  readonly mode: ClockMode;
  private manualNow: number;
  private offset = 0;
  private readonly listeners = new Set<ClockListener>();
  private readonly keepAlive: boolean;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private rescheduleQueued = false;
  private running = false;

  constructor(opts: SimClockOptions = {}) {
    this.mode = opts.mode ?? "manual";
    this.manualNow = opts.startMs ?? Date.now();
    this.keepAlive = opts.keepAlive ?? false;
    if (this.mode === "real" && opts.startMs !== undefined) this.offset = opts.startMs - Date.now();
  }

  /** Current world time, Unix milliseconds. */
  now(): number {
    return this.mode === "manual" ? this.manualNow : Date.now() + this.offset;
  }

  /** Moves world time forward by ms, running every listener's wake-ups in time order. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError("advance() takes a non-negative number of ms");
    const target = this.now() + ms;
    this.running = true;
    try {
      for (let guard = 0; guard < LOOP_GUARD; guard++) {
        const [first, firstAt] = this.earliest();
        if (!first || firstAt > target) break;
        this.jumpTo(Math.max(firstAt, this.now()));
        first.onTime(this.now());
      }
      this.jumpTo(target);
      for (const l of this.listeners) l.onTime(this.now());
    } finally {
      this.running = false;
    }
    this.reschedule();
  }

  /** Sets world time (may go backwards: an RTC can be set wrong). */
  set(unixMs: number): void {
    if (!Number.isFinite(unixMs)) throw new RangeError("set() takes a finite time in ms");
    this.jumpTo(unixMs);
    this.running = true;
    try {
      for (const l of this.listeners) l.onTime(this.now());
    } finally {
      this.running = false;
    }
    this.reschedule();
  }

  add(l: ClockListener): void {
    this.listeners.add(l);
    this.reschedule();
  }

  remove(l: ClockListener): void {
    this.listeners.delete(l);
    this.reschedule();
  }

  /** Number of listeners (devices) on this clock. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Tells the real-time driver that some listener's wake-up may have changed. Cheap: the timer
   * is re-armed once, in a microtask. A no-op in manual mode.
   */
  reschedule(): void {
    if (this.mode !== "real" || this.rescheduleQueued) return;
    this.rescheduleQueued = true;
    queueMicrotask(() => {
      this.rescheduleQueued = false;
      this.arm();
    });
  }

  /** Real-time driver state, for tests and diagnostics: the world time the timer is set for. */
  get armedAt(): number | undefined {
    return this.timerAt;
  }

  /** Stops the real-time driver until the next reschedule(). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private earliest(): [ClockListener | undefined, number] {
    let first: ClockListener | undefined;
    let firstAt = Infinity;
    for (const l of this.listeners) {
      const at = l.nextWakeWorldMs();
      if (at !== undefined && at < firstAt) { first = l; firstAt = at; }
    }
    return [first, firstAt];
  }

  private arm(): void {
    if (this.mode !== "real" || this.running) return;
    const [, at] = this.earliest();
    if (at === Infinity) { this.stop(); return; }
    if (this.timer !== undefined && this.timerAt === at) return;
    this.stop();
    const delay = Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), delay);
    if (!this.keepAlive) this.timer.unref?.(); // Node only: a browser's timer is a number
  }

  /** Runs every wake-up that is due now (in time order), then re-arms. */
  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    this.running = true;
    try {
      for (let guard = 0; guard < LOOP_GUARD; guard++) {
        const [first, firstAt] = this.earliest();
        if (!first || firstAt > this.now()) break;
        first.onTime(this.now());
        if (first.nextWakeWorldMs() === firstAt) break; // it did not take its wake-up; retry on the next timer
      }
    } finally {
      this.running = false;
    }
    this.arm();
  }

  private jumpTo(ms: number): void {
    if (this.mode === "manual") this.manualNow = ms;
    else this.offset = ms - Date.now();
  }
}
