// Byte helpers that run the same in Node and a browser (no Buffer): hex, base64/base64url, equality.
// Nothing here is secret-dependent in time except where said (use ./equal.ts for secrets).

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += HEX[x];
  return s;
}

/** Bytes of an even-length hex string; throws on anything else. */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error("not a hex string");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** base64 (RFC 4648 §4, padded) or base64url (§5, unpadded). */
export function toBase64(b: Uint8Array, url = false): string {
  let s = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    const k = Math.min(3, b.length - i);
    for (let j = 0; j <= k; j++) s += B64[(n >> (18 - 6 * j)) & 63];
    if (!url) s += "=".repeat(3 - k);
  }
  return url ? s.replace(/\+/g, "-").replace(/\//g, "_") : s;
}

export const toBase64url = (b: Uint8Array): string => toBase64(b, true);

/** Bytes of base64 or base64url text (padding optional, no whitespace); throws on other characters. */
export function fromBase64(s: string): Uint8Array {
  const t = s.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*$/.test(t) || t.length % 4 === 1) throw new Error("not base64");
  const out = new Uint8Array(Math.floor((t.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < t.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) n = (n << 6) | (i + j < t.length ? B64.indexOf(t[i + j]!) : 0);
    for (let j = 0; j < 3 && o < out.length; j++) out[o++] = (n >> (16 - 8 * j)) & 0xff;
  }
  return out;
}

/** Same length and bytes (not constant-time: for public data). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
