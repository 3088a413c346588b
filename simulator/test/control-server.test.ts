import { test } from "vitest";
import assert from "node:assert/strict";
import { request } from "node:http";
import { Simulator, startControlServer, type DeviceDetail, type DeviceSummary } from "../src/index.js";

const T0 = 1_700_000_000_000;

async function json<T>(res: Response): Promise<T> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return (await res.json()) as T;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

test("HTTP control API: devices, button, display, clock, drift, power, flash", async () => {
  const sim = new Simulator({ startMs: T0 });
  const d = sim.add({ name: "disp" });
  sim.add({ name: "other" });
  const srv = await startControlServer(sim);
  try {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const list = await json<DeviceSummary[]>(await fetch(`${srv.url}/devices`));
    assert.deepEqual(list.map((x) => x.name), ["disp", "other"]);
    assert.deepEqual({ ...list[0], info: { ...list[0]!.info, firmware: "x" } }, { name: "disp", state: "on", display: "", led: false, info: { model: "none", serial: "", firmware: "x", provisioning: "blank" } });
    assert.match(list[0]!.info!.firmware, /^\d+\.\d+\.\d+$/, "the service INFO's firmware version");

    // Button: a click shows something on the LCD (a code or a notice).
    const clicked = await json<DeviceSummary>(await post(`${srv.url}/devices/disp/button`, { action: "click" }));
    assert.notEqual(clicked.display, "");
    assert.equal(clicked.display, d.display);
    const svg = await fetch(`${srv.url}/devices/disp/display.svg`);
    assert.match(svg.headers.get("content-type") ?? "", /image\/svg\+xml/);
    assert.match(await svg.text(), new RegExp(`aria-label="LCD: ${d.display}"`));

    // Clock: advancing runs the display timer; set moves world time.
    const wake = d.nextWakeWorldMs()!;
    const adv = await json<{ unixMs: number }>(await post(`${srv.url}/clock/advance`, { ms: wake - T0 }));
    assert.equal(adv.unixMs, wake);
    assert.equal(d.display, "", "blanked by its timer");
    await post(`${srv.url}/clock/set`, { unixMs: T0 + 86_400_000 });
    assert.equal(sim.clock.now(), T0 + 86_400_000);
    assert.deepEqual(await json(await fetch(`${srv.url}/clock`)), { unixMs: T0 + 86_400_000, mode: "manual" });

    // Drift.
    assert.deepEqual(await json(await post(`${srv.url}/devices/disp/drift`, { ppm: 25 })), { name: "disp", driftPpm: 25 });
    assert.equal(d.driftPpm, 25);

    // Detail.
    const det = await json<DeviceDetail>(await fetch(`${srv.url}/devices/disp`));
    assert.equal(det.driftPpm, 25);
    assert.equal(det.state, "on");
    assert.equal(det.flash.size, d.flash.size);
    assert.equal(det.image.sha256, d.image.sha256);
    assert.equal(det.worldMs, T0 + 86_400_000);

    // Power.
    assert.equal((await json<DeviceSummary>(await post(`${srv.url}/devices/disp/power`, { action: "cut" }))).state, "off");
    assert.equal((await json<DeviceSummary>(await post(`${srv.url}/devices/disp/power`, { action: "on" }))).state, "on");
    const boots = d.boots;
    await post(`${srv.url}/devices/disp/power`, { action: "reboot" });
    assert.equal(d.boots, boots + 1);
    const sched = await json<{ cutAtFlashOperation: number }>(await post(`${srv.url}/devices/disp/power`, { action: "cut", atFlashOperation: 3 }));
    assert.equal(sched.cutAtFlashOperation, d.flash.operations + 3);
    assert.equal(d.state, "on", "scheduled, not cut now");
    await post(`${srv.url}/devices/disp/power`, { action: "cut", atFlashOperation: 0 });

    // Flash snapshot and restore (powered off, so the store does not repair the test pattern at boot).
    await post(`${srv.url}/devices/disp/power`, { action: "cut" });
    const snap = new Uint8Array(await (await fetch(`${srv.url}/devices/disp/flash`)).arrayBuffer());
    assert.deepEqual(snap, d.snapshotFlash());
    const changed = snap.slice();
    changed.fill(0x5a, 8192, 8200);
    const put = await fetch(`${srv.url}/devices/disp/flash`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: changed });
    assert.equal(put.status, 200);
    assert.deepEqual([...d.snapshotFlash().subarray(8192, 8200)], new Array(8).fill(0x5a));
    assert.equal(sim.device("other").snapshotFlash()[8192], 0xff);

    // RNG seed.
    assert.deepEqual(await json(await post(`${srv.url}/devices/disp/rng`, { seed: "abc" })), { name: "disp", seeded: true, fault: null });
  } finally {
    await srv.close();
    sim.close();
  }
});

test("HTTP control API: errors are clear JSON with the right status", async () => {
  const sim = new Simulator({ startMs: T0 });
  sim.add({ name: "disp" });
  const srv = await startControlServer(sim);
  try {
    const err = async (res: Response, status: number, re: RegExp) => {
      assert.equal(res.status, status);
      const body = await json<{ error: string }>(res);
      assert.match(body.error, re);
    };
    await err(await fetch(`${srv.url}/devices/nope`), 404, /no device named nope/);
    await err(await fetch(`${srv.url}/nowhere`), 404, /no such route/);
    await err(await fetch(`${srv.url}/devices/disp/button`), 405, /GET not allowed/);
    await err(await post(`${srv.url}/devices/disp/button`, { action: "smash" }), 400, /"action" must be one of/);
    await err(await post(`${srv.url}/clock/advance`, { ms: -5 }), 400, /"ms"/);
    await err(await fetch(`${srv.url}/clock/advance`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" }), 400, /not valid JSON/);
    // A form post (what a web page can send without a preflight) is refused.
    await err(await fetch(`${srv.url}/devices/disp/button`, { method: "POST", headers: { "content-type": "text/plain" }, body: `{"action":"click"}` }), 415, /application\/json/);
    await err(await fetch(`${srv.url}/devices/disp/flash`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(10) }), 400, /must be \d+ bytes/);
    await err(await post(`${srv.url}/devices/disp/power`, { action: "on", atFlashOperation: 2 }), 400, /goes with action "cut"/);
    // A foreign Host header (DNS rebinding) is refused.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.url}/devices`, { headers: { host: "evil.example:80" } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on("error", reject);
      req.end();
    });
    assert.equal(status, 403);
  } finally {
    await srv.close();
    sim.close();
  }
});
