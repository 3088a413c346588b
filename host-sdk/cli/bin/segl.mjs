#!/usr/bin/env node
// The `segl` binary of @segl/cli: runs the compiled program (src/main.ts).
import { existsSync } from "node:fs";
const entry = new URL("../dist/src/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("segl: not built yet; run `npm run build` at the repository root (or `npm run demo`, which builds first)");
  process.exit(1);
}
await import(entry.href);
