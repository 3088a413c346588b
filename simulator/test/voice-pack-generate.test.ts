// The voice pack generator (scripts/voice-pack/generate.mjs) is reproducible: two runs give the same
// bytes, and with the espeak-ng version recorded in phrases.json, the committed pack's bytes.
// Needs Debian's espeak-ng (scripts/system-deps.mjs); the other voice pack tests use the committed pack.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requireTools } from "../../scripts/system-deps.mjs";
import { parseVoicePack } from "../src/index.js";
import { packBytes } from "./voice-helpers.js";

const script = fileURLToPath(new URL("../../scripts/voice-pack/generate.mjs", import.meta.url));
const phrases = JSON.parse(readFileSync(new URL("../../scripts/voice-pack/phrases.json", import.meta.url), "utf8")) as { espeakVersion: string };

test("two runs of the generator give identical bytes, a valid pack, and the committed one with the recorded espeak-ng", () => {
  requireTools("espeak-ng");
  const dir = mkdtempSync(join(tmpdir(), "segl-voice-test-"));
  try {
    const run = (name: string): Uint8Array => {
      const out = join(dir, name);
      const r = spawnSync(process.execPath, [script, "--quiet", "--out", out], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return new Uint8Array(readFileSync(out));
    };
    const a = run("a.bin");
    const b = run("b.bin");
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), "two runs differ");
    const pack = parseVoicePack(a);
    assert.deepEqual(pack.languages, ["da", "en"]);
    const version = /eSpeak NG text-to-speech: (\S+)/.exec(spawnSync("espeak-ng", ["--version"], { encoding: "utf8" }).stdout)?.[1];
    if (version === phrases.espeakVersion) {
      assert.ok(Buffer.from(a).equals(Buffer.from(packBytes())), "the generator no longer makes the committed pack: regenerate it (node scripts/voice-pack/generate.mjs) and commit it");
    } else {
      // another espeak-ng speaks a little differently; the format and the clip set must not change
      assert.equal(pack.clipCount, parseVoicePack(packBytes()).clipCount);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
