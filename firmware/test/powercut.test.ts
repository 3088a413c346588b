// A power cut at every flash operation of PROVISION, SET_TIME and LOCK: after reboot the device
// is wholly old or wholly new, boots, and shows correct codes. The same for the code display and
// the audio reader (which shows its code too, and has a voice region).
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { totp } from "@segl/host-sdk";
import { NorFlash } from "@segl/simulator";
import { CMD, ST, SEED, newDevice as newAnyDevice, provisionPayload as anyPayload, timePayload, LOCK_PAYLOAD, type SyncPort } from "./service-util.js";
import { voiceBytes } from "./reader-util.js";
import type { DeviceOptions } from "@segl/simulator";

describe.each([
  { model: 1, name: "code display" },
  { model: 2, name: "audio reader" },
])("$name", ({ model }) => {
const newDevice = (opts: DeviceOptions = {}) => newAnyDevice(model === 2 ? { voice: voiceBytes(), ...opts } : opts);
/** A press that shows the current code; a reader still speaking the last one is let finish first
 *  (a press while it speaks would interrupt it instead). */
const press = (h: ReturnType<typeof newDevice>) => {
  if (h.device.audio.queued() > 0) h.clock.advance(15_000);
  h.device.click();
};
const provisionPayload = (o: Parameters<typeof anyPayload>[0] = {}) => anyPayload({ model, ...o });

const SEED2 = new TextEncoder().encode("abcdefghijabcdefghij0123");

interface Snapshot { state: number; clockSet: boolean; serial: string; period: number; alg: number }

function info(port: SyncPort): Snapshot {
  const d = port.request(CMD.INFO)!.data;
  return {
    state: d[5]!, clockSet: (d[6]! & 1) === 1, alg: d[7]!, period: (d[9]! << 8) | d[10]!,
    serial: new TextDecoder().decode(d.subarray(12, 12 + d[11]!)),
  };
}

/** Runs `step` on a device prepared by `setup`, cutting power at its nth flash operation, for every n. */
function everyCut(
  name: string,
  setup: (port: SyncPort, now: number) => void,
  step: (port: SyncPort, now: number) => number | undefined,
  check: (s: Snapshot, port: SyncPort, completed: boolean, device: ReturnType<typeof newDevice>) => void,
): number {
  // First find how many flash operations the step takes.
  const probe = newDevice();
  setup(probe.port, probe.clock.now());
  const before = probe.device.flash.operations;
  assert.equal(step(probe.port, probe.clock.now()), ST.OK, `${name} works without a cut`);
  const ops = probe.device.flash.operations - before;
  assert.ok(ops > 0, `${name} writes flash`);
  for (let n = 1; n <= ops; n++) {
    const h = newDevice({ flash: new NorFlash() });
    setup(h.port, h.clock.now());
    h.device.cutPowerAtFlashOperation(n);
    const r = step(h.port, h.clock.now());
    assert.equal(r, undefined, `${name}: no answer once power is cut (n=${n})`);
    assert.equal(h.device.state, "off");
    h.device.powerOn();
    assert.equal(h.device.state, "on", `${name}: boots after a cut at op ${n}`);
    assert.equal(h.device.faults.filter((f) => f.kind !== "power").length, 0, "no trap, no flash rule broken");
    check(info(h.port), h.port, false, h);
    // And the device still works: the step can be completed now.
    assert.equal(step(h.port, h.clock.now()), ST.OK, `${name} succeeds after recovery (n=${n})`);
    check(info(h.port), h.port, true, h);
  }
  return ops;
}

test("power cut at every flash operation of PROVISION (first and re-provisioning)", () => {
  // First provisioning: blank → provisioned.
  const ops1 = everyCut("PROVISION", () => {}, (p) => p.request(CMD.PROVISION, provisionPayload({ serial: "NEW-1" }))?.status,
    (s, _p, completed) => {
      if (completed) assert.equal(s.state, 1);
      if (s.state === 0) assert.equal(s.serial, "", "wholly old: blank");
      else assert.deepEqual([s.state, s.serial, s.alg, s.period], [1, "NEW-1", 1, 30], "wholly new");
    });
  // Re-provisioning: old seed/params → new seed/params, never a mix.
  const ops2 = everyCut("re-PROVISION",
    (p, now) => {
      assert.equal(p.request(CMD.PROVISION, provisionPayload({ serial: "OLD-1", alg: 1, period: 30 }))?.status, ST.OK);
      assert.equal(p.request(CMD.SET_TIME, timePayload(now))?.status, ST.OK);
    },
    (p) => p.request(CMD.PROVISION, provisionPayload({ serial: "NEW-2", alg: 2, period: 60, seed: SEED2 }))?.status,
    (s, _p, _c, h) => {
      press(h);
      const t = Math.floor(h.clock.now() / 1000);
      if (_c) assert.equal(s.serial, "NEW-2");
      if (s.serial === "OLD-1") {
        assert.deepEqual([s.alg, s.period], [1, 30]);
        assert.equal(h.device.display, totp(SEED, { time: t }), "old params with the old seed");
      } else {
        assert.deepEqual([s.serial, s.alg, s.period], ["NEW-2", 2, 60]);
        assert.equal(h.device.display, totp(SEED2, { time: t, period: 60, algorithm: "SHA256" }), "new params with the new seed");
      }
    });
  assert.ok(ops1 >= 1 && ops2 >= 1);
});

test("power cut at every flash operation of SET_TIME", () => {
  everyCut("SET_TIME",
    (p) => assert.equal(p.request(CMD.PROVISION, provisionPayload())?.status, ST.OK),
    (p, now) => p.request(CMD.SET_TIME, timePayload(now))?.status,
    (s, _p, completed, h) => {
      assert.equal(s.state, 1, "provisioning untouched");
      if (completed) assert.ok(s.clockSet);
      press(h);
      if (s.clockSet) assert.equal(h.device.display, totp(SEED, { time: Math.floor(h.clock.now() / 1000) }));
      else assert.equal(h.device.display, "E-TIME");
    });
});

test("power cut at every flash operation of LOCK", () => {
  everyCut("LOCK",
    (p, now) => {
      assert.equal(p.request(CMD.PROVISION, provisionPayload())?.status, ST.OK);
      assert.equal(p.request(CMD.SET_TIME, timePayload(now))?.status, ST.OK);
    },
    (p) => p.request(CMD.LOCK, LOCK_PAYLOAD)?.status,
    (s, p, completed, h) => {
      assert.ok(s.state === 1 || s.state === 2, "provisioned or locked, nothing else");
      if (completed) assert.equal(s.state, 2);
      if (s.state === 2) assert.equal(p.request(CMD.PROVISION, provisionPayload())?.status, ST.LOCKED);
      assert.ok(s.clockSet);
      press(h);
      assert.equal(h.device.display, totp(SEED, { time: Math.floor(h.clock.now() / 1000) }));
    });
});
});
