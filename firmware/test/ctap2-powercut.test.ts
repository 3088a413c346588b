// Power cuts at every flash operation of makeCredential (discoverable, including the first one
// that creates the master secret) and of getAssertion, on a small flash whose log has wrapped (so
// compaction runs too). After each cut the chip reboots and must answer; no counter may go back;
// a discoverable credential is either wholly there and usable or not there at all.
import { test } from "vitest";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import { Chip, CMD, ST, mget, bytes, parseAuthData, gaRequest, mcRequest, makeCred, hex, cdh, verifyEs256, chipOn, opsOf, cutAt } from "./ctap2-util.js";

/** Counter of a credential as the chip reports it now (one up=false assertion). */
function counterNow(chip: Chip, rp: string, id: Uint8Array): number {
  const r = chip.call(CMD.GA, gaRequest({ rp, allow: [id], up: false }));
  assert.equal(r.status, ST.OK);
  return parseAuthData(bytes(mget(r.body, 2))).signCount;
}

/** Discoverable credential IDs for rp (newest first), following getNextAssertion. */
function discover(chip: Chip, rp: string): string[] {
  const r = chip.call(CMD.GA, gaRequest({ rp, up: false }));
  if (r.status === ST.NO_CREDENTIALS) return [];
  assert.equal(r.status, ST.OK);
  const ids = [hex(bytes(mget(mget(r.body, 1), "id")))];
  const n = Number(mget(r.body, 5) ?? 1n);
  for (let i = 1; i < n; i++) {
    const x = chip.call(CMD.NEXT);
    assert.equal(x.status, ST.OK);
    ids.push(hex(bytes(mget(mget(x.body, 1), "id"))));
  }
  return ids;
}

test("power cut at every flash operation of the first makeCredential (master secret + record)", () => {
  const blank = chipOn().dev.snapshotFlash();
  const action = (c: Chip) => { c.call(CMD.MC, mcRequest({ rk: true, rp: "a.example" })); };
  const total = opsOf(blank, action);
  assert.ok(total >= 2, `${total} operations`);
  for (let n = 1; n <= total; n++) {
    const { chip, cut } = cutAt(blank, n, action);
    assert.equal(cut, true, `cut ${n}`);
    assert.equal(chip.call(CMD.INFO).status, ST.OK);
    const ids = discover(chip, "a.example");
    assert.ok(ids.length <= 1);
    if (ids.length === 1) assert.equal(counterNow(chip, "a.example", Buffer.from(ids[0]!, "hex")), 1);
    // the chip goes on working
    const c = makeCred(chip, { rk: true, rp: "a.example", userId: new Uint8Array([9]) });
    assert.ok(discover(chip, "a.example").includes(hex(c.id)));
  }
});

test("power cut at every flash operation of makeCredential (rk) and getAssertion on a wrapped log", () => {
  // setup: two credentials, enough assertions to wrap the log several times
  const setup = chipOn();
  const a = makeCred(setup, { rk: true, rp: "a.example", userId: new Uint8Array([1]) });
  const b = makeCred(setup, { rp: "a.example", userId: new Uint8Array([2]) });
  for (let i = 0; i < 400; i++) {
    assert.equal(setup.call(CMD.GA, gaRequest({ rp: "a.example", allow: [i % 2 ? a.id : b.id], up: false })).status, ST.OK);
  }
  assert.ok(setup.flash.stats().erases > 6, "the log has wrapped");
  // several starting points along the log, so that some cuts land inside a compaction
  let maxMc = 0, maxGa = 0, appeared = 0, absent = 0;
  for (let start = 0; start < 45; start++) { // a page holds about 40 counter records
  setup.call(CMD.GA, gaRequest({ rp: "a.example", allow: [b.id], up: false }));
  const img = setup.dev.snapshotFlash();
  const ctrA = counterNow(chipOn(img), "a.example", a.id) - 1; // counterNow itself added one
  const ctrB = counterNow(chipOn(img), "a.example", b.id) - 1;

  // makeCredential rk: the new record with its counter appears wholly or not at all
  const mc = (c: Chip) => { c.call(CMD.MC, mcRequest({ rk: true, rp: "a.example", userId: new Uint8Array([3]) })); };
  const totalMc = start % 5 === 0 ? opsOf(img, mc) : 0;
  maxMc = Math.max(maxMc, totalMc);
  for (let n = 1; n <= totalMc; n++) {
    const { chip, cut } = cutAt(img, n, mc);
    assert.equal(cut, true);
    const ids = discover(chip, "a.example");
    assert.ok(ids.includes(hex(a.id)), `cut ${n}: the old credential is still there`);
    assert.ok(ids.length === 1 || ids.length === 2, `cut ${n}: ${ids.length} credentials`);
    if (ids.length === 2) {
      appeared++;
      const fresh = Buffer.from(ids[0]!, "hex");
      assert.equal(counterNow(chip, "a.example", fresh), 1, "a new credential starts from zero");
    } else absent++;
    assert.ok(counterNow(chip, "a.example", a.id) > ctrA, `cut ${n}: counter of a went back`);
    assert.ok(counterNow(chip, "a.example", b.id) > ctrB, `cut ${n}: counter of b went back`);
  }

  // getAssertion: the counter is at its old or new value, never lower, and the next one is larger
  for (const [cred, old, rk] of [[a, ctrA, true], [b, ctrB, false]] as const) {
    const cd = cdh(77);
    const ga = (c: Chip) => {
      const r = c.call(CMD.GA, gaRequest({ rp: "a.example", allow: [cred.id], clientDataHash: cd }));
      // a response only exists once its counter is durable
      assert.equal(r.status, ST.OK);
      const adb = bytes(mget(r.body, 2));
      assert.ok(verifyEs256(cred.pub, new Uint8Array([...adb, ...cd]), bytes(mget(r.body, 3))));
    };
    const total = opsOf(img, ga);
    assert.ok(total >= 1);
    maxGa = Math.max(maxGa, total);
    for (let n = 1; n <= total; n++) {
      const { chip, cut } = cutAt(img, n, ga);
      assert.equal(cut, true);
      assert.ok(chip.counter(cred.id) >= old, `cut ${n}: stored counter went back (${rk ? "rk" : "non-rk"})`);
      assert.ok(counterNow(chip, "a.example", cred.id) > old);
      assert.equal(discover(chip, "a.example")[discover(chip, "a.example").length - 1], hex(a.id));
    }
  }
  }
  // (a cut lands *inside* an operation; the commit's last write is the one that makes it durable,
  // so every cut here leaves the old state, and a later call can still succeed)
  assert.ok(absent > 0, `appeared ${appeared}, absent ${absent}`);
  // some operations were longer than a plain commit: a compaction ran inside them
  assert.ok(maxMc > 2 && maxGa > 1, `most operations: makeCredential ${maxMc}, getAssertion ${maxGa}`);
  if (process.env.SEGL_VERBOSE) console.log({ maxMc, maxGa, appeared, absent });
});

test("a counter the store cannot keep stops the assertion: no signature leaves with a count the chip did not store", () => {
  const chip = chipOn(); // the small 6 × 1 KiB flash
  const a = makeCred(chip, { rp: "a.example" }); // not discoverable: its counter gets a record on first use
  // Non-discoverable counters live in 128 buckets keyed by SHA-256 of the credential ID.
  const bucket = (id: Uint8Array) => { const h = createHash("sha256").update(id).digest(); return (h[0]! | (h[1]! << 8)) % 128; };
  let rks = 0;
  while (rks < 500 && chip.call(CMD.MC, mcRequest({ rk: true, rp: "a.example", userId: new Uint8Array([rks & 0xff, rks >> 8, 1]) })).status === ST.OK) rks++;
  let full = false;
  for (let i = 0; i < 10_000 && !full; i++) {
    const id = new Uint8Array(createHash("sha256").update(`other ${i}`).digest());
    if (bucket(id) !== bucket(a.id)) full = chip.pokeCounter(id, 1) !== 0;
  }
  assert.ok(full, `the store filled up (${rks} discoverable credentials, then counters)`);
  const r = chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [a.id], up: false }));
  assert.notEqual(r.status, ST.OK, "refused");
  assert.equal(r.body, undefined, "no authData, no signature");
  assert.equal(chip.counter(a.id), 0, "nothing stored");
});
