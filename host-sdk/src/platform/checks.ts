// Argument checks shared by both crypto twins (./crypto.ts, ./crypto.browser.ts), so that a bad key,
// nonce or length is the same INVALID_ARGUMENT in Node and in the browser, before either library sees it.
import { argCheck } from "../errors.js";

/** The hashes both twins offer. */
export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

export const GCM_NONCE = 12;
export const GCM_TAG = 16;
/** Digest lengths in bytes. */
export const HASH_BYTES: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

export function checkHkdf(hash: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): void {
  argCheck(hash in HASH_BYTES, "hash must be sha1, sha256, sha384 or sha512", { hash });
  argCheck(isBytes(ikm) && isBytes(salt) && (isBytes(info) || typeof info === "string"), "HKDF ikm and salt must be bytes, info bytes or text");
  argCheck(Number.isSafeInteger(length) && length >= 1 && length <= 255 * HASH_BYTES[hash], `HKDF length must be 1..${255 * HASH_BYTES[hash]} bytes`, { length });
}

export function checkAes(key: Uint8Array, iv: Uint8Array, ivLength: number, what: string): void {
  argCheck(isBytes(key) && key.length === 32, "AES-256 keys are 32 bytes", { length: isBytes(key) ? key.length : undefined });
  argCheck(isBytes(iv) && iv.length === ivLength, `the ${what} is ${ivLength} bytes`, { length: isBytes(iv) ? iv.length : undefined });
}

export function checkGcm(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, aad: Uint8Array, minLength: number): void {
  checkAes(key, nonce, GCM_NONCE, "AES-GCM nonce");
  argCheck(isBytes(data) && isBytes(aad), "AES-GCM data and AAD must be bytes");
  argCheck(data.length >= minLength, `AES-GCM sealed data is at least its ${GCM_TAG}-byte tag`, { length: data.length });
}

export function checkCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void {
  checkAes(key, iv, 16, "AES-CBC IV");
  argCheck(isBytes(data) && data.length % 16 === 0, "AES-CBC data must be a multiple of 16 bytes (no padding)", { length: isBytes(data) ? data.length : undefined });
}

const encoder = new TextEncoder();
export const utf8 = (s: Uint8Array | string): Uint8Array => (typeof s === "string" ? encoder.encode(s) : s);
