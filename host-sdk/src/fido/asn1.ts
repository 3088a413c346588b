// A small DER (X.690) writer and reader: enough to issue attestation certificates and to read the
// fields of a certificate that node:crypto's X509Certificate does not expose (version, subject
// attributes, extensions with their critical flag).

import { SeglError } from "../errors.js";

// ---------------------------------------------------------------------------------------------
// Writer

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

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

// ---------------------------------------------------------------------------------------------
// Reader

export interface DerNode {
  tag: number;
  /** Offset of the tag byte in the buffer. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

function bad(msg: string, at: number): never {
  throw new SeglError("BAD_RESPONSE", `malformed DER at byte ${at}: ${msg}`, { details: { offset: at } });
}

/** Reads one TLV at `pos` (single-byte tags, definite lengths only). */
export function derRead(b: Uint8Array, pos: number, limit = b.length): DerNode {
  if (pos + 2 > limit) bad("truncated header", pos);
  const tag = b[pos]!;
  if ((tag & 0x1f) === 0x1f) bad("multi-byte tags are not supported", pos);
  let len = b[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) bad("unsupported length form", pos);
    if (p + n > limit) bad("truncated length", pos);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (len > limit - p) bad("content runs past its container", pos);
  return { tag, start: pos, contentStart: p, end: p + len };
}

/** The children of a constructed node. */
export function derChildren(b: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const c = derRead(b, p, node.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function derContent(b: Uint8Array, node: DerNode): Uint8Array {
  return b.subarray(node.contentStart, node.end);
}

/** Dotted form of an OBJECT IDENTIFIER node's content. */
export function oidToString(c: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of c) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0) return "";
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].map(String).join(".");
}

export interface CertExtension {
  oid: string;
  critical: boolean;
  /** Content of the extnValue OCTET STRING (itself DER). */
  value: Uint8Array;
}

export interface CertFields {
  /** X.509 version number as people say it (1, 2 or 3). */
  version: number;
  /** Subject attributes by short name (C, O, OU, CN, ...) -> values (a name may repeat). */
  subject: Record<string, string[]>;
  extensions: CertExtension[];
}

const NAME_OIDS: Record<string, string> = {
  "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress",
};

/** Parses the parts of an X.509 certificate (DER) needed for attestation certificate checks. */
export function parseCertFields(der: Uint8Array): CertFields {
  const cert = derRead(der, 0);
  if (cert.tag !== 0x30 || cert.end !== der.length) bad("certificate is not one SEQUENCE", 0);
  const [tbs] = derChildren(der, cert);
  if (tbs === undefined || tbs.tag !== 0x30) bad("no tbsCertificate", cert.contentStart);
  const parts = derChildren(der, tbs);
  let i = 0;
  let version = 1;
  if (parts[0]?.tag === 0xa0) {
    const vInt = derRead(der, parts[0].contentStart, parts[0].end);
    const c = derContent(der, vInt);
    version = (c.length === 1 ? c[0]! : 99) + 1;
    i = 1;
  }
  // serial, signature, issuer, validity, subject, spki, then optional [1] [2] [3]
  const subjectNode = parts[i + 4];
  if (subjectNode === undefined || subjectNode.tag !== 0x30) bad("no subject", tbs.contentStart);
  const subject: Record<string, string[]> = {};
  for (const rdn of derChildren(der, subjectNode)) {
    for (const atv of derChildren(der, rdn)) {
      const [oidNode, valNode] = derChildren(der, atv);
      if (oidNode === undefined || valNode === undefined) bad("bad name attribute", atv.start);
      const oid = oidToString(derContent(der, oidNode));
      const name = NAME_OIDS[oid] ?? oid;
      const value = new TextDecoder().decode(derContent(der, valNode));
      (subject[name] ??= []).push(value);
    }
  }
  const extensions: CertExtension[] = [];
  for (const p of parts.slice(i + 6)) {
    if (p.tag !== 0xa3) continue;
    const seq = derRead(der, p.contentStart, p.end);
    for (const ext of derChildren(der, seq)) {
      const f = derChildren(der, ext);
      const oid = oidToString(derContent(der, f[0]!));
      let critical = false;
      let valNode = f[1];
      if (valNode?.tag === 0x01) {
        critical = der[valNode.contentStart] !== 0;
        valNode = f[2];
      }
      if (valNode === undefined || valNode.tag !== 0x04) bad("extension without an OCTET STRING value", ext.start);
      extensions.push({ oid, critical, value: der.slice(valNode.contentStart, valNode.end) });
    }
  }
  return { version, subject, extensions };
}

export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new SeglError("INVALID_ARGUMENT", "not a PEM certificate");
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
