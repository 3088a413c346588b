#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages when missing or stale, builds the firmware
// image and the TypeScript packages when their sources changed. Cheap when nothing changed.
import { existsSync, statSync } from "node:fs";
import { execSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
const mtime = (p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0);

const stamp = "node_modules/.package-lock.json";
if (!existsSync(join(root, stamp)) || mtime("package.json") > mtime(stamp) || mtime("package-lock.json") > mtime(stamp)) {
  console.error("segl: installing npm packages …");
  run(existsSync(join(root, "package-lock.json")) ? "npm ci --no-audit --no-fund" : "npm install --no-audit --no-fund");
}
// `bootstrap.mjs demo` needs only the image; the tests also need the harness images.
run(process.argv[2] === "demo" ? "node scripts/build-firmware.mjs --image-only" : "node scripts/build-firmware.mjs");
run("npx tsc -b");
