// IMA ADPCM (IMA/DVI, 1992) decoder, one 4-bit code at a time: the standard tables and integer
// steps of docs/voice-pack.md "The codec". State: the predicted sample and the step index.

// The step table of docs/voice-pack.md, 89 values, kept as 88 bits: step[i+1] = min(32767,
// ⌊step[i] · 11 / 10⌋ + bit i) reproduces it exactly (firmware/test/audio-reader-exact.test.ts
// compares the image's decoded speech with the pack library's, sample for sample); expanded into
// RAM at the start of every clip.
const STEP_BITS: usize = memory.data<u8>([135, 102, 138, 60, 105, 221, 74, 230, 105, 210, 35]);
const STEPS: usize = memory.data(89 * 2, 2);

let pred: i32 = 0;
let index: i32 = 0;

/** Starts a stream; the voice pack check has bounded `idx` to 0..88. */
export function adpcmReset(p: i32, idx: i32): void {
  pred = p;
  index = idx;
  let s: u32 = 7;
  for (let i: u32 = 0; i < 89; i++) {
    store<u16>(STEPS + (<usize>i << 1), <u16>s);
    s = min<u32>(32767, s * 11 / 10 + ((<u32>load<u8>(STEP_BITS + (i >> 3)) >> (i & 7)) & 1));
  }
}

/** Decodes one code (0..15) and returns the sample. */
export function adpcmNext(code: i32): i32 {
  const step = <i32>load<u16>(STEPS + (<usize>index << 1));
  let diff = step >> 3;
  if (code & 4) diff += step;
  if (code & 2) diff += step >> 1;
  if (code & 1) diff += step >> 2;
  pred += code & 8 ? -diff : diff;
  pred = pred < -32768 ? -32768 : pred > 32767 ? 32767 : pred;
  // index table: -1 for codes 0..3 (and 8..11), then 2, 4, 6, 8
  index += (code & 7) < 4 ? -1 : ((code & 3) + 1) << 1;
  index = index < 0 ? 0 : index > 88 ? 88 : index;
  return pred;
}
