// provisionDevice for a chip locks it unless told otherwise (a chip leaves the factory locked).
import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock } from "@segl/simulator";
import { MemoryTransport, ServiceClient, provisionDevice } from "../src/index.js";

function client(name: string): { dev: Device; client: ServiceClient } {
  const dev = new Device({ clock: new SimClock({ startMs: Date.UTC(2030, 0, 1) }), rngSeed: name });
  return { dev, client: new ServiceClient(new MemoryTransport(dev), { timeoutMs: 300, retries: 0 }) };
}

test("provisionDevice: a chip is locked by default (its clock set from the host), unlocked only on request", async () => {
  const a = client("chip-default");
  const r = await provisionDevice(a.client, { model: "chip", serial: "CHIP-1" });
  assert.equal(r.info.state, "locked");
  assert.equal(r.info.flags.clockSet, true);
  await assert.rejects(a.client.provision({ model: "chip", algorithm: "SHA1", digits: 6, period: 30, serial: "EVIL", seed: new Uint8Array(20) }));
  a.dev.dispose();

  const b = client("chip-unlocked");
  const u = await provisionDevice(b.client, { model: "chip", serial: "CHIP-2", lock: false });
  assert.equal(u.info.state, "provisioned");
  b.dev.dispose();

  // the other models keep their explicit lock (a display is locked after its clock is set)
  const c = client("display");
  const d = await provisionDevice(c.client, { model: "code-display", serial: "D-1" });
  assert.equal(d.info.state, "provisioned");
  assert.equal(d.info.flags.entropyFailed, false);
  assert.equal((await c.client.status()).entropyFailure, 0);
  c.dev.dispose();
});
