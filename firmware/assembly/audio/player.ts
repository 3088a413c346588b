// The audio player: a fixed queue of items (voice clips, pauses, tones) rendered frame by frame
// into 16-bit PCM and handed to hal.audio_write with back-pressure (docs/hal.md "Audio"). A clip
// is read whole into the end of one PCM buffer, its CRC checked there, and decoded in place (each
// sample lands before the codes still to be read); the speed change of docs/voice-pack.md "Speed"
// (overlap-add, fixed hop) reads from it; the volume gain comes last.
// Fixed memory: the queue, one frame, the clip buffer.
import { audio_write, voice_read } from "../hal";
import { adpcmReset, adpcmNext } from "./adpcm";
import { voiceClip, voiceFailed, ent, SAMPLE_RATE, CLIP_MAX } from "./voice";
import { crc32 } from "../util/crc32";

/** Samples per frame handed to audio_write (32 ms at 8 kHz). */
export const FRAME: u32 = 256;
const HOP: u32 = SAMPLE_RATE / 40; // 25 ms
const XFADE: u32 = 64;

// Queue items (u16): kind in bits 14..15.
export const ITEM_CLIP: u32 = 0x0000; // | clip id
export const ITEM_PAUSE: u32 = 0x4000; // | duration in 10 ms units
/** A square-wave tone made here (it needs no pack): | half period in samples (a power of 2) << 8 | duration in 10 ms units. */
export const ITEM_TONE: u32 = 0x8000;
const Q_MAX: u32 = 32;

/** Volume levels 1..7, 3 dB apart; gain Q8 (256 = the pack's level at 5, 512 = +6 dB at 7, the pack's headroom). */
export const VOLUME_MIN: i32 = 1;
export const VOLUME_MAX: i32 = 7;
export const VOLUME_DEFAULT: i32 = 5;

const queue: usize = memory.data(<i32>Q_MAX * 2, 2);
const frame: usize = memory.data(<i32>FRAME * 2, 4);
const pcm: usize = memory.data(<i32>CLIP_MAX * 2, 4);

let qLen: u32 = 0;
let qPos: u32 = 0;
let kind: u32 = 0;
let arg: u32 = 0;
let remain: u32 = 0; // output samples left in the current item
let frameLen: u32 = 0;
// the clip being played: decoded input samples so far, output position (segment k, offset j)
let clipN: u32 = 0;
let segJ: u32 = 0;
let aPrev: u32 = 0;
let aCur: u32 = 0;
let tone: u32 = 0;
export let playing = false;
export let volume: i32 = VOLUME_DEFAULT;
/** Input samples per output hop: HOP · q / 256 for the speed factor q/256 of docs/voice-pack.md
 *  (the firmware's speeds make it a whole number: 150, 200, 250, 300). */
let hopIn: u32 = HOP;

export function setVolume(v: i32): void {
  volume = v < VOLUME_MIN ? VOLUME_MIN : v > VOLUME_MAX ? VOLUME_MAX : v;
}

/** Speed level 0..3: q/256 = 0.75, 1, 1.25, 1.5 (docs/voice-pack.md "Speed"), so HOP · q / 256 = 150 + 50 · level. */
export function setSpeed(level: i32): void {
  hopIn = 150 + 50 * <u32>level;
}

/** Stops at once: the queue and every sample not yet heard are dropped. */
export function playerStop(): void {
  qLen = 0; qPos = 0; remain = 0; frameLen = 0;
  playing = false;
  audio_write(frame, 0); // drops what is queued
}

/** Adds an item; a full queue drops it (no message has more than Q_MAX items). */
export function enqueue(item: u32): void {
  if (qLen < Q_MAX) { store<u16>(queue + (<usize>qLen << 1), <u16>item); qLen++; }
}

/** Queues the voice-pack error signal, made here: 1,000 Hz then 500 Hz, 150 ms each. */
export function errorTone(): void {
  enqueue(ITEM_TONE | 4 << 8 | 15);
  enqueue(ITEM_TONE | 8 << 8 | 15);
}

export function playerStart(): void {
  playing = true;
  playerPump();
}

/** Writes frames until the queue is done or the output is full (then the host calls audio_ready). */
export function playerPump(): void {
  while (playing) {
    if (frameLen == 0 && !fill()) { playing = false; return; }
    if (audio_write(frame, frameLen) <= 0) return; // full: `tick` comes when there is room (or no audio hardware)
    frameLen = 0;
  }
}

/** Input sample i of the current clip (0 past its end). */
function input(i: u32): i32 {
  return i < clipN ? <i32>load<i16>(pcm + (<usize>i << 1)) : 0;
}

/** Reads, checks and decodes clip `id`; false when the pack failed (then nothing of it plays). */
function clipStart(id: u32): bool {
  if (!voiceClip(id)) return false;
  const n = load<u32>(ent + 8), bytes = load<u32>(ent + 4);
  const src = pcm + (<usize>CLIP_MAX << 1) - bytes;
  if (voice_read(load<u32>(ent), src, bytes) != 0 || crc32(src, bytes) != load<u32>(ent + 16)) { voiceFailed(); return false; }
  adpcmReset(<i32>load<i16>(ent + 12), <i32>load<u8>(ent + 14));
  for (let i: u32 = 0; i < n; i++) {
    store<i16>(pcm + (<usize>i << 1), <i16>adpcmNext((<i32>load<u8>(src + (i >> 1)) >> ((i & 1) << 2)) & 15));
  }
  clipN = n;
  return true;
}

function fill(): bool {
  while (remain == 0) {
    if (qPos >= qLen) return false;
    const item = <u32>load<u16>(queue + (<usize>qPos << 1));
    qPos++;
    kind = item & 0xc000;
    arg = item & 0x3fff;
    if (kind == ITEM_CLIP) {
      if (!clipStart(arg)) { qLen = 0; qPos = 0; errorTone(); continue; } // a damaged clip: the error tone instead
      segJ = 0; aCur = 0;
      aPrev = -HOP; // segment 0 "crossfades" with itself: x[j]
      remain = (load<u32>(ent + 8) * HOP + hopIn - 1) / hopIn; // ⌈n · 256 / q⌉
    } else remain = (arg & 0xff) * (SAMPLE_RATE / 100) * (kind == ITEM_PAUSE ? HOP : hopIn) / hopIn; // pauses follow the speed
    tone = 0;
  }
  const n = remain < FRAME ? remain : FRAME;
  // 64 · 2^((volume − 1) / 2): 64, 90, 128, 181, 256, 362, 512 (181/128 ≈ √2)
  let gain = 64 << ((volume - 1) >> 1);
  if (!(volume & 1)) gain = gain * 181 >> 7;
  for (let i: u32 = 0; i < n; i++) {
    let s: i32 = 0;
    if (kind == ITEM_CLIP) {
      // output sample k·HOP + j reads input a(k) + j, crossfaded over XFADE with a(k−1) + HOP + j
      if (segJ == HOP) { segJ = 0; aPrev = aCur; aCur += hopIn; }
      const j = segJ++;
      s = input(aCur + j);
      if (j < XFADE) s = (input(aPrev + HOP + j) * <i32>(XFADE - j) + s * <i32>j) >> 6;
    } else if (kind == ITEM_TONE) s = (tone++ & (arg >> 8)) != 0 ? 8000 : -8000;
    s = (s * gain) >> 8;
    store<i16>(frame + (<usize>i << 1), <i16>(s < -32768 ? -32768 : s > 32767 ? 32767 : s));
  }
  remain -= n;
  frameLen = n;
  return true;
}
