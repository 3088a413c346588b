// The audio code reader through the built image: what it says is recovered from its audio output
// (through a WAV file) by matching against the voice pack, never from a firmware log.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { CMD } from "./service-util.js";
import {
  KEY, newReader, provisionedReader, pressAndListen, holdAndListen, hear, clips, codeClips, assertSaid, expectedCode, rms,
  pausesMs, describeTimeline,
} from "./reader-util.js";

// RFC 6238 Appendix B at T = 2000000000 (the one time of the table that SET_TIME accepts: 2020
// to 2100), with its three seeds: SHA-1 "1234567890" × 2, SHA-256 × 3.2, SHA-512 × 6.4.
const ascii = (s: string) => new TextEncoder().encode(s);
const VECTORS = [
  { alg: 1, seed: ascii("12345678901234567890"), code8: "69279037" },
  { alg: 2, seed: ascii("12345678901234567890123456789012"), code8: "90698825" },
  { alg: 3, seed: ascii("1234567890123456789012345678901234567890123456789012345678901234"), code8: "38618901" },
];
const T_RFC = 2_000_000_000_000;
// Pauses at normal speed (ms): after the prompt, between digits, between the groups (audio_reader.ts).
const P = { prompt: 450, digit: 250, group: 700 };

describe.each(["da", "en"])("the code in %s", (lang) => {
  test.each(VECTORS)("RFC 6238 (alg $alg) at T = 2000000000: the WAV decodes to the prompt and the digits 3 + 3 (4 + 4), pauses in place", ({ alg, seed, code8 }) => {
    for (const digits of [6, 8]) {
      const h = provisionedReader({ digits, alg, seed, at: T_RFC });
      if (lang === "en") pressAndListen(h, KEY.language); // Danish first; one press: English
      h.clock.set(T_RFC + 100);
      const code = code8.slice(8 - digits);
      h.device.audio.clear();
      h.device.click(KEY.main);
      assert.equal(h.device.display, code, "and shown");
      h.clock.advance(8000);
      const t = hear(h.device.audio.pcm(), [lang]);
      assertSaid(t, codeClips(code), `${lang}, ${digits} digits`);
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
  const at = h.clock.now();
  const code = () => { h.clock.set(at); return pressAndListen(h, KEY.main); }; // the same code each time
  const base = rms(code());
  const ratios: number[] = [];
  for (let i = 0; i < 2; i++) {
    assertSaid(hear(pressAndListen(h, KEY.volumeUp)), ["louder"], "volume up");
    ratios.push(rms(code()) / base);
  }
  assert.ok(Math.abs(ratios[0]! - 362 / 256) < 0.005, `one step up: RMS ratio ${ratios[0]}`);
  assert.ok(Math.abs(ratios[1]! - 2) < 0.005, `two steps up (the top, +6 dB): RMS ratio ${ratios[1]}`);
  h.clock.set(at);
  const shown = expectedCode(h);
  const t = hear(pressAndListen(h, KEY.main));
  assertSaid(t, codeClips(shown), "at the top level");
  for (const c of clips(t)) assert.ok(Math.abs(c.gain - 2) < 0.01, `${c.name} at gain ${c.gain}`);
  assertSaid(hear(pressAndListen(h, KEY.volumeUp)), ["louder"], "at the top already: stays there");
  assert.ok(Math.abs(rms(code()) / base - 2) < 0.005);
  for (let i = 0; i < 3; i++) assertSaid(hear(pressAndListen(h, KEY.volumeDown)), ["softer"], "volume down");
  assert.ok(Math.abs(rms(code()) / base - 181 / 256) < 0.005, "one step below the default");
  h.device.reboot();
  assert.ok(Math.abs(rms(code()) / base - 1) < 0.001, "default volume after power-up");
});

test("speed: 1.25× and 0.75× change the whole message's duration by 256/q (speech and pauses); the level is kept across power-up", () => {
  const h = provisionedReader();
  const at = h.clock.now();
  const dur = (pcm: Int16Array) => pcm.length;
  const normal = dur(pressAndListen(h, KEY.main));
  assertSaid(hear(pressAndListen(h, KEY.speedUp)), ["faster"], "speed up");
  h.clock.set(at); // the same code again
  const shown = expectedCode(h);
  const fastPcm = pressAndListen(h, KEY.main);
  const fast = hear(fastPcm);
  assertSaid(fast, codeClips(shown), "at 1.25×");
  for (const c of clips(fast)) assert.equal(c.speedQ8, 320, `${c.name} at q ${c.speedQ8}`);
  assert.ok(Math.abs(dur(fastPcm) / normal - 256 / 320) < 0.01, `1.25×: duration ratio ${dur(fastPcm) / normal}`);
  pressAndListen(h, KEY.speedDown);
  assertSaid(hear(pressAndListen(h, KEY.speedDown)), ["slower"], "speed down twice");
  h.device.reboot();
  h.clock.set(at);
  const slowPcm = pressAndListen(h, KEY.main);
  for (const c of clips(hear(slowPcm))) assert.equal(c.speedQ8, 192);
  assert.ok(Math.abs(dur(slowPcm) / normal - 256 / 192) < 0.01, `0.75× after reboot: duration ratio ${dur(slowPcm) / normal}`);
  // Held (≥ 1 s) a speed key goes back to normal speed: "slower" (at the bottom already) when
  // pressed, "normal speed" when let go.
  assertSaid(hear(holdAndListen(h, KEY.speedDown, 3000, 5000)), ["slower", "normal_speed"], "hold: normal speed");
  h.clock.set(at);
  assert.ok(Math.abs(dur(pressAndListen(h, KEY.main)) / normal - 1) < 0.001);
});

test("holding a volume key ≥ 1 s goes back to the default volume; a short press does not", () => {
  const h = provisionedReader();
  const at = h.clock.now();
  const code = () => { h.clock.set(at); return pressAndListen(h, KEY.main); };
  const base = rms(code());
  pressAndListen(h, KEY.volumeUp);
  holdAndListen(h, KEY.volumeUp, 900); // 0.9 s: a press, not a hold
  assert.ok(Math.abs(rms(code()) / base - 2) < 0.005, "two steps up");
  assertSaid(hear(holdAndListen(h, KEY.volumeDown, 3000)), ["softer", "volume"], "softer, then held: volume at the default");
  assert.ok(Math.abs(rms(code()) / base - 1) < 0.001);
});

test("interrupt and repeat: a second press stops at once, REPEAT starts over", () => {
  const h = provisionedReader();
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(1400); // into the first digit (it would end at 1,507 ms)
  h.device.click(KEY.main);
  h.clock.advance(3000);
  const pcm = h.device.audio.pcm();
  const t = hear(pcm);
  assert.equal(clips(t)[0]!.name, "your_code_is", describeTimeline(t));
  const digit = t.items.find((i) => i.kind !== "silence" && i.start > clips(t)[0]!.end)!;
  assert.ok(Math.abs(digit.start / 8 - 1181) < 5, "the first digit started after the pause");
  let last = pcm.length - 1;
  while (last > 0 && pcm[last] === 0) last--;
  assert.ok(last / 8 <= 1400 && last / 8 > 1390, `the sound stops at the press (1,400 ms), not at the digit's end: ${last / 8} ms`);
  assert.ok(pcm.length / 8 < 1401, "nothing was played after it");
  assert.equal(h.device.audio.queued(), 0);
  // REPEAT while speaking: from the start.
  h.device.audio.clear();
  h.device.click(KEY.main);
  h.clock.advance(2000);
  const code = expectedCode(h);
  h.device.click(KEY.repeat);
  h.clock.advance(8000);
  const r = clipSequenceOf(hear(h.device.audio.pcm()));
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
