#!/usr/bin/env node
// `npx segl …`: the command-line program (compiled from host-sdk/src/cli).
import { existsSync } from "node:fs";
const entry = new URL("../host-sdk/dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("segl: not built yet; run `npm run build` (or `npm run demo`, which builds first)");
  process.exit(1);
}
await import(entry.href);
