// Device randomness: the OS CSPRNG, or a seeded SHA-256 counter stream for reproducible runs.
// A fault can be injected (the control API's POST /devices/:name/rng {fault}) to see the
// firmware's health tests and fail-closed paths at work:
//   stuck   every byte is `value` (a dead ring oscillator)
//   repeat  the stream repeats with a period of `period` bytes (a stuck state machine)
//   runs    every byte of the stream comes `length` times in a row (a slow, oversampled source)
//   short   the HAL fills only half of what was asked and returns that count
//   error   the HAL returns a negative error code (`code`, default -3)
import { sha256, randomFill } from "./host.js";

export type RngFault =
  | { kind: "stuck"; value?: number }
  | { kind: "repeat"; period: number }
  | { kind: "runs"; length: number }
  | { kind: "short" }
  | { kind: "error"; code?: number };

export class SimRng {
  private seed: Uint8Array | undefined;
  private counter = 0n;
  private faultMode: RngFault | undefined;
  private pattern: Uint8Array | undefined;
  private patternPos = 0;

  constructor(seed?: Uint8Array | string) {
    this.reseed(seed);
  }

  /** Restarts the stream from a new seed (undefined: back to the OS CSPRNG). */
  reseed(seed?: Uint8Array | string): void {
    this.seed = typeof seed === "string" ? new TextEncoder().encode(seed) : seed?.slice();
    this.counter = 0n;
  }

  get seeded(): boolean {
    return this.seed !== undefined;
  }

  /** The injected fault, if any. */
  get fault(): RngFault | undefined {
    return this.faultMode;
  }

  /** Injects a fault (undefined: a healthy source again). Throws RangeError for a bad description. */
  setFault(f: RngFault | undefined): void {
    if (f?.kind === "stuck" && f.value !== undefined && !(Number.isInteger(f.value) && f.value >= 0 && f.value <= 255)) {
      throw new RangeError("a stuck value is a byte 0..255");
    }
    if (f?.kind === "repeat" && !(Number.isInteger(f.period) && f.period >= 1 && f.period <= 4096)) {
      throw new RangeError("a repeat period is 1..4096 bytes");
    }
    if (f?.kind === "runs" && !(Number.isInteger(f.length) && f.length >= 1 && f.length <= 4096)) {
      throw new RangeError("a run length is 1..4096 bytes");
    }
    if (f?.kind === "error" && f.code !== undefined && !(Number.isInteger(f.code) && f.code < 0 && f.code >= -0x8000_0000)) {
      throw new RangeError("an error code is a negative 32-bit integer");
    }
    this.faultMode = f === undefined ? undefined : { ...f };
    this.pattern = undefined;
    this.patternPos = 0;
  }

  /**
   * Fills out as the HAL's rng_fill does: returns 0 when every byte was written, a positive count
   * when only that many were (a short fill), or a negative error code.
   */
  fillHal(out: Uint8Array): number {
    const f = this.faultMode;
    if (!f) { this.fill(out); return 0; }
    switch (f.kind) {
      case "stuck":
        out.fill(f.value ?? 0);
        return 0;
      case "repeat": {
        if (!this.pattern) { this.pattern = new Uint8Array(f.period); this.fill(this.pattern); }
        for (let i = 0; i < out.length; i++) {
          out[i] = this.pattern[this.patternPos]!;
          this.patternPos = (this.patternPos + 1) % this.pattern.length;
        }
        return 0;
      }
      case "runs": {
        const one = new Uint8Array(1);
        for (let i = 0; i < out.length; i++) {
          if (this.patternPos === 0) { this.fill(one); this.pattern = one.slice(); }
          out[i] = this.pattern![0]!;
          this.patternPos = (this.patternPos + 1) % f.length;
        }
        return 0;
      }
      case "short": {
        const n = out.length >> 1;
        this.fill(out.subarray(0, n));
        return n > 0 ? n : -1;
      }
      case "error":
        return f.code ?? -3;
    }
  }

  fill(out: Uint8Array): void {
    if (!this.seed) {
      randomFill(out);
      return;
    }
    for (let off = 0; off < out.length; off += 32) {
      const block = sha256(this.seed, this.counter.toString());
      this.counter++;
      out.set(block.subarray(0, Math.min(32, out.length - off)), off);
    }
  }
}
