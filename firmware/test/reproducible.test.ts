// The build is reproducible: the same sources give a byte-identical image.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const asc = join(root, "node_modules/assemblyscript/bin/asc.js");

function build(out: string): string {
  const r = spawnSync(process.execPath, [asc, "firmware/assembly/main.ts", "--config", "asconfig.json", "--target", "release", "-o", out], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return createHash("sha256").update(readFileSync(out)).digest("hex");
}

test("two builds of the same sources are byte-identical (and equal the shipped image)", () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-repro-"));
  try {
    const a = build(join(dir, "a.wasm"));
    const b = build(join(dir, "b.wasm"));
    assert.equal(a, b);
    const shipped = createHash("sha256").update(readFileSync(join(root, "firmware/build/firmware.wasm"))).digest("hex");
    assert.equal(a, shipped, "firmware/build/firmware.wasm matches a fresh build of the tree");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
