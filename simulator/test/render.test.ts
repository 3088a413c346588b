import { test } from "vitest";
import assert from "node:assert/strict";
import { renderTerminal, renderSvg, segmentsFor, canShow, SEG } from "../src/index.js";

test("segment table: digits as on every seven-segment part (0x3F 0x06 0x5B …)", () => {
  const std = [0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f];
  for (let i = 0; i < 10; i++) assert.equal(segmentsFor(String(i)), std[i], `digit ${i}`);
  assert.equal(segmentsFor("-"), SEG.g);
  assert.equal(segmentsFor(" "), 0);
  assert.equal(segmentsFor("E"), SEG.a | SEG.d | SEG.e | SEG.f | SEG.g);
  assert.equal(segmentsFor("S"), segmentsFor("5"));
  assert.equal(canShow("M"), false);
  assert.equal(segmentsFor("M"), 0);
});

test("terminal, ascii style: the classic 3-line digits", () => {
  const got = renderTerminal("0123456789", { style: "ascii" });
  const want = [
    " _       _   _       _   _   _   _   _ ",
    "| |   |  _|  _| |_| |_  |_    | |_| |_|",
    "|_|   | |_   _|   |  _| |_|   | |_|  _|",
  ].join("\n");
  assert.equal(got, want);
});

test("terminal, box style: 5 lines, same width, 6 cells for short text, blank LCD for ''", () => {
  const eight = renderTerminal("8", { digits: 1 }).split("\n");
  assert.deepEqual(eight, [" ━━━ ", "┃   ┃", " ━━━ ", "┃   ┃", " ━━━ "]);
  const lines = renderTerminal("E-STOR").split("\n");
  assert.equal(lines.length, 5);
  assert.ok(lines.every((l) => [...l].length === [...lines[0]!].length));
  assert.equal([...lines[0]!].length, 6 * 5 + 5 * 2);
  // Dash: only the middle bar of the second cell.
  assert.equal(lines.map((l) => [...l].slice(7, 12).join("")).join("|"), "     |     | ━━━ |     |     ");
  const blank = renderTerminal("").split("\n");
  assert.ok(blank.every((l) => l.trim() === ""));
  const framed = renderTerminal("123456", { frame: true }).split("\n");
  assert.equal(framed.length, 7);
  assert.ok(framed[0]!.startsWith("┌") && framed[6]!.startsWith("└"));
  assert.ok(framed.every((l) => [...l].length === [...framed[0]!].length));
});

test("SVG: a seven-segment LCD with the right segments lit", () => {
  const svg = renderSvg("123456");
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  assert.equal((svg.match(/<g class="digit"/g) ?? []).length, 6);
  assert.equal((svg.match(/<polygon /g) ?? []).length, 42);
  assert.equal((svg.match(/class="seg on"/g) ?? []).length, 2 + 5 + 5 + 4 + 5 + 6);
  assert.match(svg, /aria-label="LCD: 123456"/);
  const digits = [...svg.matchAll(/data-char="([^"]*)"/g)].map((m) => m[1]);
  assert.deepEqual(digits, ["1", "2", "3", "4", "5", "6"]);
  // Segment "a" of the digit 7 is lit, "d" is not.
  const seven = renderSvg("7", { digits: 1 });
  assert.match(seven, /class="seg on" data-seg="a"/);
  assert.match(seven, /class="seg off" data-seg="d"/);
  // Markup in the text is escaped, blank text gives a blank LCD.
  const evil = renderSvg(`<&">`);
  assert.ok(!evil.includes(`<&">`));
  assert.match(evil, /&lt;&amp;&quot;&gt;/);
  assert.equal((renderSvg("").match(/class="seg on"/g) ?? []).length, 0);
  assert.match(renderSvg(""), /LCD: blank/);
});
