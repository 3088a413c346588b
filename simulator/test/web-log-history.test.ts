// The page's per-device log history: keeps the newest `limit` lines in order, says what it dropped.
import { test } from "vitest";
import assert from "node:assert/strict";
import { LogHistory } from "../web/log-history.js";

test("below the limit: every line, oldest first", () => {
  const h = new LogHistory(5);
  for (const l of ["a", "b", "c"]) h.add(l);
  assert.deepEqual(h.lines(), ["a", "b", "c"]);
  assert.equal(h.size, 3);
  assert.equal(h.text("X-1"), "# X-1: 3 event log line(s), oldest first\na\nb\nc\n");
});

test("past the limit, across several wraps: the newest lines in order, the number dropped in the header", () => {
  const h = new LogHistory(4);
  for (let i = 1; i <= 11; i++) h.add(`line ${i}`);
  assert.deepEqual(h.lines(), ["line 8", "line 9", "line 10", "line 11"]);
  assert.equal(h.dropped, 7);
  assert.match(h.text("X-2"), /^# X-2: 4 event log line\(s\), oldest first; 7 older line\(s\) dropped\nline 8\n/);
});

test("exactly at the limit nothing is dropped; a limit of one keeps the last line", () => {
  const h = new LogHistory(3);
  for (const l of ["a", "b", "c"]) h.add(l);
  assert.deepEqual([h.lines(), h.dropped], [["a", "b", "c"], 0]);
  const one = new LogHistory(1);
  one.add("x"); one.add("y");
  assert.deepEqual([one.lines(), one.dropped], [["y"], 1]);
  assert.throws(() => new LogHistory(0), RangeError);
});
