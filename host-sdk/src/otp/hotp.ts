// HOTP (RFC 4226) and TOTP (RFC 6238): pure functions over HMAC (../platform/crypto.ts: node:crypto;
// in the simulator's browser page, @noble/hashes).
import { hmac } from "../platform/crypto.js";
import { SeglError, argCheck } from "../errors.js";
import type { OtpAlgorithm } from "./types.js";

const U64_MAX = (1n << 64n) - 1n;

export interface HotpOptions {
  /** Default SHA1. */
  algorithm?: OtpAlgorithm;
  /** 4..10, default 6 (RFC 4226 asks for at least 6). */
  digits?: number;
}

export interface TotpOptions extends HotpOptions {
  /** Unix time in seconds (may be fractional) or a Date; default now. */
  time?: number | Date;
  /** Time step in seconds, default 30. */
  period?: number;
  /** Unix time (s) where step 0 starts, default 0. */
  t0?: number;
}

/** Node's name for an OTP algorithm. */
export function nodeHash(alg: OtpAlgorithm): "sha1" | "sha256" | "sha512" {
  switch (alg) {
    case "SHA1": return "sha1";
    case "SHA256": return "sha256";
    case "SHA512": return "sha512";
    default: throw new SeglError("INVALID_ARGUMENT", `unknown algorithm ${String(alg)} (SHA1, SHA256 or SHA512)`);
  }
}

/** A counter as 8 big-endian bytes; number (safe integer) or bigint, 0..2^64-1. */
export function counterBytes(counter: number | bigint): Uint8Array {
  let c: bigint;
  if (typeof counter === "number") {
    argCheck(Number.isSafeInteger(counter) && counter >= 0, "counter must be a non-negative safe integer (use a bigint above 2^53)", { counter });
    c = BigInt(counter);
  } else {
    argCheck(typeof counter === "bigint" && counter >= 0n && counter <= U64_MAX, "counter must be in 0..2^64-1", { counter: String(counter) });
    c = counter;
  }
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, c);
  return b;
}

function checkDigits(d: number): void {
  argCheck(Number.isInteger(d) && d >= 4 && d <= 10, "digits must be an integer 4..10", { digits: d });
}

function checkSecret(secret: Uint8Array): void {
  argCheck(secret instanceof Uint8Array, "secret must be a Uint8Array");
}

/** RFC 4226 dynamic truncation: zero-padded decimal code of `digits` digits. */
export function truncate(mac: Uint8Array, digits: number): string {
  const o = mac[mac.length - 1]! & 0x0f;
  const bin = ((mac[o]! & 0x7f) << 24) | (mac[o + 1]! << 16) | (mac[o + 2]! << 8) | mac[o + 3]!;
  return (bin % 10 ** digits).toString().padStart(digits, "0");
}

/** HOTP(secret, counter): RFC 4226 with SHA-1, -256 or -512. */
export function hotp(secret: Uint8Array, counter: number | bigint, opts: HotpOptions = {}): string {
  const digits = opts.digits ?? 6;
  checkDigits(digits);
  checkSecret(secret);
  const mac = hmac(nodeHash(opts.algorithm ?? "SHA1"), secret, counterBytes(counter));
  return truncate(mac, digits);
}

/** The TOTP time step T = floor((time - t0) / period). */
export function totpStep(time: number | Date = Date.now() / 1000, period = 30, t0 = 0): number {
  const t = time instanceof Date ? time.getTime() / 1000 : time;
  argCheck(Number.isFinite(t), "time must be a finite number of seconds or a Date");
  argCheck(Number.isFinite(period) && period > 0, "period must be positive", { period });
  argCheck(Number.isFinite(t0), "t0 must be finite");
  const step = Math.floor((t - t0) / period);
  argCheck(step >= 0, "time is before t0", { time: t, t0 });
  return step;
}

/** TOTP: RFC 6238. */
export function totp(secret: Uint8Array, opts: TotpOptions = {}): string {
  return hotp(secret, totpStep(opts.time ?? Date.now() / 1000, opts.period ?? 30, opts.t0 ?? 0), opts);
}
