// The one Transport interface every backend implements (serial, HID, UDP, in-memory), and the
// small pieces they share: timeouts merged with abort signals, a per-device mutex, and a
// chunk queue for byte-stream backends.
import { SeglError } from "../errors.js";

/** Options every I/O call takes. */
export interface IoOptions {
  signal?: AbortSignal;
  /** Milliseconds before the call fails with TIMEOUT. Omitted = no timeout of its own. */
  timeoutMs?: number;
}

export type TransportKind = "serial" | "hid" | "udp" | "memory" | (string & {});

export interface Transport {
  readonly kind: TransportKind;
  /** Writes bytes (a byte stream) or one report (HID). */
  send(data: Uint8Array, opts?: IoOptions): Promise<void>;
  /**
   * The next chunk from the device. Byte streams: arbitrary boundaries, never empty.
   * HID: one report. Rejects TIMEOUT, ABORTED, DISCONNECTED (closed while waiting) or CLOSED.
   */
  receive(opts?: IoOptions): Promise<Uint8Array>;
  /** A chunk that has already arrived, without waiting (undefined when none): for discarding stale input. */
  takeQueued?(): Uint8Array | undefined;
  close(): Promise<void>;
  readonly closed: boolean;
}

// ---------------------------------------------------------------- signals and timeouts

/** A signal with a deadline; `dispose()` stops the timer (call it when the operation settles). */
export interface TimeoutScope {
  readonly signal: AbortSignal | undefined;
  dispose(): void;
}

/**
 * A signal that fires when `signal` fires or `ms` pass (reason: SeglError TIMEOUT). The timer
 * keeps the process alive (an awaited call must settle) until it fires or `dispose()` is called.
 */
export function timeoutScope(signal: AbortSignal | undefined, ms: number | undefined): TimeoutScope {
  if (ms === undefined || ms === Infinity) return { signal, dispose: () => {} };
  if (!(ms >= 0)) throw new SeglError("INVALID_ARGUMENT", `timeoutMs must be a non-negative number, got ${ms}`);
  if (signal?.aborted) return { signal, dispose: () => {} };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new SeglError("TIMEOUT", `no answer within ${ms} ms`, { details: { timeoutMs: ms } })), ms);
  const dispose = () => clearTimeout(timer);
  if (!signal) return { signal: ctl.signal, dispose };
  signal.addEventListener("abort", dispose, { once: true });
  return {
    signal: AbortSignal.any([signal, ctl.signal]),
    dispose: () => { dispose(); signal.removeEventListener("abort", dispose); },
  };
}

/**
 * One signal that fires when `signal` fires or `ms` pass (reason: SeglError TIMEOUT), for
 * callers that cannot dispose: the timer does not keep the process alive. Returns `signal`
 * itself when there is no timeout.
 */
export function withTimeout(signal: AbortSignal | undefined, ms: number | undefined): AbortSignal | undefined {
  if (ms === undefined || ms === Infinity) return signal;
  if (!(ms >= 0)) throw new SeglError("INVALID_ARGUMENT", `timeoutMs must be a non-negative number, got ${ms}`);
  if (signal?.aborted) return signal;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new SeglError("TIMEOUT", `no answer within ${ms} ms`, { details: { timeoutMs: ms } })), ms);
  timer.unref?.();
  if (!signal) return ctl.signal;
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  return AbortSignal.any([signal, ctl.signal]);
}

/** The SeglError to throw for an aborted signal: TIMEOUT for timeouts, ABORTED otherwise. */
export function abortError(signal: AbortSignal): SeglError {
  const r: unknown = signal.reason;
  if (r instanceof SeglError) return r;
  if (r instanceof Error && r.name === "TimeoutError") return new SeglError("TIMEOUT", r.message || "timed out", { cause: r });
  return new SeglError("ABORTED", "the operation was aborted", { cause: r });
}

/** Throws the matching SeglError if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Runs `start(resolve, reject)` and rejects with the signal's error when it fires first.
 * `cleanup` runs exactly once however the promise settles.
 */
export function abortable<T>(
  signal: AbortSignal | undefined,
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  cleanup?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      signal?.removeEventListener("abort", onAbort);
      cleanup?.();
      return true;
    };
    const onAbort = () => { if (finish()) reject(abortError(signal!)); };
    if (signal?.aborted) { done = true; cleanup?.(); reject(abortError(signal)); return; }
    signal?.addEventListener("abort", onAbort, { once: true });
    start((v) => { if (finish()) resolve(v); }, (e) => { if (finish()) reject(e); });
  });
}

// ---------------------------------------------------------------- one transaction at a time

/** A FIFO mutex whose waiters can give up through an AbortSignal. */
export class Mutex {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  get locked(): boolean {
    return this.held;
  }

  /** Resolves with a release function once the lock is ours. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held = false;
    };
    if (!this.held) {
      this.held = true;
      return Promise.resolve(release);
    }
    let grant: (() => void) | undefined;
    return abortable<() => void>(
      signal,
      (resolve) => {
        grant = () => { grant = undefined; resolve(release); };
        this.waiting.push(grant);
      },
      () => {
        // Gave up (or was granted): make sure an abandoned slot is not handed the lock.
        if (grant) {
          const i = this.waiting.indexOf(grant);
          if (i >= 0) this.waiting.splice(i, 1);
        }
      },
    );
  }

  /** Runs `fn` holding the lock. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const mutexes = new WeakMap<object, Mutex>();

/** The mutex shared by every protocol client using this transport (one transaction per device). */
export function transportMutex(t: Transport): Mutex {
  let m = mutexes.get(t);
  if (!m) { m = new Mutex(); mutexes.set(t, m); }
  return m;
}

// ---------------------------------------------------------------- byte-stream base

/**
 * Base for byte-stream transports: the backend calls `deliver(chunk)` for incoming bytes and
 * `fail(err)` when the link dies; `receive()` hands chunks out in order.
 */
export abstract class ChunkQueueTransport implements Transport {
  abstract readonly kind: TransportKind;
  private readonly chunks: Uint8Array[] = [];
  private readonly waiters: Array<{ resolve: (c: Uint8Array) => void; reject: (e: unknown) => void }> = [];
  private failure: SeglError | undefined;
  private isClosed = false;

  get closed(): boolean {
    return this.isClosed;
  }

  abstract send(data: Uint8Array, opts?: IoOptions): Promise<void>;
  /** Backend-specific shutdown; called once by close(). */
  protected abstract doClose(): Promise<void>;

  takeQueued(): Uint8Array | undefined {
    return this.chunks.shift();
  }

  receive(opts: IoOptions = {}): Promise<Uint8Array> {
    if (this.chunks.length > 0) return Promise.resolve(this.chunks.shift()!);
    if (this.isClosed) return Promise.reject(new SeglError("CLOSED", `${this.kind} transport is closed`));
    if (this.failure) return Promise.reject(this.failure);
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    let entry: { resolve: (c: Uint8Array) => void; reject: (e: unknown) => void } | undefined;
    return abortable<Uint8Array>(
      scope.signal,
      (resolve, reject) => {
        entry = { resolve, reject };
        this.waiters.push(entry);
      },
      () => {
        scope.dispose();
        const i = entry ? this.waiters.indexOf(entry) : -1;
        if (i >= 0) this.waiters.splice(i, 1);
      },
    );
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.chunks.length = 0;
    this.rejectWaiters(new SeglError("DISCONNECTED", `${this.kind} transport closed during a read`));
    await this.doClose();
  }

  /** Backend: bytes arrived. */
  protected deliver(chunk: Uint8Array): void {
    if (this.isClosed || chunk.length === 0) return;
    const w = this.waiters.shift();
    if (w) w.resolve(chunk);
    else this.chunks.push(chunk);
  }

  /** Backend: the link is gone; pending and later reads fail with `err` (queued bytes are still handed out first). */
  protected fail(err: SeglError): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectWaiters(err);
  }

  protected get failed(): SeglError | undefined {
    return this.failure;
  }

  protected assertOpen(): void {
    if (this.isClosed) throw new SeglError("CLOSED", `${this.kind} transport is closed`);
    if (this.failure) throw this.failure;
  }

  private rejectWaiters(err: SeglError): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
