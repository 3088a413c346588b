// `segl sim audio-reader`, run as a user would: --out writes a WAV whose clips (matched against the
// committed voice pack) are the code the LCD shows; --play hands the file to a player on the PATH;
// the interactive sim's keys reach the reader's buttons.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWav, matchClips, clipSequence, parseVoicePack, loadVoicePackFile } from "@segl/simulator";
import { ROOT, SEGL } from "./root.js";

function segl(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return spawnSync(process.execPath, [SEGL, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: opts.env ?? process.env, input: opts.input ?? "" });
}

const digitsOf = (code: string) => [...code].map((d) => `digit${d}`);

test("--out: the WAV decodes (matcher) to \"your code is\" and the code the LCD shows; --keys and --json", () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-reader-"));
  try {
    const wavPath = join(dir, "code.wav");
    const r = segl(["sim", "audio-reader", "--out", wavPath]);
    assert.equal(r.status, 0, r.stderr);
    const shown = /display: (\d{6})/.exec(r.stdout)![1]!;
    const wav = readWav(new Uint8Array(readFileSync(wavPath)));
    const heard = clipSequence(matchClips(wav.samples, wav.sampleRate, parseVoicePack(loadVoicePackFile())));
    assert.deepEqual(heard, ["your_code_is", ...digitsOf(shown)]);
    assert.match(r.stdout, new RegExp(`^said: your_code_is ${digitsOf(shown).join(" ")}$`, "m"));
    assert.match(r.stderr, /wrote .*code\.wav/);

    const j = segl(["sim", "audio-reader", "--out", join(dir, "en.wav"), "--keys", "language,main", "--json"]);
    assert.equal(j.status, 0, j.stderr);
    const out = JSON.parse(j.stdout) as { clips: string[]; display: string; items: { kind: string; languages?: string[] }[] };
    assert.deepEqual(out.clips, ["language", "your_code_is", ...digitsOf(out.display)]);
    assert.ok(out.items.filter((i) => i.kind === "clip").every((i) => i.languages!.join() === "en"), "English after the language key");

    const bad = segl(["sim", "audio-reader", "--out", wavPath, "--keys", "main,loud"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown key "loud"/);
    assert.equal(segl(["sim", "code-display", "--out", wavPath]).status, 2, "--out is for the audio reader");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--play hands the WAV to the first player on the PATH; none: a clear error, exit 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-player-"));
  try {
    // A stand-in for aplay that keeps what it was asked to play.
    const fake = join(dir, "aplay");
    writeFileSync(fake, `#!/bin/sh\nfor a in "$@"; do last="$a"; done\ncp "$last" "${join(dir, "played.wav")}"\necho "$@" > "${join(dir, "args")}"\n`);
    chmodSync(fake, 0o755);
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    const wavPath = join(dir, "code.wav");
    const r = segl(["sim", "audio-reader", "--out", wavPath, "--play"], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(join(dir, "played.wav")), readFileSync(wavPath), "the player got the file written");
    assert.match(readFileSync(join(dir, "args"), "utf8"), /^-q /);

    const none = segl(["sim", "audio-reader", "--out", wavPath, "--play"], { env: { ...process.env, PATH: join(dir, "nothing") } });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /--play needs one of aplay, paplay, ffplay/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("interactive: keys reach the reader (the LCD shows the code after Enter), q quits", () => {
  const r = segl(["sim", "audio-reader", "--plain"], { input: "\nq" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /reader \(audio reader\) running image/);
  assert.match(r.stderr, /a repeat · \+ - volume · f s speed · l language · h headset/);
  assert.match(r.stdout, /display: "\d{6}"/);
});
