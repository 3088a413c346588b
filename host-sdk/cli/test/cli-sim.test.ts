// The `segl` program, run as a user would: spawned, stdin piped, output read back.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { SerialPort } from "serialport";
import { renderTerminal } from "@segl/simulator";

import { Output, ROOT, SEGL } from "./root.js";

function segl(...args: string[]) {
  return spawnSync(process.execPath, [SEGL, ...args], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
}

function startSim(args: string[]): { child: ChildProcessWithoutNullStreams; out: Output; err: Output } {
  const child = spawn(process.execPath, [SEGL, "sim", "code-display", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  return { child, out: new Output(child.stdout), err: new Output(child.stderr) };
}

test("segl --help lists the commands on stdout; bad command lines exit 2", () => {
  const h = segl("--help");
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Usage: segl <command>/);
  assert.match(h.stdout, /^\s+sim\s+run a simulated device/m);
  assert.equal(h.stderr, "");
  const none = segl();
  assert.equal(none.status, 2);
  assert.match(none.stderr, /Usage: segl/);
  const unknown = segl("frobnicate");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const simHelp = segl("sim", "--help");
  assert.equal(simHelp.status, 0);
  assert.match(simHelp.stdout, /--pty PATH/);
  assert.match(simHelp.stdout, /--http PORT/);
  assert.match(simHelp.stdout, /audio-reader {3}keys, LCD, speaker\/headset/);
  assert.match(simHelp.stdout, /--out FILE/);
  const bad = segl("sim", "code-display", "--drift", "fast");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--drift takes a number/);
  const missing = segl("sim", "code-display", "--image", "/nonexistent.wasm");
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no firmware image at \/nonexistent.wasm/);
});

test("segl sim code-display: Enter presses the button and the LCD is redrawn; the HTTP control API drives it; q quits", async () => {
  const { child, out, err } = startSim(["--http", "0", "--name", "d1"]);
  try {
    const url = (await err.waitFor(/control API: (http:\/\/127\.0\.0\.1:\d+)\/devices\/d1/))[1]!;
    const first = await out.waitFor(/display: ""\n/);
    child.stdin.write("\n");
    const shown = await out.waitFor(/display: "([^"]+)"\n/, first.index + first[0].length);
    const text = shown[1]!;
    // The big digits of exactly that text follow.
    const block = `display: ${JSON.stringify(text)}\n${renderTerminal(text)}\n`;
    await out.waitFor(new RegExp(block.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), first.index);
    assert.ok(renderTerminal(text).includes("━━━"));
    const state = (await (await fetch(`${url}/devices/d1`)).json()) as { display: string; state: string };
    assert.deepEqual([state.display, state.state], [text, "on"]);
    // Move the clock past the display's timer: the LCD blanks and the blank is drawn.
    const res = await fetch(`${url}/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ms: 31_000 }) });
    assert.equal(res.status, 200);
    await out.waitFor(/display: ""\n/, shown.index + shown[0].length);
    child.stdin.write("q");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    assert.match(err.text, /stopped/);
  } finally {
    child.kill();
  }
});

test("segl sim code-display --pty: serialport talks to the firmware through the pseudo-terminal", async () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-cli-"));
  const path = join(dir, "tty");
  const { child, err } = startSim(["--pty", path]);
  try {
    await err.waitFor(new RegExp(`serial port: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(-> /dev/pts/\\d+\\)`));
    const port = new SerialPort({ path, baudRate: 115200 });
    await once(port, "open");
    const body = Buffer.from([0x06, 0x21, 0x00, 0x02, 0xca, 0xfe]); // PING, seq 0x21, 2 bytes
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    port.write(Buffer.concat([Buffer.from("SG"), body, crc]));
    let got = Buffer.alloc(0);
    while (got.length < 13) {
      const [chunk] = (await once(port, "data")) as [Buffer];
      got = Buffer.concat([got, chunk]);
    }
    assert.equal(got.subarray(0, 9).toString("hex"), "5347" + "86" + "21" + "0003" + "00cafe");
    await new Promise<void>((r) => port.close(() => r()));
    // stdin ends, but the PTY keeps the simulator serving until a signal.
    child.stdin.end();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(child.exitCode, null, "still serving after end of input");
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    assert.equal(existsSync(path), false, "the PTY link is removed on exit");
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
