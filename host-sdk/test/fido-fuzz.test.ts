// Structure-aware fuzzing of the verification entry points (fido-fuzz.ts): 100k cases in CI.
// Long runs: node scripts/fuzz.mjs verify 1000000 [seed]  (SEGL_FUZZ_ITERATIONS, SEGL_FUZZ_SEED).
import { test } from "vitest";
import assert from "node:assert/strict";
import { fuzzVerify, SLOW_MS } from "./fido-fuzz.js";

const N = Number(process.env["SEGL_FUZZ_ITERATIONS"] ?? 100_000);
const SEED = Number(process.env["SEGL_FUZZ_SEED"] ?? 0x7e61);

test(`verification fuzzer: ${N} structure-aware cases, only typed errors, none over ${SLOW_MS} ms, nothing accepted that the specification refuses`, () => {
  const r = fuzzVerify(N, SEED);
  const summary = Object.entries(r.byTarget).map(([t, s]) => `${t}: ${s.cases} cases, ${s.accepted} accepted, ${s.thrown} thrown, max ${s.maxMs.toFixed(2)} ms`).join("\n");
  console.log(`seed ${SEED}, ${r.cases} cases in ${(r.totalMs / 1000).toFixed(1)} s, max ${r.maxMs.toFixed(2)} ms\n${summary}`);
  assert.equal(r.cases, N);
  assert.deepEqual(r.untyped, [], `${r.untypedCount} untyped error(s)`);
  assert.deepEqual(r.wronglyAccepted, [], `${r.wronglyAcceptedCount} input(s) accepted that the specification refuses`);
  assert.deepEqual(r.slow, [], `${r.slowCount} case(s) over ${SLOW_MS} ms`);
  // the fuzzer reaches acceptance (mutations re-signed) and refusal on every target that can accept
  for (const t of ["assertion", "registration", "cose"] as const) assert.ok(r.byTarget[t].accepted > 0, `${t} never accepted: mutations do not reach past the signature`);
  for (const t of Object.keys(r.byTarget) as Array<keyof typeof r.byTarget>) assert.ok(r.byTarget[t].thrown > 0, `${t} never refused malformed input`);
});
