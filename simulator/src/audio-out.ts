// The audio output of a simulated reader: the DAC behind hal.audio_write (docs/hal.md "Audio").
// A FIFO of AUDIO_FIFO samples drains at AUDIO_RATE on the device's own clock; a write is taken
// whole or, when it does not fit, not at all, and then the device calls the image's `tick` export
// once the FIFO has drained to AUDIO_LOW_WATER. Everything the DAC plays is kept as one track (a
// gap, e.g. an underrun or silence between messages, is zeros), for WAV files and clip timelines.
// No Node.js APIs here (issue 12 runs the simulator in a browser).

/** Output sample rate (Hz): 16-bit signed mono. */
export const AUDIO_RATE = 8000;
/** Most samples one hal.audio_write may carry (32 ms); more is a RANGE error. */
export const AUDIO_FRAME_MAX = 256;
/** FIFO capacity in samples (256 ms). */
export const AUDIO_FIFO = 2048;
/** A refused write is followed by `tick` once no more than this many samples are queued (128 ms). */
export const AUDIO_LOW_WATER = 1024;

export type AudioOutput = "speaker" | "headset";

export class AudioOut {
  private track = new Int16Array(AUDIO_RATE * 8);
  private len = 0; // samples in the track (played or queued)
  private origin = 0; // DAC position of track[0]
  private cursor = 0; // DAC position where the next accepted sample goes
  private started = false;
  /** The last write was refused: the device owes the image a `tick`. */
  waiting = false;
  /** Where the sound goes: a plugged headset mutes the speaker. */
  output: AudioOutput = "speaker";
  /** Samples written to the headset since the last clear (what the speaker did not play). */
  headsetSamples = 0;

  /** `position()` is the DAC's play position: samples since an arbitrary epoch, never decreasing. */
  constructor(private readonly position: () => number) {}

  /** hal.audio_write: queues all the samples and returns their number, or none (0) when they do not fit. */
  write(samples: Int16Array): number {
    const play = this.position();
    if (!this.started) { this.started = true; this.origin = play; this.cursor = play; }
    if (this.cursor < play) this.cursor = play; // underrun or idle: the gap played as silence
    const n = samples.length <= AUDIO_FIFO - (this.cursor - play) ? samples.length : 0;
    const at = this.cursor - this.origin;
    this.ensure(at + n);
    if (at > this.len) this.track.fill(0, this.len, at); // the gap since the last sample played silence
    this.track.set(samples.subarray(0, n), at);
    this.len = Math.max(this.len, at + n);
    this.cursor += n;
    if (this.output === "headset") this.headsetSamples += n;
    this.waiting = n < samples.length;
    return n;
  }

  /** hal.audio_write(_, 0) (and power loss): whatever is queued is never played. */
  flush(): void {
    if (this.started) this.len = Math.max(0, Math.min(this.len, this.position() - this.origin));
    this.cursor = Math.min(this.cursor, this.position());
    this.waiting = false;
  }

  /** DAC position at which the image is owed a `tick`, or undefined. */
  readyPosition(): number | undefined {
    return this.waiting ? this.cursor - AUDIO_LOW_WATER : undefined;
  }

  /** Samples queued and not yet played. */
  queued(): number {
    return Math.max(0, this.cursor - this.position());
  }

  /** The track as played so far (queued samples excluded), from the first write after the last clear. */
  pcm(): Int16Array {
    if (!this.started) return new Int16Array(0);
    return this.track.slice(0, Math.max(0, Math.min(this.len, this.position() - this.origin)));
  }

  /** Starts a new track (what was played is forgotten; what is queued is dropped). */
  clear(): void {
    this.flush();
    this.len = 0;
    this.started = false;
    this.headsetSamples = 0;
  }

  private ensure(n: number): void {
    if (n <= this.track.length) return;
    const t = new Int16Array(Math.max(n, this.track.length * 2));
    t.set(this.track.subarray(0, this.len));
    this.track = t;
  }
}
