// Finds which clips of a voice pack a signal contains, where, at what speed and volume, and the
// silences between them — from the samples alone (the simulator's WAV, a recording), never from a
// firmware log. Each clip of the pack is decoded, taken to each candidate speed with the firmware's
// own speed change (speed.ts), and compared with the signal by normalised cross-correlation, which
// does not care about volume. No Node APIs (runs in a browser too).
import { changeSpeed, DEFAULT_SPEEDS_Q8, speedFrame } from "./speed.js";
import { VoicePack, VoicePackError } from "./voice-pack.js";

export interface MatchOptions {
  /** Languages whose clips are candidates (default: all in the pack). */
  languages?: readonly string[];
  /** Clip ids that are candidates (default: all). */
  clipIds?: readonly number[];
  /** Speeds × 256 to try (default DEFAULT_SPEEDS_Q8). */
  speedsQ8?: readonly number[];
  /** Lowest normalised correlation that counts as a match (default 0.9). */
  minScore?: number;
  /** |sample| at or below this is silence (default 16). */
  silenceThreshold?: number;
  /** A run of silence at least this long ends an unrecognised stretch or a cut-off clip (default 40 ms). */
  minGapMs?: number;
  /**
   * The shortest part of a clip that counts as that clip cut off (default 100 ms): a few tens of ms of
   * one clip can resemble a piece of another (the "t" ending one word and starting the next).
   */
  minCutMs?: number;
  /** How far (samples) beyond the plausible range a clip's start is searched (default 10 ms). */
  searchSamples?: number;
  /** The range of volumes (gain against the pack) the signal may have (default 1/32 … 2). */
  minGain?: number;
  maxGain?: number;
}

export interface ClipMatch {
  kind: "clip";
  id: number;
  name: string;
  /** Languages whose entry holds this clip's data (one, or several for a shared clip). */
  languages: string[];
  /** First sample (inclusive) and end (exclusive) in the signal. */
  start: number;
  end: number;
  speedQ8: number;
  /** Normalised cross-correlation, −1..1. */
  score: number;
  /** Least-squares scale of the pack's clip to the signal (1 = as in the pack). */
  gain: number;
  /** The clip stopped before its end (interrupted): `end` is where the sound stopped. */
  truncated: boolean;
}

export interface SilenceSpan { kind: "silence"; start: number; end: number }

export interface UnknownSpan {
  kind: "unknown";
  start: number;
  end: number;
  /** The closest candidate and its score, for the failure message. */
  nearest: { id: number; name: string; score: number } | null;
}

export type TimelineItem = ClipMatch | SilenceSpan | UnknownSpan;

export interface Timeline {
  sampleRate: number;
  items: TimelineItem[];
}

/** onsets[k]: the first sample whose magnitude exceeds ONSET_LEVELS[k] (the clip's length if none). */
interface Candidate { id: number; name: string; languages: string[]; pcm: Int16Array; onsets: number[]; byQ: Map<number, Reference> }

/** Levels at which a clip's onset is noted: the signal's onset (|x| > threshold) lies between them for gains 1/32..2. */
const ONSET_LEVELS = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];
interface Reference { pcm: Int16Array; energy: number; prefixEnergy: number[] }

/** Energy of r[0..k) for every k (prefix sums), for the cut-off test. */
function prefixEnergies(r: Int16Array): number[] {
  const p = new Array<number>(r.length + 1);
  p[0] = 0;
  for (let i = 0; i < r.length; i++) p[i + 1] = p[i]! + r[i]! * r[i]!;
  return p;
}

const cache = new WeakMap<VoicePack, Map<number, Candidate>>();

function candidates(pack: VoicePack, o: MatchOptions): Candidate[] {
  let byOffset = cache.get(pack);
  if (!byOffset) cache.set(pack, (byOffset = new Map()));
  const langs = o.languages ?? pack.languages;
  const ids = o.clipIds ?? [...Array(pack.clipCount).keys()];
  const out = new Map<number, Candidate>();
  for (const lang of langs) {
    for (const id of ids) {
      const e = pack.entry(lang, id);
      let c = byOffset.get(e.offset);
      if (!c) {
        const pcm = pack.decode(lang, id);
        const onsets = ONSET_LEVELS.map((level) => {
          let i = 0;
          while (i < pcm.length && Math.abs(pcm[i]!) <= level) i++;
          return i;
        });
        c = { id, name: e.name, languages: [], pcm, onsets, byQ: new Map() };
        byOffset.set(e.offset, c);
      }
      if (!c.languages.includes(lang)) c.languages.push(lang);
      out.set(e.offset, c);
    }
  }
  return [...out.values()];
}

function reference(c: Candidate, q: number, rate: number): Reference {
  let r = c.byQ.get(q);
  if (!r) {
    const pcm = changeSpeed(c.pcm, q, rate);
    const prefixEnergy = prefixEnergies(pcm);
    r = { pcm, energy: prefixEnergy[pcm.length]!, prefixEnergy };
    c.byQ.set(q, r);
  }
  return r;
}

/** Σ x[s+i]·r[i] and Σ x[s+i]² over i in [0, len) (x outside the signal is 0). */
function dot(x: Int16Array, s: number, r: Int16Array, len: number): { xr: number; xx: number } {
  let xr = 0;
  let xx = 0;
  const from = Math.max(0, -s);
  const to = Math.min(len, x.length - s);
  for (let i = from; i < to; i++) {
    const v = x[s + i]!;
    xr += v * r[i]!;
    xx += v * v;
  }
  return { xr, xx };
}

const ncc = (xr: number, xx: number, rr: number): number => (xx > 0 && rr > 0 ? xr / Math.sqrt(xx * rr) : 0);

/**
 * The clips, cut-off clips, unrecognised sounds and silences of `signal`, in order. The signal must be
 * at the pack's sample rate. Deterministic; throws VoicePackError (BAD_INPUT) for a signal at another rate.
 */
export function matchClips(signal: Int16Array, sampleRate: number, pack: VoicePack, options: MatchOptions = {}): Timeline {
  if (sampleRate !== pack.sampleRate) throw new VoicePackError("BAD_INPUT", `signal at ${sampleRate} Hz, pack at ${pack.sampleRate} Hz`);
  const thr = options.silenceThreshold ?? 16;
  const minScore = options.minScore ?? 0.9;
  const gap = Math.round(((options.minGapMs ?? 40) * sampleRate) / 1000);
  const search = options.searchSamples ?? Math.round(0.01 * sampleRate);
  // A clip heard at gain g has its onset where |clip| first exceeds thr / g.
  const onsetAt = (c: Candidate, level: number): number => {
    let k = 0;
    while (k < ONSET_LEVELS.length - 1 && ONSET_LEVELS[k]! < level) k++;
    return c.onsets[k]!;
  };
  const earliest = (c: Candidate): number => onsetAt(c, thr / (options.maxGain ?? 2) / 2);
  const latest = (c: Candidate): number => onsetAt(c, (thr / (options.minGain ?? 1 / 32)) * 2);
  const minCut = Math.max(1, Math.round(((options.minCutMs ?? 100) * sampleRate) / 1000));
  const speeds = options.speedsQ8 ?? DEFAULT_SPEEDS_Q8;
  const prefix = speedFrame(sampleRate).hop; // the first hop is the same at every speed
  const cands = candidates(pack, options);
  const items: TimelineItem[] = [];
  const x = signal;
  const loud = (i: number): boolean => Math.abs(x[i]!) > thr;
  // Every run of at least `gap` silent samples, found once: [start, end) pairs in order.
  const runs: number[] = [];
  for (let k = 0; k < x.length; ) {
    if (loud(k)) { k++; continue; }
    let e = k;
    while (e < x.length && !loud(e)) e++;
    if (e - k >= gap) runs.push(k, e);
    k = e;
  }
  /** The first silent run of `gap` samples at or after i, clipped to start at i: [start, end), or the signal's end twice. */
  const silenceRun = (i: number): [number, number] => {
    let lo = 0;
    let hi = runs.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runs[2 * mid + 1]! - Math.max(i, runs[2 * mid]!) >= gap) hi = mid;
      else lo = mid + 1;
    }
    // runs ending before i (or too little of them left after i) come first: the predicate is monotone
    return lo < runs.length / 2 ? [Math.max(i, runs[2 * lo]!), runs[2 * lo + 1]!] : [x.length, x.length];
  };
  const silenceFrom = (i: number): number => silenceRun(i)[0];
  /**
   * Where the clip placed at `s` was cut off: the first run of at least `gap` silent samples inside
   * the clip during which the clip — at the gain the signal so far shows — would have been clearly
   * heard (its energy there at least that of `gap` samples at 4 × the silence threshold). A clip that
   * is merely quiet somewhere, at any volume, never passes: where the signal is silent, the scaled
   * clip is below the threshold. Returns the cut with the score and gain of the part before it, or null.
   */
  const cutOff = (s: number, ref: Reference): { cut: number; score: number; gain: number } | null => {
    const len = ref.pcm.length;
    let i = Math.max(s, 0);
    while (i < s + len) {
      const [c, runEnd] = silenceRun(i);
      if (c >= s + len) return null;
      if (c - s >= minCut) {
        const p = dot(x, s, ref.pcm, c - s);
        const e = ref.prefixEnergy[c - s]!;
        const g = e > 0 ? p.xr / e : 0;
        const missing = g * g * (ref.prefixEnergy[Math.min(len, runEnd - s)]! - e);
        if (missing >= (4 * thr) ** 2 * gap) return { cut: c, score: ncc(p.xr, p.xx, e), gain: g };
      }
      if (runEnd >= x.length) return null;
      i = runEnd;
    }
    return null;
  };
  let pos = 0;
  for (;;) {
    let onset = pos;
    while (onset < x.length && !loud(onset)) onset++;
    if (onset >= x.length) {
      if (pos < x.length) items.push({ kind: "silence", start: pos, end: x.length });
      break;
    }
    // Where does each clip align best? Its first hop is speed-independent: align on it.
    let best: (ClipMatch & { rank: number }) | null = null;
    let nearest: UnknownSpan["nearest"] = null;
    for (const c of cands) {
      const r0 = reference(c, 256, sampleRate);
      const plen = Math.min(prefix, r0.pcm.length);
      const rr = r0.prefixEnergy[plen]!;
      const tops: { s: number; score: number }[] = [];
      for (let s = Math.max(pos, onset - latest(c) - search); s <= onset - earliest(c) + search; s++) {
        const { xr, xx } = dot(x, s, r0.pcm, plen);
        tops.push({ s, score: ncc(xr, xx, rr) });
      }
      tops.sort((a, b) => b.score - a.score || a.s - b.s);
      // Only alignments whose first hop already resembles the signal are worth the whole clip.
      for (const { s: s0 } of tops.slice(0, 2).filter((t) => t.score >= minScore - 0.25)) {
        for (const q of speeds) {
          const ref = reference(c, q, sampleRate);
          for (let s = s0 - 1; s <= s0 + 1; s++) {
            if (s < pos) continue;
            const len = ref.pcm.length;
            const { xr, xx } = dot(x, s, ref.pcm, len);
            let score = ncc(xr, xx, ref.energy);
            let gain = xr / ref.energy;
            let end = s + len;
            let truncated = false;
            // Cut off? The signal falls silent where the clip would still be heard (a whole clip whose
            // lost part was quiet may pass minScore as a whole: the cut decides, not the score).
            const cut = cutOff(s, ref);
            if (cut && cut.score >= minScore) {
              score = cut.score;
              gain = cut.gain;
              end = cut.cut;
              truncated = true;
            }
            if (!nearest || score > nearest.score) nearest = { id: c.id, name: c.name, score };
            // Prefer the full clip over a cut-off one, then the higher score.
            const rank = score - (truncated ? 0.05 : 0);
            if (score >= minScore && (!best || rank > best.rank)) {
              best = { kind: "clip", id: c.id, name: c.name, languages: [...c.languages], start: s, end, speedQ8: q, score, gain, truncated, rank };
            }
          }
        }
      }
    }
    if (best) {
      if (best.start > pos) items.push({ kind: "silence", start: pos, end: best.start });
      const { rank: _rank, ...match } = best;
      items.push(match);
      pos = best.end;
    } else {
      if (onset > pos) items.push({ kind: "silence", start: pos, end: onset });
      const end = silenceFrom(onset);
      items.push({ kind: "unknown", start: onset, end, nearest });
      pos = end;
    }
  }
  return { sampleRate, items };
}

/** The names of the matched clips in order; an unrecognised span is "?", a cut-off clip "name…". */
export function clipSequence(t: Timeline): string[] {
  return t.items.flatMap((i) => (i.kind === "clip" ? [i.truncated ? `${i.name}…` : i.name] : i.kind === "unknown" ? ["?"] : []));
}

/** The silences between consecutive clips (ms), in order: pauses[i] is between clip i and clip i+1. */
export function pausesMs(t: Timeline): number[] {
  const out: number[] = [];
  let seenClip = false;
  let pending = 0;
  for (const i of t.items) {
    if (i.kind === "silence") pending += i.end - i.start;
    else {
      if (seenClip) out.push((pending * 1000) / t.sampleRate);
      seenClip = true;
      pending = 0;
    }
  }
  return out;
}

/** One line per item, for test failure messages. */
export function describeTimeline(t: Timeline): string {
  const ms = (s: number): string => ((s * 1000) / t.sampleRate).toFixed(0);
  return t.items.map((i) => {
    const span = `${ms(i.start)}–${ms(i.end)} ms`;
    if (i.kind === "silence") return `${span} silence`;
    if (i.kind === "unknown") return `${span} ? (nearest ${i.nearest ? `${i.nearest.name} ${i.nearest.score.toFixed(3)}` : "none"})`;
    return `${span} ${i.name}${i.truncated ? "…" : ""} [${i.languages.join(",")}] speed ${(i.speedQ8 / 256).toFixed(2)} gain ${i.gain.toFixed(3)} score ${i.score.toFixed(3)}`;
  }).join("\n");
}

