#!/usr/bin/env node
// Bundles the simulator's browser page (simulator/web/app.ts + index.html + app.css) with esbuild into
// simulator/web/dist/, next to the shipping image (firmware.wasm) and the voice pack
// (voice-pack.bin) copied byte for byte, and manifest.json naming their SHA-256. `segl sim web`
// serves that directory with node:http only. The plugin of ./web-portable.mjs swaps the Node modules that
// have browser twins (the simulator's host, the SDK's crypto primitives) and fails the build on any other
// node: import, so Node-only parts cannot slip into the page.
// Skips work when every output is newer than every input; `--force` rebuilds.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { portablePlugin } from "./web-portable.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "simulator/web");
const out = join(web, "dist");
const image = join(root, "firmware/build/firmware.wasm");
// The next test image (a guarded build answering 0.2.0): the page signs it with the simulator's test maker key and offers it as an update.
// Built with the test images (`npm test`); without it (`npm run demo` builds the shipping image only) the page offers no update.
const next = join(root, "firmware/build/firmware-next.wasm");
const hasNext = existsSync(next);
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const voice = join(root, "firmware/voice/voice-pack.bin");
const force = process.argv.includes("--force");

function newest(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== "dist" && e.name !== "test") n = Math.max(n, newest(p)); }
    else n = Math.max(n, statSync(p).mtimeMs);
  }
  return n;
}
const inputs = Math.max(newest(web), newest(join(root, "simulator/src")), newest(join(root, "host-sdk/src")), statSync(image).mtimeMs, mtime(next), statSync(voice).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs, statSync(join(root, "scripts/web-portable.mjs")).mtimeMs);
const stamp = join(out, "manifest.json");
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs > inputs) process.exit(0);

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(web, "app.ts")], bundle: true, format: "esm", platform: "browser", target: "es2022",
  outfile: join(out, "app.js"), sourcemap: true, minify: false, plugins: [portablePlugin(root)], metafile: true, logLevel: "warning",
});
writeFileSync(join(out, "meta.json"), JSON.stringify(result.metafile));
copyFileSync(join(web, "index.html"), join(out, "index.html"));
copyFileSync(join(web, "app.css"), join(out, "app.css"));
copyFileSync(image, join(out, "firmware.wasm"));
copyFileSync(voice, join(out, "voice-pack.bin"));
if (hasNext) copyFileSync(next, join(out, "firmware-next.wasm"));
else rmSync(join(out, "firmware-next.wasm"), { force: true });
const sha = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");
writeFileSync(stamp, JSON.stringify({ image: { file: "firmware.wasm", sha256: sha(image) }, voice: { file: "voice-pack.bin", sha256: sha(voice) }, ...(hasNext ? { next: { file: "firmware-next.wasm", sha256: sha(next), version: "0.2.0" } } : {}) }, null, 2) + "\n");
console.log(`built simulator/web/dist (app.js ${statSync(join(out, "app.js")).size} bytes${hasNext ? "" : "; no firmware-next.wasm, so the page offers no update"})`);
