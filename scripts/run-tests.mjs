#!/usr/bin/env node
// Runs every compiled test file with node's test runner. SEGL_TEST_FILTER narrows by path.
import { readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const files = [];
function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".test.js")) files.push(p);
  }
}
for (const pkg of ["firmware", "host-sdk", "host-sdk/cli", "simulator", "hardware-tests"]) {
  const d = join(root, pkg, "dist");
  try { statSync(d); walk(d); } catch { /* package has no tests yet */ }
}
const filter = process.env.SEGL_TEST_FILTER;
const chosen = files.filter((f) => !filter || relative(root, f).includes(filter)).sort();
if (chosen.length === 0) {
  console.error(`no compiled test file matches ${JSON.stringify(filter ?? "")} (build first: npm run build)`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...chosen], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
