#!/usr/bin/env node
// Builds the firmware image (firmware/build/firmware.wasm) and the test images with the options of
// asconfig.json: the guarded image (firmware/build/firmware-guarded.wasm) and the test harness
// images (firmware/harness/*.ts → firmware/build/harness-*.wasm). Test images are compiled from a
// copy of the sources (firmware/build/guarded-src/) in which every static buffer
// `memory.data(size[, align])` is followed by a 16-byte guard region of known canary bytes; the
// simulator finds the canaries in the image and checks them after every call (docs/memory-map.md).
// Skips work when every output is newer than every firmware source. `--force` rebuilds;
// `--image-only` builds just the shipping image; `--only=firmware,pin` just the images named.
import { readdirSync, statSync, mkdirSync, existsSync, readFileSync, writeFileSync, rmSync } from "node:fs";
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
  const config = extra[0] === "--config" ? [] : ["--config", join(root, "asconfig.json")];
  const args = [entry, ...config, "--target", "release", "-o", outFile, ...extra];
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

/** The guard canary (16 bytes; must match simulator/src/guards.ts). */
const GUARD_CANARY = [0x47, 0x55, 0x41, 0x52, 0x44, 0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0xe1, 0x1e, 0xd2, 0x2d, 0xb4];
const guardedRoot = join(outDir, "guarded-src");

/** `memory.data(args)` (size form) → `(memory.data(args) + 0 * memory.data<u8>([canary], 1))`: the
 *  canary segment is laid out right after the buffer. Array forms (`memory.data<T>([..])`) are constant tables. */
function guardSource(text) {
  let out = "", i = 0;
  const canary = `memory.data<u8>([${GUARD_CANARY.join(", ")}], 1)`;
  for (;;) {
    const j = text.indexOf("memory.data(", i);
    if (j < 0) return out + text.slice(i);
    const lineStart = text.lastIndexOf("\n", j) + 1;
    if (text.slice(lineStart, j).includes("//")) { out += text.slice(i, j + 12); i = j + 12; continue; }
    let depth = 0, k = j + 11;
    for (; k < text.length; k++) {
      if (text[k] === "(") depth++;
      else if (text[k] === ")" && --depth === 0) break;
    }
    out += text.slice(i, j) + `(${text.slice(j, k + 1)} + 0 * ${canary})`;
    i = k + 1;
  }
}

function copyGuarded(src, dst) {
  mkdirSync(dst, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const p = join(src, e.name), q = join(dst, e.name);
    if (e.isDirectory()) copyGuarded(p, q);
    else if (e.name.endsWith(".ts")) writeFileSync(q, guardSource(readFileSync(p, "utf8")));
  }
}

const jobs = [{ entry: "firmware/assembly/main.ts", out: join(outDir, "firmware.wasm"), extra: ["-t", join(outDir, "firmware.wat")] }];
const harnessDir = join(root, "firmware/harness");
const g = "firmware/build/guarded-src";
const guardedUse = ["--config", join(root, g, "asconfig.json")];
// The update tests need a second image that answers with another version: the guarded build with
// version.ts set to 0.2.0 (firmware/build/firmware-next.wasm; docs/image-format.md).
const gNext = "firmware/build/guarded-next-src";
if (!imageOnly) {
  jobs.push({ entry: `${g}/assembly/main.ts`, out: join(outDir, "firmware-guarded.wasm"), extra: guardedUse, guarded: true });
  jobs.push({ entry: `${gNext}/assembly/main.ts`, out: join(outDir, "firmware-next.wasm"), extra: ["--config", join(root, gNext, "asconfig.json")], guarded: true, next: true });
  if (existsSync(harnessDir)) {
    for (const f of readdirSync(harnessDir)) {
      if (f.endsWith(".ts")) jobs.push({ entry: `${g}/harness/${f}`, out: join(outDir, `harness-${basename(f, ".ts")}.wasm`), extra: guardedUse, guarded: true });
    }
  }
}
// `--only=firmware,firmware-guarded,pin`: just these images (harnesses by name);
// scripts/firmware-mutants.mjs rebuilds only what a mutant's tests load.
const onlyArg = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(",")) : null;
const imageName = (out) => basename(out, ".wasm").replace(/^harness-/, "");
process.chdir(root);
let guardedReady = false;
for (const job of jobs) {
  if (only && !only.has(imageName(job.out))) continue;
  if (!force && existsSync(job.out) && statSync(job.out).mtimeMs >= sources) continue;
  if (job.guarded && !guardedReady) {
    rmSync(guardedRoot, { recursive: true, force: true });
    copyGuarded(join(root, "firmware/assembly"), join(guardedRoot, "assembly"));
    if (existsSync(harnessDir)) copyGuarded(harnessDir, join(guardedRoot, "harness"));
    const cfg = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8"));
    cfg.options.use = cfg.options.use.map((u) => u.replace("firmware/assembly/", `${g}/assembly/`));
    writeFileSync(join(guardedRoot, "asconfig.json"), JSON.stringify(cfg, null, 2));
    guardedReady = true;
  }
  if (job.next) {
    const nextRoot = join(root, gNext);
    rmSync(nextRoot, { recursive: true, force: true });
    copyGuarded(join(root, "firmware/assembly"), join(nextRoot, "assembly"));
    const version = join(nextRoot, "assembly/version.ts");
    writeFileSync(version, readFileSync(version, "utf8").replace(/FIRMWARE_MINOR: u8 = \d+/, "FIRMWARE_MINOR: u8 = 2").replace(/FIRMWARE_PATCH: u8 = \d+/, "FIRMWARE_PATCH: u8 = 0"));
    const cfg = JSON.parse(readFileSync(join(guardedRoot, "asconfig.json"), "utf8"));
    cfg.options.use = cfg.options.use.map((u) => u.replace(`${g}/assembly/`, `${gNext}/assembly/`));
    writeFileSync(join(nextRoot, "asconfig.json"), JSON.stringify(cfg, null, 2));
  }
  await compile(job.entry, job.out, job.extra);
  console.error(`built ${job.out.slice(root.length + 1)} (${statSync(job.out).size} bytes)`);
}
