// CRC-32 in the image: the store checks one over every record it reads or writes (seeds, the
// FIDO master secret, the PIN hash among them) and the UART one over every frame. It is computed
// bit by bit with masks (no table indexed by secret bytes); this is what that costs.
// SEGL_CRC_BASELINE=path/to/harness-kat.wasm adds the same figures for another build (the
// table-driven CRC, say), measured in the same run, best of interleaved rounds.
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Device, SimClock, imageFromBytes } from "@segl/simulator";

const load = (path) => {
  const d = new Device({ image: imageFromBytes(new Uint8Array(readFileSync(path))), clock: new SimClock({ startMs: 0 }) });
  d.ioWrite(0, new Uint8Array(1024).map((_, i) => (i * 131 + 17) & 0xff));
  return d;
};
const images = [["this image (bitwise)", load(new URL("../firmware/build/harness-kat.wasm", import.meta.url))]];
if (process.env.SEGL_CRC_BASELINE) images.push(["baseline (SEGL_CRC_BASELINE)", load(process.env.SEGL_CRC_BASELINE)]);
const probe = new Uint8Array(1024).map((_, i) => (i * 131 + 17) & 0xff);
for (const [name, d] of images) {
  if ((d.raw.kat_crc32(0, d.raw.io_ptr(), 1024) >>> 0) !== (crc32(probe) >>> 0)) throw new Error(`${name}: CRC differs from zlib`);
}

console.log("\n## CRC-32 in the image (best of 20 interleaved rounds)\n");
console.log("| image | 1 KiB record (µs) | 36-byte record: a lock or PIN record (µs) | MB/s |");
console.log("|---|---:|---:|---:|");
const best = images.map(() => [Infinity, Infinity]);
for (let r = 0; r < 20; r++) {
  images.forEach(([, d], i) => {
    const io = d.raw.io_ptr();
    for (const [k, len, n] of [[0, 1024, 200], [1, 36, 5000]]) {
      const t = performance.now();
      d.raw.kat_crc32_loop(io, len, n);
      best[i][k] = Math.min(best[i][k], (performance.now() - t) / n);
    }
  });
}
images.forEach(([name], i) => {
  const [big, small] = best[i];
  console.log(`| ${name} | ${(big * 1000).toFixed(2)} | ${(small * 1000).toFixed(3)} | ${(1024 / (big / 1000) / 1e6).toFixed(1)} |`);
});
