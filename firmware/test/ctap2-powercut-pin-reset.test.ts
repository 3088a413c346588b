// Power cuts at every flash operation of setPIN and of authenticatorReset. After each cut the chip
// boots and answers; setPIN leaves the PIN wholly unset or wholly set (8 retries); reset never
// leaves a credential half-deleted, never lowers a counter, and can be completed afterwards.
import { test } from "vitest";
import assert from "node:assert/strict";
import { CMap, CMD, ST, Chip, bytes, chipOn, cutAt, gaRequest, makeCred, mget, opsOf, parseAuthData, pinSet, pinToken } from "./ctap2-util.js";

const PIN = "4821";

function retries(chip: Chip): number {
  const r = chip.call(CMD.PIN, new CMap([[1n, 2n], [2n, 1n]]));
  assert.equal(r.status, ST.OK);
  return Number(mget(r.body, 3));
}

function pinIsSet(chip: Chip): boolean {
  const info = chip.call(CMD.INFO);
  return mget(mget(info.body, 4), "clientPin") === true;
}

test("power cut at every flash operation of setPIN: unset, or set with 8 retries and the new PIN working", () => {
  const blank = chipOn().dev.snapshotFlash();
  const action = (c: Chip) => { assert.equal(pinSet(c, 2, PIN), ST.OK); };
  const total = opsOf(blank, action);
  assert.ok(total >= 1, `setPIN writes flash (${total} operations)`);
  let set = 0;
  for (let n = 1; n <= total; n++) {
    const { chip, cut } = cutAt(blank, n, action);
    assert.ok(cut, `cut ${n}`);
    if (pinIsSet(chip)) {
      set++;
      assert.equal(retries(chip), 8);
      assert.ok(pinToken(chip, 2, PIN, 0x01, "a.example").token.length === 32, "the new PIN works");
    } else {
      assert.equal(pinSet(chip, 2, PIN), ST.OK, "setPIN can be done again");
    }
  }
  assert.ok(set <= 1, "only a cut after the commit can leave the PIN set");
});

test("power cut at every flash operation of reset: no half-deleted credential, no counter back, reset completes after", () => {
  const setup = chipOn();
  const rk = makeCred(setup, { rk: true, rp: "a.example", userId: new Uint8Array([1]) });
  const nonRk = makeCred(setup, { rp: "a.example", userId: new Uint8Array([2]) });
  for (let i = 0; i < 3; i++) setup.call(CMD.GA, gaRequest({ rp: "a.example", allow: [nonRk.id], up: false }));
  assert.equal(pinSet(setup, 1, PIN), ST.OK);
  const counterBefore = parseAuthData(bytes(mget(setup.call(CMD.GA, gaRequest({ rp: "a.example", allow: [nonRk.id], up: false })).body, 2))).signCount;
  const img = setup.dev.snapshotFlash();
  const action = (c: Chip) => { assert.equal(c.call(CMD.RESET).status, ST.OK); };
  const total = opsOf(img, action);
  assert.ok(total >= 2, `reset writes flash (${total} operations)`);
  for (let n = 1; n <= total; n++) {
    const { chip, cut } = cutAt(img, n, action);
    assert.ok(cut, `cut ${n}`);
    assert.equal(chip.call(CMD.INFO).status, ST.OK, "boots and answers");
    // Whatever still works works wholly: the discoverable credential is found and signs, or is gone.
    const found = chip.call(CMD.GA, gaRequest({ rp: "a.example", up: false }));
    assert.ok(found.status === ST.OK || found.status === ST.NO_CREDENTIALS, `status 0x${found.status.toString(16)}`);
    const old = chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [nonRk.id], up: false }));
    if (old.status === ST.OK) {
      const c = parseAuthData(bytes(mget(old.body, 2))).signCount;
      assert.ok(c > counterBefore, `cut ${n}: counter ${c} after ${counterBefore}`);
    } else assert.equal(old.status, ST.NO_CREDENTIALS);
    // The user resets again (the chip just powered up: inside the 10 s window) and ends clean.
    action(chip);
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "a.example", up: false })).status, ST.NO_CREDENTIALS);
    assert.equal(chip.call(CMD.GA, gaRequest({ rp: "a.example", allow: [rk.id, nonRk.id], up: false })).status, ST.NO_CREDENTIALS);
    assert.equal(pinIsSet(chip), false);
  }
});

test("getPinToken commits the retry decrement before it compares, even for the right PIN: a cut between decrement and restore leaves 7", () => {
  // A device that wrote flash only for a wrong PIN would tell an attacker watching its power draw
  // which guesses failed, in time to cut the power before the decrement lands: unlimited guesses.
  const setup = chipOn();
  assert.equal(pinSet(setup, 2, PIN), ST.OK);
  const img = setup.dev.snapshotFlash();
  const right = (c: Chip) => { pinToken(c, 2, PIN, 0x01, "a.example"); };
  const wrong = (c: Chip) => { assert.throws(() => pinToken(c, 2, "0000", 0x01, "a.example")); };
  const total = opsOf(img, right);
  assert.ok(total >= 2, `the right PIN: decrement, then restore (${total} flash operations)`);
  assert.ok(opsOf(img, wrong) >= 1, "the wrong PIN: the decrement");
  const left = new Set<number>();
  for (let n = 1; n <= total; n++) {
    const { chip, cut } = cutAt(img, n, right);
    assert.ok(cut, `cut ${n}`);
    const r = retries(chip);
    assert.ok(r === 7 || r === 8, `cut ${n}: ${r} retries`);
    left.add(r);
  }
  assert.ok(left.has(7), "a cut after the decrement's commit and before the restore leaves 7 retries");
  const after = chipOn(img);
  right(after);
  assert.equal(retries(after), 8, "the right PIN, uncut, restores 8");
});
