// The repository root and its `segl` launcher, found by walking up from this file, so that the
// tests run the same from their TypeScript sources and from their compiled copies in dist/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, "scripts", "segl.mjs")) && existsSync(join(d, "host-sdk", "cli"))) return d;
    if (dirname(d) === d) throw new Error(`no Segl repository above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** `node SEGL …` runs the program as `npx segl …` does. */
export const SEGL = join(ROOT, "scripts", "segl.mjs");
