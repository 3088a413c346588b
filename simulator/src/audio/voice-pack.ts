// The voice pack of the audio code reader: build, parse and check (docs/voice-pack.md is the format,
// byte by byte). Plain TypeScript over Uint8Array/DataView, no Node APIs: the simulator runs in a
// browser too (issue 12).
import { decodeAdpcm, IMA_MAX_INDEX, type EncodedAdpcm } from "./adpcm.js";
import { crc32 } from "../crc32.js";

export const VOICE_PACK_MAGIC = 0x50564753; // "SGVP" read as a little-endian u32
export const VOICE_PACK_VERSION = 1;
/** Codec id 1: IMA ADPCM, 4 bits per sample, mono, low nibble first. */
export const CODEC_IMA_ADPCM = 1;
export const HEADER_SIZE = 32;
export const ENTRY_SIZE = 20;
export const MAX_LANGUAGES = 8;
export const MAX_PACK_BYTES = 1_048_576;
export const MIN_RATE = 8000;
export const MAX_RATE = 48000;
/** Longest clip: 10 seconds. */
export const MAX_CLIP_SECONDS = 10;
export const ENTRY_FLAG_SHARED = 1;

/** The clip ids of format version 1, in id order (docs/voice-pack.md, "Clip ids"). */
export const CLIP_NAMES = [
  "digit0", "digit1", "digit2", "digit3", "digit4", "digit5", "digit6", "digit7", "digit8", "digit9",
  "your_code_is", "new_code", "repeat",
  "volume", "louder", "softer", "maximum", "minimum",
  "speed", "faster", "slower", "normal_speed",
  "language", "lang_da", "lang_en",
  "not_activated", "battery_low", "clock_not_set", "error",
  "headset", "speaker",
  "beep", "low_beep", "error_tone",
] as const;
export type ClipName = (typeof CLIP_NAMES)[number];
/** Clip id by name: `CLIP.digit7 === 7`, `CLIP.beep === 31`. */
export const CLIP: Readonly<Record<ClipName, number>> = Object.freeze(
  Object.fromEntries(CLIP_NAMES.map((n, i) => [n, i])) as Record<ClipName, number>,
);
/** The number of clip ids every version-1 pack has at least. */
export const CLIP_COUNT_V1 = CLIP_NAMES.length;
/** Clips that are the same in every language (stored once). */
export const SHARED_CLIPS: readonly ClipName[] = ["lang_da", "lang_en", "beep", "low_beep", "error_tone"];

export type VoicePackErrorCode =
  | "TRUNCATED" | "BAD_MAGIC" | "BAD_VERSION" | "BAD_CODEC" | "BAD_COUNTS" | "BAD_RATE" | "BAD_LENGTH"
  | "BAD_DATA_OFFSET" | "BAD_FLAGS" | "INDEX_CRC" | "BAD_ENTRY" | "PACK_CRC" | "CLIP_CRC"
  | "NO_SUCH_CLIP" | "NO_SUCH_LANGUAGE" | "BAD_INPUT";

/** Every problem with a pack, or with a request to one, is one of these. */
export class VoicePackError extends Error {
  override readonly name = "VoicePackError";
  constructor(readonly code: VoicePackErrorCode, message: string) {
    super(`voice pack: ${message}`);
  }
}

/** CRC-32/IEEE (zlib's crc32) of `bytes`, continuing `crc` (0 to start): the simulator's one CRC. */
export const voiceCrc32 = crc32;

/** One index entry. */
export interface ClipEntry {
  language: string;
  id: number;
  /** The clip's name for ids of version 1, `clip<id>` beyond. */
  name: string;
  offset: number;
  length: number;
  samples: number;
  predictor: number;
  stepIndex: number;
  shared: boolean;
  crc: number;
}

export interface VoicePackHeader {
  version: number;
  codec: number;
  sampleRate: number;
  languages: string[];
  clipCount: number;
  totalLength: number;
  dataOffset: number;
  indexCrc: number;
  packCrc: number;
}

export interface ParseOptions {
  /** Check every clip's CRC too (default true; the pack CRC already covers them). */
  verifyClips?: boolean;
  /** The size of the voice region the pack sits in: a longer total length is refused. */
  regionSize?: number;
}

const indexEnd = (languages: number, clips: number): number => HEADER_SIZE + 4 * languages + ENTRY_SIZE * languages * clips;
const clipName = (id: number): string => (id < CLIP_NAMES.length ? CLIP_NAMES[id]! : `clip${id}`);

/** A parsed, checked pack. Clip data is read from the bytes it was parsed from (not copied). */
export class VoicePack {
  private readonly decoded = new Map<number, Int16Array>();
  private constructor(readonly bytes: Uint8Array, readonly header: VoicePackHeader, readonly entries: readonly (readonly ClipEntry[])[]) {}

  get sampleRate(): number { return this.header.sampleRate; }
  get languages(): readonly string[] { return this.header.languages; }
  get clipCount(): number { return this.header.clipCount; }

  /** Parses and checks `bytes` in the order docs/voice-pack.md gives; throws VoicePackError. */
  static parse(bytes: Uint8Array, options: ParseOptions = {}): VoicePack {
    if (!(bytes instanceof Uint8Array)) throw new VoicePackError("BAD_INPUT", "expected a Uint8Array");
    if (bytes.length < HEADER_SIZE + 4) throw new VoicePackError("TRUNCATED", `${bytes.length} bytes, shorter than a header`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (v.getUint32(0, true) !== VOICE_PACK_MAGIC) throw new VoicePackError("BAD_MAGIC", "magic is not SGVP");
    const version = bytes[4]!;
    if (version !== VOICE_PACK_VERSION) throw new VoicePackError("BAD_VERSION", `format version ${version}, expected ${VOICE_PACK_VERSION}`);
    const codec = bytes[5]!;
    if (codec !== CODEC_IMA_ADPCM) throw new VoicePackError("BAD_CODEC", `codec ${codec}, expected ${CODEC_IMA_ADPCM} (IMA ADPCM)`);
    const L = bytes[6]!;
    const C = bytes[7]!;
    if (L < 1 || L > MAX_LANGUAGES || C < CLIP_COUNT_V1) throw new VoicePackError("BAD_COUNTS", `${L} languages, ${C} clips (need 1..${MAX_LANGUAGES} and ≥ ${CLIP_COUNT_V1})`);
    const sampleRate = v.getUint32(8, true);
    if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) throw new VoicePackError("BAD_RATE", `sample rate ${sampleRate} outside ${MIN_RATE}..${MAX_RATE}`);
    const totalLength = v.getUint32(12, true);
    const end = indexEnd(L, C);
    const limit = Math.min(MAX_PACK_BYTES, options.regionSize ?? MAX_PACK_BYTES);
    if (totalLength % 4 !== 0 || totalLength > limit || totalLength < end + 8) throw new VoicePackError("BAD_LENGTH", `total length ${totalLength} (multiple of 4, ${end + 8}..${limit})`);
    if (totalLength > bytes.length) throw new VoicePackError("TRUNCATED", `total length ${totalLength} but only ${bytes.length} bytes`);
    const dataOffset = v.getUint32(16, true);
    if (dataOffset !== end + 4) throw new VoicePackError("BAD_DATA_OFFSET", `data offset ${dataOffset}, expected ${end + 4}`);
    if (v.getUint32(20, true) !== 0 || v.getUint32(24, true) !== 0 || v.getUint32(28, true) !== 0) throw new VoicePackError("BAD_FLAGS", "flags or reserved header bytes are not zero");
    const indexCrc = v.getUint32(end, true);
    if (voiceCrc32(bytes.subarray(0, end)) !== indexCrc) throw new VoicePackError("INDEX_CRC", "index CRC does not match");
    const languages: string[] = [];
    for (let l = 0; l < L; l++) {
      const tag = bytes.subarray(HEADER_SIZE + 4 * l, HEADER_SIZE + 4 * l + 4);
      const len = tag.indexOf(0) === -1 ? 4 : tag.indexOf(0);
      const s = String.fromCharCode(...tag.subarray(0, len));
      if (len < 2 || !/^[a-z]+$/.test(s) || tag.subarray(len).some((b) => b !== 0) || languages.includes(s)) {
        throw new VoicePackError("BAD_ENTRY", `language ${l}: tag ${JSON.stringify(s)} is not 2..4 lower-case letters, zero padded, unique`);
      }
      languages.push(s);
    }
    const entries: ClipEntry[][] = [];
    for (let l = 0; l < L; l++) {
      const row: ClipEntry[] = [];
      for (let c = 0; c < C; c++) {
        const o = HEADER_SIZE + 4 * L + ENTRY_SIZE * (l * C + c);
        const e: ClipEntry = {
          language: languages[l]!, id: c, name: clipName(c),
          offset: v.getUint32(o, true), length: v.getUint32(o + 4, true), samples: v.getUint32(o + 8, true),
          predictor: v.getInt16(o + 12, true), stepIndex: bytes[o + 14]!, shared: (bytes[o + 15]! & ENTRY_FLAG_SHARED) !== 0,
          crc: v.getUint32(o + 16, true),
        };
        const why =
          e.offset % 4 !== 0 ? "offset not a multiple of 4"
          : e.offset < dataOffset ? "offset inside the header or index"
          : e.offset + e.length > totalLength - 4 ? "data runs past the pack"
          : e.samples < 1 || e.samples > MAX_CLIP_SECONDS * sampleRate ? `sample count ${e.samples}`
          : e.length !== Math.ceil(e.samples / 2) ? `length ${e.length} for ${e.samples} samples`
          : e.stepIndex > IMA_MAX_INDEX ? `step index ${e.stepIndex}`
          : (bytes[o + 15]! & ~ENTRY_FLAG_SHARED) !== 0 ? "reserved entry flags set"
          : null;
        if (why) throw new VoicePackError("BAD_ENTRY", `${languages[l]} clip ${c} (${e.name}): ${why}`);
        row.push(e);
      }
      entries.push(row);
    }
    const packCrc = v.getUint32(totalLength - 4, true);
    if (voiceCrc32(bytes.subarray(0, totalLength - 4)) !== packCrc) throw new VoicePackError("PACK_CRC", "pack CRC does not match");
    const pack = new VoicePack(bytes.subarray(0, totalLength), { version, codec, sampleRate, languages, clipCount: C, totalLength, dataOffset, indexCrc, packCrc }, entries);
    if (options.verifyClips ?? true) for (const row of entries) for (const e of row) pack.checkClip(e);
    return pack;
  }

  /** The entry of a clip: language by tag or number, clip by id or name. */
  entry(language: string | number, clip: number | ClipName): ClipEntry {
    const l = typeof language === "number" ? language : this.header.languages.indexOf(language);
    const row = this.entries[l];
    if (!row) throw new VoicePackError("NO_SUCH_LANGUAGE", `no language ${JSON.stringify(language)} (have ${this.header.languages.join(", ")})`);
    const id = typeof clip === "number" ? clip : CLIP_NAMES.indexOf(clip);
    const e = Number.isInteger(id) ? row[id] : undefined;
    if (!e) throw new VoicePackError("NO_SUCH_CLIP", `no clip ${JSON.stringify(clip)} (ids 0..${this.header.clipCount - 1})`);
    return e;
  }

  /** The ADPCM bytes of a clip, checked against its CRC. */
  clipData(language: string | number, clip: number | ClipName): Uint8Array {
    return this.checkClip(this.entry(language, clip));
  }

  /** The decoded samples of a clip (cached per data range). */
  decode(language: string | number, clip: number | ClipName): Int16Array {
    const e = this.entry(language, clip);
    let pcm = this.decoded.get(e.offset);
    if (!pcm) {
      pcm = decodeAdpcm(this.checkClip(e), e.samples, e.predictor, e.stepIndex);
      this.decoded.set(e.offset, pcm);
    }
    return pcm;
  }

  private checkClip(e: ClipEntry): Uint8Array {
    const data = this.bytes.subarray(e.offset, e.offset + e.length);
    if (voiceCrc32(data) !== e.crc) throw new VoicePackError("CLIP_CRC", `${e.language} clip ${e.id} (${e.name}): CRC does not match`);
    return data;
  }
}

/** Parses and checks a pack (VoicePack.parse). */
export const parseVoicePack = (bytes: Uint8Array, options?: ParseOptions): VoicePack => VoicePack.parse(bytes, options);

export interface BuildPackInput {
  sampleRate: number;
  /** Language tags in table order, e.g. ["da", "en"]. */
  languages: readonly string[];
  /**
   * clips[l][id]: the encoded clip of language l. The same object in several languages is stored once
   * and flagged shared.
   */
  clips: readonly (readonly EncodedAdpcm[])[];
}

/** Writes a pack (docs/voice-pack.md): shared clips first, then each language's clips in id order. */
export function buildVoicePack(input: BuildPackInput): Uint8Array {
  const L = input.languages.length;
  const C = input.clips[0]?.length ?? 0;
  if (L < 1 || L > MAX_LANGUAGES || input.clips.length !== L || input.clips.some((r) => r.length !== C) || C < CLIP_COUNT_V1 || C > 255) {
    throw new VoicePackError("BAD_COUNTS", `need 1..${MAX_LANGUAGES} languages with the same ${CLIP_COUNT_V1}..255 clips each`);
  }
  if (!Number.isInteger(input.sampleRate) || input.sampleRate < MIN_RATE || input.sampleRate > MAX_RATE) throw new VoicePackError("BAD_RATE", `sample rate ${input.sampleRate}`);
  const uses = new Map<EncodedAdpcm, number>();
  for (const row of input.clips) for (const c of row) uses.set(c, (uses.get(c) ?? 0) + 1);
  const end = indexEnd(L, C);
  const dataOffset = end + 4;
  const order: EncodedAdpcm[] = [];
  for (const row of input.clips) for (const c of row) if ((uses.get(c) ?? 0) > 1 && !order.includes(c)) order.push(c);
  for (const row of input.clips) for (const c of row) if (uses.get(c) === 1) order.push(c);
  const at = new Map<EncodedAdpcm, number>();
  let pos = dataOffset;
  for (const c of order) {
    if (c.samples < 1 || c.samples > MAX_CLIP_SECONDS * input.sampleRate || c.data.length !== Math.ceil(c.samples / 2)) {
      throw new VoicePackError("BAD_ENTRY", `a clip of ${c.samples} samples and ${c.data.length} bytes`);
    }
    at.set(c, pos);
    pos += (c.data.length + 3) & ~3;
  }
  const total = pos + 4;
  if (total > MAX_PACK_BYTES) throw new VoicePackError("BAD_LENGTH", `${total} bytes, more than ${MAX_PACK_BYTES}`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, VOICE_PACK_MAGIC, true);
  out[4] = VOICE_PACK_VERSION;
  out[5] = CODEC_IMA_ADPCM;
  out[6] = L;
  out[7] = C;
  v.setUint32(8, input.sampleRate, true);
  v.setUint32(12, total, true);
  v.setUint32(16, dataOffset, true);
  input.languages.forEach((tag, l) => {
    if (!/^[a-z]{2,4}$/.test(tag) || input.languages.indexOf(tag) !== l) throw new VoicePackError("BAD_ENTRY", `language tag ${JSON.stringify(tag)}`);
    for (let i = 0; i < tag.length; i++) out[HEADER_SIZE + 4 * l + i] = tag.charCodeAt(i);
  });
  input.clips.forEach((row, l) => row.forEach((c, id) => {
    const o = HEADER_SIZE + 4 * L + ENTRY_SIZE * (l * C + id);
    v.setUint32(o, at.get(c)!, true);
    v.setUint32(o + 4, c.data.length, true);
    v.setUint32(o + 8, c.samples, true);
    v.setInt16(o + 12, c.predictor, true);
    out[o + 14] = c.stepIndex;
    out[o + 15] = (uses.get(c) ?? 0) > 1 ? ENTRY_FLAG_SHARED : 0;
    v.setUint32(o + 16, voiceCrc32(c.data), true);
  }));
  v.setUint32(end, voiceCrc32(out.subarray(0, end)), true);
  for (const c of order) out.set(c.data, at.get(c)!);
  v.setUint32(total - 4, voiceCrc32(out.subarray(0, total - 4)), true);
  return out;
}
