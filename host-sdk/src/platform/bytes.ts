// Byte helpers that run the same in Node and a browser (no Buffer), beside ./encoding.ts (base64url,
// hex): padded base64 both ways (PEM), concatenation, and equality of public data (use ./equal.ts for
// secrets).
import { base64url } from "./encoding.js";

/** base64 (RFC 4648 §4, padded). */
export function toBase64(b: Uint8Array): string {
  const s = base64url(b).replace(/-/g, "+").replace(/_/g, "/");
  return s + "=".repeat((4 - (s.length % 4)) % 4);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

/** The parts one after another, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Same length and bytes (not constant-time: for public data). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
