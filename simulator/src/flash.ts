// Simulated NOR flash with the rules of real parts: erase sets a page to 0xFF, programming
// can only clear bits, a word may be programmed a bounded number of times between erases.
// A violation is a firmware bug and throws FlashViolation (the device traps: loud, not silent).
// Power cuts can be scheduled at the Nth program/erase operation; the interrupted operation
// leaves a partial result, as a real part does. Write failures can be injected too (see
// FlashFaultPlan): an operation that reports failure, a program that silently does not take
// (worn cells), words that never program, erases that always fail (a store that cannot reclaim).
import { openFlashFile, type FlashBacking } from "./host.js";

export class FlashViolation extends Error {
  override readonly name = "FlashViolation";
}

/** Thrown out of a HAL flash call when a scheduled power cut happens. */
export class PowerCut extends Error {
  override readonly name = "PowerCut";
}

export interface FlashGeometry {
  pageSize: number;
  pageCount: number;
  /** How many times one 32-bit word may be programmed between erases (nRF52: 2). */
  maxWritesPerWord: number;
}

export const DEFAULT_GEOMETRY: FlashGeometry = { pageSize: 4096, pageCount: 16, maxWritesPerWord: 2 };

/** Write failures to inject (setFaults). Operations count program and erase alike, as power cuts do. */
export interface FlashFaultPlan {
  /** The nth program/erase operation from now (1 = the next) fails; 0 or absent: none. */
  failAtOperation?: number;
  /** How it fails: "report" (the HAL returns an error, nothing is written; default) or "silent"
   * (a program reports success but its words keep their old bits, as worn cells do). */
  mode?: "report" | "silent";
  /** Word addresses (multiples of 4) whose cells are worn out: a program leaves their bits as they are. */
  wornWords?: number[];
  /** Every erase reports failure and changes nothing. */
  failErases?: boolean;
}

export interface FlashStats {
  writes: number;
  erases: number;
  bytesWritten: number;
  eraseCounts: number[];
}

export class NorFlash {
  readonly geometry: FlashGeometry;
  readonly bytes: Uint8Array;
  private readonly wordWrites: Uint8Array;
  private readonly eraseCounts: number[];
  private ops = 0;
  private writes = 0;
  private erases = 0;
  private bytesWritten = 0;
  private cutAtOp = 0;
  private failAtOp = 0;
  private failMode: "report" | "silent" = "report";
  private worn = new Set<number>();
  private eraseFails = false;
  private injected = 0;
  private backing: FlashBacking | undefined;

  constructor(geometry: Partial<FlashGeometry> = {}, filePath?: string) {
    this.geometry = { ...DEFAULT_GEOMETRY, ...geometry };
    const size = this.geometry.pageSize * this.geometry.pageCount;
    this.bytes = new Uint8Array(size).fill(0xff);
    this.wordWrites = new Uint8Array(size / 4);
    this.eraseCounts = new Array<number>(this.geometry.pageCount).fill(0);
    if (filePath !== undefined) this.attachFile(filePath);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Backs the flash by a file (Node only): loaded now if it exists, every change written through. */
  private attachFile(path: string): void {
    this.backing = openFlashFile(path, this.bytes);
  }

  close(): void {
    this.backing?.close();
    this.backing = undefined;
  }

  /** Schedules a power cut at the nth program/erase operation from now (1 = the next one). 0 cancels. */
  cutPowerAtOperation(n: number): void {
    this.cutAtOp = n <= 0 ? 0 : this.ops + n;
  }

  /** Replaces the injected write failures (an empty plan clears them). */
  setFaults(plan: FlashFaultPlan): void {
    const n = plan.failAtOperation ?? 0;
    if (!Number.isInteger(n) || n < 0) throw new RangeError("failAtOperation is a whole number (1 = the next operation)");
    for (const w of plan.wornWords ?? []) {
      if (!Number.isInteger(w) || w < 0 || w % 4 !== 0 || w >= this.size) throw new RangeError(`worn word 0x${Number(w).toString(16)} is not a word of this flash`);
    }
    this.failAtOp = n === 0 ? 0 : this.ops + n;
    this.failMode = plan.mode ?? "report";
    this.worn = new Set(plan.wornWords ?? []);
    this.eraseFails = plan.failErases ?? false;
  }

  /** Operations that failed by injection so far. */
  get injectedFailures(): number {
    return this.injected;
  }

  /** Program/erase operations since creation. */
  get operations(): number {
    return this.ops;
  }

  stats(): FlashStats {
    return { writes: this.writes, erases: this.erases, bytesWritten: this.bytesWritten, eraseCounts: [...this.eraseCounts] };
  }

  read(addr: number, len: number): Uint8Array {
    this.checkRange(addr, len);
    return this.bytes.slice(addr, addr + len);
  }

  /** Programs data at addr; false when an injected fault made the part report failure. */
  program(addr: number, data: Uint8Array): boolean {
    this.checkRange(addr, data.length);
    if (addr % 4 !== 0 || data.length % 4 !== 0) {
      throw new FlashViolation(`unaligned program at 0x${addr.toString(16)} length ${data.length}`);
    }
    for (let i = 0; i < data.length; i++) {
      const old = this.bytes[addr + i]!;
      if ((data[i]! & ~old & 0xff) !== 0) {
        throw new FlashViolation(`program would set bits at 0x${(addr + i).toString(16)}: 0x${old.toString(16)} -> 0x${data[i]!.toString(16)}`);
      }
    }
    for (let w = addr / 4; w < (addr + data.length) / 4; w++) {
      if (this.wordWrites[w]! >= this.geometry.maxWritesPerWord) {
        throw new FlashViolation(`word at 0x${(w * 4).toString(16)} programmed more than ${this.geometry.maxWritesPerWord} times since erase`);
      }
    }
    const cut = this.nextOpIsCut();
    const fail = !cut && this.nextOpFails();
    if (fail && this.failMode === "report") return false;
    // An interrupted program leaves a prefix of the words written, the word in flight half done.
    const words = data.length / 4;
    const done = cut ? Math.floor(words / 2) : words;
    for (let w = 0; w < done; w++) {
      if (fail || this.worn.has(addr + w * 4)) continue; // worn cells keep their bits
      this.programWord(addr + w * 4, data.subarray(w * 4, w * 4 + 4));
    }
    if (cut) {
      if (done < words) {
        const half = new Uint8Array(4).fill(0xff);
        half.set(data.subarray(done * 4, done * 4 + 2), 0);
        this.programWord(addr + done * 4, half);
      }
      this.persist(addr, data.length);
      throw new PowerCut(`power cut while programming ${data.length} bytes at 0x${addr.toString(16)}`);
    }
    this.writes++;
    this.bytesWritten += data.length;
    this.persist(addr, data.length);
    return true;
  }

  /** Erases a page; false when an injected fault made the part report failure. */
  erase(page: number): boolean {
    if (!Number.isInteger(page) || page < 0 || page >= this.geometry.pageCount) {
      throw new FlashViolation(`erase of page ${page} outside 0..${this.geometry.pageCount - 1}`);
    }
    const start = page * this.geometry.pageSize;
    const cut = this.nextOpIsCut();
    if (cut) {
      // An interrupted erase leaves the page partly erased: garbage for the firmware to detect.
      this.bytes.fill(0xff, start, start + this.geometry.pageSize / 2);
      this.persist(start, this.geometry.pageSize);
      throw new PowerCut(`power cut while erasing page ${page}`);
    }
    if (this.nextOpFails() || this.eraseFails) {
      if (this.eraseFails) this.injected++;
      return false;
    }
    this.bytes.fill(0xff, start, start + this.geometry.pageSize);
    this.wordWrites.fill(0, start / 4, (start + this.geometry.pageSize) / 4);
    this.eraseCounts[page]!++;
    this.erases++;
    this.persist(start, this.geometry.pageSize);
    return true;
  }

  /** Copy of the whole content (for snapshot/restore). */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  restore(image: Uint8Array): void {
    if (image.length !== this.size) throw new RangeError(`snapshot is ${image.length} bytes, flash is ${this.size}`);
    this.bytes.set(image);
    this.wordWrites.fill(0);
    this.persist(0, this.size);
  }

  private programWord(addr: number, word: Uint8Array): void {
    for (let i = 0; i < 4; i++) this.bytes[addr + i]! &= word[i]!;
    this.wordWrites[addr / 4]!++;
  }

  /** Call after nextOpIsCut (which counts the operation): true when this one is to fail. */
  private nextOpFails(): boolean {
    if (this.failAtOp !== 0 && this.ops >= this.failAtOp) {
      this.failAtOp = 0;
      this.injected++;
      return true;
    }
    return false;
  }

  private nextOpIsCut(): boolean {
    this.ops++;
    if (this.cutAtOp !== 0 && this.ops >= this.cutAtOp) {
      this.cutAtOp = 0;
      return true;
    }
    return false;
  }

  private checkRange(addr: number, len: number): void {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0 || addr + len > this.size) {
      throw new FlashViolation(`access 0x${addr.toString(16)}+${len} outside flash of ${this.size} bytes`);
    }
  }

  private persist(addr: number, len: number): void {
    this.backing?.write(this.bytes, addr, len);
  }
}
