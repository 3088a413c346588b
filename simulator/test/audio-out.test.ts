// The simulated DAC behind hal.audio_write: whole frames or nothing, the FIFO drains with the
// device's clock, a refused write owes a tick at the low-water mark, gaps are silence, a flush
// drops what was not heard.
import { test } from "vitest";
import assert from "node:assert/strict";
import { AudioOut, AUDIO_FIFO, AUDIO_LOW_WATER } from "../src/index.js";

test("FIFO: whole writes or none, drained by the play position; the tick position; gaps and flush", () => {
  let pos = 1000;
  const a = new AudioOut(() => pos);
  const frame = new Int16Array(256).fill(100);
  let taken = 0;
  while (a.write(frame) === 256) taken += 256;
  assert.equal(taken, AUDIO_FIFO, "takes exactly a full FIFO");
  assert.equal(a.write(frame), 0, "then nothing");
  assert.equal(a.waiting, true);
  assert.equal(a.readyPosition(), 1000 + AUDIO_FIFO - AUDIO_LOW_WATER, "room again at the low-water mark");
  pos += 300; // 300 samples played
  assert.equal(a.queued(), AUDIO_FIFO - 300);
  assert.equal(a.write(frame), 256, "room for one more frame");
  assert.equal(a.pcm().length, 300, "only what was played is in the track");
  pos += 10_000; // all played, then an underrun/idle gap
  a.write(new Int16Array(4).fill(-5));
  pos += 4;
  const pcm = a.pcm();
  // written: 2,304 samples from position 1000; the 4 at 11,300 (after 10,300 − 2,304 of nothing)
  assert.equal(pcm.length, 10_304);
  assert.equal(pcm[AUDIO_FIFO + 256 - 1], 100);
  assert.ok(pcm.subarray(AUDIO_FIFO + 256, 10_300).every((v) => v === 0), "the gap is silence");
  assert.deepEqual([...pcm.subarray(10_300)], [-5, -5, -5, -5]);
  // Flush: queued samples are dropped, never heard.
  a.write(frame);
  pos += 10;
  a.flush();
  assert.equal(a.queued(), 0);
  pos += 1000;
  assert.equal(a.pcm().length, 10_304 + 10, "ten samples of the flushed frame were heard");
  a.clear();
  assert.equal(a.pcm().length, 0);
});
