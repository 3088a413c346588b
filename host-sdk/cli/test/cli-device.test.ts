// segl info / provision / totp against a simulated display behind a real PTY.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Device, PtyBridge, SimClock } from "@segl/simulator";
import { importPskc } from "@segl/host-sdk/pskc";

import { SEGL as segl } from "./root.js";

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [segl, ...args]);
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test("segl provision then segl info over a PTY; segl totp agrees with the display", async () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-cli-"));
  const clock = new SimClock({ mode: "real" });
  const device = new Device({ clock });
  const bridge = await PtyBridge.open(device, { path: join(dir, "tty") });
  try {
    const before = clock.now();
    const psk = "00112233445566778899aabbccddeeff";
    const asked = await run(["provision", "--port", bridge.path, "--serial", "CLI-0001", "--lock", "--pskc", join(dir, "seed.pskc"), "--psk-hex", psk, "--json"]);
    assert.equal(asked.code, 2, "--lock on a real device needs --yes when nobody can be asked");
    assert.match(JSON.parse(asked.stdout).error.message, /--yes/);
    const blank = await run(["info", "--port", bridge.path, "--json"]);
    assert.equal(JSON.parse(blank.stdout).info.state, "blank", "nothing was done");
    const p = await run(["provision", "--port", bridge.path, "--serial", "CLI-0001", "--lock", "--yes", "--pskc", join(dir, "seed.pskc"), "--psk-hex", psk, "--json"]);
    assert.equal(p.code, 0, p.stderr);
    const out = JSON.parse(p.stdout) as { devices: { serial: string; state: string }[] };
    assert.deepEqual(out.devices.map((d) => [d.serial, d.state]), [["CLI-0001", "locked"]]);
    const key = importPskc(readFileSync(join(dir, "seed.pskc")), { psk: Buffer.from(psk, "hex") }).keys[0];
    assert.ok(key?.ok);
    const rec = { serial: key.key.serial, seedHex: Buffer.from(key.key.secret).toString("hex") };
    assert.equal(rec.serial, "CLI-0001");
    assert.match(rec.seedHex, /^[0-9a-f]{40}$/);
    assert.ok(!p.stdout.includes(rec.seedHex) && !p.stderr.includes(rec.seedHex), "the seed is not printed");
    const i = await run(["info", "--port", bridge.path, "--json"]);
    assert.equal(i.code, 0, i.stderr);
    const info = JSON.parse(i.stdout) as { info: { state: string; serial: string }; status: { timeMs: number } };
    assert.equal(info.info.state, "locked");
    assert.equal(info.info.serial, "CLI-0001");
    const after = clock.now();
    // set from this machine's clock during the provision call: between the two readings, however long the calls took
    assert.ok(info.status.timeMs >= before && info.status.timeMs <= after, `clock set from this machine (${before} ≤ ${info.status.timeMs} ≤ ${after})`);
    device.click();
    const shown = device.display;
    const t = await run(["totp", "--secret-hex", rec.seedHex, "--time", String(Math.floor(clock.now() / 1000))]);
    assert.equal(t.stdout.trim(), shown);
    const bad = await run(["provision", "--port", bridge.path, "--pskc", join(dir, "x.pskc"), "--psk-hex", psk]);
    assert.equal(bad.code, 2, "missing --serial is a usage error");
    const noFile = await run(["provision", "--port", bridge.path, "--serial", "CLI-0002"]);
    assert.equal(noFile.code, 2, "missing --pskc is a usage error: seeds never go to the terminal");
  } finally {
    await bridge.close();
    device.dispose();
    clock.stop?.();
    rmSync(dir, { recursive: true, force: true });
  }
});
