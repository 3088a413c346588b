// A small DER (X.690) writer: enough to issue attestation certificates (ca.ts). Certificates from
// the outside are read by @peculiar/asn1-x509 under hard caps (certificate.ts), never here.

import { SeglError } from "../errors.js";
import { concatBytes, toBase64 } from "../platform/bytes.js";

// ---------------------------------------------------------------------------------------------
// Writer

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}


/** One TLV with the given tag byte. */
export function derTlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag, ...lengthBytes(body.length)), body);
}

export const derSequence = (...items: Uint8Array[]): Uint8Array => derTlv(0x30, ...items);
export const derSet = (...items: Uint8Array[]): Uint8Array => derTlv(0x31, ...items);
export const derOctetString = (b: Uint8Array): Uint8Array => derTlv(0x04, b);
export const derBoolean = (v: boolean): Uint8Array => Uint8Array.of(0x01, 0x01, v ? 0xff : 0x00);
export const derNull = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const derUtf8 = (s: string): Uint8Array => derTlv(0x0c, new TextEncoder().encode(s));
export const derPrintable = (s: string): Uint8Array => derTlv(0x13, new TextEncoder().encode(s));
/** Context-specific constructed tag [n] (EXPLICIT). */
export const derExplicit = (n: number, ...items: Uint8Array[]): Uint8Array => derTlv(0xa0 | n, ...items);
/** BIT STRING with no unused bits. */
export const derBitString = (b: Uint8Array): Uint8Array => derTlv(0x03, Uint8Array.of(0), b);

/** INTEGER from a non-negative bigint or unsigned big-endian bytes. */
export function derInteger(v: bigint | number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (v instanceof Uint8Array) bytes = v;
  else {
    let big = BigInt(v);
    if (big < 0n) throw new SeglError("INVALID_ARGUMENT", "derInteger takes non-negative values");
    const out: number[] = [];
    do {
      out.unshift(Number(big & 0xffn));
      big >>= 8n;
    } while (big > 0n);
    bytes = Uint8Array.from(out);
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length === 0) bytes = Uint8Array.of(0);
  if (bytes[0]! & 0x80) bytes = concatBytes(Uint8Array.of(0), bytes);
  return derTlv(0x02, bytes);
}

/** OBJECT IDENTIFIER from dotted form. */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  if (arcs.length < 2) throw new SeglError("INVALID_ARGUMENT", `bad OID ${dotted}`);
  const out: number[] = [];
  const push = (v: bigint) => {
    const b: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) b.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...b);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return derTlv(0x06, Uint8Array.from(out));
}

/** UTCTime for years 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function derTime(d: Date): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const enc = new TextEncoder();
  if (y >= 1950 && y < 2050) return derTlv(0x17, enc.encode(`${p(y % 100)}${rest}`));
  return derTlv(0x18, enc.encode(`${p(y, 4)}${rest}`));
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
