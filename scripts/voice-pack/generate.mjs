#!/usr/bin/env node
// Regenerates the voice pack of the audio code reader from scripts/voice-pack/phrases.json with
// Debian's espeak-ng (docs/voice-pack.md, "Generation"):
//   node scripts/voice-pack/generate.mjs [--out firmware/voice/voice-pack.bin] [--quiet]
// espeak-ng (22,050 Hz) → windowed-sinc resampling to the pack rate → trim → fades → loudness
// normalisation → IMA ADPCM (simulator/src/audio/adpcm.ts) → the pack (simulator/src/audio/voice-pack.ts).
// Everything after espeak-ng is deterministic: the same espeak-ng gives the same bytes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runTs } from "../run-ts.mjs";
import { requireTools } from "../system-deps.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

/** Low-pass + resample with a Blackman-windowed sinc, half-width `taps` input samples. */
export function resample(x, inRate, outRate, cutoffHz = 0.45 * outRate, taps = 48) {
  const n = Math.floor((x.length * outRate) / inRate);
  const y = new Float64Array(n);
  const fc = cutoffHz / inRate;
  for (let t = 0; t < n; t++) {
    const num = t * inRate;
    const i0 = Math.floor(num / outRate);
    const frac = (num - i0 * outRate) / outRate;
    let acc = 0;
    for (let k = i0 - taps + 1; k <= i0 + taps; k++) {
      if (k < 0 || k >= x.length) continue;
      const d = k - (i0 + frac);
      const u = d / taps;
      if (u <= -1 || u >= 1) continue;
      const w = 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
      const s = d === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * d) / (Math.PI * d);
      acc += x[k] * s * w;
    }
    y[t] = acc;
  }
  return y;
}

/** Cuts to 4 ms before the first and 20 ms after the last sample above 1 % of the peak; 4 ms fades. */
export function trim(y, rate) {
  let peak = 0;
  for (const v of y) peak = Math.max(peak, Math.abs(v));
  const thr = peak * 0.01;
  let first = 0;
  while (first < y.length && Math.abs(y[first]) <= thr) first++;
  let last = y.length - 1;
  while (last > first && Math.abs(y[last]) <= thr) last--;
  const start = Math.max(0, first - Math.round(0.004 * rate));
  const end = Math.min(y.length, last + 1 + Math.round(0.02 * rate));
  const z = y.slice(start, end);
  const fade = Math.round(0.004 * rate);
  for (let i = 0; i < fade && i < z.length; i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / fade);
    z[i] *= g;
    z[z.length - 1 - i] *= g;
  }
  return z;
}

export const TARGET_RMS = 3000;
export const PEAK_LIMIT = 16000;

/** RMS over the voiced 20 ms frames (those within 20 dB of the loudest frame). */
function voicedRms(z, rate) {
  const f = Math.round(0.02 * rate);
  const frames = [];
  for (let i = 0; i + f <= z.length; i += f) {
    let s = 0;
    for (let j = i; j < i + f; j++) s += z[j] * z[j];
    frames.push(s / f);
  }
  if (!frames.length) return 0;
  const loud = Math.max(...frames);
  const voiced = frames.filter((e) => e >= loud / 100);
  return Math.sqrt(voiced.reduce((a, b) => a + b, 0) / voiced.length);
}

/** Scales to the target voiced RMS, or less if the peak would pass PEAK_LIMIT; rounds to 16 bits. */
export function normalise(z, rate) {
  let peak = 0;
  for (const v of z) peak = Math.max(peak, Math.abs(v));
  const rms = voicedRms(z, rate);
  const gain = rms > 0 ? Math.min(TARGET_RMS / rms, PEAK_LIMIT / peak) : 0;
  const out = new Int16Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = Math.max(-PEAK_LIMIT, Math.min(PEAK_LIMIT, Math.round(z[i] * gain)));
  return out;
}

/** Phase-continuous sine segments at amplitude 8000 with 5 ms raised-cosine ramps at both ends. */
export function tone(segments, rate) {
  const total = segments.reduce((a, s) => a + Math.round((s.ms * rate) / 1000), 0);
  const out = new Int16Array(total);
  const ramp = Math.round(0.005 * rate);
  let phase = 0;
  let t = 0;
  for (const s of segments) {
    const n = Math.round((s.ms * rate) / 1000);
    for (let i = 0; i < n; i++, t++) {
      const g = t < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * t) / ramp) : total - 1 - t < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * (total - 1 - t)) / ramp) : 1;
      out[t] = Math.round(8000 * g * Math.sin(phase));
      phase += (2 * Math.PI * s.hz) / rate;
      if (phase >= 2 * Math.PI) phase -= 2 * Math.PI;
    }
  }
  return out;
}

export function espeakVersion() {
  const r = spawnSync("espeak-ng", ["--version"], { encoding: "utf8" });
  const m = /eSpeak NG text-to-speech: (\S+)/.exec(r.stdout ?? "");
  return m ? m[1] : undefined;
}

/** Builds the pack bytes from a phrases file. */
export async function generate(phrasesPath = join(here, "phrases.json"), log = () => {}) {
  requireTools("espeak-ng");
  const { encodeAdpcm, decodeAdpcm } = await runTs(new URL("../../simulator/src/audio/adpcm.ts", import.meta.url).href);
  const { buildVoicePack, CLIP_NAMES } = await runTs(new URL("../../simulator/src/audio/voice-pack.ts", import.meta.url).href);
  const { readWav } = await runTs(new URL("../../simulator/src/audio/wav.ts", import.meta.url).href);
  const spec = JSON.parse(readFileSync(phrasesPath, "utf8"));
  const rate = spec.sampleRate;
  const tmp = mkdtempSync(join(tmpdir(), "segl-voice-"));
  try {
    // ADPCM overshoots a little: scale down until the decoded clip, not just its input, stays under PEAK_LIMIT.
    const encodeLimited = (pcm) => {
      for (let x = pcm; ;) {
        const enc = encodeAdpcm(x);
        const peak = decodeAdpcm(enc.data, enc.samples, enc.predictor, enc.stepIndex).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        if (peak <= PEAK_LIMIT) return enc;
        const g = (PEAK_LIMIT - 200) / peak;
        x = x.map((v) => Math.round(v * g));
      }
    };
    const speak = (voice, wpm, text) => {
      const file = join(tmp, "clip.wav");
      const r = spawnSync("espeak-ng", ["-v", voice, "-s", String(wpm), "-w", file, "--", text], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`espeak-ng -v ${voice} "${text}" failed: ${r.stderr}`);
      const wav = readWav(new Uint8Array(readFileSync(file)));
      const x = Float64Array.from(wav.samples);
      const pcm = normalise(trim(resample(x, wav.sampleRate, rate), rate), rate);
      log(`${voice.padEnd(3)} ${text.padEnd(26)} ${(pcm.length / rate).toFixed(2)} s`);
      return encodeLimited(pcm);
    };
    const shared = new Map();
    for (const [name, s] of Object.entries(spec.shared)) shared.set(name, speak(s.voice, s.wordsPerMinute, s.text));
    for (const [name, segs] of Object.entries(spec.tones)) shared.set(name, encodeLimited(tone(segs, rate)));
    const clips = spec.languages.map((lang) => CLIP_NAMES.map((name) => {
      if (shared.has(name)) return shared.get(name);
      const text = lang.phrases[name];
      if (typeof text !== "string") throw new Error(`phrases.json: ${lang.tag} has no phrase for ${name}`);
      return speak(lang.voice, lang.wordsPerMinute, text);
    }));
    return buildVoicePack({ sampleRate: rate, languages: spec.languages.map((l) => l.tag), clips });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf("--out");
  const out = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(root, "firmware/voice/voice-pack.bin");
  const quiet = args.includes("--quiet");
  const spec = JSON.parse(readFileSync(join(here, "phrases.json"), "utf8"));
  const version = espeakVersion();
  if (version !== spec.espeakVersion && !quiet) console.error(`note: espeak-ng ${version}, the committed pack was made with ${spec.espeakVersion}: the bytes will differ`);
  const bytes = await generate(undefined, quiet ? () => {} : (s) => console.error(s));
  writeFileSync(out, bytes);
  if (!quiet) console.error(`wrote ${out} (${bytes.length} bytes)`);
}
