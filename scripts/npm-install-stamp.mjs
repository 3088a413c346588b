// When `npm ci` must run again (scripts/bootstrap.mjs): when what decides node_modules changed — the lock
// file and the package.json of the root and of every workspace it names, by content, not by time (a
// checkout that touches a file without changing it, or a tool that rewrites it the same, must not run
// `npm ci` under a job that is using node_modules) — or when node_modules is missing or an install did
// not finish (the stamp is written only after one succeeded).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const STAMP = "node_modules/.segl-install";

/** SHA-256 over the lock file and every package.json the root's `workspaces` names (hex). */
export function installFingerprint(root) {
  const read = (f) => (existsSync(join(root, f)) ? readFileSync(join(root, f)) : Buffer.alloc(0));
  const rootManifest = read("package.json");
  let workspaces = [];
  try { workspaces = JSON.parse(rootManifest.toString("utf8")).workspaces ?? []; } catch { /* an unreadable manifest: npm will say */ }
  const h = createHash("sha256");
  for (const f of ["package.json", "package-lock.json", ...workspaces.map((w) => `${w}/package.json`)]) {
    h.update(f).update("\0").update(f === "package.json" ? rootManifest : read(f)).update("\0");
  }
  return h.digest("hex");
}

/** True when node_modules is missing, an install did not finish, or the manifests changed since the last one. */
export function npmInstallNeeded(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(join(root, "node_modules/.package-lock.json")) || !existsSync(stamp)) return true;
  return readFileSync(stamp, "utf8").trim() !== installFingerprint(root);
}

/** Records a finished install of the manifests as they are now. */
export function markNpmInstalled(root) {
  writeFileSync(join(root, STAMP), installFingerprint(root) + "\n");
}
