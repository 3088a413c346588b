// scripts/npm-install-stamp.mjs (the bootstrap's "run npm ci again?"): by content, not by time; every
// workspace's package.json counts; an unfinished install or a missing node_modules installs again.
import { test } from "vitest";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installFingerprint, markNpmInstalled, npmInstallNeeded } from "../../../scripts/npm-install-stamp.mjs";

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "segl-stamp-"));
  mkdirSync(join(root, "pkg-a"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "x", workspaces: ["pkg-a"] }));
  writeFileSync(join(root, "package-lock.json"), "{}");
  writeFileSync(join(root, "pkg-a/package.json"), JSON.stringify({ name: "a", version: "1.0.0" }));
  return root;
}

test("no node_modules, then installed: needed until marked; a touched manifest with the same bytes changes nothing", () => {
  const root = tree();
  try {
    assert.equal(npmInstallNeeded(root), true, "no node_modules");
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules/.package-lock.json"), "{}");
    assert.equal(npmInstallNeeded(root), true, "installed but never marked (an install that did not finish)");
    markNpmInstalled(root);
    assert.equal(npmInstallNeeded(root), false);
    const later = new Date(Date.now() + 60_000);
    for (const f of ["package.json", "package-lock.json", "pkg-a/package.json"]) utimesSync(join(root, f), later, later);
    assert.equal(npmInstallNeeded(root), false, "newer files, same content");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a change to the lock file, the root manifest or a workspace's manifest needs an install; node_modules removed too", () => {
  const root = tree();
  try {
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "node_modules/.package-lock.json"), "{}");
    for (const [file, content] of [
      ["package-lock.json", '{"lockfileVersion":3}'],
      ["pkg-a/package.json", JSON.stringify({ name: "a", version: "1.0.1" })],
      ["package.json", JSON.stringify({ name: "x", workspaces: ["pkg-a"], devDependencies: { y: "1" } })],
    ] as const) {
      markNpmInstalled(root);
      const before = installFingerprint(root);
      writeFileSync(join(root, file), content);
      assert.notEqual(installFingerprint(root), before, file);
      assert.equal(npmInstallNeeded(root), true, file);
    }
    markNpmInstalled(root);
    rmSync(join(root, "node_modules/.package-lock.json"));
    assert.equal(npmInstallNeeded(root), true, "node_modules gone");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
