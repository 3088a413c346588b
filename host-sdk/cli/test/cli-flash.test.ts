// `segl flash` and `segl devices`, spawned as a user runs them, against simulated devices: the
// simulated chip on a virtual USB bus (USB DFU), a display behind a PTY (the service protocol),
// confirmation, JSON lines, a refused image, Ctrl-C in the middle and the rerun that finishes.
import { afterAll, beforeAll, describe, test } from "vitest";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Device, PtyBridge, SimClock, signImageForTest, loadImage } from "@segl/simulator";
import { Output, ROOT, SEGL, runSegl } from "./root.js";

const run = (args: string[], o: { onStdout?: Parameters<typeof runSegl>[2] } = {}) => runSegl(args, dir, o.onStdout);

let dir = "";
const NEXT = join(ROOT, "firmware/build/firmware-next.wasm");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "segl-flash-"));
  for (const args of [
    ["image", "keygen", "--out", "maker"],
    ["image", "keygen", "--out", "other"],
    ["image", "pack", NEXT, "--version", "0.2.0", "--models", "chip", "--key", "maker.key.pem", "--out", "chip.img"],
    ["image", "pack", NEXT, "--version", "0.2.0", "--models", "chip", "--key", "other.key.pem", "--out", "foreign.img"],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (s: string) => s.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("segl flash", () => {
  test("the simulated chip over USB DFU: JSON lines of progress, then the result; the chip runs 0.2.0", async () => {
    const r = await run(["flash", "--image", "chip.img", "--device", "sim", "--sim-maker-key", "maker.pub.pem", "--yes", "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = lines(r.stdout);
    const progress = out.filter((o) => o.event === "progress");
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ["detach", "download", "manifest", "reset", "done"]);
    const bytes = progress.filter((p) => p.phase === "download").map((p) => p.bytes as number);
    assert.ok(bytes.every((b, i) => i === 0 || b > bytes[i - 1]!));
    assert.deepEqual(out.at(-1), { ok: true, device: "sim", image: "chip.img", version: "0.2.0", serial: "SIM-CHIP", before: "0.1.0", after: "0.2.0", bytes: progress.at(-1)!.total, method: "dfu" });
  });

  test("no terminal and no --yes: exit 2, nothing flashed; an image signed by another maker: errVERIFY, exit 1", async () => {
    const asked = await run(["flash", "--image", "chip.img", "--device", "sim", "--sim-maker-key", "maker.pub.pem", "--json"]);
    assert.equal(asked.code, 2);
    const e = JSON.parse(asked.stdout) as { ok: boolean; exitCode: number; error: { code: string; message: string } };
    assert.deepEqual([e.ok, e.exitCode, e.error.code], [false, 2, "USAGE"]);
    assert.match(e.error.message, /--yes/);
    const plain = await run(["flash", "--image", "chip.img", "--device", "sim"]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /pass --yes/);
    const foreign = await run(["flash", "--image", "foreign.img", "--device", "sim", "--sim-maker-key", "maker.pub.pem", "--yes", "--json"]);
    assert.equal(foreign.code, 1);
    const f = lines(foreign.stdout).at(-1) as { error: { code: string; details: { dfuStatus: string } } };
    assert.equal(f.error.code, "DFU_ERR_VERIFY");
    assert.equal(f.error.details.dfuStatus, "errVERIFY");
  });

  test("Ctrl-C in the middle: ABORTED, exit 1; the same command again (same --sim-flash) finishes", async () => {
    const args = ["flash", "--image", "chip.img", "--device", "sim", "--sim-maker-key", "maker.pub.pem", "--sim-flash", "chip.flash", "--sim-busy", "40", "--yes", "--json"];
    let sent = false;
    const r = await run(args, { onStdout: (text, kill) => { if (!sent && /"phase":"download"/.test(text)) { sent = true; kill("SIGINT"); } } });
    assert.ok(sent, `the download started (exit ${r.code}): ${r.stderr}${r.stdout}`);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const last = lines(r.stdout).at(-1) as { ok: boolean; error: { code: string } };
    assert.deepEqual([last.ok, last.error.code], [false, "ABORTED"]);
    const again = await run(args.filter((a, i) => a !== "--sim-busy" && args[i - 1] !== "--sim-busy"));
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal((lines(again.stdout).at(-1) as { after: string }).after, "0.2.0");
  });

  test("a display over its serial port (the service protocol): flashed, INFO reports the new version", async () => {
    const clock = new SimClock({ mode: "real" });
    const { readFileSync } = await import("node:fs");
    const { createPublicKey } = await import("node:crypto");
    const pub = createPublicKey(readFileSync(join(dir, "maker.pub.pem"), "utf8")).export({ format: "pem", type: "spki" }).toString();
    const display = new Device({ clock, name: "flash-display", bootRom: { makerKeys: [pub, (await import("@segl/simulator")).TEST_MAKER_KEY_PEM] }, slots: { A: signImageForTest(loadImage().bytes, { keyIndex: 1 }) } });
    const bridge = await PtyBridge.open(display, { path: join(dir, "tty") });
    try {
      const img = await run(["image", "pack", NEXT, "--version", "0.2.0", "--key", "maker.key.pem", "--out", "all.img"]);
      assert.equal(img.code, 0, img.stderr);
      const r = await run(["flash", "--image", "all.img", "--device", `serial:${bridge.path}`, "--yes", "--json"]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const res = lines(r.stdout).at(-1) as { method: string; after: string };
      assert.deepEqual([res.method, res.after], ["service", "0.2.0"]);
    } finally {
      await bridge.close();
      display.dispose();
      clock.stop();
    }
  });
});

describe("segl devices", () => {
  test("--sim lists a fresh simulated display and chip, as a table and as JSON", async () => {
    const j = await run(["devices", "--sim", "--json"]);
    assert.equal(j.code, 0, j.stderr);
    const { devices } = JSON.parse(j.stdout) as { devices: { id: string; model: string; serial: string; firmware: string; state: string; mode?: string }[] };
    const sim = devices.filter((d) => d.id.startsWith("sim:"));
    assert.deepEqual(sim.map((d) => [d.id, d.model, d.state]), [["sim:display-1", "none", "blank"], ["sim:SIM-CHIP-1", "chip", "provisioned"]]);
    assert.ok(sim.every((d) => /^\d+\.\d+\.\d+$/.test(d.firmware)));
    assert.equal(sim[1]!.mode, "runtime");
    const t = await run(["devices", "--sim"]);
    assert.match(t.stdout, /^ID\s+MODEL\s+SERIAL\s+FIRMWARE\s+STATE/m);
    assert.match(t.stdout, /sim:SIM-CHIP-1\s+chip\s+SIM-CHIP-1/);
  });

  test("--control URL lists a running simulator's devices with their INFO", async () => {
    const p = spawn(process.execPath, [SEGL, "sim", "code-display", "--http", "0", "--plain", "--name", "ctl-disp"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    const err = new Output(p.stderr);
    try {
      const m = await err.waitFor(/control API: (http:\/\/127\.0\.0\.1:\d+)/);
      const r = await run(["devices", "--control", m[1]!, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const { devices } = JSON.parse(r.stdout) as { devices: { id: string; model: string; state: string }[] };
      assert.deepEqual(devices.filter((d) => d.id.startsWith("sim:")).map((d) => [d.id, d.model, d.state]), [["sim:ctl-disp", "none", "blank"]]);
      const bad = await run(["devices", "--control", "ftp://x", "--json"]);
      assert.equal(bad.code, 2);
    } finally {
      p.kill("SIGTERM");
      await new Promise((r) => p.on("close", r));
    }
  });
});
