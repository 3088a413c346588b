// TOTP inside the image (through its exports, no per-call allocation) vs node:crypto vs otpauth.
// Also: image size and memory, boot time from a compiled module, devices per GiB.
import { createHmac } from "node:crypto";
import * as OTPAuth from "otpauth";
import { Device, SimClock, loadImage, NorFlash } from "@segl/simulator";
import { measure, table } from "./lib.mjs";

const key = Buffer.from("12345678901234567890");
const image = loadImage();
const clock = new SimClock({ startMs: Date.UTC(2026, 10, 22) });
const dev = new Device({ clock, image });
const exp = dev.raw;
const keyPtr = dev.ioWrite(0, key);

// Cross-check before timing: RFC 6238 T=59 → 287082 (6 digits) everywhere.
const wasm = (t) => exp.otp_totp(1, keyPtr, 20, BigInt(t), 30, 6);
function nodeTotp(t) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  return (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
}
const otpauth = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromHex(key.toString("hex")), algorithm: "SHA1", digits: 6, period: 30 });
for (const t of [59, 1111111109, 1234567890, 2000000000]) {
  const a = wasm(t), b = nodeTotp(t), c = Number(otpauth.generate({ timestamp: t * 1000 }));
  if (a !== b || b !== c) throw new Error(`TOTP mismatch at t=${t}: image ${a}, node ${b}, otpauth ${c}`);
}
if (wasm(59) !== 287082) throw new Error("RFC 6238 vector failed in the image");

let t = 1_700_000_000;
const rows = [
  measure("node:crypto createHmac TOTP", () => nodeTotp((t += 30))),
  measure("firmware image otp_totp (WASM)", () => wasm((t += 30))),
  measure("otpauth 9 TOTP.generate", () => otpauth.generate({ timestamp: (t += 30) * 1000 })),
];
table("TOTP SHA-1, 6 digits", rows);

// Size and memory.
const mem = exp.memory;
console.log(`\n## Image\n`);
console.log(`| figure | value | goal |`);
console.log(`|---|---:|---:|`);
console.log(`| image size | ${image.bytes.length.toLocaleString("en-US")} bytes (${(image.bytes.length / 1024).toFixed(1)} KiB) | ≤ 64 KiB |`);
console.log(`| linear memory | ${mem.buffer.byteLength / 65536} pages (${mem.buffer.byteLength / 1024} KiB), fixed | ≤ 2 pages |`);

// Boot time from an already compiled module: instantiate + boot() on a formatted flash.
const flashImage = new Device({ clock, image }).flash.snapshot();
const N = 2000;
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const flash = new NorFlash();
  flash.restore(flashImage);
  const d = new Device({ clock, image, flash });
  d.dispose();
}
const bootMs = (performance.now() - t0) / N;

// Devices per GiB: resident devices kept alive.
global.gc?.();
const before = process.memoryUsage();
const keep = [];
const M = 1000;
for (let i = 0; i < M; i++) keep.push(new Device({ clock, image }));
global.gc?.();
const after = process.memoryUsage();
const perDevice = (after.rss - before.rss) / M;
console.log(`\n## Simulated devices\n`);
console.log(`| figure | value | goal |`);
console.log(`|---|---:|---:|`);
console.log(`| boot (instantiate + boot(), compiled module, formatted 64 KiB flash) | ${(bootMs * 1000).toFixed(0)} µs | < 1 ms |`);
console.log(`| memory per running device (RSS delta over ${M} devices) | ${(perDevice / 1024).toFixed(0)} KiB | |`);
console.log(`| devices per GiB | ${Math.floor(2 ** 30 / perDevice).toLocaleString("en-US")} | |`);
for (const d of keep) d.dispose();
