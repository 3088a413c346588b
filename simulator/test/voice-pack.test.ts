// The voice pack format (docs/voice-pack.md): the committed pack, damaged packs, the writer, WAV files.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { crc32 as zlibCrc32 } from "node:zlib";
import {
  parseVoicePack, buildVoicePack, voiceCrc32, VoicePackError, CLIP, CLIP_NAMES, CLIP_COUNT_V1, SHARED_CLIPS,
  encodeAdpcm, decodeAdpcm, writeWav, readWav, WavError, type VoicePackErrorCode, type EncodedAdpcm,
} from "../src/index.js";
import { committedPack, packBytes } from "./voice-helpers.js";

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const setU32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
const indexEnd = (b: Uint8Array): number => 32 + 4 * b[6]! + 20 * b[6]! * b[7]!;
/** Recomputes the index CRC and the pack CRC, so that a test reaches the check behind them. */
function fixCrcs(b: Uint8Array): Uint8Array {
  const end = indexEnd(b);
  setU32(b, end, zlibCrc32(b.subarray(0, end)));
  const total = u32(b, 12);
  if (total <= b.length && total >= 4) setU32(b, total - 4, zlibCrc32(b.subarray(0, total - 4)));
  return b;
}
function code(b: Uint8Array, options?: Parameters<typeof parseVoicePack>[1]): VoicePackErrorCode | "ok" {
  try {
    parseVoicePack(b, options);
    return "ok";
  } catch (e) {
    assert.ok(e instanceof VoicePackError, `not a VoicePackError: ${String(e)}`);
    return e.code;
  }
}

describe("the committed pack (firmware/voice/voice-pack.bin)", () => {
  const pack = committedPack();
  const bytes = packBytes();

  test("is a version-1 IMA ADPCM pack at 8 kHz with Danish and English and every clip id", () => {
    assert.deepEqual([...bytes.subarray(0, 4)], [0x53, 0x47, 0x56, 0x50]);
    assert.equal(pack.header.version, 1);
    assert.equal(pack.header.codec, 1);
    assert.equal(pack.sampleRate, 8000);
    assert.deepEqual(pack.languages, ["da", "en"]);
    assert.equal(pack.clipCount, CLIP_COUNT_V1);
    assert.equal(CLIP_COUNT_V1, 34);
    assert.equal(pack.header.totalLength, bytes.length);
    assert.equal(bytes.length % 4, 0);
    assert.equal(pack.header.packCrc, zlibCrc32(bytes.subarray(0, bytes.length - 4)));
  });

  test("shared clips are stored once; every other clip has data of its own; no data ranges overlap", () => {
    const ranges = new Map<number, number>();
    for (const lang of pack.languages) {
      for (const name of CLIP_NAMES) {
        const e = pack.entry(lang, name);
        assert.equal(e.shared, SHARED_CLIPS.includes(name), `${lang} ${name} shared flag`);
        assert.equal(e.offset % 4, 0);
        ranges.set(e.offset, e.length);
      }
      for (const name of SHARED_CLIPS) assert.equal(pack.entry(lang, name).offset, pack.entry(0, name).offset);
    }
    assert.equal(ranges.size, 2 * (CLIP_COUNT_V1 - SHARED_CLIPS.length) + SHARED_CLIPS.length);
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]![0] + sorted[i - 1]![1] <= sorted[i]![0], "overlap");
  });

  test("clips are speech-length, start and end near zero, and no decoded sample passes 16,000 (so a gain of 2 never clips)", () => {
    for (const lang of pack.languages) {
      for (const name of CLIP_NAMES) {
        const pcm = pack.decode(lang, name);
        const sec = pcm.length / 8000;
        const isDigit = name.startsWith("digit");
        assert.ok(sec > 0.1 && sec < (isDigit ? 0.7 : 1.5), `${lang} ${name}: ${sec} s`);
        const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assert.ok(peak > 4000 && peak <= 16000, `${lang} ${name}: peak ${peak}`);
        assert.ok(Math.abs(pcm[0]!) < 800 && Math.abs(pcm.at(-1)!) < 800, `${lang} ${name}: starts ${pcm[0]}, ends ${pcm.at(-1)}`);
      }
    }
  });

  test("the tones are what the doc says: 1,000 Hz and 500 Hz for 120 ms", () => {
    for (const [name, hz] of [["beep", 1000], ["low_beep", 500]] as const) {
      const pcm = pack.decode("en", name);
      assert.equal(pcm.length, 960);
      let c = 0;
      for (let i = 1; i < pcm.length; i++) if ((pcm[i - 1]! < 0) !== (pcm[i]! < 0)) c++;
      assert.ok(Math.abs(c / 2 / 0.12 - hz) < hz * 0.05, `${name}: ${c / 2 / 0.12} Hz`);
    }
    assert.equal(pack.decode("da", "error_tone").length, 2400);
  });

  test("each language's clip data (shared clips included) stays under 128 KiB", () => {
    for (const lang of pack.languages) {
      const perLang = CLIP_NAMES.reduce((a, n) => a + pack.entry(lang, n).length, 0);
      assert.ok(perLang < 128 * 1024, `${lang}: ${perLang} bytes`);
    }
  });

  test("lookups: by tag or number, by id or name; unknown ones are typed errors", () => {
    assert.equal(pack.entry("en", "digit7"), pack.entry(1, 7));
    assert.equal(CLIP.digit7, 7);
    assert.equal(CLIP.beep, 31);
    assert.equal(pack.entry("da", CLIP.your_code_is).name, "your_code_is");
    assert.throws(() => pack.entry("sv", 1), (e: unknown) => e instanceof VoicePackError && e.code === "NO_SUCH_LANGUAGE");
    assert.throws(() => pack.entry(2, 1), (e: unknown) => e instanceof VoicePackError && e.code === "NO_SUCH_LANGUAGE");
    assert.throws(() => pack.entry("da", 34), (e: unknown) => e instanceof VoicePackError && e.code === "NO_SUCH_CLIP");
    assert.throws(() => pack.entry("da", -1), (e: unknown) => e instanceof VoicePackError && e.code === "NO_SUCH_CLIP");
    assert.throws(() => pack.entry("da", 1.5), (e: unknown) => e instanceof VoicePackError && e.code === "NO_SUCH_CLIP");
  });
});

describe("damaged packs are refused with the first failing check", () => {
  const good = packBytes();
  const damaged = (f: (b: Uint8Array) => void, fix = true): Uint8Array => {
    const b = good.slice();
    f(b);
    return fix ? fixCrcs(b) : b;
  };

  test("each header field", () => {
    assert.equal(code(good), "ok");
    assert.equal(code(good.subarray(0, 20)), "TRUNCATED");
    assert.equal(code(good.subarray(0, good.length - 4)), "TRUNCATED");
    assert.equal(code(damaged((b) => { b[0] = 0x54; }, false)), "BAD_MAGIC");
    assert.equal(code(damaged((b) => { b[4] = 2; })), "BAD_VERSION");
    assert.equal(code(damaged((b) => { b[5] = 2; })), "BAD_CODEC");
    assert.equal(code(damaged((b) => { b[6] = 0; }, false)), "BAD_COUNTS");
    assert.equal(code(damaged((b) => { b[6] = 9; }, false)), "BAD_COUNTS");
    assert.equal(code(damaged((b) => { b[7] = 33; }, false)), "BAD_COUNTS");
    assert.equal(code(damaged((b) => setU32(b, 8, 7999))), "BAD_RATE");
    assert.equal(code(damaged((b) => setU32(b, 8, 48001))), "BAD_RATE");
    assert.equal(code(damaged((b) => setU32(b, 12, good.length + 2), false)), "BAD_LENGTH");
    assert.equal(code(damaged((b) => setU32(b, 12, 2 * 1024 * 1024), false)), "BAD_LENGTH");
    assert.equal(code(damaged((b) => setU32(b, 12, good.length + 4), false)), "TRUNCATED");
    assert.equal(code(good, { regionSize: good.length - 4 }), "BAD_LENGTH");
    assert.equal(code(damaged((b) => setU32(b, 16, u32(b, 16) + 4))), "BAD_DATA_OFFSET");
    assert.equal(code(damaged((b) => { b[20] = 1; })), "BAD_FLAGS");
    assert.equal(code(damaged((b) => { b[31] = 1; })), "BAD_FLAGS");
  });

  test("the language table and each index field", () => {
    const entry = (b: Uint8Array, l: number, c: number): number => 32 + 4 * b[6]! + 20 * (l * b[7]! + c);
    assert.equal(code(damaged((b) => { b[32] = 0x44; })), "BAD_ENTRY"); // "Da"
    assert.equal(code(damaged((b) => { b[36] = 0x64; b[37] = 0x61; })), "BAD_ENTRY"); // two "da"
    assert.equal(code(damaged((b) => { b[33] = 0; })), "BAD_ENTRY"); // "d"
    assert.equal(code(damaged((b) => setU32(b, entry(b, 0, 5), u32(b, entry(b, 0, 5)) + 2))), "BAD_ENTRY"); // misaligned
    assert.equal(code(damaged((b) => setU32(b, entry(b, 0, 5), 8))), "BAD_ENTRY"); // inside the index
    assert.equal(code(damaged((b) => setU32(b, entry(b, 1, 5), good.length - 8))), "BAD_ENTRY"); // past the end
    assert.equal(code(damaged((b) => setU32(b, entry(b, 1, 5) + 4, u32(b, entry(b, 1, 5) + 4) + 1))), "BAD_ENTRY"); // length ≠ ⌈n/2⌉
    assert.equal(code(damaged((b) => setU32(b, entry(b, 1, 5) + 8, 0))), "BAD_ENTRY"); // no samples
    assert.equal(code(damaged((b) => { b[entry(b, 0, 3) + 14] = 89; })), "BAD_ENTRY"); // step index
    assert.equal(code(damaged((b) => { b[entry(b, 0, 3) + 15] = 2; })), "BAD_ENTRY"); // reserved flag
    assert.equal(code(damaged((b) => { b[entry(b, 1, 33) + 16] ^= 1; })), "CLIP_CRC"); // clip CRC field
    assert.equal(code(damaged((b) => { b[entry(b, 1, 33) + 16] ^= 1; }), { verifyClips: false }), "ok");
  });

  test("a flipped bit anywhere in the header or index (CRCs left alone) is refused", () => {
    const end = indexEnd(good) + 4;
    for (let i = 0; i < end; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = good.slice();
        b[i] ^= 1 << bit;
        assert.notEqual(code(b), "ok", `byte ${i} bit ${bit}`);
      }
    }
  });

  test("a flipped bit in clip data or padding fails the pack CRC; with the pack CRC redone, the clip CRC", () => {
    const dataOffset = u32(good, 16);
    for (let k = 0; k < 40; k++) {
      const at = dataOffset + ((k * 7919) % (good.length - 4 - dataOffset));
      const b = good.slice();
      b[at] ^= 1 << (k % 8);
      assert.equal(code(b), "PACK_CRC", `byte ${at}`);
      setU32(b, b.length - 4, zlibCrc32(b.subarray(0, b.length - 4)));
      const c = code(b);
      // the byte belongs to a clip (CLIP_CRC) or to the zero padding between clips, which only the pack CRC covers
      assert.ok(c === "CLIP_CRC" || c === "ok", `byte ${at}: ${c}`);
    }
    const e = committedPack().entry("en", "digit4");
    const b = good.slice();
    b[e.offset + 10] ^= 0x10;
    setU32(b, b.length - 4, zlibCrc32(b.subarray(0, b.length - 4)));
    assert.equal(code(b), "CLIP_CRC");
    const lazy = parseVoicePack(b, { verifyClips: false });
    assert.throws(() => lazy.decode("en", "digit4"), (x: unknown) => x instanceof VoicePackError && x.code === "CLIP_CRC" && /digit4/.test(x.message));
    assert.equal(lazy.decode("en", "digit5").length, committedPack().entry("en", "digit5").samples);
  });

  test("not bytes at all is a typed error", () => {
    assert.equal(code("SGVP" as unknown as Uint8Array), "BAD_INPUT");
  });
});

describe("writing packs", () => {
  const tone = (hz: number, n: number): EncodedAdpcm => encodeAdpcm(Int16Array.from({ length: n }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * hz * i) / 16000))));

  test("a pack built from clips parses back to the same clips, with shared data stored once and 4-byte alignment", () => {
    const shared = tone(700, 101);
    const clips = ["fr", "de", "nl"].map((_, l) => Array.from({ length: 40 }, (_, id) => (id === 31 ? shared : tone(200 + 50 * id + 7 * l, 51 + id))));
    const bytes = buildVoicePack({ sampleRate: 16000, languages: ["fr", "de", "nl"], clips });
    const p = parseVoicePack(bytes);
    assert.equal(p.clipCount, 40);
    assert.equal(p.sampleRate, 16000);
    assert.equal(p.entry("nl", 31).offset, p.entry("fr", 31).offset);
    assert.ok(p.entry("de", 31).shared && !p.entry("de", 30).shared);
    assert.equal(p.entry("fr", 31).offset, p.header.dataOffset, "shared clips come first");
    for (let l = 0; l < 3; l++) {
      for (let id = 0; id < 40; id++) {
        const c = clips[l]![id]!;
        assert.deepEqual(p.decode(l, id), decodeAdpcm(c.data, c.samples, c.predictor, c.stepIndex));
        assert.equal(p.entry(l, id).offset % 4, 0);
      }
    }
    assert.equal(p.entry("de", 39).name, "clip39");
    assert.deepEqual(buildVoicePack({ sampleRate: 16000, languages: ["fr", "de", "nl"], clips }), bytes, "deterministic");
  });

  test("refuses what the format cannot hold", () => {
    const c = tone(500, 10);
    const row = Array.from({ length: 34 }, () => c);
    const err = (f: () => unknown, want: VoicePackErrorCode): void => { assert.throws(f, (e: unknown) => e instanceof VoicePackError && e.code === want); };
    err(() => buildVoicePack({ sampleRate: 8000, languages: [], clips: [] }), "BAD_COUNTS");
    err(() => buildVoicePack({ sampleRate: 8000, languages: ["en"], clips: [row.slice(1)] }), "BAD_COUNTS");
    err(() => buildVoicePack({ sampleRate: 7000, languages: ["en"], clips: [row] }), "BAD_RATE");
    err(() => buildVoicePack({ sampleRate: 8000, languages: ["EN"], clips: [row] }), "BAD_ENTRY");
    err(() => buildVoicePack({ sampleRate: 8000, languages: ["en"], clips: [[{ ...c, samples: 21 }, ...row.slice(1)]] }), "BAD_ENTRY");
  });
});

describe("CRC-32 and WAV", () => {
  test("the pack's CRC is zlib's (the check value, and over the committed pack)", () => {
    assert.equal(voiceCrc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    const b = packBytes();
    assert.equal(voiceCrc32(b), zlibCrc32(b));
    assert.equal(voiceCrc32(b.subarray(100), voiceCrc32(b.subarray(0, 100))), zlibCrc32(b));
  });

  test("writeWav writes a 44-byte RIFF PCM 16-bit mono header; readWav reads it back", () => {
    const s = Int16Array.from([0, 1, -1, 32767, -32768]);
    const w = writeWav(s, 8000);
    assert.equal(w.length, 54);
    assert.equal(new TextDecoder().decode(w.subarray(0, 4)), "RIFF");
    assert.equal(u32(w, 4), 46);
    assert.equal(new TextDecoder().decode(w.subarray(8, 16)), "WAVEfmt ");
    assert.deepEqual([...w.subarray(16, 36)], [16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
    assert.equal(new TextDecoder().decode(w.subarray(36, 40)), "data");
    assert.equal(u32(w, 40), 10);
    assert.deepEqual([...w.subarray(44)], [0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0x80]);
    assert.deepEqual(readWav(w), { sampleRate: 8000, samples: s });
  });

  test("readWav skips unknown chunks, takes a streamed data size to the end of the file, and refuses what it cannot read", () => {
    const w = writeWav(Int16Array.from([5, -5, 7]), 22050);
    const withList = new Uint8Array(w.length + 12);
    withList.set(w.subarray(0, 36));
    withList.set([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0], 36); // "LIST", odd size, pad byte
    withList.set(w.subarray(36), 48);
    assert.deepEqual([...readWav(withList).samples], [5, -5, 7]);
    const streamed = w.slice();
    setU32(streamed, 40, 0x7ffff000);
    assert.deepEqual([...readWav(streamed).samples], [5, -5, 7]);
    const stereo = w.slice();
    stereo[22] = 2;
    assert.throws(() => readWav(stereo), WavError);
    assert.throws(() => readWav(new Uint8Array(8)), WavError);
    assert.throws(() => readWav(w.subarray(0, 36)), WavError);
    assert.throws(() => writeWav(s0(), 0), WavError);
  });
});

const s0 = (): Int16Array => new Int16Array(0);
