// Shared types of the stateful OTP verifiers and their stores.

import type { OtpAlgorithm } from "../otp/types.js";
import { SeglError, type ErrorCode } from "../errors.js";
import type { OtpFailureReason } from "../reasons.js";

/** HMAC hash of an OATH token (RFC 4226 / RFC 6238): the same type as the pure OTP functions use. */
export type { OtpAlgorithm };

/** Which verifier owns a record. A TOTP verifier treats an HOTP record as unknown and vice versa. */
export type TokenKind = "totp" | "hotp";

/**
 * Everything a verifier keeps about one device. Stored through a {@link VerifierStore}.
 *
 * Steps and counters are JS numbers (safe integers up to 2^53, ample for 64-bit TOTP steps until
 * far beyond the year 2038 and for any realistic HOTP counter); the OTP math encodes them as
 * 8-byte big-endian values.
 */
export interface TokenRecord {
  readonly id: string;
  readonly kind: TokenKind;
  /** The raw seed (decrypted). Never logged, never returned by the verifier. */
  readonly secret: Uint8Array;
  readonly algorithm: OtpAlgorithm;
  /** 6..10 */
  readonly digits: number;
  /** TOTP time step X in seconds (RFC 6238); unused (30) for HOTP. */
  readonly period: number;
  /** TOTP epoch T0 in Unix seconds; unused (0) for HOTP. */
  readonly t0: number;
  /** TOTP: learned clock offset of the device in whole steps (device step − server step). HOTP: 0. */
  readonly driftSteps: number;
  /**
   * Replay floor: the last step (TOTP) or counter (HOTP) that was accepted; -1 when none yet.
   * A code is accepted only for a step strictly greater than this (RFC 6238 §5.2).
   */
  readonly lastAcceptedStep: number;
  /** Consecutive failures since the last success or the last lock. */
  readonly failures: number;
  /** Unix ms until which every attempt fails without looking at the code; 0 = not locked. */
  readonly lockedUntil: number;
  /** Lockouts since the last success (drives doubling and the permanent block). */
  readonly lockouts: number;
  /** Optimistic-concurrency version; the store bumps it by one on every successful compareAndSet. */
  readonly version: number;
}

/** `lockedUntil` value of a device blocked until an administrator unlocks it. */
export const LOCKED_PERMANENTLY = Number.MAX_SAFE_INTEGER;

/**
 * Persistence of verifier state. Every change of a record goes through compareAndSet, so two
 * verifier processes sharing one store can never both accept one code.
 */
export interface VerifierStore {
  /** The record, or undefined if no device has that id. */
  get(id: string): Promise<TokenRecord | undefined>;
  /** Inserts a new record (its version is stored as given, normally 0). Rejects if the id exists. */
  create(rec: TokenRecord): Promise<void>;
  /**
   * Replaces the record if and only if its stored version equals expectedVersion; the stored
   * version becomes expectedVersion + 1 whatever `next.version` says. Resolves false if the record
   * changed in between or no longer exists. `id`, `kind` and `secret` are fixed at create and are
   * not changed, nor are algorithm, digits, period and t0 (to change them, delete and enroll again).
   */
  compareAndSet(id: string, expectedVersion: number, next: TokenRecord): Promise<boolean>;
  /** Removes the record; resolves true if there was one. */
  delete(id: string): Promise<boolean>;
}

/** What the caller of verify/resync learns. Every kind of failure gives the identical `{ verified: false }`. */
export type VerifyResult =
  | { readonly verified: true; readonly step: number; readonly driftSteps: number }
  | { readonly verified: false };

/** Why an attempt failed; only ever passed to the audit hook. One vocabulary with FIDO's: see ../reasons.ts. */
export type { OtpFailureReason, FidoFailureReason, FailureReason } from "../reasons.js";

/** One audit event. Contains neither the code nor the secret. */
export interface AuditEvent {
  readonly at: number;
  readonly id: string;
  readonly op: "verify" | "resync" | "enroll" | "remove" | "unlock" | "status";
  readonly outcome: "accepted" | "rejected" | "done";
  readonly reason?: OtpFailureReason;
  readonly step?: number;
  readonly driftSteps?: number;
  readonly failures?: number;
  readonly lockedUntil?: number;
}

/**
 * @deprecated Errors of the verifiers and stores are {@link SeglError}s (codes in `ErrorCode`);
 * this alias is kept so that existing `instanceof VerifierError` checks keep working.
 */
export const VerifierError = SeglError;
/** @deprecated Use {@link SeglError}. */
export type VerifierError = SeglError;
/** @deprecated The verifier's codes are members of {@link ErrorCode}. */
export type VerifierErrorCode = Extract<
  ErrorCode,
  | "INVALID_ARGUMENT" | "ALREADY_EXISTS" | "NOT_FOUND" | "CONTENTION" | "SECRET_UNREADABLE" | "ROW_TAMPERED" | "LEGACY_ROW"
  | "STORE_BUSY" | "STORE_UNAVAILABLE" | "STORE_ERROR"
>;

/**
 * The ALREADY_EXISTS error every store gives for an insert whose key is taken, named for what was
 * inserted (`op`: the store method): a credential, a challenge, or else an OTP device.
 */
export function alreadyExists(op: string, id: string, cause?: unknown): SeglError {
  const extra = cause === undefined ? {} : { cause };
  if (op === "createCredential") return new SeglError("ALREADY_EXISTS", `credential ${id} already registered`, { details: { credentialId: id }, ...extra });
  if (op === "putChallenge") return new SeglError("ALREADY_EXISTS", "challenge already pending", { details: {}, ...extra });
  return new SeglError("ALREADY_EXISTS", `device ${JSON.stringify(id)} already enrolled`, { details: { id }, ...extra });
}
