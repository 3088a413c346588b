// The audio code reader under test: a simulated device with the committed voice pack in its voice
// region, and what it said recovered from its audio output by matching against the pack (the
// voice pack library's matcher), never from a firmware log.
import assert from "node:assert/strict";
import { totp } from "@segl/host-sdk";
import {
  loadVoicePackFile, parseVoicePack, voiceCrc32, matchClips, clipSequence, pausesMs, describeTimeline, writeWav, readWav,
  READER_KEYS, AUDIO_RATE, type Timeline, type VoicePack, type DeviceOptions, type ClipMatch,
} from "@segl/simulator";
import { CMD, ST, SEED, newDevice, provisionPayload, timePayload } from "./service-util.js";

export const KEY = READER_KEYS;
export const MODEL_READER = 2;
export const voiceBytes = (): Uint8Array => loadVoicePackFile();
let packCache: VoicePack | undefined;
export const pack = (): VoicePack => (packCache ??= parseVoicePack(voiceBytes()));

/** Recomputes the index CRC and the pack CRC, so that only the check under test can catch a change. */
export function resealed(b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const end = 32 + 4 * b[6]! + 20 * b[6]! * b[7]!;
  dv.setUint32(end, voiceCrc32(b.subarray(0, end)), true);
  dv.setUint32(b.length - 4, voiceCrc32(b.subarray(0, b.length - 4)), true);
  return b;
}

/** A blank reader (voice region holds the committed pack unless `voice` says otherwise). */
export function newReader(opts: DeviceOptions = {}) {
  return newDevice({ voice: voiceBytes(), ...opts });
}

/** A reader provisioned as model 2 with the RFC 6238 seed (or `seed`) and its clock set. */
export function provisionedReader(o: { digits?: number; alg?: number; seed?: Uint8Array; at?: number } & DeviceOptions = {}) {
  const { digits, alg, seed, at, ...opts } = o;
  const h = newReader(opts);
  if (at !== undefined) h.clock.set(at);
  assert.equal(h.port.request(CMD.PROVISION, provisionPayload({ model: MODEL_READER, digits, alg, seed }))?.status, ST.OK);
  assert.equal(h.port.request(CMD.SET_TIME, timePayload(h.clock.now()))?.status, ST.OK);
  return h;
}

type Reader = ReturnType<typeof newReader>;

/** Presses `key`, lets `ms` of device time pass, and returns what the device played meanwhile. */
export function pressAndListen(h: Reader, key: number, ms = 10_000): Int16Array {
  h.device.audio.clear();
  h.device.click(key);
  h.clock.advance(ms);
  return h.device.audio.pcm();
}

/** Holds `key` for `holdMs`, lets `afterMs` pass, and returns what the device played meanwhile. */
export function holdAndListen(h: Reader, key: number, holdMs: number, afterMs = 3000): Int16Array {
  h.device.audio.clear();
  h.device.press(key);
  h.clock.advance(holdMs);
  h.device.release(key);
  h.clock.advance(afterMs);
  return h.device.audio.pcm();
}

/** The timeline of `pcm`, going through a WAV file and back (what `segl sim --out` writes). */
export function hear(pcm: Int16Array, languages?: string[]): Timeline {
  const wav = readWav(writeWav(pcm, AUDIO_RATE));
  assert.equal(wav.sampleRate, AUDIO_RATE);
  return matchClips(wav.samples, wav.sampleRate, pack(), languages ? { languages } : {});
}

export function clips(t: Timeline): ClipMatch[] {
  return t.items.filter((i): i is ClipMatch => i.kind === "clip");
}

/** "your_code_is", then the digits of `code` by name. */
export function codeClips(code: string, prompt = "your_code_is"): string[] {
  return [prompt, ...[...code].map((d) => `digit${d}`)];
}

/** Asserts the sequence, with the timeline in the failure message. */
export function assertSaid(t: Timeline, expected: string[], what: string): void {
  assert.deepEqual(clipSequence(t), expected, `${what}\n${describeTimeline(t)}`);
}

/** The code the device shows for its current time. */
export function expectedCode(h: Reader, opts: { digits?: number } = {}): string {
  return totp(SEED, { time: Math.floor(h.clock.now() / 1000), digits: opts.digits ?? 6 });
}

export function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

export { pausesMs, describeTimeline };
