// The browser page's relying party (simulator/web/chip-fido.ts), run in Node against a simulated chip
// from the real image: registration and sign-in through the SDK's CTAP2 client and FidoBroker, and
// each way of making one verdict fail (another maker's root, a flipped signature bit, a clone from
// an old flash copy, a replay) failing that verdict and leaving the others as they should be.
import { test, describe, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, provisionChip } from "@segl/simulator";
import { PageRelyingParty, assertionVerdicts, attestAndLock, createMakerRoot, openChip, type ChipLink, type PageAccount, type Verdicts } from "../web/chip-fido.js";

const ORIGIN = "http://127.0.0.1:8787";
const ours = createMakerRoot("Segl simulator maker root", "Segl simulator");
const theirs = createMakerRoot("Another maker's root", "Another maker");

function chip(name: string): Device {
  const device = new Device({ clock: new SimClock({ startMs: Date.now() }), rngSeed: name, name });
  provisionChip(device, { serial: name, lock: false });
  return device;
}
const touching = (device: Device) => ({ onStatus: (s: string) => { if (s === "up-needed") queueMicrotask(() => device.click()); } });
const words = (v: Verdicts) => [v.trust.text, v.counter.text, v.signature.text];

describe("the page's relying party with an attested chip", () => {
  let device: Device;
  let link: ChipLink;
  let rp: PageRelyingParty;
  let account: PageAccount;
  let counter = 0;

  beforeAll(async () => {
    device = chip("WEB-FIDO-1");
    link = await openChip(device);
    await attestAndLock(link, ours, device.clock.now());
    assert.equal((await link.service.info()).state, "locked");
    rp = new PageRelyingParty({ rpId: "127.0.0.1", origin: ORIGIN, trusted: ours, stranger: theirs });
  });
  afterAll(async () => {
    await link?.close();
    device?.dispose();
  });

  test("register: trusted (chained to our maker root), counter starts, signature valid", async () => {
    const r = await rp.register(link.ctap, "anna", { root: "trusted", call: touching(device) });
    assert.equal(r.verdicts.accepted, true, r.verdicts.outcome);
    assert.equal(r.verdicts.outcome, "Broker: ACCEPTED");
    assert.match(r.verdicts.trust.text, /^Trust: TRUSTED — the attestation chains to the maker root “Segl simulator maker root”/);
    assert.match(r.verdicts.counter.text, /^Counter: STARTS at \d+\.$/);
    assert.match(r.verdicts.signature.text, /^Signature: VALID/);
    assert.deepEqual([r.verdicts.trust.ok, r.verdicts.counter.ok, r.verdicts.signature.ok], [true, true, true]);
    account = r.account!;
    assert.equal(account.credential.trust, "chained");
    counter = account.credential.signCount;
  });

  test("sign in: the counter increases from the stored value to the chip's", async () => {
    const v = await rp.signIn(link.ctap, account, { call: touching(device) });
    assert.equal(v.accepted, true, v.outcome);
    const m = /^Counter: INCREASED from (\d+) to (\d+)\.$/.exec(v.counter.text);
    assert.ok(m, v.counter.text);
    assert.equal(Number(m[1]), counter);
    assert.ok(Number(m[2]) > counter);
    counter = Number(m[2]);
    assert.match(v.signature.text, /^Signature: VALID/);
    assert.match(v.trust.text, /^Trust: TRUSTED — registered with an attestation that chains/);
  });

  test("a flipped signature bit: signature INVALID, the counter not moved, trust unchanged", async () => {
    const v = await rp.signIn(link.ctap, account, { mode: "flip-signature-bit", call: touching(device) });
    assert.equal(v.accepted, false);
    assert.deepEqual(v.reasons, ["signature-invalid"]);
    assert.match(v.signature.text, /^Signature: INVALID/);
    assert.equal(v.signature.ok, false);
    assert.match(v.counter.text, new RegExp(`^Counter: NOT MOVED — stays at ${counter} `));
    assert.equal(v.trust.ok, true);
    assert.equal((await rp.current(account)).credential.signCount, counter, "the store kept the counter");
  });

  test("a replayed assertion: refused before the signature is checked (challenge used), counter not moved", async () => {
    const v = await rp.signIn(link.ctap, account, { mode: "replay" });
    assert.deepEqual(v.reasons, ["challenge-unknown"]);
    assert.match(v.signature.text, /^Signature: NOT CHECKED — the broker refused first: challenge-unknown/);
    assert.match(v.counter.text, new RegExp(`^Counter: NOT MOVED — stays at ${counter} `));
  });

  test("a clone (the chip's flash restored to an earlier copy): counter REGRESSED, signature still valid", async () => {
    const copy = device.snapshotFlash();
    const v1 = await rp.signIn(link.ctap, account, { call: touching(device) });
    assert.equal(v1.accepted, true, v1.outcome);
    const after = Number(/to (\d+)\.$/.exec(v1.counter.text)![1]);
    device.restoreFlash(copy); // power-cycled with the old flash: its counter is back where it was
    const v2 = await rp.signIn(link.ctap, account, { call: touching(device) });
    assert.equal(v2.accepted, false);
    assert.deepEqual(v2.reasons, ["counter-regressed"]);
    const m = /^Counter: REGRESSED — the chip says (\d+), the broker had (\d+)/.exec(v2.counter.text);
    assert.ok(m, v2.counter.text);
    assert.ok(Number(m[1]) <= after);
    assert.equal(Number(m[2]), after);
    assert.equal(v2.counter.ok, false);
    assert.match(v2.signature.text, /^Signature: VALID/);
    assert.equal(v2.trust.ok, true);
  });

  test("another maker's root: trust FAILED, the attestation signature still valid, nothing stored", async () => {
    const r = await rp.register(link.ctap, "bert", { root: "stranger", call: touching(device) });
    assert.equal(r.verdicts.accepted, false);
    assert.equal(r.account, undefined);
    assert.ok(r.verdicts.reasons.includes("attestation-invalid"), r.verdicts.reasons.join());
    assert.match(r.verdicts.trust.text, /^Trust: FAILED — the attestation does not chain to the trusted maker root “Another maker's root”/);
    assert.match(r.verdicts.trust.text, /\): .*(certificate|x5c|chain)/i, "the broker's own words say what failed");
    assert.equal(r.verdicts.trust.ok, false);
    assert.match(r.verdicts.signature.text, /^Signature: VALID/);
    assert.match(r.verdicts.counter.text, /^Counter: NOT STORED/);
  });

  test("a page reloaded: the kept account is restored into a new broker and signs in, its counter going on", async () => {
    const kept = await rp.current(account);
    const again = new PageRelyingParty({ rpId: "127.0.0.1", origin: ORIGIN, trusted: ours, stranger: theirs });
    await again.restore([kept]);
    // the clone's refused attempt left the chip's counter below the stored one: sign in until it passes
    let v: Verdicts;
    for (let i = 0; ; i++) {
      v = await again.signIn(link.ctap, kept, { call: touching(device) });
      if (v.accepted || i > 20) break;
    }
    assert.equal(v.accepted, true, words(v).join(" / "));
    assert.match(v.counter.text, new RegExp(`^Counter: INCREASED from ${kept.credential.signCount} to \\d+\\.$`));
  });
});

test("a chip with no batch attestation registers self-attested: trust says so, in words, not as a pass", async () => {
  const device = chip("WEB-FIDO-2");
  const link: ChipLink = await openChip(device);
  try {
    await link.service.setTime(device.clock.now());
    await link.service.lock();
    const rp = new PageRelyingParty({ rpId: "127.0.0.1", origin: ORIGIN, trusted: ours, stranger: theirs });
    const r = await rp.register(link.ctap, "carl", { root: "trusted", call: touching(device) });
    assert.equal(r.verdicts.accepted, true, r.verdicts.outcome);
    assert.match(r.verdicts.trust.text, /^Trust: (SELF-ATTESTED|NONE) — /);
    assert.equal(r.verdicts.trust.ok, undefined);
    assert.match(r.verdicts.signature.text, /^Signature: VALID/);
  } finally {
    await link.close();
    device.dispose();
  }
});

test("a counter that stays zero (an authenticator without one) is said in words as information, not as a pass", () => {
  const v = assertionVerdicts({ verified: true, credentialId: "AA", userHandle: "AQ", signCount: 0, counter: "unsupported" }, { stored: 0, received: 0, trust: "none", rootName: "R" });
  assert.match(v.counter.text, /^Counter: ZERO — the chip keeps no counter \(0 and 0\)/);
  assert.equal(v.counter.ok, undefined);
  assert.match(v.trust.text, /^Trust: NONE — registered without attestation/);
  assert.equal(v.outcome, "Broker: ACCEPTED");
  const r = assertionVerdicts({ verified: false, reasons: ["signature-invalid", "counter-regressed"] }, { stored: 9, received: 3, trust: "chained", rootName: "R" });
  assert.deepEqual([r.signature.ok, r.counter.ok], [false, false], "both failures shown, each in its own verdict");
});
