// docs/memory-map.md lists every static buffer of the image: a new buffer without a row fails here.
import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("docs/memory-map.md has a row for every static buffer, under its module", () => {
  const doc = readFileSync("docs/memory-map.md", "utf8");
  const sections = new Map<string, string>();
  for (const part of doc.split("\n### `").slice(1)) sections.set(part.slice(0, part.indexOf("`")), part);
  const root = "firmware/assembly";
  let count = 0;
  for (const file of sources(root)) {
    const rel = relative(root, file);
    const code = readFileSync(file, "utf8").split("\n").filter((l) => !l.trim().startsWith("//")).join("\n");
    for (const m of code.matchAll(/const ([A-Za-z_0-9]+)\s*(?::[^=]+)?=\s*(?:buf\(|CborReader\.at\(|CborWriter\.at\()?(?:secret\()?memory\.data\(/g)) {
      count++;
      const section = sections.get(rel);
      assert.ok(section, `no section for ${rel}`);
      assert.ok(section.includes(`| \`${m[1]}\` |`), `${rel}: ${m[1]} is not in docs/memory-map.md`);
    }
  }
  assert.ok(count >= 150, `${count} buffers found`);
});
