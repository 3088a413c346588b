// CTAP 2.1 conformance points and the memory-safety findings of issue 6, each named by its clause.
// The chip runs the guarded ctap2 harness: an overflow would also throw GuardViolation.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import {
  Chip, CMD, ST, CMap, mget, bytes, parseAuthData, verifyEs256, mcRequest, gaRequest, makeCred, cdh, encode, sha256,
  pinSet, pinToken, pinSession, type CborValue,
} from "./ctap2-util.js";
import { pinHash16 } from "./pin-util.js";

const PIN = "2468";
const PERM = { MC: 1, GA: 2, CM: 4 };
const PIN_AUTH_INVALID = 0x33;
const UNSUPPORTED_EXTENSION = 0x16;

function withPin(protocol: 1 | 2 = 2): Chip {
  const chip = new Chip();
  assert.equal(pinSet(chip, protocol, PIN), ST.OK);
  return chip;
}
function pinState(chip: Chip): { retries: number; set: boolean } {
  const s = chip.x.pin_state();
  return { retries: s & 0xff, set: (s & 0x100) !== 0 };
}
function cmCall(chip: Chip, cmd: number, token: Uint8Array, pl: { authToken(t: Uint8Array, m: Uint8Array): Uint8Array }, sub: number, params?: CMap, protocol = 2) {
  const e: [CborValue, CborValue][] = [[1n, BigInt(sub)]];
  const pb = params ? encode(params) : new Uint8Array(0);
  if (params) e.push([2n, params]);
  e.push([3n, BigInt(protocol)], [4n, pl.authToken(token, new Uint8Array([sub, ...pb]))]);
  return chip.call(cmd, new CMap(e));
}

/** A chip with an hmac-secret credential and a protocol 2 hmac-secret input for saltLen bytes of salt. */
function hmacSetup(saltLen: number): { chip: Chip; c: { id: Uint8Array }; ext: CMap } {
  const chip = new Chip();
  const c = makeCred(chip, { hmacSecret: true });
  const pl = pinSession(chip, 2);
  const saltEnc = pl.encrypt(new Uint8Array(saltLen).fill(saltLen));
  return { chip, c, ext: new CMap([[1n, pl.cose()], [2n, saltEnc], [3n, pl.authenticate(saltEnc)], [4n, 2n]]) };
}

describe("issue 6: attacker-sized ciphertexts never write past their buffer", () => {
  for (const protocol of [1, 2] as const) {
    test(`setPIN (protocol ${protocol}) with a 4 KB newPinEnc under a valid MAC: INVALID_PARAMETER, no PIN, no overflow`, () => {
      const chip = new Chip();
      const pl = pinSession(chip, protocol);
      const big = pl.encrypt(new Uint8Array(3840).fill(0x41));
      const r = chip.call(CMD.PIN, new CMap([[1n, BigInt(protocol)], [2n, 3n], [3n, pl.cose()], [4n, pl.authenticate(big)], [5n, big]]));
      assert.equal(r.status, ST.INVALID_PARAMETER);
      assert.equal(pinState(chip).set, false);
      // the chip still works: a credential made now verifies
      const c = makeCred(chip, { rk: true });
      const ga = chip.call(CMD.GA, gaRequest({ allow: [c.id] }));
      assert.equal(ga.status, ST.OK);
      assert.ok(verifyEs256(c.pub, new Uint8Array([...bytes(mget(ga.body, 2)), ...cdh(2)]), bytes(mget(ga.body, 3))));
    });

    test(`changePIN (protocol ${protocol}) with a 1 KB newPinEnc: INVALID_PARAMETER, the old PIN still works`, () => {
      const chip = withPin(protocol);
      const pl = pinSession(chip, protocol);
      const big = pl.encrypt(new Uint8Array(1024).fill(0x42));
      const hashEnc = pl.encrypt(pinHash16(PIN));
      const r = chip.call(CMD.PIN, new CMap([[1n, BigInt(protocol)], [2n, 4n], [3n, pl.cose()], [4n, pl.authenticate(big, hashEnc)], [5n, big], [6n, hashEnc]]));
      assert.equal(r.status, ST.INVALID_PARAMETER);
      assert.equal(pinState(chip).retries, 8, "retries untouched: refused before the PIN check");
      assert.ok(pinToken(chip, protocol, PIN, PERM.GA, "example.com").token.length === 32);
    });
  }

  test("hmac-secret saltEnc with 80 bytes of plaintext (more than two salts): INVALID_LENGTH, nothing written past OUTPT", () => {
    const { chip, c, ext } = hmacSetup(80);
    const r = chip.call(CMD.GA, gaRequest({ allow: [c.id], extensions: [["hmac-secret", ext]] }));
    assert.equal(r.status, ST.INVALID_LENGTH);
  });
});

describe("hmac-secret only with user presence (issue 6; OpenSK's behaviour)", () => {
  test("up=false with hmac-secret: UNSUPPORTED_EXTENSION (0x16), no output; with a touch: the output", () => {
    const { chip, c, ext } = hmacSetup(32);
    const noUp = chip.call(CMD.GA, gaRequest({ allow: [c.id], up: false, extensions: [["hmac-secret", ext]] }));
    assert.equal(noUp.status, UNSUPPORTED_EXTENSION);
    assert.equal(noUp.raw.length, 0);
    // without the touch the request waits (NEED_UP) and releases nothing
    const waiting = chip.call(CMD.GA, gaRequest({ allow: [c.id], extensions: [["hmac-secret", ext]] }), false);
    assert.equal(waiting.status, -1);
    assert.equal(waiting.askedUp, true);
    const touched = chip.call(CMD.GA, gaRequest({ allow: [c.id], extensions: [["hmac-secret", ext]] }), true);
    assert.equal(touched.status, ST.OK);
    const ad = parseAuthData(bytes(mget(touched.body, 2)));
    assert.equal(ad.flags & 0x01, 0x01, "UP set");
    assert.ok(ad.extensions instanceof CMap && mget(ad.extensions, "hmac-secret") !== undefined);
    // up=false without hmac-secret still works (silent authentication stays possible)
    assert.equal(chip.call(CMD.GA, gaRequest({ allow: [c.id], up: false })).status, ST.OK);
  });
});

describe("CTAP 2.1 conformance", () => {
  test("§6.2.2: getAssertion of a discoverable credential through an allowList returns user with its id", () => {
    const chip = new Chip();
    const rk = makeCred(chip, { rk: true, userId: new Uint8Array([9, 8, 7]), name: "alice" });
    const plain = makeCred(chip, { userId: new Uint8Array([5]) });
    const r = chip.call(CMD.GA, gaRequest({ allow: [rk.id] }));
    assert.equal(r.status, ST.OK);
    const user = mget(r.body, 4);
    assert.ok(user instanceof CMap, "user member present");
    assert.deepEqual(bytes(mget(user, "id")), new Uint8Array([9, 8, 7]));
    assert.equal(mget(user, "name"), undefined, "no name without user verification");
    assert.equal(mget(r.body, 5), undefined, "no numberOfCredentials with an allowList");
    // a non-discoverable credential has no user to return
    const r2 = chip.call(CMD.GA, gaRequest({ allow: [plain.id] }));
    assert.equal(r2.status, ST.OK);
    assert.equal(mget(r2.body, 4), undefined);
  });

  test("§6.1.2 step 11: makeCredential with a token lacking mc, or bound to another RP ID: PIN_AUTH_INVALID (0x33)", () => {
    const chip = withPin();
    const ga = pinToken(chip, 2, PIN, PERM.GA, "example.com");
    const cd = cdh(4);
    const mc = (t: { token: Uint8Array; pl: { authToken(t: Uint8Array, m: Uint8Array): Uint8Array } }, rp = "example.com") =>
      chip.call(CMD.MC, mcRequest({ rp, clientDataHash: cd, extra: [[8n, t.pl.authToken(t.token, cd)], [9n, 2n]] })).status;
    assert.equal(mc(ga), PIN_AUTH_INVALID, "no mc permission");
    const other = pinToken(chip, 2, PIN, PERM.MC, "other.example");
    assert.equal(mc(other), PIN_AUTH_INVALID, "bound to another RP");
    assert.equal(mc(other, "other.example"), ST.OK, "the right RP works");
  });

  test("§6.2.2 step 6 (getAssertion) and §6.8 (credentialManagement): missing permission or other RP: PIN_AUTH_INVALID", () => {
    const chip = withPin();
    const c = makeCred(chip, {});
    const cd = cdh(2);
    const ga = (t: { token: Uint8Array; pl: { authToken(t: Uint8Array, m: Uint8Array): Uint8Array } }) =>
      chip.call(CMD.GA, gaRequest({ allow: [c.id], clientDataHash: cd, extra: [[6n, t.pl.authToken(t.token, cd)], [7n, 2n]] })).status;
    assert.equal(ga(pinToken(chip, 2, PIN, PERM.MC, "example.com")), PIN_AUTH_INVALID, "no ga permission");
    assert.equal(ga(pinToken(chip, 2, PIN, PERM.GA, "other.example")), PIN_AUTH_INVALID, "bound to another RP");
    assert.equal(ga(pinToken(chip, 2, PIN, PERM.GA, "example.com")), ST.OK);
    const noCm = pinToken(chip, 2, PIN, PERM.GA, "example.com");
    assert.equal(cmCall(chip, CMD.CM, noCm.token, noCm.pl, 1).status, PIN_AUTH_INVALID, "credentialManagement without cm");
    const cm = pinToken(chip, 2, PIN, PERM.CM);
    assert.equal(cmCall(chip, CMD.CM, cm.token, cm.pl, 1).status, ST.OK);
  });

  test("2.1 preview: getInfo announces credentialMgmtPreview; command 0x41 is credential management with preview semantics", () => {
    const chip = new Chip();
    makeCred(chip, { rk: true, userId: new Uint8Array([3]) }); // before the PIN: no token needed
    assert.equal(pinSet(chip, 2, PIN), ST.OK);
    const opts = mget(chip.call(CMD.INFO).body, 4);
    assert.equal(mget(opts, "credentialMgmtPreview"), true);
    assert.equal(mget(opts, "credMgmt"), true);
    // a preview platform gets its token with getPinToken (0x05): no permissions exist in the preview
    const pl = pinSession(chip, 2);
    const res = chip.call(CMD.PIN, new CMap([[1n, 2n], [2n, 5n], [3n, pl.cose()], [6n, pl.encrypt(pinHash16(PIN))]]));
    assert.equal(res.status, ST.OK);
    const token = pl.decrypt(bytes(mget(res.body, 2)));
    const meta = cmCall(chip, 0x41, token, pl, 1);
    assert.equal(meta.status, ST.OK);
    assert.equal(mget(meta.body, 1), 1n, "existing discoverable credentials");
    // the same legacy token on the 2.1 command lacks the cm permission
    assert.equal(cmCall(chip, CMD.CM, token, pl, 1).status, PIN_AUTH_INVALID);
    // 0x41 enumerates like 0x0a (RPs begin / next keep their state across 0x41 commands)
    const rps = cmCall(chip, 0x41, token, pl, 2);
    assert.equal(rps.status, ST.OK);
    assert.deepEqual(bytes(mget(rps.body, 4)), sha256(new TextEncoder().encode("example.com")));
  });
});
