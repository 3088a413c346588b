// `segl sim --maker-key`: a simulated device manufactured with a maker's own public key (from
// `segl image keygen`) runs that maker's signed factory image and takes that maker's updates with
// `segl flash`; an image signed by the simulator's test key is refused by it. A simulated chip
// whose --presence policy is accept touches for an update over the CTAPHID tunnel (UDP).
import { afterAll, beforeAll, test } from "vitest";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_IMAGE_PATH, TEST_MAKER_KEY_PEM } from "@segl/simulator";
import { Output, ROOT, SEGL, freeUdpPort, runSegl } from "./root.js";

let dir = "";
const run = (args: string[]) => runSegl(args, dir);
const NEXT = join(ROOT, "firmware/build/firmware-next.wasm");
const last = (s: string) => JSON.parse(s.trim().split("\n").at(-1)!) as Record<string, unknown> & { error?: { code: string; details?: Record<string, unknown> } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "segl-sim-maker-"));
  writeFileSync(join(dir, "test.key.pem"), TEST_MAKER_KEY_PEM);
  for (const args of [
    ["image", "keygen", "--out", "maker"],
    ["image", "pack", DEFAULT_IMAGE_PATH, "--version", "0.1.0", "--key", "maker.key.pem", "--out", "factory.img"],
    ["image", "pack", NEXT, "--version", "0.2.0", "--counter", "1", "--key", "maker.key.pem", "--out", "next.img"],
    ["image", "pack", NEXT, "--version", "0.2.0", "--counter", "1", "--key", "test.key.pem", "--out", "test-signed.img"],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("segl sim --maker-key: the maker's image flashes over the serial port, the test key's is refused", async () => {
  const tty = join(dir, "tty");
  const child = spawn(process.execPath, [SEGL, "sim", "code-display", "--maker-key", "maker.pub.pem", "--image", "factory.img", "--pty", tty, "--json"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  const out = new Output(child.stdout);
  try {
    await out.waitFor(/"event":"ready"/);
    const refused = await run(["flash", "--image", "test-signed.img", "--device", `serial:${tty}`, "--yes", "--json"]);
    assert.equal(refused.code, 1, refused.stderr + refused.stdout);
    const e = last(refused.stdout);
    assert.deepEqual([e.error?.code, e.error?.details?.["reason"]], ["UPDATE_REFUSED", "SIGNATURE"]);
    const ok = await run(["flash", "--image", "next.img", "--device", `serial:${tty}`, "--yes", "--json"]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const r = last(ok.stdout);
    assert.deepEqual([r.method, r.after], ["service", "0.2.0"]);
  } finally {
    child.kill("SIGTERM");
  }
});

test("segl sim chip --presence accept: segl flash over UDP gets its touch, the chip runs the maker's 0.2.0", async () => {
  const reply = await freeUdpPort();
  const child = spawn(process.execPath, [SEGL, "sim", "chip", "--maker-key", "maker.pub.pem", "--image", "factory.img", "--udp-port", "0", "--reply-port", String(reply), "--presence", "accept", "--plain"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  const err = new Output(child.stderr);
  try {
    const port = Number((await err.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    const r = await run(["flash", "--image", "next.img", "--device", `udp:${port}:${reply}`, "--yes", "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const res = last(r.stdout);
    assert.deepEqual([res.method, res.after, res.serial], ["service", "0.2.0", "SIM-chip"]);
    await err.waitFor(/touched \(update\) by the accept policy/);
  } finally {
    child.kill("SIGTERM");
  }
});

test("segl sim --maker-key: bad key files, too many keys, a factory image by another key, --revoked out of range", async () => {
  const sim = (...args: string[]) => run(["sim", "code-display", ...args, "--json"]);
  const notKey = await sim("--maker-key", "factory.img", "--image", "factory.img");
  assert.equal(notKey.code, 2);
  assert.match(notKey.stdout + notKey.stderr, /not a P-256 public key/);
  const five = await sim(...Array.from({ length: 5 }, () => ["--maker-key", "maker.pub.pem"]).flat(), "--image", "factory.img");
  assert.equal(five.code, 2);
  assert.match(five.stdout + five.stderr, /at most 4/);
  const noImage = await sim("--maker-key", "maker.pub.pem");
  assert.equal(noImage.code, 2);
  const foreign = await sim("--maker-key", "maker.pub.pem", "--image", "test-signed.img");
  assert.equal(foreign.code, 1);
  assert.equal(last(foreign.stdout).error?.code, "IMAGE_SIGNATURE");
  const mask = await sim("--maker-key", "maker.pub.pem", "--image", "factory.img", "--revoked", "16");
  assert.equal(mask.code, 2);
  const own = await sim("--maker-key", "maker.pub.pem", "--image", "factory.img", "--revoked", "1");
  assert.equal(own.code, 2);
  assert.match(own.stdout + own.stderr, /revokes/);
});
