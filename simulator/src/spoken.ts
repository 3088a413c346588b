// What a simulated audio reader said: its audio output as a WAV file and as a timeline of the voice
// pack's clips, found by matching the samples against the pack in its voice region (the pack
// library's matcher), never from the firmware. No Node.js APIs (issue 12 runs this in a browser).
import type { Device } from "./device.js";
import { AUDIO_RATE } from "./audio-out.js";
import { writeWav } from "./audio/wav.js";
import { parseVoicePack, type VoicePack } from "./audio/voice-pack.js";
import { matchClips, type MatchOptions } from "./audio/clip-matcher.js";

export interface SpokenItem {
  kind: "clip" | "silence" | "unknown";
  /** For a clip: its name in the pack ("digit7", "your_code_is"); a cut-off clip has truncated true. */
  name?: string;
  id?: number;
  languages?: string[];
  startMs: number;
  endMs: number;
  /** Speed × 256 and gain (1 = the pack's level) of a clip. */
  speedQ8?: number;
  gain?: number;
  truncated?: boolean;
}

export interface Spoken {
  sampleRate: number;
  durationMs: number;
  /** Where the sound went when it was written last: "speaker" or "headset". */
  output: "speaker" | "headset";
  items: SpokenItem[];
  /** The clip names in order ("?" for a sound that is no clip of the pack, "name…" for a cut-off one). */
  clips: string[];
}

const packs = new WeakMap<Uint8Array, VoicePack | null>();

/** The pack in the device's voice region, or null when it has none or it does not parse. */
export function devicePack(device: Device): VoicePack | null {
  const v = device.voice;
  if (!v) return null;
  let p = packs.get(v);
  if (p === undefined) {
    try { p = parseVoicePack(v); } catch { p = null; }
    packs.set(v, p);
  }
  return p;
}

/** What the device played since its audio track was last cleared, as a WAV file (16-bit mono). */
export function spokenWav(device: Device): Uint8Array {
  return writeWav(device.audio.pcm(), AUDIO_RATE);
}

/**
 * What the device played, clip by clip. With a damaged pack (or none) every sound is "unknown":
 * the reader then plays only its own tones, which is what a test expects to find.
 */
export function spokenTimeline(device: Device, options: MatchOptions = {}): Spoken {
  const pcm = device.audio.pcm();
  const ms = (s: number) => Math.round((s * 1000 * 10) / AUDIO_RATE) / 10;
  const pack = devicePack(device);
  const items: SpokenItem[] = [];
  if (pack) {
    for (const i of matchClips(pcm, AUDIO_RATE, pack, options).items) {
      if (i.kind === "clip") {
        items.push({ kind: "clip", name: i.name, id: i.id, languages: i.languages, startMs: ms(i.start), endMs: ms(i.end), speedQ8: i.speedQ8, gain: Math.round(i.gain * 1000) / 1000, truncated: i.truncated });
      } else items.push({ kind: i.kind, startMs: ms(i.start), endMs: ms(i.end) });
    }
  } else if (pcm.some((v) => v !== 0)) items.push({ kind: "unknown", startMs: 0, endMs: ms(pcm.length) });
  return {
    sampleRate: AUDIO_RATE,
    durationMs: ms(pcm.length),
    output: device.audio.output,
    items,
    clips: items.flatMap((i) => (i.kind === "clip" ? [i.truncated ? `${i.name}…` : i.name!] : i.kind === "unknown" ? ["?"] : [])),
  };
}
