// PIN retries: decrement committed before the compare, 3 mismatches per power cycle →
// PIN_AUTH_BLOCKED, 8 → PIN_BLOCKED, and power cuts at every flash operation of an attempt.
import { test } from "vitest";
import assert from "node:assert/strict";
import { PinDev, ST, setPin, changePin, getToken, retries, session, pinHash16, isPowerCut } from "./pin-util.js";

test("wrong PINs: retries persist across power-off; 3 in a row → PIN_AUTH_BLOCKED until power cycle", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 2, "1234"), ST.OK);
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  assert.equal(getToken(d, 1, "0001").status, ST.PIN_INVALID);
  assert.deepEqual(retries(d), { retries: 6, powerCycle: false });
  assert.equal(getToken(d, 2, "0002").status, ST.PIN_AUTH_BLOCKED, "third consecutive mismatch");
  assert.deepEqual(retries(d), { retries: 5, powerCycle: true });
  // blocked: even the right PIN is refused, and nothing is decremented
  assert.equal(getToken(d, 2, "1234").status, ST.PIN_AUTH_BLOCKED);
  assert.equal(changePin(d, 2, "1234", "5678"), ST.PIN_AUTH_BLOCKED);
  assert.equal(retries(d).retries, 5);
  d.reboot();
  assert.deepEqual(retries(d), { retries: 5, powerCycle: false });
  assert.equal(getToken(d, 2, "1234").status, ST.OK);
  assert.deepEqual(retries(d), { retries: 8, powerCycle: false });
  // a right PIN resets the consecutive count
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  assert.equal(getToken(d, 2, "1234").status, ST.OK);
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  assert.equal(retries(d).retries, 6);
  // changePIN with a wrong current PIN counts too
  assert.equal(changePin(d, 1, "9999", "5678"), ST.PIN_AUTH_BLOCKED);
  assert.equal(retries(d).retries, 5);
});

test("8 wrong PINs → PIN_BLOCKED for good (even after power-up); reset recovers", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 1, "1234"), ST.OK);
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (i % 3 === 0) d.reboot();
    seen.push(getToken(d, 1, `000${i}`).status);
  }
  assert.deepEqual(seen, [ST.PIN_INVALID, ST.PIN_INVALID, ST.PIN_AUTH_BLOCKED, ST.PIN_INVALID, ST.PIN_INVALID,
    ST.PIN_AUTH_BLOCKED, ST.PIN_INVALID, ST.PIN_BLOCKED]);
  assert.equal(retries(d).retries, 0);
  d.reboot();
  assert.equal(getToken(d, 1, "1234").status, ST.PIN_BLOCKED);
  assert.equal(getToken(d, 2, "1234", 4).status, ST.PIN_BLOCKED);
  assert.equal(changePin(d, 1, "1234", "5678"), ST.PIN_BLOCKED);
  assert.equal(retries(d).retries, 0);
  assert.equal(d.x.pin_reset(), 0);
  assert.equal(setPin(d, 1, "5678"), ST.OK);
  assert.equal(getToken(d, 1, "5678").status, ST.OK);
});

test("a wrong-length pinHashEnc is refused before any decrement", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 2, "1234"), ST.OK);
  for (const p of [1, 2] as const) {
    const pl = session(d, p);
    const enc = pl.encrypt(pinHash16("1234"));
    for (const bad of [enc.subarray(0, 15), new Uint8Array([...enc, ...new Uint8Array(16)])]) {
      assert.equal(d.call([[1, BigInt(p)], [2, 5n], [3, pl.cose()], [6, bad]]).status, ST.PIN_AUTH_INVALID);
    }
  }
  assert.equal(retries(d).retries, 8);
});

/** One PIN attempt with a power cut at flash operation n; returns the status, or "cut". */
function attemptWithCut(d: PinDev, pin: string, n: number): number | "cut" {
  const pl = session(d, 2);
  const hashEnc = pl.encrypt(pinHash16(pin));
  d.dev.cutPowerAtFlashOperation(n);
  try {
    return d.call([[1, 2n], [2, 5n], [3, pl.cose()], [6, hashEnc]]).status;
  } catch (e) {
    if (!isPowerCut(e)) throw e;
    d.dev.cutPower();
    d.dev.powerOn();
    return "cut";
  } finally {
    d.dev.cutPowerAtFlashOperation(0);
  }
}

test("a power cut at every flash operation of a wrong-PIN attempt never restores a retry", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 2, "1234"), ST.OK);
  // how many flash operations one wrong attempt takes
  const before = d.flash.operations;
  assert.equal(getToken(d, 2, "0000").status, ST.PIN_INVALID);
  const ops = d.flash.operations - before;
  assert.ok(ops >= 1, "the decrement reaches the flash");
  d.reboot();
  const snap = d.dev.snapshotFlash();
  const base = retries(d).retries; // 7
  for (let n = 1; n <= ops + 1; n++) {
    d.dev.restoreFlash(snap);
    const r = attemptWithCut(d, "0000", n);
    const left = retries(d).retries;
    if (r === "cut") assert.ok(left === base || left === base - 1, `cut at op ${n}: ${left} retries`);
    else {
      assert.equal(r, ST.PIN_INVALID, `op ${n}`);
      assert.equal(left, base - 1, "an answered mismatch is always paid for");
    }
    d.reboot();
    assert.ok(retries(d).retries <= base, "still no more than before after another power cycle");
  }
});

test("long run: random cuts during right and wrong attempts (store compaction included) never raise the retries", () => {
  const d = new PinDev("pin-cuts");
  assert.equal(setPin(d, 2, "1234"), ST.OK);
  let rnd = 12345;
  const next = (m: number): number => { rnd = (rnd * 1103515245 + 12345) & 0x7fffffff; return rnd % m; };
  let known = 8;
  let cuts = 0;
  for (let i = 0; i < 150; i++) {
    const right = next(4) === 0;
    const r = attemptWithCut(d, right ? "1234" : "0000", 1 + next(4));
    const left = retries(d).retries;
    if (r === "cut") {
      cuts++;
      if (right) assert.ok(left === known || left === known - 1 || left === 8, `right attempt cut: ${known} → ${left}`);
      else assert.ok(left === known || left === known - 1, `wrong attempt cut: ${known} → ${left}`);
    } else if (right) {
      assert.equal(r, ST.OK);
      assert.equal(left, 8);
    } else {
      assert.ok(r === ST.PIN_INVALID || r === ST.PIN_AUTH_BLOCKED || r === ST.PIN_BLOCKED, `status ${r}`);
      assert.equal(left, known - 1);
    }
    known = left;
    if (known <= 1 || i % 2 === 0) { // keep it going: power-cycle, and a right PIN when low
      d.reboot();
      if (known <= 1) { assert.equal(getToken(d, 2, "1234").status, ST.OK); known = 8; }
    }
  }
  assert.ok(cuts > 30, `${cuts} cuts`);
});
