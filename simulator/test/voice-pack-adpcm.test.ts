// IMA ADPCM (simulator/src/audio/adpcm.ts) and the speed change (speed.ts) of the voice pack.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import {
  IMA_STEP_TABLE, IMA_INDEX_TABLE, IMA_MAX_INDEX, decodeNibble, decodeAdpcm, encodeAdpcm, changeSpeed, stretchedLength, speedFrame,
  type AdpcmState,
} from "../src/index.js";

const snrDb = (a: Int16Array, b: Int16Array): number => {
  let s = 0;
  let e = 0;
  for (let i = 0; i < a.length; i++) { s += a[i]! ** 2; e += (a[i]! - b[i]!) ** 2; }
  return 10 * Math.log10(s / e);
};
const sine = (hz: number, amp: number, n: number, rate = 8000): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
/** A deterministic random walk (LCG), speech-like in its spectrum's tilt. */
function walk(n: number, seed = 1): Int16Array {
  let s = seed;
  const out = new Int16Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    v = Math.max(-20000, Math.min(20000, v * 0.98 + (s / 2 ** 32 - 0.5) * 3000));
    out[i] = Math.round(v);
  }
  return out;
}

/** The encoder of the IMA recommended practice (successive approximation), written from its description. */
function classicEncode(pcm: Int16Array): Int16Array {
  const st: AdpcmState = { predictor: 0, stepIndex: 0 };
  const out = new Int16Array(pcm.length);
  pcm.forEach((x, t) => {
    let diff = x - st.predictor;
    let nib = 0;
    if (diff < 0) { nib = 8; diff = -diff; }
    let step = IMA_STEP_TABLE[st.stepIndex]!;
    for (const bit of [4, 2, 1]) {
      if (diff >= step) { nib |= bit; diff -= step; }
      step >>= 1;
    }
    out[t] = decodeNibble(st, nib);
  });
  return out;
}

describe("IMA ADPCM tables", () => {
  test("the step table is the standard one: 89 steps from 7 to 32767, about 10 % apart", () => {
    assert.equal(IMA_STEP_TABLE.length, 89);
    assert.equal(IMA_MAX_INDEX, 88);
    assert.deepEqual(IMA_STEP_TABLE.slice(0, 16), [7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31]);
    assert.deepEqual(IMA_STEP_TABLE.slice(80), [15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767]);
    for (let i = 1; i < 89; i++) assert.ok(IMA_STEP_TABLE[i]! > IMA_STEP_TABLE[i - 1]!, `step ${i} increases`);
    // From index 20 on, each step is 8–12 % above the one before.
    for (let i = 20; i < 88; i++) {
      const r = IMA_STEP_TABLE[i]! / IMA_STEP_TABLE[i - 1]!;
      assert.ok(r > 1.08 && r < 1.12, `ratio at ${i}: ${r}`);
    }
    assert.equal(IMA_STEP_TABLE[44], 494);
  });

  test("the index table is the standard one, the same for both signs", () => {
    assert.deepEqual(IMA_INDEX_TABLE, [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8]);
  });
});

describe("IMA ADPCM decoder", () => {
  test("decodes nibbles by hand-computed values, low nibble first", () => {
    // 0x7: step 7, diff 0 + 7 + 3 + 1 = 11 → 11, index 0 + 8 = 8.
    // 0xF: step 16 (index 8), diff 2 + 16 + 8 + 4 = 30 → 11 − 30 = −19, index 16.
    // 0x0: step 34 (index 16), diff 4 → −15, index 15.
    // 0x4: step 31 (index 15), diff 3 + 31 = 34 → 19, index 17.
    assert.deepEqual([...decodeAdpcm(new Uint8Array([0xf7, 0x40]), 4)], [11, -19, -15, 19]);
    // an odd count ignores the last high nibble
    assert.deepEqual([...decodeAdpcm(new Uint8Array([0xf7, 0x40]), 3)], [11, -19, -15]);
  });

  test("clamps the predictor to 16 bits and the index to 0..88", () => {
    const hi: AdpcmState = { predictor: 32000, stepIndex: 88 };
    assert.equal(decodeNibble(hi, 7), 32767);
    assert.equal(hi.stepIndex, 88);
    const lo: AdpcmState = { predictor: -32000, stepIndex: 88 };
    assert.equal(decodeNibble(lo, 15), -32768);
    const z: AdpcmState = { predictor: 0, stepIndex: 0 };
    decodeNibble(z, 0);
    assert.equal(z.stepIndex, 0);
  });

  test("refuses a sample count the bytes cannot hold and a bad step index", () => {
    assert.throws(() => decodeAdpcm(new Uint8Array(2), 5), RangeError);
    assert.throws(() => decodeAdpcm(new Uint8Array(2), 4, 0, 89), RangeError);
  });
});

describe("IMA ADPCM encoder", () => {
  test("round trip: a 440 Hz tone and a random walk come back above 25 dB SNR, and no worse than the classic encoder", () => {
    for (const x of [sine(440, 10000, 8000), walk(8000)]) {
      const e = encodeAdpcm(x, { stepIndex: 0 });
      assert.equal(e.data.length, 4000);
      const y = decodeAdpcm(e.data, e.samples, e.predictor, e.stepIndex);
      assert.ok(snrDb(x, y) > 25, `SNR ${snrDb(x, y)}`);
      assert.ok(snrDb(x, y) >= snrDb(x, classicEncode(x)) - 0.01, `greedy ${snrDb(x, y)} vs classic ${snrDb(x, classicEncode(x))}`);
    }
  });

  test("every nibble is the one whose decoded sample is closest to the input", () => {
    const x = walk(2001, 7);
    const e = encodeAdpcm(x);
    const st: AdpcmState = { predictor: e.predictor, stepIndex: e.stepIndex };
    for (let t = 0; t < x.length; t++) {
      const nib = t & 1 ? e.data[t >> 1]! >> 4 : e.data[t >> 1]! & 15;
      let best = Infinity;
      for (let n = 0; n < 16; n++) best = Math.min(best, Math.abs(decodeNibble({ ...st }, n) - x[t]!));
      assert.equal(Math.abs(decodeNibble(st, nib) - x[t]!), best, `sample ${t}`);
    }
    assert.equal(e.data[1000]! >> 4, 0, "odd count: the last high nibble is 0");
  });

  test("the chosen initial step index codes the first 64 samples at least as well as any other", () => {
    const x = sine(1000, 12000, 400);
    const e = encodeAdpcm(x);
    const headErr = (idx: number): number => {
      const y = decodeAdpcm(encodeAdpcm(x.subarray(0, 64), { stepIndex: idx }).data, 64, 0, idx);
      return y.reduce((a, v, i) => a + (v - x[i]!) ** 2, 0);
    };
    assert.ok(e.stepIndex > 0, "a loud start needs a large first step");
    for (let i = 0; i <= 88; i++) assert.ok(headErr(e.stepIndex) <= headErr(i), `index ${i} codes the head better than ${e.stepIndex}`);
  });

  test("deterministic, and a 3 kHz tone near Nyquist still comes back recognisably (> 12 dB)", () => {
    const x = sine(3000, 10000, 4000);
    const a = encodeAdpcm(x);
    assert.deepEqual(a, encodeAdpcm(x));
    assert.ok(snrDb(x, decodeAdpcm(a.data, a.samples, a.predictor, a.stepIndex)) > 12);
  });
});

describe("speed change (docs/voice-pack.md, Speed)", () => {
  const x = walk(3000, 3);

  test("at 1× the output is the input, sample for sample", () => {
    assert.deepEqual(changeSpeed(x, 256, 8000), x);
  });

  test("lengths follow ⌈256·n/q⌉ and the frame is 25 ms with a 64-sample crossfade at 8 kHz", () => {
    assert.deepEqual(speedFrame(8000), { hop: 200, crossfade: 64, shift: 6 });
    assert.deepEqual(speedFrame(44100), { hop: 1102, crossfade: 128, shift: 7 });
    for (const q of [128, 192, 320, 384, 512]) {
      assert.equal(changeSpeed(x, q, 8000).length, Math.ceil((256 * 3000) / q));
      assert.equal(stretchedLength(3000, q), Math.ceil((256 * 3000) / q));
    }
    assert.throws(() => changeSpeed(x, 127, 8000), RangeError);
    assert.throws(() => changeSpeed(x, 513, 8000), RangeError);
  });

  test("segment values by hand at 2×: segment 1 reads from 400, crossfading from the continuation of segment 0", () => {
    const ramp = Int16Array.from({ length: 1000 }, (_, i) => i);
    const y = changeSpeed(ramp, 512, 8000);
    assert.equal(y.length, 500);
    assert.equal(y[199], 199); // segment 0 is the input
    // t = 200: k = 1, j = 0 → (x[0 + 200 + 0]·64 + x[400]·0) >> 6 = 200
    assert.equal(y[200], 200);
    // t = 232: j = 32 → (x[232]·32 + x[432]·32) >> 6 = 332
    assert.equal(y[232], 332);
    // t = 264: j = 64 ≥ X → x[400 + 64] = 464
    assert.equal(y[264], 464);
    // t = 499: k = 2, a = 800, j = 99 → x[899]
    assert.equal(y[499], 899);
  });

  test("a tone keeps its pitch at 0.75× and 2× (zero crossings per second)", () => {
    const tone = sine(500, 8000, 8000);
    const crossings = (s: Int16Array): number => {
      let c = 0;
      for (let i = 1; i < s.length; i++) if ((s[i - 1]! < 0) !== (s[i]! < 0)) c++;
      return (c / 2) * (8000 / s.length);
    };
    for (const q of [192, 512]) {
      const hz = crossings(changeSpeed(tone, q, 8000));
      assert.ok(Math.abs(hz - 500) < 25, `${q}: ${hz} Hz`);
    }
  });
});
