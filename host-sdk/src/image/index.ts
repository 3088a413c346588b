// Signed firmware images (docs/image-format.md): build a header, sign it with the maker's P-256
// key (PKCS#8 PEM), parse an image file with typed errors, verify it against maker public keys
// (SPKI PEM), make key pairs. `@segl/host-sdk/image`; the `segl image` commands sit on top.
import {
  createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject,
} from "node:crypto";
import { writeFileSync, chmodSync } from "node:fs";
import { SeglError, argCheck } from "../errors.js";

export { SeglError, isSeglError, type ErrorCode } from "../errors.js";

export * from "./format.js";
import {
  IMAGE_MAGIC, IMAGE_FORMAT_VERSION, IMAGE_HEADER_SIZE, IMAGE_PAYLOAD_MIN, IMAGE_PAYLOAD_MAX, MAX_MAKER_KEYS, MODEL_BITS, MODEL_MASK_ALL,
  imageFail as fail, sha256, parseImage, type FirmwareVersion, type ImageModelName, type ParsedImage,
} from "./format.js";

export interface PackOptions {
  /** "1.2.3" or { major, minor, patch }. */
  version: string | FirmwareVersion;
  /** Anti-rollback counter (default 0). */
  securityCounter?: number;
  /** Model names or a mask (default: all models, 0x0F). */
  models?: readonly ImageModelName[] | number;
  /** Which maker key will sign (default 0). */
  keyIndex?: number;
  /** Maker keys this image revokes once confirmed: indexes or a mask (default none). */
  revoke?: readonly number[] | number;
}


const isU32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

/** Parses "1.2.3" (each part 0..255). */
export function parseVersion(v: string | FirmwareVersion): FirmwareVersion {
  const parts = typeof v === "string" ? v.split(".").map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN)) : [v.major, v.minor, v.patch];
  argCheck(parts.length === 3 && parts.every((x) => Number.isInteger(x) && x! >= 0 && x! <= 255), "version must be major.minor.patch, each 0..255", { version: v });
  return { major: parts[0]!, minor: parts[1]!, patch: parts[2]! };
}

function maskOf(v: readonly (number | string)[] | number | undefined, dflt: number, what: string, names?: Record<string, number>): number {
  if (v === undefined) return dflt;
  if (typeof v === "number") {
    argCheck(Number.isInteger(v) && v >= 0 && v <= 0x0f, `${what} mask must be 0..0x0F`, { [what]: v });
    return v;
  }
  let m = 0;
  for (const x of v) {
    const bit = typeof x === "string" ? names?.[x] : Number.isInteger(x) && x >= 0 && x <= 3 ? 1 << x : undefined;
    argCheck(bit !== undefined, `unknown ${what}: ${String(x)}`, { [what]: x });
    m |= bit;
  }
  return m;
}

/** An unsigned header (signature zero) for a payload. */
export function encodeHeader(payload: Uint8Array, opts: PackOptions): Uint8Array {
  argCheck(payload instanceof Uint8Array, "the payload is bytes");
  argCheck(payload.length >= IMAGE_PAYLOAD_MIN && payload.length <= IMAGE_PAYLOAD_MAX, `the payload is ${IMAGE_PAYLOAD_MIN}..${IMAGE_PAYLOAD_MAX} bytes`, { payloadLength: payload.length });
  const version = parseVersion(opts.version);
  const keyIndex = opts.keyIndex ?? 0;
  argCheck(Number.isInteger(keyIndex) && keyIndex >= 0 && keyIndex < MAX_MAKER_KEYS, "keyIndex must be 0..3", { keyIndex });
  const counter = opts.securityCounter ?? 0;
  argCheck(isU32(counter), "securityCounter must be 0..2^32−1", { securityCounter: counter });
  const models = maskOf(opts.models, MODEL_MASK_ALL, "model", MODEL_BITS);
  argCheck(models !== 0, "an image must run on at least one model");
  const revoke = maskOf(opts.revoke, 0, "revoke");
  argCheck(((revoke >> keyIndex) & 1) === 0, "an image cannot revoke the key that signs it", { keyIndex, revoke });
  const h = new Uint8Array(IMAGE_HEADER_SIZE);
  const v = new DataView(h.buffer);
  h.set(IMAGE_MAGIC, 0);
  h[4] = IMAGE_FORMAT_VERSION;
  h[5] = keyIndex;
  h[6] = revoke;
  h[7] = 0;
  v.setUint32(8, models, true);
  v.setUint32(12, (version.major << 16) | (version.minor << 8) | version.patch, true);
  v.setUint32(16, counter, true);
  v.setUint32(20, payload.length, true);
  h.set(sha256(payload), 24);
  return h;
}

/** An unsigned image file: header (signature zero) ‖ payload. Sign it with signImage. */
export function packImage(payload: Uint8Array, opts: PackOptions): Uint8Array {
  const h = encodeHeader(payload, opts);
  const out = new Uint8Array(IMAGE_HEADER_SIZE + payload.length);
  out.set(h);
  out.set(payload, IMAGE_HEADER_SIZE);
  return out;
}

/** A P-256 private key from PKCS#8 PEM (IMAGE_KEY otherwise). */
export function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    return fail("IMAGE_KEY", "not a PEM private key (PKCS#8)", { cause: err instanceof Error ? err.message : String(err) });
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") fail("IMAGE_KEY", "the maker key must be an ECDSA P-256 key");
  return key;
}

/** A P-256 public key from SPKI PEM (a private key's PEM gives its public half); IMAGE_KEY otherwise. */
export function loadPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = pem.includes("PRIVATE KEY") ? createPublicKey(loadPrivateKey(pem)) : createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    if (err instanceof SeglError) throw err;
    return fail("IMAGE_KEY", "not a PEM public key (SPKI)", { cause: err instanceof Error ? err.message : String(err) });
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") fail("IMAGE_KEY", "maker keys must be ECDSA P-256 keys");
  return key;
}

/** X ‖ Y (64 bytes): the form a device holds a maker key in. */
export function rawPublicKey(pem: string): Uint8Array {
  const jwk = loadPublicKey(pem).export({ format: "jwk" });
  const out = new Uint8Array(64);
  out.set(Buffer.from(jwk.x!, "base64url"), 0);
  out.set(Buffer.from(jwk.y!, "base64url"), 32);
  return out;
}

/**
 * Signs an image file (packed or already signed: the signature is replaced) with the maker's
 * private key. `keyIndex`, when given, is written into the header first (it is signed too).
 */
export function signImage(file: Uint8Array, privateKeyPem: string, opts: { keyIndex?: number } = {}): Uint8Array {
  const parsed = parseImage(file);
  const key = loadPrivateKey(privateKeyPem);
  const out = file.slice();
  if (opts.keyIndex !== undefined) {
    argCheck(Number.isInteger(opts.keyIndex) && opts.keyIndex >= 0 && opts.keyIndex < MAX_MAKER_KEYS, "keyIndex must be 0..3", { keyIndex: opts.keyIndex });
    argCheck(((parsed.header.revokeMask >> opts.keyIndex) & 1) === 0, "an image cannot revoke the key that signs it", { keyIndex: opts.keyIndex });
    out[5] = opts.keyIndex;
  }
  out.set(nodeSign("sha256", out.subarray(0, 64), { key, dsaEncoding: "ieee-p1363" }), 64);
  return out;
}

/** pack + sign in one step. */
export function buildImage(payload: Uint8Array, opts: PackOptions & { privateKeyPem: string }): Uint8Array {
  return signImage(packImage(payload, opts), opts.privateKeyPem);
}

/**
 * Parses and checks the signature against the maker public keys (SPKI PEM, indexed by key index:
 * `keys[i]` is maker key i; undefined for none). Resolves the parsed image; IMAGE_KEY when no key
 * is given for the image's index, IMAGE_SIGNATURE when the signature does not verify.
 */
export function verifyImage(file: Uint8Array, keys: readonly (string | undefined)[]): ParsedImage {
  const parsed = parseImage(file);
  const pem = keys[parsed.header.keyIndex];
  if (pem === undefined) fail("IMAGE_KEY", `no public key given for maker key ${parsed.header.keyIndex}`, { keyIndex: parsed.header.keyIndex });
  const key = loadPublicKey(pem);
  let ok = false;
  try {
    ok = nodeVerify("sha256", parsed.headerBytes.subarray(0, 64), { key, dsaEncoding: "ieee-p1363" }, parsed.header.signature);
  } catch {
    ok = false;
  }
  if (!ok) fail("IMAGE_SIGNATURE", parsed.signed ? `the signature does not verify with maker key ${parsed.header.keyIndex}` : "the image is not signed", { keyIndex: parsed.header.keyIndex });
  return parsed;
}

export interface MakerKeyPair {
  /** PKCS#8 PEM: keep it secret. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/** A new P-256 maker key pair. */
export function generateMakerKey(): MakerKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/**
 * Writes a new key pair: the private key to `privatePath` with mode 0600 (refusing to overwrite
 * an existing file), the public key to `publicPath`. Returns the public key PEM (the private key
 * is never returned or printed).
 */
export function writeMakerKey(privatePath: string, publicPath: string): string {
  const pair = generateMakerKey();
  try {
    writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: "wx" });
    chmodSync(privatePath, 0o600); // the umask may have narrowed it, never widened: make it exact
    writeFileSync(publicPath, pair.publicKeyPem, { flag: "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new SeglError("INVALID_ARGUMENT", `${(err as NodeJS.ErrnoException).path ?? "the key file"} exists: a key is never overwritten`, { details: { path: (err as NodeJS.ErrnoException).path } });
    throw new SeglError("TRANSPORT_ERROR", `cannot write the key files: ${(err as Error).message}`, { cause: err, details: { op: "write" } });
  }
  return pair.publicKeyPem;
}
