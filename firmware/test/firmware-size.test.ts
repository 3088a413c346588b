import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { loadImage } from "@segl/simulator";
import { report, parseImage, moduleOf, IMAGE_LIMIT } from "../../scripts/firmware-size.mjs";

// scripts/firmware-size.mjs: the size report of the image (docs/firmware-size.md).
test("the size report accounts for every byte of the image and names its functions", () => {
  const bytes = Buffer.from(loadImage().bytes);
  const wat = new URL("../build/firmware.wat", import.meta.url);
  const rep = report(bytes, existsSync(wat) ? readFileSync(wat, "utf8") : undefined);
  assert.equal(rep.size, bytes.length);
  assert.equal(rep.limit, IMAGE_LIMIT);
  assert.equal(rep.headroom, 65536 - bytes.length);
  // 8 header bytes + every section (id, size prefix, content)
  assert.equal(8 + rep.sections.reduce((s, x) => s + x.size, 0), bytes.length);
  const code = rep.sections.find((s) => s.name === "code");
  assert.ok(code);
  const bodies = rep.functions.reduce((s, f) => s + f.size, 0);
  // the code section = its id byte, its size prefix, the function count, then the bodies
  assert.ok(code.size - bodies >= 3 && code.size - bodies <= 8, `code ${code.size} vs bodies ${bodies}`);
  // the defined functions of the image, as the engine counts them (exports are a subset)
  const img = parseImage(bytes);
  assert.equal(img.bodies.length, rep.functions.length);
  assert.ok(img.importedFuncs >= WebAssembly.Module.imports(new WebAssembly.Module(bytes)).filter((i) => i.kind === "function").length);
  // sorted, largest first
  for (let i = 1; i < rep.functions.length; i++) assert.ok(rep.functions[i - 1].size >= rep.functions[i].size);
  if (rep.named) {
    assert.ok(rep.functions.some((f) => f.name === "crypto/p256/arith/feMul"), "feMul named");
    assert.ok(rep.modules.some((m) => m.module === "crypto/p256/arith"));
  }
});

test("functions are grouped by their source module", () => {
  assert.equal(moduleOf("firmware/assembly/crypto/p256/arith/feMul"), "crypto/p256/arith");
  assert.equal(moduleOf("fido/cbor/CborWriter#head"), "fido/cbor");
  assert.equal(moduleOf("~lib/polyfills/bswap<u32>"), "~lib/polyfills");
  assert.equal(moduleOf("start"), "(other)");
});
