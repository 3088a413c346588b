// Device randomness: the OS CSPRNG, or a seeded SHA-256 counter stream for reproducible runs.
import { createHash, randomFillSync } from "node:crypto";

export class SimRng {
  private seed: Uint8Array | undefined;
  private counter = 0n;

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

  fill(out: Uint8Array): void {
    if (!this.seed) {
      randomFillSync(out);
      return;
    }
    for (let off = 0; off < out.length; off += 32) {
      const block = createHash("sha256").update(this.seed).update(this.counter.toString()).digest();
      this.counter++;
      out.set(block.subarray(0, Math.min(32, out.length - off)), off);
    }
  }
}
