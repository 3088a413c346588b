// RSA signature verification (RFC 8017) with BigInt: RSASSA-PKCS1-v1_5 and RSASSA-PSS with MGF1, public
// keys only (nothing secret here, so plain BigInt arithmetic is fine). Used by the browser twin of the
// key module (./keys.browser.ts); node:crypto's OpenSSL does the same in Node.
import { bytesEqual } from "./bytes.js";
import { HASH_BYTES } from "./checks.js";
import { digest, type HashName } from "./crypto.js";

export interface RsaPublic {
  n: bigint;
  e: bigint;
  /** Modulus length in bits. */
  bits: number;
}

/** Largest modulus accepted (the work of a verification grows with its square). */
export const RSA_MAX_BITS = 8192;

export function bytesToBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function bigToBytes(v: bigint, len: number): Uint8Array | undefined {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return v === 0n ? out : undefined;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
  }
  return r;
}

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);

/**
 * An RSA public key from unsigned big-endian n and e. Throws for an even or too small modulus, or an
 * exponent that is even or below 3 (no RSA key has those; they would make verification meaningless).
 */
export function rsaPublic(nBytes: Uint8Array, eBytes: Uint8Array): RsaPublic {
  const n = bytesToBig(nBytes);
  const e = bytesToBig(eBytes);
  const bits = bitLength(n);
  if (bits < 512 || bits > RSA_MAX_BITS || (n & 1n) === 0n) throw new Error(`RSA modulus of ${bits} bits (odd, 512..${RSA_MAX_BITS} bits)`);
  if (e < 3n || (e & 1n) === 0n || e >= n) throw new Error("RSA exponent must be odd, at least 3 and below n");
  return { n, e, bits };
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1): the hash's AlgorithmIdentifier and the OCTET STRING header. */
const DIGEST_INFO: Partial<Record<HashName, Uint8Array>> = {
  sha256: Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  sha384: Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
  sha512: Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
};

/** s^e mod n as k bytes (RSAVP1), or undefined when the signature is not exactly k bytes or not below n. */
function openSignature(key: RsaPublic, sig: Uint8Array): Uint8Array | undefined {
  const k = Math.ceil(key.bits / 8);
  if (sig.length !== k) return undefined;
  const s = bytesToBig(sig);
  if (s >= key.n) return undefined;
  return bigToBytes(modPow(s, key.e, key.n), k);
}

/** RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2): the encoded message is rebuilt and compared whole. */
export function verifyPkcs1(key: RsaPublic, hash: HashName, data: Uint8Array, sig: Uint8Array): boolean {
  const prefix = DIGEST_INFO[hash];
  const em = openSignature(key, sig);
  if (prefix === undefined || em === undefined) return false;
  const h = digest(hash, data);
  const tLen = prefix.length + h.length;
  if (em.length < tLen + 11) return false;
  const want = new Uint8Array(em.length).fill(0xff);
  want[0] = 0;
  want[1] = 1;
  want[em.length - tLen - 1] = 0;
  want.set(prefix, em.length - tLen);
  want.set(h, em.length - h.length);
  return bytesEqual(em, want);
}

/** MGF1 (RFC 8017 B.2.1). */
function mgf1(hash: HashName, seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const c = new Uint8Array(4);
  for (let i = 0, o = 0; o < len; i++) {
    new DataView(c.buffer).setUint32(0, i);
    const block = digest(hash, seed, c);
    out.set(block.subarray(0, Math.min(block.length, len - o)), o);
    o += block.length;
  }
  return out;
}

/** RSASSA-PSS verification (RFC 8017 §8.1.2, EMSA-PSS §9.1.2) with MGF1 on the same hash; salt length fixed. */
export function verifyPss(key: RsaPublic, hash: HashName, data: Uint8Array, sig: Uint8Array, saltLength = HASH_BYTES[hash]): boolean {
  const full = openSignature(key, sig);
  if (full === undefined) return false;
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  // The k-byte value has one leading zero byte more than EM when emBits is a multiple of 8.
  if (full.length > emLen && full[0] !== 0) return false;
  const em = full.subarray(full.length - emLen);
  const hLen = HASH_BYTES[hash];
  if (emLen < hLen + saltLength + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask) !== 0) return false;
  const db = mgf1(hash, h, maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDb[i]!;
  db[0]! &= topMask;
  const ps = emLen - hLen - saltLength - 2;
  for (let i = 0; i < ps; i++) if (db[i] !== 0) return false;
  if (db[ps] !== 1) return false;
  const salt = db.subarray(db.length - saltLength);
  const again = digest(hash, new Uint8Array(8), digest(hash, data), salt);
  return bytesEqual(again, h);
}
