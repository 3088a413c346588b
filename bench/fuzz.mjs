// Throughput of the structure-aware fuzzers past the MAC (firmware/test/auth-fuzz.ts) and the cost
// of the guard-region check. Every auth input costs the chip one P-256 ECDH (decapsulation), so
// the device's own ECDH rate is the baseline: the ratio says how close to that floor a target runs.
import { readFileSync } from "node:fs";
import { runTs } from "../scripts/run-ts.mjs";
// The fuzzer is test code (TypeScript, not compiled into dist/): run it from source, with the
// simulator from source too so that both share one copy of its classes.
const { Device, SimClock, imageFromBytes } = await runTs("@segl/simulator");
const { fuzzAuth, AUTH_TARGETS } = await runTs(new URL("../firmware/test/auth-fuzz.ts", import.meta.url).href);
import { measure, table } from "./lib.mjs";

const N = Number(process.env.BENCH_FUZZ_N ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const harness = (name) => imageFromBytes(new Uint8Array(readFileSync(new URL(`../firmware/build/harness-${name}.wasm`, import.meta.url))));

// baseline: the image's ECDH, as the chip runs it for every clientPIN / hmac-secret request
const p256 = new Device({ image: harness("p256"), clock: new SimClock(), guardChecks: false });
const x = p256.raw;
const priv = p256.ioWrite(0, new Uint8Array(32).fill(7));
const pub = p256.ioWrite(64, new Uint8Array(64));
x.p256_public_key(priv, pub);
const out = p256.ioWrite(256, new Uint8Array(32));
const rows = [measure("firmware image p256_ecdh (the floor: one per input)", () => x.p256_ecdh(priv, pub, out))];

for (const target of AUTH_TARGETS) {
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fuzzAuth(target, 100 + r, N);
    rates.push((N * 1000) / (performance.now() - t0));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  rows.push({ name: `auth-fuzz ${target} (inputs, guards checked)`, opsPerSec: median, spread: (rates.at(-1) - rates[0]) / median });
}
table(`Fuzzing past the MAC (${N} inputs × ${ROUNDS} rounds per target)`, rows);

// the guard check itself: a trivial export with and without it
const guarded = new Device({ image: harness("pin"), clock: new SimClock() });
const plain = new Device({ image: harness("pin"), clock: new SimClock(), guardChecks: false });
const g = guarded.raw, p = plain.raw;
table(`Guard check per call (${harness("pin").guards.length} canaries of 16 bytes)`, [
  measure("io_size() without the check", () => p.io_size()),
  measure("io_size() with the guard check", () => g.io_size()),
]);
