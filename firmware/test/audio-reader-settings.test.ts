// The audio reader's double-strike delay (EN 301 549 5.8), "battery low", the language stored by
// its tag (and the older record by number, migrated), and a headset plugged in before power-up.
// What the device says is recovered from its audio output by matching against the voice pack.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { NorFlash, HEADSET_BUTTON } from "@segl/simulator";
import { StoreDev } from "./storage-util.js";
import { CMD } from "./service-util.js";
import {
  KEY, voiceBytes, resealed, provisionedReader, pressAndListen, hear, clips, codeClips, assertSaid, expectedCode, describeTimeline,
} from "./reader-util.js";

type Reader = ReturnType<typeof provisionedReader>;
const KEY_READER = 0x14; // the settings record (firmware/assembly/state.ts)
const names = (pcm: Int16Array) => clips(hear(pcm)).map((c) => c.name);

/** The time (ms) of the last sample that is not silence. */
function lastSoundMs(pcm: Int16Array): number {
  let last = pcm.length - 1;
  while (last > 0 && pcm[last] === 0) last--;
  return last / 8;
}

/** Language, language (Danish again), then repeat `steps` times: the double-strike delay steps. */
function setDelay(h: Reader, steps: number): string[][] {
  pressAndListen(h, KEY.language, 2000);
  pressAndListen(h, KEY.language, 2000);
  const said: string[][] = [];
  for (let i = 0; i < steps; i++) said.push(names(pressAndListen(h, KEY.repeat, 3000)));
  return said;
}

/** Presses `first`, `afterMs` later `second`, then listens; what was played from the first press on. */
function twoPresses(h: Reader, first: number, afterMs: number, second: number): Int16Array {
  h.device.audio.clear();
  h.device.click(first);
  h.clock.advance(afterMs);
  h.device.click(second);
  h.clock.advance(6000);
  return h.device.audio.pcm();
}

describe("double-strike key acceptance (EN 301 549 5.8)", () => {
  test("off by default: a second press of the main key 300 ms later stops the speech", () => {
    const h = provisionedReader();
    const pcm = twoPresses(h, KEY.main, 300, KEY.main);
    const end = lastSoundMs(pcm);
    assert.ok(end <= 300 && end > 290, `stopped at the second press: ${end} ms`);
    // and a clock set back between two presses (the simulator's clock can be) never hides a press
    h.device.audio.clear();
    h.device.click(KEY.main);
    h.clock.set(h.clock.now() - 60_000);
    h.device.click(KEY.main);
    h.clock.advance(3000);
    assert.ok(lastSoundMs(h.device.audio.pcm()) < 1, "the second press stopped it at once");
  });

  test("language then repeat steps it off → 0.5 s → 1 s → off, said as \"repeat\" and the half seconds", () => {
    const h = provisionedReader();
    const said = setDelay(h, 3);
    assert.deepEqual(said, [["repeat", "digit1"], ["repeat", "digit2"], ["repeat", "digit0"]]);
    assert.ok(clips(hear(pressAndListen(h, KEY.main))).every((c) => c.languages.includes("da")), "the language is as it was");
    // repeat alone (not after the language key) speaks the code, as before
    const code = expectedCode(h);
    assertSaid(hear(pressAndListen(h, KEY.repeat, 6000)), codeClips(code), "repeat after main: the code");
  });

  test("at 0.5 s: the same key again within it is ignored, a different key is accepted, after it the same key is", () => {
    const h = provisionedReader();
    setDelay(h, 1);
    // same key 300 ms later: ignored, the whole code is heard
    const code = expectedCode(h);
    assertSaid(hear(twoPresses(h, KEY.main, 300, KEY.main)), codeClips(code), "second press ignored");
    // a different key 300 ms later: accepted (it cuts the code and says "louder")
    const other = names(twoPresses(h, KEY.main, 300, KEY.volumeUp));
    assert.equal(other.at(-1), "louder", other.join(" "));
    assert.ok(!other.some((n) => n.startsWith("digit")), "the code was cut before its digits");
    // the same key 600 ms later: accepted (a second press interrupts)
    const end = lastSoundMs(twoPresses(h, KEY.main, 600, KEY.main));
    assert.ok(end <= 600 && end > 590, `stopped at the second press: ${end} ms`);
  });

  test("at 1 s: 600 ms later is ignored, 1,100 ms later accepted; kept across power-up", () => {
    const h = provisionedReader();
    setDelay(h, 2);
    h.device.reboot();
    const code = expectedCode(h);
    assertSaid(hear(twoPresses(h, KEY.main, 600, KEY.main)), codeClips(code), "ignored after reboot");
    const end = lastSoundMs(twoPresses(h, KEY.main, 1300, KEY.main)); // into the first digit
    assert.ok(end <= 1300 && end > 1290, `accepted after the delay: ${end} ms`);
  });

  test("an ignored press held ≥ 1 s does not act at its release either", () => {
    const h = provisionedReader();
    setDelay(h, 1);
    h.device.audio.clear();
    h.device.click(KEY.volumeUp); // accepted: "louder"
    h.clock.advance(200);
    h.device.press(KEY.volumeUp); // ignored, held 1.5 s
    h.clock.advance(1500);
    h.device.release(KEY.volumeUp);
    h.clock.advance(3000);
    const t = hear(h.device.audio.pcm());
    assertSaid(t, ["louder"], "no \"volume\" (the hold's reset) from the ignored press");
  });
});

describe("battery low", () => {
  test("below 15 %: \"battery low\" before the code; at 15 % and above: not", () => {
    const h = provisionedReader();
    h.device.setBattery(14);
    const code = expectedCode(h);
    assertSaid(hear(pressAndListen(h, KEY.main)), ["battery_low", ...codeClips(code)], "14 %");
    h.device.setBattery(15);
    const code15 = expectedCode(h);
    assertSaid(hear(pressAndListen(h, KEY.main)), codeClips(code15), "15 %");
    h.device.setBattery(0);
    const t = hear(pressAndListen(h, KEY.main, 10_000), ["en", "da"]);
    assert.deepEqual(clips(t).map((c) => c.name).slice(0, 2), ["battery_low", "your_code_is"], describeTimeline(t));
    assert.throws(() => h.device.setBattery(101), RangeError);
  });
});

/** The pack with its two languages' table entries and index blocks swapped (en first), CRCs resealed. */
function reordered(b: Uint8Array): Uint8Array {
  const v = b.slice();
  const C = v[7]!, block = 20 * C, idx = 32 + 4 * v[6]!;
  assert.equal(v[6], 2);
  v.set(b.subarray(36, 40), 32);
  v.set(b.subarray(32, 36), 36);
  v.set(b.subarray(idx + block, idx + 2 * block), idx);
  v.set(b.subarray(idx, idx + block), idx + block);
  return resealed(v);
}

const spokenLanguages = (h: Reader) => [...new Set(clips(hear(pressAndListen(h, KEY.main))).flatMap((c) => c.languages))];

describe("the language is stored by its tag", () => {
  test("a pack update that reorders the languages keeps the user's language", () => {
    const h = provisionedReader();
    pressAndListen(h, KEY.language); // English
    assert.deepEqual(spokenLanguages(h), ["en"]);
    h.device.setVoice(reordered(h.device.voice!));
    h.device.reboot();
    assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 0, "the reordered pack passes its checks");
    assert.deepEqual(spokenLanguages(h), ["en"], "still English (it is now language 0)");
    pressAndListen(h, KEY.language);
    assert.deepEqual(spokenLanguages(h), ["da"], "and the key still switches");
    h.device.setVoice(voiceBytes()); // the original order again
    h.device.reboot();
    assert.deepEqual(spokenLanguages(h), ["da"], "Danish, now language 0 again");
  });

  test("an older record (the language's number, then the speed) is read as it is, and rewritten by tag at the next change", () => {
    const flash = new NorFlash();
    const h = provisionedReader({ flash });
    h.device.cutPower();
    const s = new StoreDev({}, flash);
    assert.equal(s.mount(), 0);
    s.put(KEY_READER, new Uint8Array([1, 2])); // English, 1.25×: as the first reader firmware wrote it
    h.device.powerOn();
    const code = expectedCode(h);
    const said = clips(hear(pressAndListen(h, KEY.main)));
    assert.deepEqual(said.map((c) => c.name), codeClips(code));
    assert.ok(said.every((c) => c.languages.join() === "en" && c.speedQ8 === 320), "English at 1.25×");
    pressAndListen(h, KEY.speedDown); // a change: the record is rewritten with the tag
    h.device.setVoice(reordered(h.device.voice!));
    h.device.reboot();
    const after = clips(hear(pressAndListen(h, KEY.main)));
    assert.ok(after.every((c) => c.languages.join() === "en" && c.speedQ8 === 256), "English by its tag, at 1×");
  });
});

describe("a headset plugged in before power-up", () => {
  test("is known from hal.headset_state: a repeated 'plugged' report says nothing; unplugging stops a code and says \"speaker\"", () => {
    const h = provisionedReader();
    h.device.cutPower();
    h.device.setHeadset(true); // while off: no key 7 reaches the image
    h.device.powerOn();
    assert.equal(h.device.audio.output, "headset");
    h.device.audio.clear();
    h.device.press(HEADSET_BUTTON); // the jack's switch bouncing: "plugged" again
    h.clock.advance(3000);
    assert.equal(h.device.audio.pcm().length, 0, "nothing said: it was known to be plugged in");
    h.device.click(KEY.main);
    h.clock.advance(1500);
    h.device.setHeadset(false);
    h.clock.advance(3000);
    const said = names(h.device.audio.pcm());
    assert.equal(said[0], "your_code_is");
    assert.equal(said.at(-1), "speaker");
    assert.ok(said.length <= 3, `the code stopped: ${said.join(" ")}`);
  });

  test("no headset at power-up: an unplug report that changes nothing is ignored too", () => {
    const h = provisionedReader();
    const code = expectedCode(h);
    h.device.audio.clear();
    h.device.click(KEY.main);
    h.clock.advance(1500);
    h.device.release(HEADSET_BUTTON); // "unplugged" while none was in
    h.clock.advance(6000);
    assertSaid(hear(h.device.audio.pcm()), codeClips(code), "the code goes on");
  });
});
