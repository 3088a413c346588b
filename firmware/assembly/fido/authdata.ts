// authenticatorData (WebAuthn §6.1): rpIdHash(32) ‖ flags(1) ‖ signCount(4, BE) ‖
// [aaguid(16) ‖ credIdLen(2, BE) ‖ credId ‖ COSE_Key] ‖ [extensions CBOR map].
import { aaguid } from "./attestation";
import { writeU32BE, writeU16BE } from "../util/bytes";

export const AD_UP: u8 = 0x01;
export const AD_UV: u8 = 0x04;
export const AD_AT: u8 = 0x40;
export const AD_ED: u8 = 0x80;
/** Canonical COSE_Key of a P-256 ES256 public key: {1: 2, 3: -7, -1: 1, -2: x, -3: y}. */
export const COSE_KEY_LEN: u32 = 77;
/** Largest authData we build: header, attested data with a 34-byte ID, extensions. */
export const AD_MAX: u32 = 37 + 18 + 64 + COSE_KEY_LEN + 128;

/** Writes the 37-byte header; returns the address after it. */
export function adHeader(p: usize, rpIdHash: usize, flags: u8, counter: u32): usize {
  memory.copy(p, rpIdHash, 32);
  store<u8>(p + 32, flags);
  writeU32BE(p + 33, counter);
  return p + 37;
}

/** Writes the COSE key of x ‖ y (64 B); returns the address after it. */
export function coseKey(p: usize, xy: usize): usize {
  store<u8>(p, 0xa5);
  store<u8>(p + 1, 0x01); store<u8>(p + 2, 0x02); // kty: EC2
  store<u8>(p + 3, 0x03); store<u8>(p + 4, 0x26); // alg: ES256 (-7)
  store<u8>(p + 5, 0x20); store<u8>(p + 6, 0x01); // crv: P-256
  store<u8>(p + 7, 0x21); store<u8>(p + 8, 0x58); store<u8>(p + 9, 0x20); // x
  memory.copy(p + 10, xy, 32);
  store<u8>(p + 42, 0x22); store<u8>(p + 43, 0x58); store<u8>(p + 44, 0x20); // y
  memory.copy(p + 45, xy + 32, 32);
  return p + COSE_KEY_LEN;
}

/** Writes attestedCredentialData; returns the address after it. */
export function adAttested(p: usize, id: usize, idLen: u32, xy: usize): usize {
  aaguid(p);
  writeU16BE(p + 16, idLen);
  memory.copy(p + 18, id, idLen);
  return coseKey(p + 18 + idLen, xy);
}

/** Largest DER ECDSA-Sig-Value for P-256. */
export const DER_SIG_MAX: u32 = 72;

/** One INTEGER of a DER signature from a 32-byte big-endian value; returns the address after it. */
function derInt(p: usize, v: usize): usize {
  let i: u32 = 0;
  while (i < 31 && load<u8>(v + i) == 0) i++; // minimal: strip leading zeros
  const pad: u32 = load<u8>(v + i) >= 0x80 ? 1 : 0; // keep it positive
  const n = 32 - i + pad;
  store<u8>(p, 0x02);
  store<u8>(p + 1, <u8>n);
  if (pad) store<u8>(p + 2, 0);
  memory.copy(p + 2 + pad, v + i, 32 - i);
  return p + 2 + n;
}

/** r ‖ s (64 B) → DER SEQUENCE { INTEGER r, INTEGER s } (WebAuthn's ES256 encoding); returns its length. */
export function derSignature(rs: usize, out: usize): u32 {
  let p = derInt(out + 2, rs);
  p = derInt(p, rs + 32);
  const n = <u32>(p - out);
  store<u8>(out, 0x30);
  store<u8>(out + 1, <u8>(n - 2));
  return n;
}
