import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// fido/lits.ts spells the CTAP2 text literals as bytes (length, then ASCII): each must encode
// exactly the text of its comment and be named after it, or a key would silently never match.
test("every literal of fido/lits.ts encodes the text of its comment, with its length first", () => {
  const src = readFileSync(new URL("../assembly/fido/lits.ts", import.meta.url), "utf8");
  const rows = [...src.matchAll(/^export const (L_\w+): usize = memory\.data<u8>\(\[([^\]]*)\]\); \/\/ "([^"]*)"$/gm)];
  assert.ok(rows.length >= 20, `only ${rows.length} literals parsed`);
  const decl = src.split("\n").filter((l) => l.startsWith("export ")).length;
  assert.equal(rows.length, decl, "a literal line does not have the expected shape");
  for (const [, name, list, text] of rows) {
    const bytes = list.split(",").map((s) => Number(s.trim()));
    assert.equal(bytes[0], text.length, `${name}: length byte`);
    assert.equal(String.fromCharCode(...bytes.slice(1)), text, `${name}: characters`);
    const expected = "L_" + text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/-/g, "_").toUpperCase().replace("U2_F", "U2F");
    assert.equal(name, expected, `${name}: named after its text`);
  }
});
