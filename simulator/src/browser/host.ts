// The browser's implementation of simulator/src/host.ts (the bundle swaps it in; see that file):
// @noble/hashes and @noble/curves where the core needs synchronous crypto (the boot ROM verifies
// an image inside a synchronous boot; Web Crypto is asynchronous), crypto.getRandomValues for the
// RNG, and no files — a browser device gets its image and its flash from the page.
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { p256 } from "@noble/curves/nist.js";
import type { FlashBacking } from "../host-types.js";

export type { FlashBacking };

export const HOST = "browser" as const;

/** A file or the built image was asked for in a browser: the page must pass image and flash itself. */
export class NodeOnly extends Error {
  constructor(what: string) {
    super(`${what} needs Node; in a browser pass the image bytes and the flash explicitly`);
    this.name = "NodeOnly";
  }
}

const utf8 = new TextEncoder();

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(typeof p === "string" ? utf8.encode(p) : p);
  return h.digest();
}

export function randomFill(out: Uint8Array): void {
  for (let off = 0; off < out.length; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(out.length, off + 65536)));
}

function pemBody(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
const P256_OID = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
function indexOf(hay: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
/** The 32-byte scalar of a P-256 PKCS#8 or SEC1 private key: ECPrivateKey is 02 01 01 04 20 ‖ d. */
function privateScalar(pem: string): Uint8Array {
  const der = pemBody(pem);
  if (indexOf(der, P256_OID) < 0) throw new RangeError("maker keys are P-256");
  const at = indexOf(der, [0x02, 0x01, 0x01, 0x04, 0x20]);
  if (at < 0) throw new RangeError("not a P-256 private key");
  return der.slice(at + 5, at + 37);
}

export function p256PublicFromPem(pem: string): Uint8Array {
  if (pem.includes("PRIVATE KEY")) return p256.getPublicKey(privateScalar(pem), false).slice(1);
  const der = pemBody(pem);
  if (indexOf(der, P256_OID) < 0 || der.length < 65 || der[der.length - 65] !== 0x04) throw new RangeError("maker keys are P-256");
  return der.slice(der.length - 64);
}

const uncompressed = (xy: Uint8Array): Uint8Array => { const k = new Uint8Array(65); k[0] = 4; k.set(xy.subarray(0, 64), 1); return k; };

export function p256ValidPublic(xy: Uint8Array): boolean {
  try { p256.Point.fromBytes(uncompressed(xy)).assertValidity(); return true; } catch { return false; }
}

export function p256Verify(xy: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    return p256.verify(sig, msg, uncompressed(xy), { prehash: true, lowS: false });
  } catch {
    return false;
  }
}

export function p256Sign(privateKeyPem: string, msg: Uint8Array): Uint8Array {
  return p256.sign(msg, privateScalar(privateKeyPem), { prehash: true, lowS: false });
}


export function openFlashFile(path: string, _bytes: Uint8Array): FlashBacking {
  throw new NodeOnly(`the flash file ${path}`);
}

export function readFileBytes(path: string): Uint8Array<ArrayBuffer> {
  throw new NodeOnly(`reading ${path}`);
}

export const DEFAULT_IMAGE_PATH = "<built image>";
