// The confirmation of destructive commands (common.ts confirm): a terminal is asked y/N, a script
// needs --yes (exit 2 without), and a "no" is exit 1 with nothing done.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { DeclinedError, UsageError, confirm, type CliContext } from "../src/common.js";
import { runCli } from "../src/cli.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, generateMakerKey } from "@segl/host-sdk/image";
import { ROOT } from "./root.js";

function ctx(tty: boolean, answer?: string): CliContext & { err: () => string; out: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.ReadStream;
  const stderr = new PassThrough(), stdout = new PassThrough();
  let e = "", o = "";
  stderr.on("data", (d) => { e += d; if (answer !== undefined && e.includes("[y/N]")) (stdin as unknown as PassThrough).write(answer); });
  stdout.on("data", (d) => (o += d));
  return {
    prog: "segl", stdin, stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream, env: {},
    err: () => e, out: () => o,
  };
}

describe("confirm", () => {
  test("--yes: no question, even without a terminal", async () => {
    const c = ctx(false);
    await confirm(c, "Lock chip X", true);
    assert.equal(c.err(), "");
  });

  test("no terminal, no --yes: a usage error that names --yes", async () => {
    await assert.rejects(confirm(ctx(false), "Lock chip X", false), (e: unknown) => e instanceof UsageError && /--yes/.test(e.message));
  });

  test("a terminal: the question on stderr; y or yes goes ahead, anything else is declined", async () => {
    for (const a of ["y\n", "YES\n", " yes \n"]) {
      const c = ctx(true, a);
      await confirm(c, "Lock chip X", undefined);
      assert.match(c.err(), /Lock chip X\. This cannot be undone\. Continue\? \[y\/N\]/);
    }
    for (const a of ["n\n", "\n", "yep\n", "no\n"]) {
      await assert.rejects(confirm(ctx(true, a), "Lock chip X", undefined), (e: unknown) => e instanceof DeclinedError, JSON.stringify(a));
    }
  });

  test("declined through the dispatcher: exit 1 and, with --json, {error: {code: DECLINED}}; a broken image is refused before the question", async () => {
    const dir = mkdtempSync(join(tmpdir(), "segl-confirm-"));
    try {
      const file = join(dir, "x.img");
      writeFileSync(file, buildImage(new Uint8Array(64).fill(1), { version: "1.2.3", privateKeyPem: generateMakerKey().privateKeyPem }));
      const c = ctx(true, "n\n");
      assert.equal(await runCli(["flash", "--image", file, "--device", "sim", "--json"], c), 1);
      assert.match(c.err(), /Flash .*x\.img \(firmware 1\.2\.3, for blank, code-display, audio-reader, chip\) onto sim\. This cannot be undone/);
      assert.deepEqual(JSON.parse(c.out()), { ok: false, exitCode: 1, error: { code: "DECLINED", message: "not confirmed: nothing was done" } });

      const broken = ctx(true, "y\n");
      assert.equal(await runCli(["flash", "--image", join(ROOT, "package.json"), "--device", "sim", "--json"], broken), 1);
      assert.equal(JSON.parse(broken.out()).error.code, "IMAGE_FORMAT");
      assert.doesNotMatch(broken.err(), /\[y\/N\]/, "nothing asked for a file that is no image");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
