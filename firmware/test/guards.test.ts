// Guard regions of the test build (docs/memory-map.md): every static buffer is followed by 16
// canary bytes, and a Device running a guarded image checks them after every call.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, GuardViolation, loadImage, findGuards, GUARD_LEN } from "@segl/simulator";
import { guardedImage, harnessImage } from "./image-util.js";

describe("guard regions", () => {
  test("the test images carry a guard after every static buffer; the shipping image carries none", () => {
    const shipping = loadImage();
    assert.equal(shipping.guards.length, 0);
    const g = guardedImage();
    assert.ok(g.guards.length >= 150, `${g.guards.length} guards`);
    for (const name of ["ctap2", "pin", "u2f", "store", "cbor"]) assert.ok(harnessImage(name).guards.length > 0, name);
    // guards never overlap and lie inside the two pages
    const sorted = [...g.guards].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]! - sorted[i - 1]! >= GUARD_LEN);
    assert.ok(sorted.at(-1)! + GUARD_LEN <= 2 * 65536);
    assert.deepEqual(findGuards(g.bytes), g.guards);
  });

  test("a deliberate overflow of a static buffer by one byte is caught after the call", () => {
    const dev = new Device({ image: harnessImage("pin"), clock: new SimClock({ startMs: 0 }) });
    const x = dev.raw as unknown as { overflow_demo(n: number): number };
    assert.equal(x.overflow_demo(32), 32); // exactly the capacity: fine
    dev.checkGuards();
    assert.throws(() => x.overflow_demo(33), (e: unknown) => e instanceof GuardViolation && e.addresses.length === 1);
  });

  test("an overflow inside an event handler crashes the device with a guard fault and throws", () => {
    const dev = new Device({ image: harnessImage("pin"), clock: new SimClock({ startMs: 0 }) });
    // corrupt a guard from outside, as an overflow inside the image would, then drive an event
    const mem = new Uint8Array((dev.raw.memory as WebAssembly.Memory).buffer);
    mem[harnessImage("pin").guards[3]!]! ^= 1;
    assert.throws(() => dev.press(), GuardViolation);
    assert.equal(dev.state, "crashed");
    assert.equal(dev.faults.at(-1)?.kind, "guard");
  });
});
