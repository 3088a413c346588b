#!/usr/bin/env node
// Makes a fresh clone runnable. Cheap when nothing changed.
//   node scripts/bootstrap.mjs test   (npm test)  Debian packages the tests use (installed when missing
//                                      and possible — apt-get and root — otherwise it stops here, before
//                                      anything runs, with the one command that installs them), npm
//                                      packages, the firmware image and the test harness images.
//   node scripts/bootstrap.mjs demo   build tools (g++, make, python3: npm compiles better-sqlite3), npm packages,
//                                      the firmware image, the compiled TypeScript.
//   node scripts/bootstrap.mjs        npm packages, all images, the compiled TypeScript (bench, CLI).
// The tests run the TypeScript sources directly (vitest), so `test` compiles no TypeScript.
import { existsSync } from "node:fs";
import { execSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureSystemPackages, BUILD_PACKAGES } from "./system-deps.mjs";
import { markNpmInstalled, npmInstallNeeded } from "./npm-install-stamp.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2] ?? "all";
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

{
  // The tests need every package; the demo and the build only what compiles native npm modules.
  const command = ensureSystemPackages(undefined, mode === "test" ? undefined : BUILD_PACKAGES);
  if (command) {
    const what = mode === "test" ? "the tests need" : "building the npm packages needs";
    console.error(`segl: ${what} Debian packages that are not installed, and this shell cannot install them.\nInstall them with:\n\n  ${command}\n\nthen run the command again.`);
    process.exit(1);
  }
}
// npm packages: installed again only when the manifests changed by content, or an install did not finish.
if (npmInstallNeeded(root)) {
  console.error("segl: installing npm packages …");
  run(existsSync(join(root, "package-lock.json")) ? "npm ci --no-audit --no-fund" : "npm install --no-audit --no-fund");
  markNpmInstalled(root);
}
run(mode === "demo" ? "node scripts/build-firmware.mjs --image-only" : "node scripts/build-firmware.mjs");
run("node scripts/build-web.mjs"); // the simulator's browser page (segl sim web), bundled with esbuild
if (mode !== "test") run("npx tsc -b");
