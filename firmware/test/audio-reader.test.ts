// The audio code reader through the built image: what it says is recovered from its audio output
// (through a WAV file) by matching against the voice pack, never from a firmware log.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { CMD } from "./service-util.js";
import {
  KEY, newReader, provisionedReader, pressAndListen, hear, clips, codeClips, assertSaid, expectedCode, rms,
  pausesMs, describeTimeline,
} from "./reader-util.js";

// RFC 6238 Appendix B, SHA-1, seed "12345678901234567890": the two times after 2020 (SET_TIME
// refuses earlier ones): 2000000000 → 69279037, 20000000000 → 65353130.
const VECTORS = [
  { unix: 2_000_000_000, code8: "69279037" },
  { unix: 20_000_000_000, code8: "65353130" },
];
// Pauses at normal speed (ms): after the prompt, between digits, between the groups (audio_reader.ts).
const P = { prompt: 450, digit: 250, group: 700 };

describe.each(["da", "en"])("the code in %s", (lang) => {
  test.each(VECTORS)("RFC 6238 at $unix: the WAV decodes to the prompt and the digits 3 + 3 (4 + 4), pauses in place", ({ unix, code8 }) => {
    for (const digits of [6, 8]) {
      const h = provisionedReader({ digits, at: unix * 1000 + 100 });
      if (lang === "en") pressAndListen(h, KEY.language); // Danish first; one press: English
      const code = code8.slice(8 - digits);
      assert.equal(h.device.display, "", "nothing shown after a settings key");
      const t = hear(pressAndListen(h, KEY.main), [lang]);
      assertSaid(t, codeClips(code), `${lang}, ${digits} digits`);
      assert.equal(h.device.display, code, "and shown");
      for (const c of clips(t)) assert.deepEqual(c.languages, [lang], `${c.name} in ${lang}`);
      const half = Math.ceil(digits / 2);
      const want = [P.prompt, ...Array.from({ length: digits - 1 }, (_, i) => (i + 1 === half ? P.group : P.digit))];
      const got = pausesMs(t);
      assert.equal(got.length, want.length);
      got.forEach((ms, i) => assert.ok(Math.abs(ms - want[i]!) <= 2, `pause ${i}: ${ms} ms, want ${want[i]} ms\n${describeTimeline(t)}`));
      assert.ok(t.items[0]!.kind === "clip" && t.items[0]!.start === 0, "the prompt starts with the press");
    }
  });
});

test("volume: each step is 3 dB (RMS × √2), the gain as claimed; the default comes back at power-up", () => {
  const h = provisionedReader();
  const base = pressAndListen(h, KEY.main);
  const speechRms = (pcm: Int16Array) => rms(pcm.filter((v) => v !== 0));
  const levels: number[] = [];
  for (let i = 0; i < 2; i++) {
    assertSaid(hear(pressAndListen(h, KEY.volumeUp)), ["louder"], "volume up");
    levels.push(speechRms(pressAndListen(h, KEY.main)) / speechRms(base));
  }
  assert.ok(Math.abs(levels[0]! - 362 / 256) < 0.01, `one step up: RMS ratio ${levels[0]}`);
  assert.ok(Math.abs(levels[1]! - 2) < 0.01, `two steps: RMS ratio ${levels[1]}`);
  const t = hear(pressAndListen(h, KEY.main));
  for (const c of clips(t)) assert.ok(Math.abs(c.gain - 2) < 0.01, `${c.name} at gain ${c.gain}`);
  // Down four steps from the top: 1/√2 of the default per step below it.
  for (let i = 0; i < 4; i++) assertSaid(hear(pressAndListen(h, KEY.volumeDown)), ["softer"], "volume down");
  assert.ok(Math.abs(speechRms(pressAndListen(h, KEY.main)) / speechRms(base) - 181 / 256) < 0.01);
  h.device.reboot();
  const after = pressAndListen(h, KEY.main);
  assert.ok(Math.abs(speechRms(after) / speechRms(base) - 1) < 0.005, "default volume after power-up");
});

test("speed: 1.25× and 0.75× change the whole message's duration by 256/q (speech and pauses); the level is kept across power-up", () => {
  const h = provisionedReader();
  const at = h.clock.now();
  const dur = (pcm: Int16Array) => pcm.length;
  const normal = dur(pressAndListen(h, KEY.main));
  assertSaid(hear(pressAndListen(h, KEY.speedUp)), ["faster"], "speed up");
  h.clock.set(at); // the same code again
  const fastPcm = pressAndListen(h, KEY.main);
  const fast = hear(fastPcm);
  assertSaid(fast, codeClips(expectedCode(h)), "at 1.25×");
  for (const c of clips(fast)) assert.equal(c.speedQ8, 320, `${c.name} at q ${c.speedQ8}`);
  assert.ok(Math.abs(dur(fastPcm) / normal - 256 / 320) < 0.01, `1.25×: duration ratio ${dur(fastPcm) / normal}`);
  pressAndListen(h, KEY.speedDown);
  assertSaid(hear(pressAndListen(h, KEY.speedDown)), ["slower"], "speed down twice");
  h.device.reboot();
  h.clock.set(at);
  const slowPcm = pressAndListen(h, KEY.main);
  for (const c of clips(hear(slowPcm))) assert.equal(c.speedQ8, 192);
  assert.ok(Math.abs(dur(slowPcm) / normal - 256 / 192) < 0.01, `0.75× after reboot: duration ratio ${dur(slowPcm) / normal}`);
  // Held (≥ 1 s) a speed key goes back to normal speed.
  h.device.audio.clear();
  h.device.press(KEY.speedUp);
  h.clock.advance(1200);
  h.device.release(KEY.speedUp);
  h.clock.advance(5000);
  assertSaid(hear(h.device.audio.pcm()), ["normal_speed"], "hold: normal speed");
  h.clock.set(at);
  assert.ok(Math.abs(dur(pressAndListen(h, KEY.main)) / normal - 1) < 0.001);
});

test("holding a volume key ≥ 1 s goes back to the default volume; a short press does not", () => {
  const h = provisionedReader();
  const base = rms(pressAndListen(h, KEY.main));
  pressAndListen(h, KEY.volumeUp);
  h.device.press(KEY.volumeUp);
  h.clock.advance(900);
  h.device.release(KEY.volumeUp); // 0.9 s: a press, not a hold
  h.clock.advance(3000);
  assert.ok(rms(pressAndListen(h, KEY.main)) / base > 1.9, "two steps up");
  h.device.audio.clear();
  h.device.press(KEY.volumeDown);
  h.clock.advance(1000);
  h.device.release(KEY.volumeDown);
  h.clock.advance(3000);
  assertSaid(hear(h.device.audio.pcm()), ["softer", "volume"], "softer, then held: volume at the default");
  assert.ok(Math.abs(rms(pressAndListen(h, KEY.main)) / base - 1) < 0.005);
});

test("interrupt and repeat: a second press stops at once, REPEAT starts over", () => {
  const h = provisionedReader();
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(1500); // into the first digit
  h.device.click(KEY.main);
  h.clock.advance(3000);
  const t = hear(h.device.audio.pcm());
  const said = clips(t);
  assert.equal(said.length, 2, describeTimeline(t));
  assert.equal(said[0]!.name, "your_code_is");
  assert.ok(said[1]!.truncated, "the digit is cut off where the press came");
  assert.ok(Math.abs(said[1]!.end / 8 - 1500) < 40, `sound stops at the press: ${said[1]!.end / 8} ms`);
  assert.equal(h.device.audio.queued(), 0);
  // REPEAT while speaking: from the start.
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(2000);
  h.device.click(KEY.repeat);
  h.clock.advance(8000);
  const r = clipSequenceOf(hear(h.device.audio.pcm()));
  const code = expectedCode(h);
  assert.deepEqual(r.slice(-7), codeClips(code), "repeat: the whole message");
  assert.equal(r[0], "your_code_is");
});

function clipSequenceOf(t: ReturnType<typeof hear>): string[] {
  return clips(t).map((c) => c.name);
}

test("a code that expires while it is spoken: \"new code\" and the code that replaced it", () => {
  const h = provisionedReader();
  const step = 30_000;
  h.clock.set(Math.ceil(h.clock.now() / step) * step + step - 2_000); // 2 s before the step ends
  const old = expectedCode(h);
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(10_000);
  const next = expectedCode(h);
  assert.notEqual(old, next);
  const said = clipSequenceOf(hear(h.device.audio.pcm()));
  const i = said.indexOf("new_code");
  assert.ok(i > 0, said.join(" "));
  assert.deepEqual(said.slice(0, 1), ["your_code_is"]);
  assert.deepEqual(said.slice(1, i).map((n) => n.replace("…", "")), codeClips(old).slice(1, i), "the old code up to the roll");
  assert.deepEqual(said.slice(i), codeClips(next, "new_code"));
  assert.equal(h.device.display, next);
});

test("error states are spoken: not activated (blank), clock not set", () => {
  const blank = newReader();
  assertSaid(hear(pressAndListen(blank, KEY.main)), ["not_activated"], "blank reader");
  const noClock = newReader();
  assert.equal(noClock.port.request(CMD.PROVISION, new Uint8Array([2, 1, 6, 0, 30, 1, 0x41, 20, ...new TextEncoder().encode("12345678901234567890")]))?.status, 0);
  assertSaid(hear(pressAndListen(noClock, KEY.main)), ["clock_not_set"], "no time");
});

test("language: the key switches, says \"language\" in the new one, and the choice survives power-up", () => {
  const h = provisionedReader();
  const lang = (key: number) => clips(hear(pressAndListen(h, key)));
  const l1 = lang(KEY.language);
  assert.deepEqual(l1.map((c) => [c.name, c.languages]), [["language", ["en"]]]);
  h.device.reboot();
  assert.ok(lang(KEY.main).every((c) => c.languages.join() === "en"), "English after reboot");
  const l2 = lang(KEY.language);
  assert.deepEqual(l2.map((c) => [c.name, c.languages]), [["language", ["da"]]], "and back to Danish");
});

test("headset: plugging says \"headset\" there; unplugging stops a code at once and says \"speaker\"", () => {
  const h = provisionedReader();
  h.device.audio.clear();
  h.device.setHeadset(true);
  h.clock.advance(3000);
  assertSaid(hear(h.device.audio.pcm()), ["headset"], "plugged");
  assert.equal(h.device.audio.output, "headset");
  assert.ok(h.device.audio.headsetSamples > 0);
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(1500);
  h.device.setHeadset(false);
  h.clock.advance(3000);
  const said = clipSequenceOf(hear(h.device.audio.pcm()));
  assert.equal(said[0], "your_code_is");
  assert.equal(said.at(-1), "speaker");
  assert.ok(said.length <= 3, `the code stopped: ${said.join(" ")}`);
});
