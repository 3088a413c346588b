// The image format without keys (docs/image-format.md): header fields, parsing with typed errors and the
// payload hash, on @noble/hashes so that it runs in a browser as well (the simulator page's updates use it
// through updateFirmware). Signing, verifying and keys stay in ./index.ts (node:crypto).
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { SeglError, argCheck } from "../errors.js";

export const IMAGE_MAGIC = Uint8Array.of(0x53, 0x47, 0x46, 0x57); // "SGFW"
export const IMAGE_FORMAT_VERSION = 1;
export const IMAGE_HEADER_SIZE = 128;
export const IMAGE_PAYLOAD_MIN = 8;
/** Largest payload the format allows; a device also refuses one larger than its slot_size() − 128. */
export const IMAGE_PAYLOAD_MAX = 1 << 20;
export const MAX_MAKER_KEYS = 4;

/** Model mask bits (docs/image-format.md): bit m = model m. */
export const MODEL_BITS = { blank: 1, "code-display": 2, "audio-reader": 4, chip: 8 } as const;
export type ImageModelName = keyof typeof MODEL_BITS;
export const MODEL_MASK_ALL = 0x0f;

export interface FirmwareVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The fields of an image header, as parsed. */
export interface ImageHeader {
  formatVersion: number;
  /** Which maker key signed the image (0..3). */
  keyIndex: number;
  /** Keys this image revokes once confirmed (bit i = key i). */
  revokeMask: number;
  flags: number;
  modelMask: number;
  /** The models of modelMask by name. */
  models: ImageModelName[];
  version: FirmwareVersion;
  /** "major.minor.patch" */
  versionString: string;
  /** `major << 16 | minor << 8 | patch` (as the firmware's fw_version export). */
  versionCode: number;
  securityCounter: number;
  payloadLength: number;
  /** SHA-256 of the payload, as the header says. */
  payloadSha256: Uint8Array;
  /** r ‖ s (64 bytes); all zero in an unsigned image. */
  signature: Uint8Array;
}

export interface ParsedImage {
  header: ImageHeader;
  /** The 128 header bytes. */
  headerBytes: Uint8Array;
  payload: Uint8Array;
  /** True when the signature field is all zero (packed, not yet signed). */
  signed: boolean;
}

/** Throws the image errors of this module and of ./index.ts. */
export function imageFail(code: "IMAGE_FORMAT" | "IMAGE_HASH" | "IMAGE_SIGNATURE" | "IMAGE_KEY", message: string, details?: Record<string, unknown>): never {
  throw new SeglError(code, message, details === undefined ? {} : { details });
}
const fail = imageFail;

export const sha256 = (b: Uint8Array): Uint8Array => nobleSha256(b);

/** Parses the 128 header bytes (IMAGE_FORMAT for anything the format does not allow). */
export function parseHeader(h: Uint8Array): ImageHeader {
  if (!(h instanceof Uint8Array) || h.length < IMAGE_HEADER_SIZE) fail("IMAGE_FORMAT", `an image header is ${IMAGE_HEADER_SIZE} bytes`, { length: h?.length });
  const v = new DataView(h.buffer, h.byteOffset, IMAGE_HEADER_SIZE);
  if (!IMAGE_MAGIC.every((b, i) => h[i] === b)) fail("IMAGE_FORMAT", "not a Segl firmware image (magic is not SGFW)", { field: "magic" });
  if (h[4] !== IMAGE_FORMAT_VERSION) fail("IMAGE_FORMAT", `image format version ${h[4]} (this SDK reads ${IMAGE_FORMAT_VERSION})`, { field: "formatVersion", value: h[4] });
  const keyIndex = h[5]!, revokeMask = h[6]!, flags = h[7]!;
  if (keyIndex >= MAX_MAKER_KEYS) fail("IMAGE_FORMAT", `key index ${keyIndex} (0..3)`, { field: "keyIndex", value: keyIndex });
  if ((revokeMask & ~0x0f) !== 0 || ((revokeMask >> keyIndex) & 1) !== 0) fail("IMAGE_FORMAT", "the revoke mask names a key that does not exist or the signing key", { field: "revokeMask", value: revokeMask });
  if (flags !== 0) fail("IMAGE_FORMAT", `reserved flags 0x${flags.toString(16)} are set`, { field: "flags", value: flags });
  if (h.subarray(56, 64).some((b) => b !== 0)) fail("IMAGE_FORMAT", "reserved header bytes are not zero", { field: "reserved" });
  const modelMask = v.getUint32(8, true);
  if (modelMask === 0 || modelMask > 0x0f) fail("IMAGE_FORMAT", `model mask 0x${modelMask.toString(16)}`, { field: "modelMask", value: modelMask });
  const code = v.getUint32(12, true);
  if (code > 0xffffff) fail("IMAGE_FORMAT", "firmware version does not fit major.minor.patch", { field: "version", value: code });
  const payloadLength = v.getUint32(20, true);
  if (payloadLength < IMAGE_PAYLOAD_MIN || payloadLength > IMAGE_PAYLOAD_MAX) fail("IMAGE_FORMAT", `payload length ${payloadLength}`, { field: "payloadLength", value: payloadLength });
  const version = { major: code >>> 16, minor: (code >>> 8) & 0xff, patch: code & 0xff };
  return {
    formatVersion: h[4]!, keyIndex, revokeMask, flags, modelMask,
    models: (Object.keys(MODEL_BITS) as ImageModelName[]).filter((m) => (modelMask & MODEL_BITS[m]) !== 0),
    version, versionString: `${version.major}.${version.minor}.${version.patch}`, versionCode: code,
    securityCounter: v.getUint32(16, true), payloadLength,
    payloadSha256: h.slice(24, 56), signature: h.slice(64, 128),
  };
}

/**
 * Parses an image file: header fields (IMAGE_FORMAT), exact length (IMAGE_FORMAT: truncated or
 * trailing bytes), payload hash (IMAGE_HASH). Does not check the signature (verifyImage does).
 */
export function parseImage(file: Uint8Array): ParsedImage {
  argCheck(file instanceof Uint8Array, "an image file is bytes");
  const header = parseHeader(file);
  const want = IMAGE_HEADER_SIZE + header.payloadLength;
  if (file.length !== want) {
    fail("IMAGE_FORMAT", file.length < want ? `truncated image: ${file.length} bytes, the header says ${want}` : `image has ${file.length - want} bytes after its payload`, {
      field: "length", length: file.length, expected: want,
    });
  }
  const payload = file.subarray(IMAGE_HEADER_SIZE);
  const digest = sha256(payload);
  if (!digest.every((b, i) => b === header.payloadSha256[i])) fail("IMAGE_HASH", "the payload's SHA-256 differs from the header's");
  return { header, headerBytes: file.subarray(0, IMAGE_HEADER_SIZE), payload, signed: header.signature.some((b) => b !== 0) };
}
