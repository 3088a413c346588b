// The audio reader when its voice pack is damaged, and its settings across power cuts.
import { test } from "vitest";
import assert from "node:assert/strict";
import { NorFlash } from "@segl/simulator";
import { CMD } from "./service-util.js";
import { KEY, voiceBytes, resealed, pack, provisionedReader, pressAndListen, hear, clips, assertSaid, codeClips, expectedCode } from "./reader-util.js";

/** Every sample is silence or the firmware's own square-wave tone (±8000 × the default gain): no garbage. */
function onlyTones(pcm: Int16Array): boolean {
  return pcm.every((v) => v === 0 || Math.abs(v) === 8000);
}

/** The byte address of index entry (language l, clip id c) of the committed pack. */
function entryAt(b: Uint8Array, l: number, c: number): number {
  return 32 + 4 * b[6]! + 20 * (l * b[7]! + c);
}

// Damage at every place the boot check covers (docs/voice-pack.md "What the firmware checks").
const damages: Array<[string, (b: Uint8Array) => Uint8Array]> = [
  ["a bit flipped in clip data", (b) => { b[b.length - 1000]! ^= 0x10; return b; }],
  ["a bit flipped in the index", (b) => { b[32 + 8 + 20 * 7 + 2]! ^= 0x01; return b; }],
  ["a bit flipped in the pack CRC", (b) => { b[b.length - 1]! ^= 0x80; return b; }],
  ["bad magic", (b) => { b[0] = 0x58; return b; }],
  ["another sample rate", (b) => { new DataView(b.buffer).setUint32(8, 16000, true); return b; }],
  ["truncated (half the region)", (b) => b.slice(0, b.length >> 1)],
  ["erased (all 0xFF)", (b) => b.fill(0xff)],
  ["too few clips", (b) => { b[7] = 33; return b; }],
  // Each with both CRCs recomputed: only the check named catches it.
  ["a flags bit set (CRCs recomputed)", (b) => { b[20] = 1; return resealed(b); }],
  ["a reserved flags bit set (CRCs recomputed)", (b) => { b[23] = 0x80; return resealed(b); }],
  ["a clip offset not 4-aligned (CRCs recomputed)", (b) => { b[entryAt(b, 0, 5)]! += 2; return resealed(b); }],
];

test.each(damages)("a damaged voice pack (%s): every key gives the firmware's error tone, no clip, INFO bit 4; the LCD still shows the code", (_why, damage) => {
  const h = provisionedReader({ voice: damage(voiceBytes()) });
  h.device.reboot(); // the pack is checked at boot
  assert.equal(h.device.state, "on");
  assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 16, "INFO flags: voice pack failed");
  for (const key of [KEY.main, KEY.repeat, KEY.volumeUp, KEY.language]) {
    const pcm = pressAndListen(h, key, 3000);
    assert.ok(pcm.length > 2000, "a tone is heard");
    assert.ok(onlyTones(pcm), "nothing but the firmware's own tones");
    assert.equal(clips(hear(pcm)).length, 0, "no clip of the pack");
  }
  h.device.click(KEY.main);
  assert.equal(h.device.display, expectedCode(h));
  assert.equal(h.device.faults.length, 0);
});

test("an intact pack: INFO bit 4 clear; a clip damaged after boot is caught by its CRC before it plays", () => {
  const h = provisionedReader();
  assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 0);
  // Damage the data of digit clips (not the prompt) after the boot check: flash that decays.
  const v = h.device.voice!.slice();
  const p = pack();
  for (let d = 0; d <= 9; d++) { const e = p.entry("da", d); v[e.offset + 10]! ^= 0x40; }
  h.device.setVoice(v);
  const pcm = pressAndListen(h, KEY.main);
  const t = hear(pcm);
  assertSaid(t, ["your_code_is", "?"], "the prompt, then the error tone instead of a damaged digit");
  const tone = pcm.subarray(clips(t)[0]!.end);
  assert.ok(onlyTones(tone), "after the prompt: only the firmware's tone");
  assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 16, "and the error state");
  assert.ok(onlyTones(pressAndListen(h, KEY.main)), "which stays");
});

test.each([
  ["the initial predictor", 12, 0x40],
  ["the initial step index", 14, 0x08],
])("an index entry's %s decayed after boot: caught by the index CRC before any clip plays; error tone and state, no clip", (_what, field, mask) => {
  const h = provisionedReader();
  const v = h.device.voice!.slice();
  // Every digit's entry in both languages: the clip CRC does not cover these fields.
  for (let l = 0; l < 2; l++) for (let d = 0; d <= 9; d++) v[entryAt(v, l, d) + field]! ^= mask;
  h.device.setVoice(v);
  // The index CRC is checked before every clip, the prompt too: nothing of the pack plays.
  const pcm = pressAndListen(h, KEY.main);
  assert.ok(onlyTones(pcm) && pcm.some((x) => x !== 0), "the firmware's tone, nothing else");
  assert.equal(clips(hear(pcm)).length, 0, "no clip of the pack");
  assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 16, "the error state");
  const again = pressAndListen(h, KEY.repeat);
  assert.ok(onlyTones(again) && again.some((x) => x !== 0), "which stays: tones only");
});

test("a decayed language-table or header byte after boot is caught too (the index CRC covers them)", () => {
  const h = provisionedReader();
  const v = h.device.voice!.slice();
  v[33]! ^= 0x01; // the first language's tag
  h.device.setVoice(v);
  const pcm = pressAndListen(h, KEY.main);
  assert.ok(onlyTones(pcm) && pcm.some((x) => x !== 0), "no clip at all: the firmware's tone");
  assert.equal(clips(hear(pcm)).length, 0);
  assert.equal(h.port.request(CMD.INFO)!.data[6]! & 16, 16);
});

test("language and speed survive a power cut at every flash operation of their change (old or new, never lost)", () => {
  // How many flash operations a language change takes.
  const probe = provisionedReader();
  const before = probe.device.flash.operations;
  pressAndListen(probe, KEY.language);
  const ops = probe.device.flash.operations - before;
  assert.ok(ops > 0, "the choice is written");
  for (let n = 1; n <= ops; n++) {
    const h = provisionedReader({ flash: new NorFlash() });
    pressAndListen(h, KEY.speedUp); // 1.25×, committed
    h.device.cutPowerAtFlashOperation(n);
    h.device.click(KEY.language);
    assert.equal(h.device.state, "off", `cut at operation ${n}`);
    h.device.powerOn();
    assert.equal(h.device.faults.filter((f) => f.kind !== "power").length, 0);
    const said = clips(hear(pressAndListen(h, KEY.main)));
    const langs = new Set(said.flatMap((c) => c.languages));
    assert.equal(langs.size, 1, "one language");
    assert.ok(said.every((c) => c.speedQ8 === 320), `speed kept (cut at ${n})`);
    assert.deepEqual(said.map((c) => c.name), codeClips(expectedCode(h)), "the whole code");
    // The device works on: the next change is written.
    const l = [...langs][0];
    pressAndListen(h, KEY.language);
    h.device.reboot();
    const after = new Set(clips(hear(pressAndListen(h, KEY.main))).flatMap((c) => c.languages));
    assert.deepEqual([...after], [l === "da" ? "en" : "da"], `the change after recovery sticks (cut at ${n})`);
  }
});
