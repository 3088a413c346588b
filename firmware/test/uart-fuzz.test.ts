import { test } from "vitest";
import assert from "node:assert/strict";
import { fuzzUart } from "./uart-fuzz.js";

const FRAMES = Number(process.env.SEGL_FUZZ_FRAMES ?? 100_000);

test(`UART fuzzer: ${FRAMES} frames, zero traps, device still answers INFO`, () => {
  const seeds = [1, 2];
  for (const seed of seeds) {
    const r = fuzzUart(seed, Math.ceil(FRAMES / seeds.length));
    assert.deepEqual(r.faults, [], `seed ${seed}: traps`);
    assert.equal(r.traps, 0);
    assert.ok(r.stillAnswers, `seed ${seed}: device answers INFO afterwards`);
    assert.ok(r.responses > r.frames / 10, `seed ${seed}: most valid frames were answered (${r.responses})`);
  }
});
