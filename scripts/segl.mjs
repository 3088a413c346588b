#!/usr/bin/env node
// `npx segl …`: the command-line program (host-sdk/src/cli). Runs the compiled copy when there is one;
// from source (through tsx) when SEGL_CLI_FROM_SOURCE=1 — as the tests do — or when nothing is built yet.
import { existsSync } from "node:fs";
const entry = new URL("../host-sdk/dist/src/cli/main.js", import.meta.url);
if (process.env.SEGL_CLI_FROM_SOURCE === "1" || !existsSync(entry)) {
  const { runTs } = await import("./run-ts.mjs");
  await runTs(new URL("../host-sdk/src/cli/main.ts", import.meta.url).href);
} else {
  await import(entry.href);
}
