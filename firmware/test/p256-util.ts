// Shared helpers for the P-256 / HMAC-DRBG tests: the harness image, buffer plumbing, BigInt
// conversions and a seeded byte generator (reproducible runs).
import { createHash } from "node:crypto";
import { Device, SimClock } from "@segl/simulator";
import { harnessImage } from "./image-util.js";

export const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
export const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface P256Harness {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  p256_public_key(priv: number, out: number): number;
  p256_sign(priv: number, digest: number, out: number): number;
  p256_verify(pub: number, digest: number, sig: number): number;
  p256_ecdh(priv: number, peer: number, out: number): number;
  p256_validate(xy: number): number;
  p256_valid_private(priv: number): number;
  p256_sign_loop(priv: number, digest: number, out: number, n: number): number;
  p256_ready(): void;
  fe_op(op: number, a: number, b: number, out: number): number;
  sc_op(op: number, a: number, b: number, out: number): number;
  point_mul(k: number, p: number, out: number): number;
  base_mul(k: number, out: number): number;
  point_add(p: number, q: number, dbl: number, out: number): number;
  drbg_instantiate(ent: number, entLen: number, nonce: number, nonceLen: number, pers: number, persLen: number): number;
  drbg_reseed(ent: number, entLen: number, add: number, addLen: number): number;
  drbg_generate(out: number, outLen: number, add: number, addLen: number): number;
}

/** A harness device plus helpers that address the exchange buffer by offset. */
export class Harness {
  readonly device: Device;
  readonly x: P256Harness;
  readonly io: number;
  constructor() {
    const img = harnessImage("p256");
    this.device = new Device({ image: img, clock: new SimClock({ startMs: 0 }), rngSeed: "p256" });
    this.x = this.device.raw as unknown as P256Harness;
    this.io = this.x.io_ptr();
  }
  /** Copies bytes to io + off; returns the address. */
  put(off: number, bytes: Uint8Array): number {
    new Uint8Array(this.x.memory.buffer).set(bytes, this.io + off);
    return this.io + off;
  }
  get(off: number, len: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer).slice(this.io + off, this.io + off + len);
  }
  addr(off: number): number {
    return this.io + off;
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
export const be32 = (v: bigint): Uint8Array => unhex(v.toString(16).padStart(64, "0"));
export const int = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt("0x" + hex(b)));
export const mod = (v: bigint, m: bigint): bigint => ((v % m) + m) % m;
export function powmod(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Deterministic pseudo-random bytes: SHA-256(seed ‖ counter) blocks. */
export function seededBytes(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) {
      const block = createHash("sha256").update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - o)), o);
    }
    return out;
  };
}
