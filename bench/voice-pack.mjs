// The voice pack of the audio code reader (docs/voice-pack.md): its size per language, clip count and
// seconds of speech, and what the TypeScript pack library costs — the ADPCM decoder and encoder, the
// checked parse, the clip matcher the tests use — as multiples of real time (8,000 samples = 1 s).
import { readFileSync } from "node:fs";
import { parseVoicePack, decodeAdpcm, encodeAdpcm, changeSpeed, matchClips, clipSequence, CLIP_NAMES } from "@segl/simulator";
import { measure } from "./lib.mjs";

const bytes = new Uint8Array(readFileSync(new URL("../firmware/voice/voice-pack.bin", import.meta.url)));
const pack = parseVoicePack(bytes);
const rate = pack.sampleRate;

console.log("\n## Voice pack (firmware/voice/voice-pack.bin)\n");
console.log(`${bytes.length.toLocaleString("en-US")} bytes in all (${(bytes.length / 1024).toFixed(1)} KiB), ${pack.languages.length} languages × ${pack.clipCount} clips, IMA ADPCM at ${rate} Hz; header and index ${pack.header.dataOffset} bytes\n`);
console.log("| language | clip data (KiB, shared clips counted) | speech + tones (s) | digits 0–9 (s, mean) | \"your code is\" (s) |");
console.log("|---|---:|---:|---:|---:|");
for (const lang of pack.languages) {
  const es = CLIP_NAMES.map((n) => pack.entry(lang, n));
  const kib = es.reduce((a, e) => a + e.length, 0) / 1024;
  const sec = es.reduce((a, e) => a + e.samples, 0) / rate;
  const digits = es.slice(0, 10).reduce((a, e) => a + e.samples, 0) / rate / 10;
  console.log(`| ${lang} | ${kib.toFixed(1)} | ${sec.toFixed(2)} | ${digits.toFixed(3)} | ${(pack.entry(lang, "your_code_is").samples / rate).toFixed(2)} |`);
}

// Everything decoded once: the decoder's workload, and the encoder's input.
const entries = [...new Map(pack.languages.flatMap((l) => CLIP_NAMES.map((n) => pack.entry(l, n))).map((e) => [e.offset, e])).values()];
const totalSamples = entries.reduce((a, e) => a + e.samples, 0);
const pcms = entries.map((e) => decodeAdpcm(bytes.subarray(e.offset, e.offset + e.length), e.samples, e.predictor, e.stepIndex));
// cross-check: the encoder's output decodes to within 20 dB SNR of its input, and the pack decodes as parsed
for (const [i, e] of entries.entries()) if (pcms[i].some((v, k) => v !== pack.decode(e.language, e.id)[k])) throw new Error("decoders differ");
{
  const x = pcms[0];
  const enc = encodeAdpcm(x);
  const y = decodeAdpcm(enc.data, enc.samples, enc.predictor, enc.stepIndex);
  let s = 0, n = 0;
  for (let i = 0; i < x.length; i++) { s += x[i] ** 2; n += (x[i] - y[i]) ** 2; }
  if (10 * Math.log10(s / n) < 20) throw new Error("encoder round trip below 20 dB");
}
const second = pcms.find((p) => p.length >= rate / 2) ?? pcms[0];
const code = [pack.decode("en", "your_code_is"), ...[4, 8, 1, 2, 9, 0].map((d) => pack.decode("en", d))];
const gap = new Int16Array(rate / 5);
const signal = new Int16Array(code.reduce((a, c) => a + c.length + gap.length, 0));
{ let o = 0; for (const c of code) { signal.set(c, o); o += c.length + gap.length; } }
const fast = (() => { const parts = code.map((c) => changeSpeed(c, 384, rate)); const s = new Int16Array(parts.reduce((a, c) => a + c.length + gap.length, 0)); let o = 0; for (const c of parts) { s.set(c, o); o += c.length + gap.length; } return s; })();
const want = ["your_code_is", "digit4", "digit8", "digit1", "digit2", "digit9", "digit0"].join();
if (clipSequence(matchClips(signal, rate, pack, { languages: ["en"] })).join() !== want) throw new Error("matcher failed at 1×");
if (clipSequence(matchClips(fast, rate, pack, { languages: ["en"] })).join() !== want) throw new Error("matcher failed at 1.5×");

const rows = [
  [measure("decode the whole pack (TS decoder)", () => { for (const e of entries) decodeAdpcm(bytes.subarray(e.offset, e.offset + e.length), e.samples, e.predictor, e.stepIndex); }), totalSamples],
  [measure("encode one clip (TS encoder, 16-way search)", () => encodeAdpcm(second)), second.length],
  [measure("speed change 1.5× of the same clip", () => changeSpeed(second, 384, rate)), second.length],
  [measure("parse + check the pack (3 CRCs, every clip)", () => parseVoicePack(bytes)), totalSamples],
  [measure("match a spoken code at 1× (en candidates, 6 speeds)", () => matchClips(signal, rate, pack, { languages: ["en"] })), signal.length],
  [measure("match a spoken code at 1.5× (en candidates, 6 speeds)", () => matchClips(fast, rate, pack, { languages: ["en"] })), fast.length],
];
console.log("\n## Voice pack library (TypeScript, simulator/src/audio)\n");
console.log("| operation | per call | samples/s | × real time |");
console.log("|---|---:|---:|---:|");
for (const [r, samples] of rows) {
  const perCall = 1000 / r.opsPerSec;
  const sps = samples * r.opsPerSec;
  console.log(`| ${r.name} | ${perCall < 1 ? (perCall * 1000).toFixed(0) + " µs" : perCall.toFixed(1) + " ms"} | ${Math.round(sps).toLocaleString("en-US")} | ${(sps / rate).toFixed(0)}× |`);
}
