import { test } from "vitest";
import assert from "node:assert/strict";
import { loadImage } from "@segl/simulator";

test("the image imports only hal.* and fits its budget", () => {
  const image = loadImage();
  for (const i of WebAssembly.Module.imports(image.module)) assert.equal(i.module, "hal", `${i.module}.${i.name}`);
  assert.ok(image.bytes.length <= 64 * 1024, `image is ${image.bytes.length} bytes`);
});
