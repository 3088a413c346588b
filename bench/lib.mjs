// Tiny benchmark harness: warm-up, then rounds of at least ROUND_MS; reports the median ops/s.
import { createHmac } from "node:crypto";
export const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export function measure(name, fn) {
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) fn();
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ROUND_MS) {
      for (let i = 0; i < 64; i++) fn();
      n += 64;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  const spread = (rates[rates.length - 1] - rates[0]) / median;
  return { name, opsPerSec: median, spread };
}

export function table(title, rows, baselineIndex = 0) {
  const base = rows[baselineIndex].opsPerSec;
  console.log(`\n## ${title}\n`);
  console.log("| implementation | ops/s (median) | spread | ratio vs " + rows[baselineIndex].name + " |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) {
    console.log(`| ${r.name} | ${Math.round(r.opsPerSec).toLocaleString("en-US")} | ${(r.spread * 100).toFixed(0)}% | ${(r.opsPerSec / base).toFixed(2)}× |`);
  }
}

/** RFC 6238 SHA-1 6-digit code of `seed` at `step`, with node:crypto (not the SDK), for the OTP benches. */
export function totpCode(seed, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", seed).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** The reference row of the OTP benches: otpauth's stateless TOTP.validate (window ±1) of one fresh code per seed. */
export function otpauthRow(OTPAuth, seeds, t0) {
  const totps = seeds.map((s) => new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(s).buffer }) }));
  const codes = seeds.map((s) => totpCode(s, Math.floor(t0 / 30_000)));
  let i = 0;
  return measure("otpauth TOTP.validate (stateless, nothing stored)", () => {
    const k = i++ % seeds.length;
    if (totps[k].validate({ token: codes[k], timestamp: t0, window: 1 }) !== 0) throw new Error("otpauth refused");
  });
}

/** Warm-up round, then ROUNDS rounds of `round(ms)` (each resolving ops/s): the median and spread, as measure(). */
export async function medianRate(name, round) {
  await round(ROUND_MS);
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) rates.push(await round(ROUND_MS));
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  return { name, opsPerSec: median, spread: (rates.at(-1) - rates[0]) / median };
}
