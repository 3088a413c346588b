// Base32 (RFC 4648 §6): encode without padding, decode case-insensitively (padding, spaces and
// hyphens tolerated).
import { argCheck } from "../errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LOOKUP = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 32; i++) {
    t[ALPHABET.charCodeAt(i)] = i;
    t[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return t;
})();

export function base32Encode(bytes: Uint8Array, opts: { padding?: boolean } = {}): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  if (opts.padding) while (out.length % 8 !== 0) out += "=";
  return out;
}

export function base32Decode(text: string): Uint8Array {
  argCheck(typeof text === "string", "base32 input must be a string");
  const s = text.replace(/[\s-]/g, "").replace(/=+$/, "");
  argCheck(![1, 3, 6].includes(s.length % 8), "base32 input has an impossible length", { length: s.length });
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    argCheck(v >= 0, `invalid base32 character ${JSON.stringify(s[i])} at ${i}`);
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (acc >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}
