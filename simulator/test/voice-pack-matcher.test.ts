// The clip matcher (simulator/src/audio/clip-matcher.ts): finds the pack's clips in a signal by
// their samples, at every speed and volume, with the pauses between them; refuses what is not a clip.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { matchClips, clipSequence, pausesMs, describeTimeline, VoicePackError, DEFAULT_SPEEDS_Q8, readWav, writeWav, type ClipMatch } from "../src/index.js";
import { committedPack, utterance, type Part } from "./voice-helpers.js";

const pack = committedPack();
/** "your code is", 4 8 1, a longer pause, 2 9 0: the reader's 3 + 3 grouping. */
const CODE: Part[] = [
  { clip: "your_code_is", pauseMs: 300 },
  { clip: "digit4", pauseMs: 150 }, { clip: "digit8", pauseMs: 150 }, { clip: "digit1", pauseMs: 500 },
  { clip: "digit2", pauseMs: 150 }, { clip: "digit9", pauseMs: 150 }, { clip: "digit0", pauseMs: 0 },
];
const NAMES = ["your_code_is", "digit4", "digit8", "digit1", "digit2", "digit9", "digit0"];
const clipsOf = (items: ReturnType<typeof matchClips>["items"]): ClipMatch[] => items.filter((i): i is ClipMatch => i.kind === "clip");

describe("clip matcher", () => {
  test("a code in each language at 1×: the clips in order, their languages, and the pauses to the millisecond", () => {
    for (const lang of ["da", "en"]) {
      const sig = utterance(pack, lang, CODE, 256, 1, 250);
      const t = matchClips(sig, 8000, pack);
      assert.deepEqual(clipSequence(t), NAMES, describeTimeline(t));
      for (const c of clipsOf(t.items)) {
        assert.deepEqual(c.languages, [lang]);
        assert.equal(c.speedQ8, 256);
        assert.ok(c.score > 0.999 && Math.abs(c.gain - 1) < 0.001, describeTimeline(t));
        assert.equal(c.truncated, false);
      }
      assert.deepEqual(pausesMs(t), [300, 150, 150, 500, 150, 150]);
      assert.equal(clipsOf(t.items)[0]!.start, 2000, "the 250 ms lead-in");
      assert.deepEqual(t.items[0], { kind: "silence", start: 0, end: 2000 });
    }
  });

  test("volume: the same clips at gains 0.05 … 1.9, each reported with its gain", () => {
    for (const gain of [0.05, 0.3, 1.9]) {
      const t = matchClips(utterance(pack, "en", CODE, 256, gain), 8000, pack, { languages: ["en"] });
      assert.deepEqual(clipSequence(t), NAMES, describeTimeline(t));
      for (const c of clipsOf(t.items)) assert.ok(Math.abs(c.gain - gain) < 0.01 * gain + 0.002, `${gain}: ${describeTimeline(t)}`);
    }
  });

  test("speed: recognised at every default speed, reported as that speed, with the clips' lengths scaled by it", () => {
    for (const q of DEFAULT_SPEEDS_Q8) {
      const t = matchClips(utterance(pack, "da", CODE, q, 0.7), 8000, pack, { languages: ["da"] });
      assert.deepEqual(clipSequence(t), NAMES, `${q}: ${describeTimeline(t)}`);
      for (const c of clipsOf(t.items)) {
        assert.equal(c.speedQ8, q, `${q}: ${describeTimeline(t)}`);
        const n = pack.entry("da", c.name as "digit0").samples;
        assert.equal(c.end - c.start, Math.ceil((256 * n) / q));
      }
    }
  });

  test("mixed: languages and speeds may change from clip to clip; shared clips name every language", () => {
    const parts: Part[] = [{ clip: "lang_da", pauseMs: 200 }, { clip: "lang_en", pauseMs: 200 }, { clip: "beep", pauseMs: 100, lang: "en" }, { clip: "digit3", pauseMs: 80, lang: "en" }, { clip: "digit3", pauseMs: 0, lang: "da" }];
    const t = matchClips(utterance(pack, "da", parts, 320), 8000, pack);
    assert.deepEqual(clipSequence(t), ["lang_da", "lang_en", "beep", "digit3", "digit3"], describeTimeline(t));
    assert.deepEqual(clipsOf(t.items).map((c) => c.languages.join("+")), ["da+en", "da+en", "da+en", "en", "da"]);
  });

  test("a wrong digit is not passed off as the right one, and a clip of the other language is not recognised", () => {
    const wrong = [...CODE];
    wrong[3] = { clip: "digit7", pauseMs: 150 };
    const t = matchClips(utterance(pack, "en", wrong), 8000, pack, { languages: ["en"] });
    assert.notDeepEqual(clipSequence(t), NAMES);
    assert.equal(clipSequence(t)[3], "digit7");
    // the Danish "syv" among English candidates is no clip at all
    wrong[3] = { clip: "digit7", pauseMs: 150, lang: "da" };
    const u = matchClips(utterance(pack, "en", wrong), 8000, pack, { languages: ["en"] });
    assert.deepEqual(clipSequence(u), ["your_code_is", "digit4", "digit8", "?", "digit2", "digit9", "digit0"], describeTimeline(u));
    const unknown = u.items.find((i) => i.kind === "unknown")!;
    assert.ok(unknown.kind === "unknown" && (unknown.nearest === null || unknown.nearest.score < 0.9));
  });

  test("a distorted clip (samples dropped, a loud hiss: still the digit to a person) is refused, not guessed", () => {
    // digit 5 with every 40th sample zeroed and a hiss: still "five" to a person, not the pack's clip
    const five = utterance(pack, "en", [{ clip: "digit5", pauseMs: 100 }], 256, 1, 100);
    let seed = 9;
    const noisy = five.map((v, i) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return i % 40 === 0 ? 0 : v + Math.round(((seed / 2 ** 32) - 0.5) * 6000);
    });
    const t = matchClips(noisy, 8000, pack, { languages: ["en"], silenceThreshold: 4000 });
    assert.ok(!clipSequence(t).includes("digit5"), describeTimeline(t));
    assert.equal(clipSequence(matchClips(five, 8000, pack, { languages: ["en"] }))[0], "digit5");
  });

  test("an interrupted clip is reported cut off where the sound stopped", () => {
    const full = utterance(pack, "en", [{ clip: "your_code_is", pauseMs: 0 }]);
    const next = utterance(pack, "en", [{ clip: "new_code", pauseMs: 100 }]);
    const cut = new Int16Array(3000 + 1600 + next.length);
    cut.set(full.subarray(0, 3000));
    cut.set(next, 3000 + 1600);
    const t = matchClips(cut, 8000, pack, { languages: ["en"] });
    assert.deepEqual(clipSequence(t), ["your_code_is…", "new_code"], describeTimeline(t));
    const first = clipsOf(t.items)[0]!;
    assert.ok(first.truncated && first.end <= 3000 && first.end > 2800, describeTimeline(t));
  });

  test("cut off anywhere after 100 ms, every digit (and the quiet-onset \"hurtigere\") is that clip cut off, ending at the cut", () => {
    // Some clips end quietly (the "s" of "six"): cut at 250 ms they still pass 0.9 as whole clips; the
    // cut decides. "hurtigere" begins with 70 ms of breath: its start is found from where it is heard.
    const next = utterance(pack, "en", [{ clip: "new_code", pauseMs: 50 }]);
    for (const lang of ["da", "en"]) {
      for (const name of ["digit0", "digit1", "digit2", "digit3", "digit4", "digit5", "digit6", "digit7", "digit8", "digit9", "faster"] as const) {
        const clip = pack.decode(lang, name);
        for (const ms of [100, 150, 250]) {
          if (clip.length <= ms * 8 + 200) continue;
          const gain = ms === 150 ? 0.2 : 1;
          const sig = new Int16Array(400 + ms * 8 + 1600 + next.length);
          sig.set(clip.subarray(0, ms * 8).map((v) => Math.round(v * gain)), 400);
          sig.set(next, 400 + ms * 8 + 1600);
          const t = matchClips(sig, 8000, pack);
          assert.deepEqual(clipSequence(t), [`${name}…`, "new_code"], `${lang} ${name} cut at ${ms} ms\n${describeTimeline(t)}`);
          const c = clipsOf(t.items)[0]!;
          // the end is where the sound stopped being heard: the cut, or the start of a silent stretch just before it
          const cut = 400 + ms * 8;
          assert.ok(c.end <= cut && sig.subarray(c.end, cut).every((v) => Math.abs(v) <= 16), describeTimeline(t));
          assert.ok(Math.abs(sig[c.end - 1]!) > 16 && c.start === 400 && Math.abs(c.gain - gain) < 0.01, describeTimeline(t));
        }
      }
    }
  });

  test("no clip of the pack passes for another: each alone, with itself no candidate, matches nothing", () => {
    // also the 48 ms "t" that ends "batteriet er lavt", which resembles the start of "to" (2): shorter
    // than minCutMs, so it is no cut-off clip either
    for (const lang of pack.languages) {
      for (let id = 0; id < pack.clipCount; id++) {
        const sig = utterance(pack, lang, [{ clip: id, pauseMs: 50 }], 256, 1, 50);
        const t = matchClips(sig, 8000, pack, { clipIds: [...Array(pack.clipCount).keys()].filter((i) => i !== id) });
        assert.deepEqual(clipsOf(t.items), [], `${lang} ${id}\n${describeTimeline(t)}`);
      }
    }
  });

  test("silence alone, noise alone, and a signal at another rate", () => {
    assert.deepEqual(matchClips(new Int16Array(800), 8000, pack).items, [{ kind: "silence", start: 0, end: 800 }]);
    assert.deepEqual(matchClips(new Int16Array(0), 8000, pack).items, []);
    const noise = Int16Array.from({ length: 4000 }, (_, i) => ((i * 7919) % 2000) - 1000);
    assert.deepEqual(clipSequence(matchClips(noise, 8000, pack)), ["?"]);
    assert.throws(() => matchClips(new Int16Array(10), 16000, pack), (e: unknown) => e instanceof VoicePackError && e.code === "BAD_INPUT");
  });

  test("through a WAV file, as the simulator writes it", () => {
    const sig = utterance(pack, "da", CODE, 384, 0.5, 100);
    const wav = readWav(writeWav(sig, 8000));
    assert.deepEqual(clipSequence(matchClips(wav.samples, wav.sampleRate, pack)), NAMES);
  });
});
