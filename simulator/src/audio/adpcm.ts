// IMA ADPCM, 4 bits per sample, mono: the codec of the voice pack (docs/voice-pack.md, "The codec").
// The decoder is the normative one, in integers; the encoder is the generator's (any nibble choice
// decodes; this one searches). Plain TypeScript, no Node APIs: the simulator runs in a browser too.

/** The standard IMA/DVI ADPCM step table: 89 steps, 7 … 32767. */
export const IMA_STEP_TABLE: readonly number[] = Object.freeze([
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31,
  34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143,
  157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658,
  724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024,
  3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899,
  15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
]);

/** The standard index adjustment per nibble (the sign bit does not change it). */
export const IMA_INDEX_TABLE: readonly number[] = Object.freeze([-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8]);

export const IMA_MAX_INDEX = 88;

/** Decoder state: the predictor (a sample) and the step index. */
export interface AdpcmState { predictor: number; stepIndex: number }

/** One nibble through the decoder: updates `s`, returns the sample. */
export function decodeNibble(s: AdpcmState, nibble: number): number {
  const step = IMA_STEP_TABLE[s.stepIndex]!;
  let diff = step >> 3;
  if (nibble & 4) diff += step;
  if (nibble & 2) diff += step >> 1;
  if (nibble & 1) diff += step >> 2;
  let p = nibble & 8 ? s.predictor - diff : s.predictor + diff;
  if (p > 32767) p = 32767;
  else if (p < -32768) p = -32768;
  s.predictor = p;
  let i = s.stepIndex + IMA_INDEX_TABLE[nibble & 15]!;
  s.stepIndex = i < 0 ? 0 : i > IMA_MAX_INDEX ? IMA_MAX_INDEX : i;
  return p;
}

/** Decodes `samples` samples (low nibble first) from `data`, starting from the given state. */
export function decodeAdpcm(data: Uint8Array, samples: number, predictor = 0, stepIndex = 0, out = new Int16Array(samples)): Int16Array {
  if (samples > data.length * 2) throw new RangeError(`decodeAdpcm: ${samples} samples need ${Math.ceil(samples / 2)} bytes, have ${data.length}`);
  if (stepIndex < 0 || stepIndex > IMA_MAX_INDEX || !Number.isInteger(stepIndex)) throw new RangeError(`decodeAdpcm: step index ${stepIndex} outside 0..88`);
  const s: AdpcmState = { predictor, stepIndex };
  for (let t = 0; t < samples; t++) {
    const b = data[t >> 1]!;
    out[t] = decodeNibble(s, t & 1 ? b >> 4 : b & 15);
  }
  return out;
}

export interface EncodedAdpcm {
  /** ⌈samples/2⌉ bytes, low nibble first, the last high nibble 0 when samples is odd. */
  data: Uint8Array;
  samples: number;
  /** The decoder's state before the first nibble. */
  predictor: number;
  stepIndex: number;
}

export interface EncodeOptions {
  /** The initial predictor (default 0: the generator's clips start at zero). */
  predictor?: number;
  /** The initial step index; by default the one that codes the first 64 samples best. */
  stepIndex?: number;
}

const sq = (v: number): number => v * v;

/**
 * Codes pcm[0..end) from the given state, each nibble the one (of all 16) whose decoded sample is
 * closest to the input (the lowest nibble on a tie). Returns the summed squared error; fills `data`.
 */
function encodeWith(pcm: Int16Array, end: number, predictor: number, stepIndex: number, data?: Uint8Array): number {
  const s: AdpcmState = { predictor, stepIndex };
  const trial: AdpcmState = { predictor: 0, stepIndex: 0 };
  let total = 0;
  for (let t = 0; t < end; t++) {
    let best = 0;
    let bestErr = Infinity;
    for (let n = 0; n < 16; n++) {
      trial.predictor = s.predictor;
      trial.stepIndex = s.stepIndex;
      const err = sq(decodeNibble(trial, n) - pcm[t]!);
      if (err < bestErr) { bestErr = err; best = n; }
    }
    decodeNibble(s, best);
    total += bestErr;
    if (data) data[t >> 1] = t & 1 ? data[t >> 1]! | (best << 4) : best;
  }
  return total;
}

/** Encodes 16-bit PCM. Deterministic: the same input and options give the same bytes. */
export function encodeAdpcm(pcm: Int16Array, options: EncodeOptions = {}): EncodedAdpcm {
  const predictor = options.predictor ?? 0;
  let stepIndex = options.stepIndex;
  if (stepIndex === undefined) {
    const head = Math.min(64, pcm.length);
    let bestErr = Infinity;
    stepIndex = 0;
    for (let i = 0; i <= IMA_MAX_INDEX; i++) {
      const e = encodeWith(pcm, head, predictor, i);
      if (e < bestErr) { bestErr = e; stepIndex = i; }
    }
  } else if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex > IMA_MAX_INDEX) {
    throw new RangeError(`encodeAdpcm: step index ${stepIndex} outside 0..88`);
  }
  if (!Number.isInteger(predictor) || predictor < -32768 || predictor > 32767) throw new RangeError(`encodeAdpcm: predictor ${predictor}`);
  const data = new Uint8Array((pcm.length + 1) >> 1);
  encodeWith(pcm, pcm.length, predictor, stepIndex, data);
  return { data, samples: pcm.length, predictor, stepIndex };
}
