#!/usr/bin/env node
// Builds the firmware image (firmware/build/firmware.wasm) and the test harness images
// (firmware/harness/*.ts → firmware/build/harness-*.wasm) with the options of asconfig.json.
// Skips work when every output is newer than every firmware source. `--force` rebuilds;
// `--image-only` builds just the image; `--only=firmware,pin` just the images named.
import { readdirSync, statSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const force = process.argv.includes("--force");
const imageOnly = process.argv.includes("--image-only"); // skip the test harnesses
const outDir = join(root, "firmware/build");

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

async function compile(entry, outFile, extra = []) {
  const args = [entry, "--config", join(root, "asconfig.json"), "--target", "release", "-o", outFile, ...extra];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for ${entry}: ${error.message}`);
  }
}

const sources = Math.max(newestSource(join(root, "firmware/assembly")),
  existsSync(join(root, "firmware/harness")) ? newestSource(join(root, "firmware/harness")) : 0,
  statSync(join(root, "asconfig.json")).mtimeMs);
mkdirSync(outDir, { recursive: true });

const jobs = [{ entry: "firmware/assembly/main.ts", out: join(outDir, "firmware.wasm"), extra: ["-t", join(outDir, "firmware.wat")] }];
const harnessDir = join(root, "firmware/harness");
if (!imageOnly && existsSync(harnessDir)) {
  for (const f of readdirSync(harnessDir)) {
    if (f.endsWith(".ts")) jobs.push({ entry: `firmware/harness/${f}`, out: join(outDir, `harness-${basename(f, ".ts")}.wasm`), extra: [] });
  }
}
// `--only firmware,pin,ctap2`: just these images (firmware = the image, others = harness names);
// scripts/firmware-mutants.mjs rebuilds only what a mutant's tests load.
const onlyArg = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(",")) : null;
const imageName = (out) => basename(out, ".wasm").replace(/^harness-/, "");
process.chdir(root);
for (const job of jobs) {
  if (only && !only.has(imageName(job.out))) continue;
  if (!force && existsSync(job.out) && statSync(job.out).mtimeMs >= sources) continue;
  await compile(job.entry, job.out, job.extra);
  console.error(`built ${job.out.slice(root.length + 1)} (${statSync(job.out).size} bytes)`);
}
