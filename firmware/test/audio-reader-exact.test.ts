// The image's audio path sample for sample: its ADPCM decoder (with the step table it keeps as 88
// bits), its speed change and its volume give exactly what the pack library computes from the
// pack (docs/voice-pack.md); and random use of the keys, the headset and the clock never traps it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { changeSpeed, IMA_STEP_TABLE } from "@segl/simulator";
import { KEY, pack, provisionedReader, pressAndListen } from "./reader-util.js";

test("clips of both languages at every speed, at the default volume: bit-exact with the pack library (decoder, step table, speed)", () => {
  assert.equal(IMA_STEP_TABLE.length, 89);
  const h = provisionedReader();
  const speeds = [[KEY.speedDown, 192, "slower"], [KEY.speedUp, 256, "normal_speed"], [KEY.speedUp, 320, "faster"], [KEY.speedUp, 384, "faster"]] as const;
  for (const lang of ["da", "en"]) {
    for (const [key, q, clip] of speeds) {
      const got = pressAndListen(h, key, 4000);
      const want = changeSpeed(pack().decode(lang, clip), q, 8000);
      assert.deepEqual(got.subarray(0, want.length), want, `${lang} "${clip}" at ${q}/256`);
      assert.ok(got.subarray(want.length).every((v) => v === 0), "then silence");
    }
    pressAndListen(h, KEY.speedDown);
    pressAndListen(h, KEY.speedDown); // back to 1×
    pressAndListen(h, KEY.language);
  }
});

test("random keys, holds, headset and time never trap the reader; it still speaks the code afterwards", () => {
  let seed = 0x2545f491;
  const rnd = (n: number) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const h = provisionedReader();
  for (let i = 0; i < 3000; i++) {
    const r = rnd(10);
    if (r < 7) { if (rnd(2)) h.device.press(rnd(9)); else h.device.release(rnd(9)); }
    else if (r === 7) h.device.setHeadset(rnd(2) === 1);
    else h.clock.advance(rnd(3000));
    if (i % 1000 === 999) h.device.reboot();
  }
  assert.equal(h.device.state, "on");
  assert.deepEqual(h.device.faults, []);
  h.clock.advance(20_000);
  for (let k = 0; k < 8; k++) h.device.release(k);
  h.device.setHeadset(false);
  h.clock.advance(5000);
  const pcm = pressAndListen(h, KEY.main, 15_000);
  assert.ok(pcm.some((v) => v !== 0), "it speaks");
});
