// Tiny benchmark harness: warm-up, then rounds of at least ROUND_MS; reports the median ops/s.
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
