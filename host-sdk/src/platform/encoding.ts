// Bytes as text without Node's Buffer, the same in Node and the browser: base64url (RFC 4648 §5, no
// padding) and lower-case hex.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Bytes as base64url text without padding (what WebAuthn's JSON and clientDataJSON carry). */
export function base64url(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((b.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

/** Bytes as lower-case hex. */
export function hex(b: Uint8Array): string {
  let out = "";
  for (const x of b) out += (x < 16 ? "0" : "") + x.toString(16);
  return out;
}

/** Hex text (an even number of hex digits, checked by the caller) as bytes. */
export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
