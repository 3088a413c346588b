// OCRA (RFC 6287): challenge-response and signature codes.
import { digest, hmac } from "../platform/crypto.js";
import { fromHex, hex } from "../platform/encoding.js";
import { SeglError, argCheck } from "../errors.js";
import { counterBytes, nodeHash, truncate } from "./hotp.js";
import { parseAlgorithm, type OtpAlgorithm } from "./types.js";

export interface OcraSuite {
  suite: string;
  algorithm: OtpAlgorithm;
  /** 0 = no truncation (the full HMAC, hex), else 4..10. */
  digits: number;
  counter: boolean;
  question: { format: "A" | "N" | "H"; maxLength: number };
  /** Hash of the PIN, when the suite has P. */
  pin?: OtpAlgorithm;
  /** Session information length in bytes, when the suite has S. */
  sessionLength?: number;
  /** Time-step length in seconds, when the suite has T. */
  timeStep?: number;
}

export interface OcraInputs {
  /** C: 0..2^64-1. */
  counter?: number | bigint;
  /** Q: decimal digits (N), text (A) or hex (H). */
  question?: string | number | bigint;
  /** P: the PIN, hashed here with the suite's PIN hash. */
  pin?: string;
  /** P: the PIN hash (bytes or hex) instead of the PIN. */
  pinHash?: Uint8Array | string;
  /** S: session information (bytes, or a hex string as in RFC 6287's reference code); left-padded with zeros. */
  session?: Uint8Array | string;
  /** T: number of time steps since the epoch (e.g. minutes for T1M). */
  timestamp?: number | bigint;
  /** T: a time (Date or Unix seconds) converted with the suite's step; used when `timestamp` is absent. */
  time?: Date | number;
}

const HASH_LEN: Record<OtpAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };

function bad(suite: string, why: string): never {
  throw new SeglError("INVALID_ARGUMENT", `bad OCRA suite ${JSON.stringify(suite)}: ${why}`, { details: { suite } });
}

/** Parses `OCRA-1:HOTP-<H>-<t>:<DataInput>`. */
export function parseOcraSuite(suite: string): OcraSuite {
  argCheck(typeof suite === "string", "OCRA suite must be a string");
  const parts = suite.split(":");
  if (parts.length !== 3) bad(suite, "expected three ':'-separated parts");
  if (parts[0] !== "OCRA-1") bad(suite, "version must be OCRA-1");
  const cf = /^HOTP-(SHA1|SHA256|SHA512)-(\d{1,2})$/.exec(parts[1]!);
  if (!cf) bad(suite, "crypto function must be HOTP-SHA1|SHA256|SHA512-<digits>");
  const digits = Number(cf[2]);
  if (!(digits === 0 || (digits >= 4 && digits <= 10))) bad(suite, "truncation must be 0 or 4..10");
  const items = parts[2]!.split("-");
  let i = 0;
  const out: OcraSuite = { suite, algorithm: cf[1] as OtpAlgorithm, digits, counter: false, question: { format: "N", maxLength: 8 } };
  if (items[i] === "C") { out.counter = true; i++; }
  const q = /^Q([ANH])(\d\d)$/.exec(items[i] ?? "");
  if (!q) bad(suite, "data input needs a Q[A|N|H]nn field");
  const ql = Number(q[2]);
  if (ql < 4 || ql > 64) bad(suite, "question length must be 04..64");
  out.question = { format: q[1] as "A" | "N" | "H", maxLength: ql };
  i++;
  for (; i < items.length; i++) {
    const it = items[i]!;
    let m: RegExpExecArray | null;
    if (out.pin === undefined && out.sessionLength === undefined && out.timeStep === undefined && (m = /^P(SHA1|SHA256|SHA512)$/.exec(it))) {
      out.pin = parseAlgorithm(m[1]!)!;
    } else if (out.sessionLength === undefined && out.timeStep === undefined && (m = /^S(\d{3})$/.exec(it))) {
      out.sessionLength = Number(m[1]);
      if (out.sessionLength < 1 || out.sessionLength > 512) bad(suite, "session length must be 001..512");
    } else if (out.timeStep === undefined && (m = /^T(\d{1,2})([SMH])$/.exec(it))) {
      const n = Number(m[1]);
      const unit = m[2]!;
      if (unit === "H" ? n < 0 || n > 48 : n < 1 || n > 59) bad(suite, "time step must be 1-59S, 1-59M or 0-48H");
      out.timeStep = n * (unit === "S" ? 1 : unit === "M" ? 60 : 3600);
    } else {
      bad(suite, `unexpected data input ${JSON.stringify(it)}`);
    }
  }
  return out;
}

function hexBytes(hex: string, what: string): Uint8Array {
  argCheck(/^[0-9a-fA-F]*$/.test(hex), `${what} must be hex`);
  return fromHex(hex.length % 2 ? hex + "0" : hex);
}

function questionBytes(s: OcraSuite, q: string | number | bigint): Uint8Array {
  const out = new Uint8Array(128);
  let bytes: Uint8Array;
  if (s.question.format === "N") {
    let n: bigint;
    if (typeof q === "bigint") n = q;
    else if (typeof q === "number") { argCheck(Number.isSafeInteger(q) && q >= 0, "numeric question must be a non-negative integer"); n = BigInt(q); }
    else { argCheck(/^\d+$/.test(q), "numeric question must be decimal digits"); n = BigInt(q); }
    argCheck(n >= 0n, "numeric question must be non-negative");
    // Decimal → hex string, left-aligned, padded on the right (an odd last nibble fills a high half).
    bytes = hexBytes(n.toString(16), "question");
  } else if (s.question.format === "H") {
    argCheck(typeof q === "string", "hex question must be a string");
    bytes = hexBytes(q, "question");
  } else {
    argCheck(typeof q === "string", "alphanumeric question must be a string");
    bytes = new TextEncoder().encode(q);
  }
  argCheck(bytes.length <= 128, "question is longer than 128 bytes");
  out.set(bytes);
  return out;
}

/** OCRA(suite, key, inputs): RFC 6287 §5. */
export function ocra(suite: string | OcraSuite, key: Uint8Array, inputs: OcraInputs = {}): string {
  const s = typeof suite === "string" ? parseOcraSuite(suite) : suite;
  argCheck(key instanceof Uint8Array, "key must be a Uint8Array");
  const parts: Uint8Array[] = [new TextEncoder().encode(s.suite), new Uint8Array([0])];
  if (s.counter) {
    argCheck(inputs.counter !== undefined, `suite ${s.suite} needs a counter`);
    parts.push(counterBytes(inputs.counter));
  }
  argCheck(inputs.question !== undefined, `suite ${s.suite} needs a question`);
  parts.push(questionBytes(s, inputs.question));
  if (s.pin) {
    const len = HASH_LEN[s.pin];
    let ph: Uint8Array;
    if (inputs.pinHash !== undefined) ph = typeof inputs.pinHash === "string" ? hexBytes(inputs.pinHash, "pinHash") : inputs.pinHash;
    else {
      argCheck(typeof inputs.pin === "string", `suite ${s.suite} needs a pin or pinHash`);
      ph = digest(nodeHash(s.pin), new TextEncoder().encode(inputs.pin));
    }
    argCheck(ph.length === len, `pinHash must be ${len} bytes for P${s.pin}`);
    parts.push(ph);
  }
  if (s.sessionLength !== undefined) {
    argCheck(inputs.session !== undefined, `suite ${s.suite} needs session information`);
    const si = typeof inputs.session === "string" ? hexBytes(inputs.session.length % 2 ? "0" + inputs.session : inputs.session, "session") : inputs.session;
    argCheck(si.length <= s.sessionLength, `session information exceeds ${s.sessionLength} bytes`);
    const padded = new Uint8Array(s.sessionLength);
    padded.set(si, s.sessionLength - si.length);
    parts.push(padded);
  }
  if (s.timeStep !== undefined) {
    let ts = inputs.timestamp;
    if (ts === undefined && inputs.time !== undefined) {
      const sec = inputs.time instanceof Date ? inputs.time.getTime() / 1000 : inputs.time;
      argCheck(Number.isFinite(sec) && sec >= 0, "time must be a non-negative Unix time");
      ts = s.timeStep === 0 ? 0 : Math.floor(sec / s.timeStep);
    }
    argCheck(ts !== undefined, `suite ${s.suite} needs a timestamp`);
    parts.push(counterBytes(ts));
  }
  const msg = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { msg.set(p, at); return at + p.length; }, 0);
  const d = hmac(nodeHash(s.algorithm), key, msg);
  return s.digits === 0 ? hex(d) : truncate(d, s.digits);
}
