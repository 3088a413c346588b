// IMA ADPCM (IMA/DVI, 1992) decoder, one 4-bit code at a time: the standard tables and integer
// steps of docs/voice-pack.md "The codec". State: the predicted sample and the step index.

const STEPS: usize = memory.data<u16>([
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97,
  107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796,
  876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871,
  5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623,
  27086, 29794, 32767,
]);

let pred: i32 = 0;
let index: i32 = 0;

/** Starts a stream; the voice pack check has bounded `idx` to 0..88. */
export function adpcmReset(p: i32, idx: i32): void {
  pred = p;
  index = idx;
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
