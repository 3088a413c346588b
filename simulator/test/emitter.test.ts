// The simulator core's portable emitter behaves as Node's EventEmitter where the simulator relies on it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { Emitter } from "../src/emitter.js";

interface Ev { a: [n: number]; b: [s: string, t: string] }

// Runs the same script against Node's EventEmitter and ours and compares what the listeners saw.
function script(e: { on: Function; once: Function; off: Function; emit: Function; listenerCount: Function; removeAllListeners: Function }): unknown[] {
  const seen: unknown[] = [];
  const l1 = (n: number) => seen.push(["l1", n]);
  const l2 = (n: number) => { seen.push(["l2", n]); e.off("a", l3); };
  const l3 = (n: number) => seen.push(["l3", n]);
  e.on("a", l1); e.on("a", l2); e.on("a", l3);
  e.once("a", (n: number) => { seen.push(["once", n]); if (n === 1) e.emit("a", 99); });
  seen.push(["emit1", e.emit("a", 1)]);  // l3 removed during the emit is still called in it; once runs once, also nested
  seen.push(["count", e.listenerCount("a")]);
  seen.push(["emit2", e.emit("a", 2)]);
  e.on("b", (s: string, t: string) => seen.push(["b", s, t]));
  e.on("a", l1); e.off("a", l1); // the most recent registration goes, the first stays
  seen.push(["count", e.listenerCount("a")]);
  e.emit("b", "x", "y");
  e.removeAllListeners("a");
  seen.push(["emit3", e.emit("a", 3), e.listenerCount("b")]);
  e.removeAllListeners();
  seen.push(["emit4", e.emit("b", "p", "q"), e.emit("nothing")]);
  return seen;
}

test("the same calls, the same order and the same return values as node:events", () => {
  const ours = script(new Emitter<Ev & { nothing: [] }>() as never);
  const node = script(new EventEmitter() as never);
  assert.deepEqual(ours, node);
  assert.ok(ours.length > 8);
});

test("events.once works on it (what tests and tools await)", async () => {
  const e = new Emitter<Ev>();
  const p = once(e as never, "b");
  e.emit("b", "s", "t");
  assert.deepEqual(await p, ["s", "t"]);
  assert.equal(e.listenerCount("b"), 0);
});

test("a listener that is not a function is refused", () => {
  assert.throws(() => new Emitter<Ev>().on("a", 5 as never), TypeError);
});
