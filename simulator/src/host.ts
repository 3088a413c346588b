// The simulator core's few platform services, Node's implementation. The core (device, flash, boot ROM,
// RNG, image) reaches files and node:crypto only through this module; the browser bundle
// (scripts/build-web.mjs) replaces it with browser/host.ts, which implements the same functions on
// @noble/hashes, @noble/curves and the Web Crypto RNG, and has no files. Keep both in step.
import { createHash, createPublicKey, createPrivateKey, sign, verify, randomFillSync, type KeyObject } from "node:crypto";
import { openSync, readSync, writeSync, fstatSync, closeSync, ftruncateSync, existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FlashBacking } from "./host-types.js";

export type { FlashBacking };

export const HOST = "node" as const;

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function randomFill(out: Uint8Array): void {
  randomFillSync(out);
}

/** X ‖ Y (64 bytes) of a P-256 key given as SPKI PEM or private PKCS#8 PEM. */
export function p256PublicFromPem(pem: string): Uint8Array {
  const obj = pem.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  const jwk = obj.export({ format: "jwk" });
  if (jwk.crv !== "P-256" || !jwk.x || !jwk.y) throw new RangeError("maker keys are P-256");
  const out = new Uint8Array(64);
  out.set(Buffer.from(jwk.x, "base64url"), 0);
  out.set(Buffer.from(jwk.y, "base64url"), 32);
  return out;
}

const keyObjects = new Map<string, KeyObject | null>();
function keyObject(xy: Uint8Array): KeyObject | null {
  const id = Buffer.from(xy).toString("hex");
  let k = keyObjects.get(id);
  if (k !== undefined) return k;
  try {
    k = createPublicKey({
      key: { kty: "EC", crv: "P-256", x: Buffer.from(xy.subarray(0, 32)).toString("base64url"), y: Buffer.from(xy.subarray(32, 64)).toString("base64url") },
      format: "jwk",
    });
  } catch {
    k = null;
  }
  keyObjects.set(id, k);
  return k;
}

/** Whether 64 bytes X ‖ Y are a point of P-256. */
export function p256ValidPublic(xy: Uint8Array): boolean {
  return keyObject(xy) !== null;
}

/** ECDSA P-256 / SHA-256 over msg, signature r ‖ s (64 bytes); false for any malformed input. */
export function p256Verify(xy: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = keyObject(xy);
  if (!key) return false;
  try {
    return verify("sha256", msg, { key, dsaEncoding: "ieee-p1363" }, sig);
  } catch {
    return false;
  }
}

/** ECDSA P-256 / SHA-256 signature r ‖ s with a PKCS#8 PEM private key. */
export function p256Sign(privateKeyPem: string, msg: Uint8Array): Uint8Array {
  return new Uint8Array(sign("sha256", msg, { key: privateKeyPem, dsaEncoding: "ieee-p1363" }));
}

// ------------------------------------------------------------------ files


/** Backs `bytes` by the file at `path`: loaded into `bytes` when it has their size, else (re)written from them. */
export function openFlashFile(path: string, bytes: Uint8Array): FlashBacking {
  let fd: number | undefined = openSync(path, "a+");
  closeSync(fd);
  fd = openSync(path, "r+");
  const have = fstatSync(fd).size;
  if (have === bytes.length) readSync(fd, bytes, 0, bytes.length, 0);
  else {
    ftruncateSync(fd, 0);
    writeSync(fd, bytes, 0, bytes.length, 0);
  }
  return {
    write(b, addr, len) { if (fd !== undefined) writeSync(fd, b, addr, len, addr); },
    close() { if (fd !== undefined) closeSync(fd); fd = undefined; },
  };
}

export function readFileBytes(path: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(path));
}

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
/** Where `npm run build:firmware` puts the image in the repository, seen from simulator/dist/src (compiled) or simulator/src (the sources, as the tests run them). */
const BUILT_IMAGE = [here("../../../firmware/build/firmware.wasm"), here("../../firmware/build/firmware.wasm")].find((p) => existsSync(p)) ?? here("../../../firmware/build/firmware.wasm");
/** The copy an installed @segl/simulator package ships (made by its `prepack` script). */
const PACKAGED_IMAGE = here("../../firmware/firmware.wasm");

/**
 * The image devices boot by default: the file the SEGL_FIRMWARE environment variable names, else
 * the repository's build, else the copy shipped inside the installed package.
 */
export const DEFAULT_IMAGE_PATH: string = process.env.SEGL_FIRMWARE || (existsSync(BUILT_IMAGE) || !existsSync(PACKAGED_IMAGE) ? BUILT_IMAGE : PACKAGED_IMAGE);
