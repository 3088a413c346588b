import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { SEGL as segl } from "./root.js";

test("segl demo: provisions a simulated display, the shown code is accepted once", () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-demo-"));
  try {
    const r = spawnSync(process.execPath, [segl, "demo", "--json", "--db", join(dir, "b.sqlite")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { shown: string; accepted: boolean; replayRefused: boolean; nextAccepted: boolean };
    assert.match(out.shown, /^\d{6}$/);
    assert.deepEqual([out.accepted, out.replayRefused, out.nextAccepted], [true, true, true]);
    const human = spawnSync(process.execPath, [segl, "demo", "--db", join(dir, "c.sqlite")], { encoding: "utf8" });
    assert.equal(human.status, 0);
    assert.match(human.stdout, /ACCEPTED/);
    assert.match(human.stdout, /refused/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
