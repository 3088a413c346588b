// Shared helpers for the hash/HMAC/OTP known-answer tests (kat-*.test.ts).
// Every KAT runs against the main image (firmware.wasm, the one that ships) and against the
// kat harness (firmware/build/harness-kat.wasm), which also exports the streaming APIs.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Device, SimClock, imageFromBytes, loadImage, type FirmwareImage } from "@segl/simulator";

export const ALG = { SHA1: 1, SHA256: 2, SHA512: 3 } as const;
export const NODE_ALG: Record<number, string> = { 1: "sha1", 2: "sha256", 3: "sha512" };

/** The pure-function exports shared by the main image and the kat harness. */
export interface KatExports {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  io_size(): number;
  crypto_hash(alg: number, msg: number, len: number, out: number): number;
  crypto_hmac(alg: number, key: number, keyLen: number, msg: number, msgLen: number, out: number): number;
  otp_hotp(alg: number, key: number, keyLen: number, counter: bigint, digits: number): number;
  otp_totp(alg: number, key: number, keyLen: number, unixSec: bigint, period: number, digits: number): number;
  otp_ocra(
    suite: number, suiteLen: number, key: number, keyLen: number, counter: bigint,
    q: number, qLen: number, pin: number, pinLen: number, session: number, sessionLen: number,
    timeSteps: bigint, out: number,
  ): number;
}

/** Exports that only the kat harness has. */
export interface HarnessExports extends KatExports {
  kat_ocra_mac(
    suite: number, suiteLen: number, key: number, keyLen: number, counter: bigint,
    q: number, qLen: number, pin: number, pinLen: number, session: number, sessionLen: number,
    timeSteps: bigint, out: number,
  ): number;
  kat_hash_init(alg: number): number;
  kat_hash_update(p: number, n: number): void;
  kat_hash_final(out: number): number;
  kat_hmac_init(alg: number, key: number, keyLen: number): number;
  kat_hmac_update(p: number, n: number): void;
  kat_hmac_final(out: number): number;
  kat_hmac_key(alg: number, key: number, keyLen: number): number;
  kat_hmac_with_key(msg: number, len: number, out: number): number;
  kat_hmac_forget(): void;
  kat_sha256(p: number, n: number, out: number): void;
}

export const HARNESS_PATH = fileURLToPath(new URL("../build/harness-kat.wasm", import.meta.url));

let harnessImage: FirmwareImage | undefined;
function harness(): FirmwareImage {
  harnessImage ??= imageFromBytes(new Uint8Array(readFileSync(HARNESS_PATH)), HARNESS_PATH);
  return harnessImage;
}

export interface OcraInput {
  counter?: bigint;
  q: string;
  pin?: Uint8Array;
  session?: Uint8Array;
  time?: bigint;
}

/** Offsets in the exchange buffer used by the helpers. */
const OUT = 8000; // 64-byte output
const A = 0; // first input (key / suite / message start)

/** A device (main image or harness) with typed wrappers around the KAT exports. */
export class Kat<X extends KatExports = KatExports> {
  readonly device: Device;
  constructor(readonly name: string, image?: FirmwareImage) {
    this.device = new Device({ clock: new SimClock({ startMs: 0 }), ...(image ? { image } : {}), name });
  }
  get x(): X {
    return this.device.raw as unknown as X;
  }
  get io(): number {
    return this.x.io_ptr();
  }
  /** Copies bytes to offset in the exchange buffer; returns the address. */
  put(offset: number, bytes: Uint8Array): number {
    return this.device.ioWrite(offset, bytes);
  }
  read(offset: number, len: number): Uint8Array {
    return this.device.ioRead(offset, len);
  }
  out(len: number): Uint8Array {
    return this.read(OUT, len);
  }
  get outAddr(): number {
    return this.io + OUT;
  }

  hash(alg: number, msg: Uint8Array): Uint8Array | number {
    const m = this.put(A, msg);
    const n = this.x.crypto_hash(alg, m, msg.length, this.outAddr);
    return n < 0 ? n : this.out(n);
  }

  hmac(alg: number, key: Uint8Array, msg: Uint8Array): Uint8Array | number {
    const k = this.put(A, key);
    const m = this.put(key.length, msg);
    const n = this.x.crypto_hmac(alg, k, key.length, m, msg.length, this.outAddr);
    return n < 0 ? n : this.out(n);
  }

  hotp(alg: number, key: Uint8Array, counter: bigint, digits: number): number {
    return this.x.otp_hotp(alg, this.put(A, key), key.length, counter, digits);
  }

  totp(alg: number, key: Uint8Array, unixSec: bigint, period: number, digits: number): number {
    return this.x.otp_totp(alg, this.put(A, key), key.length, unixSec, period, digits);
  }

  /** OCRA response as a digit string, or the negative error code. */
  ocra(suite: string, key: Uint8Array, inp: OcraInput): string | number {
    const a = this.ocraArgs(suite, key, inp);
    const n = this.x.otp_ocra(...a);
    if (n < 0) return n;
    return new TextDecoder().decode(this.out(n));
  }

  ocraArgs(suite: string, key: Uint8Array, inp: OcraInput): [
    number, number, number, number, bigint, number, number, number, number, number, number, bigint, number,
  ] {
    const enc = new TextEncoder();
    const s = enc.encode(suite), q = enc.encode(inp.q);
    const pin = inp.pin ?? new Uint8Array(0), ses = inp.session ?? new Uint8Array(0);
    const sp = this.put(0, s), kp = this.put(512, key), qp = this.put(1024, q);
    const pp = this.put(1536, pin), ssp = this.put(2048, ses);
    return [sp, s.length, kp, key.length, inp.counter ?? 0n, qp, q.length, pp, pin.length, ssp, ses.length,
      inp.time ?? 0n, this.outAddr];
  }

  dispose(): void {
    this.device.dispose();
  }
}

/** Both targets: the shipping image and the kat harness. */
export function targets(): Kat[] {
  return [new Kat("firmware.wasm", loadImage()), new Kat("harness-kat.wasm", harness())];
}

export function harnessKat(): Kat<HarnessExports> {
  return new Kat<HarnessExports>("harness-kat.wasm", harness());
}

export const hex = (b: Uint8Array | number): string =>
  typeof b === "number" ? `error ${b}` : Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const repeat = (byte: number, n: number): Uint8Array => new Uint8Array(n).fill(byte);

/** Small deterministic PRNG (xorshift32) so random cross-checks are reproducible. */
export function prng(seed: number): { u32(): number; below(n: number): number; bytes(n: number): Uint8Array } {
  let s = seed >>> 0 || 1;
  const u32 = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  return {
    u32,
    below: (n: number) => u32() % n,
    bytes: (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = u32() & 0xff;
      return b;
    },
  };
}
