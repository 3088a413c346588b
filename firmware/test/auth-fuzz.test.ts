// The structure-aware fuzzers past the MAC (auth-fuzz.ts) in CI: 100 000 inputs in all by default
// (setpin 20k, pin 25k, hmac 25k, cm 30k); SEGL_FUZZ_ITERATIONS sets every target's count,
// SEGL_FUZZ_SEED picks the run, SEGL_FUZZ_TARGET one target. Every input checks the guard regions,
// the status and the PIN-state invariants; the figures go to the test log.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { fuzzAuth, AUTH_TARGETS } from "./auth-fuzz.js";

const DEFAULT_N: Record<string, number> = { setpin: 20_000, pin: 25_000, hmac: 25_000, cm: 30_000 };
const FORCED = process.env.SEGL_FUZZ_ITERATIONS;
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 1);
const ONLY = process.env.SEGL_FUZZ_TARGET;

describe("structure-aware fuzzers past the MAC", () => {
  for (const target of AUTH_TARGETS) {
    if (ONLY && ONLY !== target) continue;
    const N = FORCED ? Number(FORCED) : DEFAULT_N[target]!;
    test(`${target}: ${N} re-authenticated inputs, guards intact, statuses and PIN state consistent`, () => {
      const t0 = performance.now();
      const rep = fuzzAuth(target, SEED, N);
      const s = (performance.now() - t0) / 1000;
      const hist = [...rep.statuses.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `0x${k.toString(16)}:${v}`).join(" ");
      console.log(`# auth-fuzz ${target} seed ${SEED}: ${rep.inputs} inputs, ${rep.pastMac} past the MAC, ${(rep.inputs / s).toFixed(0)} inputs/s; ${hist}`);
      assert.equal(rep.inputs, N);
      assert.ok(rep.pastMac > N * 0.8, `${rep.pastMac} of ${N} inputs got past the MAC`);
      assert.ok((rep.statuses.get(0) ?? 0) > 0, "some inputs succeed (the deep paths are reached)");
      assert.ok(rep.statuses.size >= 3, "several outcomes");
    });
  }
});
