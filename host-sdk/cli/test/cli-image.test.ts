// segl image keygen|pack|sign|verify|inspect: files in, files out, --json on stdout (errors too),
// exit codes 0 ok / 1 failure / 2 usage; the private key is written 0600 and never printed.
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyImage } from "@segl/host-sdk/image";
import { SEGL } from "./root.js";

let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "segl-image-cli-")); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function segl(...args: string[]): { code: number; stdout: string; stderr: string; json?: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [SEGL, "image", ...args], { encoding: "utf8" });
  let json: Record<string, unknown> | undefined;
  try { json = JSON.parse(r.stdout) as Record<string, unknown>; } catch { json = undefined; }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ...(json ? { json } : {}) };
}

test("keygen, pack --key, verify, inspect, sign with another key index; refusals exit 1, bad lines exit 2", () => {
  const p = (f: string) => join(dir, f);
  writeFileSync(p("fw.wasm"), new Uint8Array(2000).map((_, i) => i & 0xff));
  const k0 = segl("keygen", "--out", p("maker0"), "--json");
  assert.equal(k0.code, 0, k0.stderr);
  assert.equal(statSync(p("maker0.key.pem")).mode & 0o777, 0o600);
  const priv = readFileSync(p("maker0.key.pem"), "utf8");
  const body = priv.split("\n")[1]!;
  assert.ok(!k0.stdout.includes(body) && !k0.stderr.includes(body), "the private key is never printed");
  assert.match(String(k0.json?.["publicKeySha256"]), /^[0-9a-f]{64}$/);
  assert.equal(segl("keygen", "--out", p("maker0")).code, 1, "an existing key is never overwritten");
  assert.equal(segl("keygen", "--out", p("maker1"), "--json").code, 0);

  const pack = segl("pack", p("fw.wasm"), "--version", "1.4.2", "--counter", "3", "--models", "code-display,audio-reader", "--key", p("maker0.key.pem"), "--out", p("fw.img"), "--json");
  assert.equal(pack.code, 0, pack.stderr);
  assert.deepEqual(pack.json?.["models"], ["code-display", "audio-reader"]);
  assert.equal(pack.json?.["signed"], true);
  const file = new Uint8Array(readFileSync(p("fw.img")));
  assert.equal(verifyImage(file, [readFileSync(p("maker0.pub.pem"), "utf8")]).header.versionString, "1.4.2");

  const ok = segl("verify", p("fw.img"), "--pub", p("maker0.pub.pem"), "--json");
  assert.equal(ok.code, 0);
  assert.equal(ok.json?.["verified"], true);
  const wrong = segl("verify", p("fw.img"), "--pub", p("maker1.pub.pem"), "--json");
  assert.equal(wrong.code, 1);
  assert.deepEqual((wrong.json?.["error"] as { code: string }).code, "IMAGE_SIGNATURE");
  const plain = segl("verify", p("fw.img"), "--pub", p("maker1.pub.pem"));
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /signature does not verify/);

  const rotated = segl("sign", p("fw.img"), "--key", p("maker1.key.pem"), "--key-index", "1", "--out", p("fw1.img"), "--json");
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.equal(segl("verify", p("fw1.img"), "--pub", `1:${p("maker1.pub.pem")}`).code, 0);
  assert.equal(segl("verify", p("fw1.img"), "--pub", p("maker1.pub.pem"), "--json").code, 1, "key index 1 given as 0: no key for index 1");

  const inspect = segl("inspect", p("fw1.img"), "--json");
  assert.equal(inspect.code, 0);
  assert.equal(inspect.json?.["keyIndex"], 1);
  assert.equal(inspect.json?.["securityCounter"], 3);
  writeFileSync(p("short.img"), file.subarray(0, 300));
  const short = segl("inspect", p("short.img"), "--json");
  assert.equal(short.code, 1);
  assert.equal((short.json?.["error"] as { code: string }).code, "IMAGE_FORMAT");
  assert.equal(segl("inspect", p("missing.img")).code, 1);

  for (const bad of [["pack", p("fw.wasm"), "--out", p("x.img")], ["pack", p("fw.wasm"), "--version", "1.2", "--out", p("x.img")], ["frobnicate"], ["verify", p("fw.img")], ["inspect", "--bogus"]]) {
    const r = segl(...bad, "--json");
    assert.equal(r.code, 2, `${bad.join(" ")}: ${r.stdout}`);
  }
  assert.equal(segl("--help").code, 0);
});
