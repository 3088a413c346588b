// Maps an import of a workspace package (`@segl/simulator`, `@segl/host-sdk/otp`, …) to its TypeScript
// source, through the package's own `exports`: `./dist/src/x.js` (or .d.ts) → `./src/x.ts`. The tests,
// `npx vitest` and the CLI run from source use it, so nothing needs compiling first and a stale dist/
// is never what gets tested. Whatever subpaths a package.json exports, the mapping follows them.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** name → folder, for every workspace package (read from the root package.json). */
export function workspacePackages() {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const out = new Map();
  for (const ws of root.workspaces ?? []) {
    const dirs = ws.endsWith("/*") ? readdirSync(join(ROOT, ws.slice(0, -2)), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(ws.slice(0, -2), e.name)) : [ws];
    for (const d of dirs) {
      const pj = join(ROOT, d, "package.json");
      if (existsSync(pj)) out.set(JSON.parse(readFileSync(pj, "utf8")).name, join(ROOT, d));
    }
  }
  return out;
}

let packages;
const pick = (t) => (typeof t === "string" ? t : t && (t.import ?? t.default ?? t.node ?? t.types));

/** The source file for a bare specifier of a workspace package, or null (not ours, or no source). */
export function sourceFor(specifier) {
  packages ??= workspacePackages();
  for (const [name, dir] of packages) {
    if (specifier !== name && !specifier.startsWith(name + "/")) continue;
    const sub = "." + specifier.slice(name.length);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const exp = typeof pkg.exports === "string" || pkg.exports?.import || pkg.exports?.default ? { ".": pkg.exports } : (pkg.exports ?? { ".": pkg.main ?? "./dist/src/index.js" });
    let target = pick(exp[sub]);
    if (!target) {
      for (const [k, v] of Object.entries(exp)) {
        if (k.endsWith("/*") && sub.startsWith(k.slice(0, -1))) target = pick(v)?.replace("*", sub.slice(k.length - 1));
      }
    }
    if (!target) return null;
    const rel = target.replace(/^\.\/dist\//, "./").replace(/\.d\.ts$|\.js$/, ".ts");
    const candidates = [rel, rel.replace(/^\.\//, "./src/"), rel.replace(/\.ts$/, ".tsx")];
    for (const c of candidates) if (existsSync(join(dir, c))) return join(dir, c);
    return null;
  }
  return null;
}
