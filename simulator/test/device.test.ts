import { test } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock } from "../src/index.js";

test("a device boots from the shared image and imports only hal.*", () => {
  const d = new Device({ clock: new SimClock({ startMs: 1_700_000_000_000 }) });
  assert.equal(d.state, "on");
  const imports = WebAssembly.Module.imports(d.image.module);
  for (const i of imports) assert.equal(i.module, "hal");
  const mem = d.raw.memory;
  assert.ok(mem.buffer.byteLength <= 2 * 65536, "memory fixed at ≤ 2 pages");
  d.dispose();
});
