// Speaking faster or slower without changing pitch: overlap-add with a fixed hop, exactly as
// docs/voice-pack.md ("Speed") defines it for the firmware. Integer arithmetic, so a firmware that
// follows the page produces these samples bit for bit; the clip matcher uses it to know what a clip
// sounds like at each speed.

/** The speeds (× 256) the matcher tries unless told otherwise: 0.75×, 1×, 1.25×, 1.5×, 1.75×, 2×. */
export const DEFAULT_SPEEDS_Q8: readonly number[] = Object.freeze([192, 256, 320, 384, 448, 512]);
export const MIN_SPEED_Q8 = 128;
export const MAX_SPEED_Q8 = 512;

/** Hop H (samples) and crossfade X (samples) at a sample rate. */
export function speedFrame(sampleRate: number): { hop: number; crossfade: number; shift: number } {
  const big = sampleRate > 16000;
  return { hop: Math.floor(sampleRate / 40), crossfade: big ? 128 : 64, shift: big ? 7 : 6 };
}

/** Output length for `n` input samples at speed q/256. */
export const stretchedLength = (n: number, q: number): number => Math.floor((256 * n + q - 1) / q);

/** The clip `x` spoken at speed q/256 (q in 128..512). q = 256 returns a copy of `x`. */
export function changeSpeed(x: Int16Array, q: number, sampleRate: number): Int16Array {
  if (!Number.isInteger(q) || q < MIN_SPEED_Q8 || q > MAX_SPEED_Q8) throw new RangeError(`speed ${q}/256 outside ${MIN_SPEED_Q8}..${MAX_SPEED_Q8}`);
  const { hop: H, crossfade: X, shift } = speedFrame(sampleRate);
  const n = x.length;
  const m = stretchedLength(n, q);
  const y = new Int16Array(m);
  const at = (i: number): number => (i < n ? x[i]! : 0);
  for (let t = 0; t < m; t++) {
    const k = Math.floor(t / H);
    const j = t - k * H;
    const a = Math.floor((k * H * q) / 256);
    if (k === 0 || j >= X) y[t] = at(a + j);
    else {
      const prev = Math.floor(((k - 1) * H * q) / 256);
      y[t] = (at(prev + H + j) * (X - j) + at(a + j) * j) >> shift;
    }
  }
  return y;
}
