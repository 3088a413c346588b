// The voice pack in the voice region (docs/voice-pack.md, the normative format): checked at boot
// (header and flags, every index entry in bounds and 4-aligned, pack CRC) and again clip by clip
// before it is played (the index CRC, which covers the entry's decoder state, the entry's bounds, the
// clip CRC). Any failure: nothing more is played from the pack (voiceOk false).
import { voice_size, voice_read } from "../hal";
import { crc32Update } from "../util/crc32";

const MAGIC: u32 = 0x50564753; // "SGVP"
const HDR: u32 = 32;
const ENTRY: u32 = 20;
/** The audio path's sample rate (docs/hal.md); a pack at any other rate is refused. */
export const SAMPLE_RATE: u32 = 8000;

// Clip ids of format version 1 (the same in every language): the digits are ids 0..9.
export const CLIP_YOUR_CODE_IS: u32 = 10;
export const CLIP_NEW_CODE: u32 = 11;
export const CLIP_REPEAT: u32 = 12;
export const CLIP_VOLUME: u32 = 13;
export const CLIP_LOUDER: u32 = 14; // then softer
export const CLIP_FASTER: u32 = 19; // then slower
export const CLIP_NORMAL_SPEED: u32 = 21;
export const CLIP_LANGUAGE: u32 = 22; // "sprog", "language": said in the language just chosen
export const CLIP_NOT_ACTIVATED: u32 = 25;
export const CLIP_BATTERY_LOW: u32 = 26;
export const CLIP_CLOCK_NOT_SET: u32 = 27;
export const CLIP_ERROR: u32 = 28;
export const CLIP_HEADSET: u32 = 29; // then speaker
const CLIPS_V1: u32 = 34;
/** The longest clip the player decodes (samples: 2.048 s at 8 kHz); a pack with a longer one is refused. */
export const CLIP_MAX: u32 = 16384;

const buf: usize = memory.data(256, 4);
/** The index entry voiceClip found: data offset, length, samples (u32 each), predictor i16, step index u8. */
export const ent: usize = memory.data(<i32>ENTRY, 4);

export let voiceOk = false;
/** A voice region exists: the device is an audio reader (set by voiceCheck at boot). */
export let voicePresent = false;
export function voiceFailed(): void { voiceOk = false; }
export let voiceLang: u32 = 0;
export let voiceLangs: u32 = 0;
let clips: u32 = 0;
let total: u32 = 0;
let dataOff: u32 = 0;


/** A failed read gives zeros, which fail the CRC that covers them. */
function read(addr: u32, dst: usize, len: u32): void {
  if (voice_read(addr, dst, len) != 0) memory.fill(dst, 0, len);
}

function read32(addr: u32): u32 {
  read(addr, buf, 4);
  return load<u32>(buf);
}

function crcRange(addr: u32, len: u32): u32 {
  let crc: u32 = 0;
  for (let a: u32 = 0; a < len; a += 256) {
    const n = len - a < 256 ? len - a : 256;
    read(addr + a, buf, n);
    crc = crc32Update(crc, buf, n);
  }
  return crc;
}

/** The boot check; true when the pack may be played from. `total - 4 >= size` (unsigned) refuses a
 *  length below 4 or beyond the region; the pack CRC covers the index and its CRC; every entry must
 *  lie 4-aligned between the data offset and the pack CRC; before each clip, the index CRC, its
 *  entry's bounds and the clip CRC are checked again. */
export function voiceCheck(): bool {
  voiceOk = false;
  const size = voice_size();
  voicePresent = size != 0;
  if (size < HDR) return false;
  read(0, buf, HDR);
  voiceLangs = load<u8>(buf + 6);
  clips = load<u8>(buf + 7);
  total = load<u32>(buf + 12);
  dataOff = load<u32>(buf + 16);
  const indexEnd = HDR + 4 * voiceLangs + ENTRY * voiceLangs * clips;
  if (load<u32>(buf) != MAGIC || load<u16>(buf + 4) != 0x0101 || voiceLangs - 1 > 7 || clips < CLIPS_V1
    || load<u32>(buf + 8) != SAMPLE_RATE || total - 4 >= size || (total & 3) != 0 || dataOff != indexEnd + 4
    || load<u32>(buf + 20) != 0) return false;
  for (let i: u32 = 0; i < voiceLangs * clips; i++) if (!entry(i)) return false;
  voiceOk = crcRange(0, total - 4) == read32(total - 4);
  return voiceOk;
}

/** Reads index entry i and checks its bounds. */
function entry(i: u32): bool {
  read(HDR + 4 * voiceLangs + ENTRY * i, ent, ENTRY);
  const clipAddr = load<u32>(ent), clipBytes = load<u32>(ent + 4), clipSamples = load<u32>(ent + 8);
  return (clipAddr & 3) == 0 && clipAddr >= dataOff && clipAddr <= total - 4 && clipBytes <= total - 4 - clipAddr
    && clipBytes == (clipSamples + 1) >> 1 && clipSamples - 1 < CLIP_MAX && load<u8>(ent + 14) <= 88;
}

/** Finds clip `id` of the current language and checks the index CRC (header, language table and
 *  every entry, the decoder's initial state among them: flash that decayed since boot) and the
 *  entry again (the player checks the clip CRC when it has read the clip); a failure ends all
 *  playing from the pack. */
export function voiceClip(id: u32): bool {
  if (!voiceOk || id >= clips) return false;
  voiceOk = crcRange(0, dataOff - 4) == read32(dataOff - 4) && entry(voiceLang * clips + id);
  return voiceOk;
}

/** Chooses language l (its number in the pack; 0 when there is no such language). */
export function setVoiceLang(l: u32): void {
  voiceLang = l < voiceLangs ? l : 0;
}

/** The current language's tag: its 4 bytes of the language table ("da\0\0" = 0x6164). */
export function voiceLangTag(): u32 {
  return read32(HDR + 4 * voiceLang);
}

/** Chooses the language whose tag is `tag` (the pack's first when it has none such). */
export function setVoiceLangTag(tag: u32): void {
  voiceLang = 0;
  for (let l: u32 = 0; l < voiceLangs; l++) if (read32(HDR + 4 * l) == tag) voiceLang = l;
}
