// HKDF-SHA-256 (RFC 5869): extract-then-expand. Static memory only; intermediate keys wiped.
import { ALG_SHA256 } from "./hash";
import { HMAC_CTX_SIZE, hmacInit, hmacUpdate, hmacFinal } from "./hmac";

export const HKDF_HASH_LEN: u32 = 32;
/** Longest output expand can give: 255 · HashLen. */
export const HKDF_MAX_OUT: u32 = 255 * HKDF_HASH_LEN;
export const HKDF_ERR_LENGTH: i32 = -1;

const CTX: usize = memory.data(<i32>HMAC_CTX_SIZE, 16);
const PRK: usize = memory.data(32, 16);
const T: usize = memory.data(32, 16);
const CNT: usize = memory.data(1);

/** PRK = HMAC-SHA-256(salt, ikm) (32 bytes to prk). An empty salt means 32 zero bytes (the same HMAC key). */
export function hkdfExtract(salt: usize, saltLen: u32, ikm: usize, ikmLen: u32, prk: usize): void {
  hmacInit(CTX, ALG_SHA256, salt, saltLen);
  hmacUpdate(CTX, ikm, ikmLen);
  hmacFinal(CTX, prk);
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
}

/** OKM = T(1) ‖ T(2) ‖ … truncated to outLen, T(i) = HMAC(prk, T(i−1) ‖ info ‖ i). Returns outLen,
 *  or HKDF_ERR_LENGTH when outLen > 255 · 32 (nothing written). out may not overlap prk or info. */
export function hkdfExpand(prk: usize, prkLen: u32, info: usize, infoLen: u32, out: usize, outLen: u32): i32 {
  if (outLen > HKDF_MAX_OUT) return HKDF_ERR_LENGTH;
  let done: u32 = 0;
  let i: u32 = 1;
  while (done < outLen) {
    hmacInit(CTX, ALG_SHA256, prk, prkLen);
    if (i > 1) hmacUpdate(CTX, T, HKDF_HASH_LEN);
    hmacUpdate(CTX, info, infoLen);
    store<u8>(CNT, <u8>i);
    hmacUpdate(CTX, CNT, 1);
    hmacFinal(CTX, T);
    const n = outLen - done < HKDF_HASH_LEN ? outLen - done : HKDF_HASH_LEN;
    memory.copy(out + done, T, n);
    done += n;
    i++;
  }
  memory.fill(T, 0, 32);
  memory.fill(CTX, 0, HMAC_CTX_SIZE);
  return <i32>outLen;
}

/** Extract and expand in one call. Returns outLen or HKDF_ERR_LENGTH. */
export function hkdf(salt: usize, saltLen: u32, ikm: usize, ikmLen: u32, info: usize, infoLen: u32, out: usize, outLen: u32): i32 {
  if (outLen > HKDF_MAX_OUT) return HKDF_ERR_LENGTH;
  hkdfExtract(salt, saltLen, ikm, ikmLen, PRK);
  const r = hkdfExpand(PRK, HKDF_HASH_LEN, info, infoLen, out, outLen);
  memory.fill(PRK, 0, 32);
  return r;
}
