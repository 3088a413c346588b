#!/usr/bin/env node
// The `segl` binary of @segl/cli: runs the compiled program (src/main.ts). In the repository it runs
// the TypeScript source instead (through scripts/run-ts.mjs: tsx, workspace packages from source)
// when SEGL_CLI_FROM_SOURCE=1 — as the tests do — or when nothing is built yet.
import { existsSync } from "node:fs";
const entry = new URL("../dist/src/main.js", import.meta.url);
const runner = new URL("../../../scripts/run-ts.mjs", import.meta.url); // present in the repository only
if ((process.env.SEGL_CLI_FROM_SOURCE === "1" || !existsSync(entry)) && existsSync(runner)) {
  const { runTs } = await import(runner.href);
  await runTs(new URL("../src/main.ts", import.meta.url).href);
} else if (!existsSync(entry)) {
  console.error("segl: not built yet; run `npm run build` at the repository root (or `npm run demo`, which builds first)");
  process.exit(1);
} else {
  await import(entry.href);
}
