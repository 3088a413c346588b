// RIFF WAVE, PCM 16-bit mono: what the simulator writes for what the reader says, and what the
// generator reads from espeak-ng. No Node APIs (runs in a browser too).

export class WavError extends Error {
  override readonly name = "WavError";
  constructor(message: string) { super(`WAV: ${message}`); }
}

export interface Wav { sampleRate: number; samples: Int16Array }

/** A RIFF WAVE file: 44-byte header (fmt PCM, 1 channel, 16 bits), then the samples little-endian. */
export function writeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 384_000) throw new WavError(`sample rate ${sampleRate}`);
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const v = new DataView(out.buffer);
  const tag = (at: number, s: string): void => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  tag(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  tag(36, "data");
  v.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, samples[i]!, true);
  return out;
}

/**
 * Reads a PCM 16-bit mono RIFF WAVE file (chunks in any order, unknown chunks skipped). A data chunk
 * whose size runs past the end of the file (a streamed WAV, as `espeak-ng --stdout` writes) is taken
 * to the end of the file.
 */
export function readWav(bytes: Uint8Array): Wav {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new WavError("not a RIFF WAVE file");
  let at = 12;
  let sampleRate = 0;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) throw new WavError("short fmt chunk");
      const format = v.getUint16(body, true);
      const channels = v.getUint16(body + 2, true);
      const bits = v.getUint16(body + 14, true);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new WavError(`format ${format}, ${channels} channels, ${bits} bits: only PCM 16-bit mono is read`);
      sampleRate = v.getUint32(body + 4, true);
    } else if (id === "data") {
      if (!sampleRate) throw new WavError("data before fmt");
      const n = Math.floor(Math.min(size, bytes.length - body) / 2);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = v.getInt16(body + 2 * i, true);
      return { sampleRate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new WavError("no data chunk");
}
