// Test helpers for the voice pack: the committed pack, and signals made of its clips.
import { readFileSync } from "node:fs";
import { changeSpeed, parseVoicePack, type ClipName, type VoicePack } from "../src/index.js";

export const PACK_PATH = new URL("../../firmware/voice/voice-pack.bin", import.meta.url);
export const packBytes = (): Uint8Array => new Uint8Array(readFileSync(PACK_PATH));
export const committedPack = (): VoicePack => parseVoicePack(packBytes());

/** One part of a synthetic utterance: a clip, then a pause. */
export interface Part { clip: ClipName | number; pauseMs: number; lang?: string }

/** Clips of `pack` at speed q/256 and `gain` (rounded, clipped to 16 bits) with pauses of zeros. */
export function utterance(pack: VoicePack, lang: string, parts: readonly Part[], q = 256, gain = 1, leadMs = 0): Int16Array {
  const chunks: Int16Array[] = [new Int16Array(Math.round((leadMs * pack.sampleRate) / 1000))];
  for (const p of parts) {
    const pcm = changeSpeed(pack.decode(p.lang ?? lang, p.clip), q, pack.sampleRate);
    chunks.push(pcm.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * gain)))));
    chunks.push(new Int16Array(Math.round((p.pauseMs * pack.sampleRate) / 1000)));
  }
  const out = new Int16Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
