// The page's picture of the store (simulator/web/store-view.ts) against a real store written by the image.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, READER_KEYS, loadVoicePackFile } from "../src/index.js";
import { MemoryTransport, ServiceClient } from "@segl/host-sdk/device";
import { provisionDevice } from "@segl/host-sdk/provision";
import { storeView } from "../web/store-view.js";

test("a provisioned reader's store: active pages with live records; a setting changed twice leaves its older records dead", async () => {
  const clock = new SimClock({ startMs: Date.UTC(2030, 0, 1) });
  const d = new Device({ clock, rtcMs: clock.now(), voice: loadVoicePackFile() });
  const t = new MemoryTransport(d);
  await provisionDevice(new ServiceClient(t), { model: "audio-reader", serial: "SV-1", timeMs: clock.now(), lock: true });
  await t.close();
  const size = d.flash.geometry.pageSize;
  const before = storeView(d.snapshotFlash(), size);
  const sum = (ps: typeof before, f: "live" | "dead") => ps.reduce((a, p) => a + p[f], 0);
  assert.ok(before.some((p) => p.state === "active"));
  assert.ok(before.filter((p) => p.state !== "active").every((p) => p.live === 0 && p.dead === 0));
  assert.ok(sum(before, "live") > 0);
  d.click(READER_KEYS.speedUp);
  const once = storeView(d.snapshotFlash(), size);
  d.click(READER_KEYS.speedUp);
  const twice = storeView(d.snapshotFlash(), size);
  const grownOnce = sum(once, "live") + sum(once, "dead") - sum(before, "live") - sum(before, "dead");
  assert.ok(grownOnce > 0, "the first speed change wrote a record");
  // The second write of the same setting: live stays as it was, the first one's record is now dead.
  assert.equal(sum(twice, "live"), sum(once, "live"));
  assert.equal(sum(twice, "dead") - sum(once, "dead"), grownOnce);
  // A wiped flash is all blank.
  assert.ok(storeView(new Uint8Array(size * 4).fill(0xff), size).every((p) => p.state === "blank"));
  d.dispose();
});
