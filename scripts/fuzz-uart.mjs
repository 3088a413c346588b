#!/usr/bin/env node
// Long UART fuzzing run: node scripts/fuzz-uart.mjs [frames=1000000] [seed=random]
// (build first: npm run build). Exits non-zero on any trap or if the device stops answering.
const frames = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
const { fuzzUart } = await import(new URL("../firmware/dist/test/uart-fuzz.js", import.meta.url).href);
const t0 = performance.now();
const r = fuzzUart(seed, frames);
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seed, ...r, seconds: Number(s.toFixed(1)), framesPerSecond: Math.round(frames / s) }));
process.exit(r.traps === 0 && r.stillAnswers ? 0 : 1);
