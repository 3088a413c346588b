// Hashes, HMAC, HOTP/TOTP and OCRA inside the image vs node:crypto (single thread).
// node bench/otp.mjs   (BENCH_ROUND_MS / BENCH_ROUNDS as in lib.mjs)
import { createHash, createHmac } from "node:crypto";
import { Device, SimClock, loadImage } from "@segl/simulator";
import { measure, table } from "./lib.mjs";

const dev = new Device({ clock: new SimClock({ startMs: 0 }), image: loadImage() });
const x = dev.raw;
const io = x.io_ptr();
const NODE = { 1: "sha1", 2: "sha256", 3: "sha512" };
const KEYS = {
  1: Buffer.from("12345678901234567890"),
  2: Buffer.from("12345678901234567890123456789012"),
  3: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234"),
};
const KEY_AT = 0, MSG_AT = 256, OUT_AT = 8000;

function nodeTotp(alg, t) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = createHmac(NODE[alg], KEYS[alg]).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  return (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
}

for (const alg of [1, 2, 3]) {
  const key = KEYS[alg];
  const kp = dev.ioWrite(KEY_AT, key);
  const wasm = (t) => x.otp_totp(alg, kp, key.length, BigInt(t), 30, 6);
  for (const t of [59, 1111111109, 20000000000]) {
    if (wasm(t) !== nodeTotp(alg, t)) throw new Error(`TOTP mismatch alg ${alg} t=${t}`);
  }
  let t = 1_700_000_000;
  table(`TOTP ${NODE[alg].toUpperCase()}, 6 digits (one key, as on a device)`, [
    measure("node:crypto createHmac", () => nodeTotp(alg, (t += 30))),
    measure("image otp_totp", () => wasm((t += 30))),
  ]);
}

// HMAC with a different key every call (no key cache benefit) — 8-byte message
{
  const k1 = dev.ioWrite(KEY_AT, KEYS[1]);
  const k2 = dev.ioWrite(KEY_AT + 64, Buffer.from("abcdefghijabcdefghij"));
  const m = dev.ioWrite(MSG_AT, Buffer.alloc(8, 1));
  let i = 0;
  table("HMAC-SHA1, 8-byte message, alternating keys", [
    measure("node:crypto createHmac", () => createHmac("sha1", (i++ & 1) ? KEYS[1] : Buffer.from("abcdefghijabcdefghij")).update(Buffer.alloc(8, 1)).digest()),
    measure("image crypto_hmac", () => x.crypto_hmac(1, (i++ & 1) ? k1 : k2, 20, m, 8, io + OUT_AT)),
  ]);
}

// Hash throughput (4 KiB) — input already in the exchange buffer
for (const alg of [1, 2, 3]) {
  const buf = Buffer.alloc(4096, 0x61);
  const m = dev.ioWrite(MSG_AT, buf);
  const rows = [
    measure("node:crypto createHash", () => createHash(NODE[alg]).update(buf).digest()),
    measure("image crypto_hash", () => x.crypto_hash(alg, m, 4096, io + OUT_AT)),
  ];
  table(`${NODE[alg].toUpperCase()} of 4 KiB`, rows);
  for (const r of rows) console.log(`  ${r.name}: ${((r.opsPerSec * 4096) / 2 ** 20).toFixed(0)} MiB/s`);
}

// OCRA (RFC 6287 C.1 suite) in the image
{
  const enc = new TextEncoder();
  const suite = enc.encode("OCRA-1:HOTP-SHA1-6:QN08");
  const sp = dev.ioWrite(0, suite), kp = dev.ioWrite(64, KEYS[1]), qp = dev.ioWrite(128, enc.encode("12345678"));
  const r = measure("image otp_ocra OCRA-1:HOTP-SHA1-6:QN08", () =>
    x.otp_ocra(sp, suite.length, kp, 20, 0n, qp, 8, io, 0, io, 0, 0n, io + OUT_AT));
  table("OCRA", [r]);
}
dev.dispose();
