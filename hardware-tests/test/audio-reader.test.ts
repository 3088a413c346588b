// Audio code reader conformance over the service port: the simulator (default, with the committed
// voice pack), the simulator behind a real PTY (SEGL_TARGET=pty), or a real reader on a serial port
// (SEGL_SERIAL_PORT=…; SEGL_ALLOW_PROVISION=1 lets it provision and lock a blank one). What it says is
// checked on the simulator's audio timeline (clips matched in its output); real hardware has no
// audio capture, so those steps skip there.
import { test, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { provisionDevice, totp, TotpVerifier, MemoryStore } from "@segl/host-sdk";
import { openTarget, READER_KEYS, type Target } from "../src/index.js";

let t: Target;
beforeAll(async () => { t = await openTarget(undefined, { audioReader: true }); });
afterAll(async () => { await t?.close(); });

test("a blank reader says \"not activated\"; provisioned as model 2 it says and shows its code; the broker accepts it; lock", async (ctx) => {
  if (!t.destructive) return ctx.skip("set SEGL_ALLOW_PROVISION=1 to provision a real device");
  let info = await t.client.info();
  if (info.state === "locked") return ctx.skip("device already locked");
  if (t.control && info.state === "blank") {
    t.control.press(READER_KEYS.main);
    t.control.advance(4000);
    assert.deepEqual(t.control.spoken().clips, ["not_activated"]);
  }
  const now = t.control ? t.control.now() : Date.now();
  const p = await provisionDevice(t.client, {
    model: "audio-reader", algorithm: "SHA1", digits: 6, period: 30, serial: `READ-${now % 100000}`, timeMs: now,
  });
  info = await t.client.info();
  assert.equal(info.model, "audio-reader", "INFO model 2");
  assert.equal(info.state, "provisioned");
  assert.ok(info.flags.clockSet);
  assert.equal(info.flags.raw & 16, 0, "INFO flags bit 4: the voice pack passed its checks");
  if (t.control) {
    const verifier = new TotpVerifier({ store: new MemoryStore(), clock: () => t.control!.now() });
    await verifier.enroll(p.serial, { secret: p.seed, algorithm: "SHA1", digits: 6, period: 30 });
    const step = 30_000;
    t.control.advance(step - (t.control.now() % step) + 1000); // early in a step: the code outlives the speech
    t.control.press(READER_KEYS.main);
    const shown = t.control.display();
    assert.equal(shown, totp(p.seed, { time: Math.floor(t.control.now() / 1000) }));
    t.control.advance(8000);
    const spoken = t.control.spoken();
    assert.deepEqual(spoken.clips, ["your_code_is", ...[...shown].map((d) => `digit${d}`)], "spoken as shown");
    const first = spoken.items.find((i) => i.kind === "clip" && i.name === "digit" + shown[0])!;
    assert.ok(first.startMs < 1500, `first digit ${first.startMs} ms after the press`);
    assert.equal((await verifier.verify(p.serial, shown)).verified, true, "the broker accepts what was said");
  }
  await t.client.lock();
  assert.equal((await t.client.info()).state, "locked");
  if (t.control) {
    t.control.reboot();
    assert.equal((await t.client.info()).model, "audio-reader");
  }
});
