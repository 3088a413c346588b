// getAssertion round trip through the in-process transport (SDK CTAPHID/CTAP2 client → simulated
// chip → back), against the cost of the signature itself (P-256 sign inside the image).
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { Device, SimClock, imageFromBytes } from "@segl/simulator";
import { CtapHidClient, Ctap2Client, HidMemoryTransport, HidServiceTunnel, ServiceClient, provisionDevice } from "@segl/host-sdk";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const N = Number(process.env.BENCH_N ?? 300);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeAsync(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

// The signature alone: the image's p256Sign through the P-256 harness.
const p256 = new Device({ image: imageFromBytes(new Uint8Array(readFileSync(new URL("../firmware/build/harness-p256.wasm", import.meta.url)))), clock: new SimClock(), guardChecks: false });
const x = p256.raw;
const priv = p256.ioWrite(0, createHash("sha256").update("key").digest());
const dig = p256.ioWrite(64, createHash("sha256").update("msg").digest());
const sign = x.p256_sign;
if (typeof sign !== "function") throw new Error("harness-p256 has no p256_sign export");
const out = p256.ioWrite(256, new Uint8Array(64));
if (sign(priv, dig, out) !== 0) throw new Error("p256_sign failed");
for (let i = 0; i < 200; i++) sign(priv, dig, out);
const signUs = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sign(priv, dig, out);
  signUs.push(((performance.now() - t0) / N) * 1000);
}

// The chip.
const clock = new SimClock({ startMs: Date.now() });
const device = new Device({ clock, rngSeed: "bench" });
const hid = await CtapHidClient.open(new HidMemoryTransport(device));
await provisionDevice(new ServiceClient(new HidServiceTunnel(hid)), { model: "chip", serial: "BENCH-1" });
const ctap = new Ctap2Client(hid);
const cdh = new Uint8Array(32).fill(7);
const touch = { onStatus: (s) => { if (s === "up-needed") queueMicrotask(() => device.click()); } };
const att = await ctap.makeCredential({ clientDataHash: cdh, rp: { id: "bench.example" }, user: { id: new Uint8Array([1]), name: "b" } }, touch);
const allowList = [{ type: "public-key", id: att.credentialId }];
const ga = (opts, up) => ctap.getAssertion({ rpId: "bench.example", clientDataHash: cdh, allowList, options: { up } }, opts);
for (let i = 0; i < 200; i++) await ga({}, false);
const noUp = [], withUp = [];
for (let r = 0; r < ROUNDS; r++) {
  noUp.push((await timeAsync(() => ga({}, false), N)) * 1000);
  withUp.push((await timeAsync(() => ga(touch, true), N)) * 1000);
}
const s = median(signUs), a = median(noUp), b = median(withUp);
console.log("\n## getAssertion round trip, in-process transport\n");
console.log("| figure | µs (median of " + ROUNDS + " × " + N + ") | goal |");
console.log("|---|---:|---:|");
console.log(`| P-256 sign inside the image (the signature itself) | ${s.toFixed(0)} | |`);
console.log(`| getAssertion, up=false (SDK → CTAPHID → CTAP2 → counter commit → sign → back) | ${a.toFixed(0)} | |`);
console.log(`| getAssertion with a touch (parked, KEEPALIVE, button, re-run) | ${b.toFixed(0)} | |`);
console.log(`| round trip beyond the signature (up=false) | ${(a - s).toFixed(0)} | < 1000 |`);
console.log(`| round trip beyond the signature (with touch) | ${(b - s).toFixed(0)} | < 1000 |`);
device.dispose();
