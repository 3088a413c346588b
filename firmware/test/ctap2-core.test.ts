// CTAP2 core through the ctap2 harness: getInfo, makeCredential (self attestation), getAssertion
// (allowList, discoverable + getNextAssertion), counters, excludeList, credProtect, user presence,
// reset, selection.
import { test } from "vitest";
import assert from "node:assert/strict";
import {
  Chip, CMD, ST, CMap, mget, mkeys, bytes, parseAuthData, sha256, verifyEs256, mcRequest, gaRequest, makeCred, cdh, hex,
  encode, ES256, type CborValue,
} from "./ctap2-util.js";

const RPHASH = sha256(new TextEncoder().encode("example.com"));
const AAGUID = "5e61c0de5e914c418a0dca7c11b0e1d0";

test("getInfo: canonical, the announced capabilities", () => {
  const chip = new Chip();
  const r = chip.call(CMD.INFO);
  assert.equal(r.status, ST.OK);
  assert.equal(r.askedUp, false);
  const m = r.body;
  assert.deepEqual(mkeys(m), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 13n, 14n, 20n]);
  assert.deepEqual(mget(m, 1), ["U2F_V2", "FIDO_2_0", "FIDO_2_1"]);
  assert.deepEqual(mget(m, 2), ["credProtect", "hmac-secret"]);
  assert.equal(hex(bytes(mget(m, 3))), AAGUID);
  const opts = mget(m, 4);
  assert.deepEqual(mkeys(opts), ["rk", "up", "credMgmt", "clientPin", "pinUvAuthToken", "makeCredUvNotRqd", "credentialMgmtPreview"]);
  assert.equal(mget(opts, "rk"), true);
  assert.equal(mget(opts, "clientPin"), false);
  assert.equal(mget(m, 5), 7609n);
  assert.deepEqual(mget(m, 6), [2n, 1n]);
  assert.equal(mget(m, 8), 34n);
  assert.deepEqual(mget(m, 9), ["usb"]);
  assert.deepEqual(mget(m, 10), [new CMap([["alg", -7n], ["type", "public-key"]])]);
  assert.equal(mget(m, 14), 0x000100n);
  assert.equal(mget(m, 20), 50n);
});

test("makeCredential: self attestation verifies, authData and COSE key are right", () => {
  const chip = new Chip();
  const req = mcRequest({});
  const r = chip.call(CMD.MC, req);
  assert.equal(r.status, ST.OK);
  assert.equal(r.askedUp, true, "needs a touch");
  assert.deepEqual(mkeys(r.body), [1n, 2n, 3n]);
  assert.equal(mget(r.body, 1), "packed");
  const adBytes = bytes(mget(r.body, 2));
  const ad = parseAuthData(adBytes);
  assert.equal(hex(ad.rpIdHash), hex(RPHASH));
  assert.equal(ad.flags, 0x41, "UP | AT");
  assert.equal(ad.signCount, 0);
  assert.equal(hex(ad.aaguid!), AAGUID);
  assert.equal(ad.credId!.length, 34);
  assert.deepEqual(mkeys(ad.cose), [1n, 3n, -1n, -2n, -3n]);
  assert.equal(mget(ad.cose, 1), 2n);
  assert.equal(mget(ad.cose, 3), -7n);
  assert.equal(mget(ad.cose, -1), 1n);
  // the key is a valid point (noble throws otherwise)
  assert.equal(hex(p256Point(ad.pub!)), hex(ad.pub!));
  const att = mget(r.body, 3);
  assert.deepEqual(mkeys(att), ["alg", "sig"], "self attestation: no x5c");
  assert.equal(mget(att, "alg"), -7n);
  const sig = bytes(mget(att, "sig"));
  assert.ok(verifyEs256(ad.pub!, new Uint8Array([...adBytes, ...cdh()]), sig), "self attestation signature verifies");
  assert.ok(!verifyEs256(ad.pub!, new Uint8Array([...adBytes, ...cdh(9)]), sig), "and not over another clientDataHash");
});

import { p256 } from "@noble/curves/nist.js";
function p256Point(pub: Uint8Array): Uint8Array {
  return p256.Point.fromBytes(pub).toBytes(false);
}

test("getAssertion with an allowList: signature by the credential key, counter strictly increasing and durable", () => {
  const chip = new Chip();
  const a = makeCred(chip);
  const b = makeCred(chip, { userId: new Uint8Array([9]) });
  let last = 0;
  for (let i = 0; i < 4; i++) {
    const cd = cdh(10 + i);
    const r = chip.call(CMD.GA, gaRequest({ allow: [new Uint8Array(34).fill(7), a.id], clientDataHash: cd }));
    assert.equal(r.status, ST.OK);
    assert.equal(r.askedUp, true);
    assert.deepEqual(mkeys(r.body), [1n, 2n, 3n], "no user, no count for an allowList");
    assert.equal(hex(bytes(mget(mget(r.body, 1), "id"))), hex(a.id));
    assert.equal(mget(mget(r.body, 1), "type"), "public-key");
    const adb = bytes(mget(r.body, 2));
    const ad = parseAuthData(adb);
    assert.equal(ad.flags, 0x01);
    assert.ok(ad.signCount > last, "counter increases");
    last = ad.signCount;
    assert.ok(verifyEs256(a.pub, new Uint8Array([...adb, ...cd]), bytes(mget(r.body, 3))));
    assert.ok(!verifyEs256(b.pub, new Uint8Array([...adb, ...cd]), bytes(mget(r.body, 3))));
  }
  assert.equal(chip.counter(a.id), last, "the stored counter is the one returned");
  chip.reboot();
  const r = chip.call(CMD.GA, gaRequest({ allow: [a.id] }));
  assert.equal(r.status, ST.OK);
  assert.ok(parseAuthData(bytes(mget(r.body, 2))).signCount > last, "after a reboot the counter goes on");
  // another RP does not accept the ID
  assert.equal(chip.call(CMD.GA, gaRequest({ rp: "evil.example", allow: [a.id] })).status, ST.NO_CREDENTIALS);
  // a forged ID (one bit changed) is not ours
  const forged = a.id.slice(); forged[20]! ^= 1;
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [forged] })).status, ST.NO_CREDENTIALS);
});

test("up=false: no touch asked, no UP flag; counter still increases", () => {
  const chip = new Chip();
  const a = makeCred(chip);
  const r = chip.call(CMD.GA, gaRequest({ allow: [a.id], up: false }), false);
  assert.equal(r.status, ST.OK);
  assert.equal(r.askedUp, false);
  const ad = parseAuthData(bytes(mget(r.body, 2)));
  assert.equal(ad.flags & 0x01, 0);
  assert.equal(ad.signCount, 1);
});

test("discoverable credentials: newest first, user entity, numberOfCredentials, getNextAssertion and its timer", () => {
  const chip = new Chip();
  const c1 = makeCred(chip, { rk: true, userId: new Uint8Array([1]), name: "alice", displayName: "Alice" });
  const c2 = makeCred(chip, { rk: true, userId: new Uint8Array([2]), name: "bob" });
  makeCred(chip, { rk: true, rp: "other.example", userId: new Uint8Array([3]) });
  const info = chip.call(CMD.INFO);
  assert.equal(mget(info.body, 20), 47n);
  const cd = cdh(5);
  const r = chip.call(CMD.GA, gaRequest({ clientDataHash: cd }));
  assert.equal(r.status, ST.OK);
  assert.deepEqual(mkeys(r.body), [1n, 2n, 3n, 4n, 5n]);
  assert.equal(mget(r.body, 5), 2n);
  assert.equal(hex(bytes(mget(mget(r.body, 1), "id"))), hex(c2.id), "newest first");
  assert.deepEqual(mkeys(mget(r.body, 4)), ["id"], "no name without UV");
  assert.equal(hex(bytes(mget(mget(r.body, 4), "id"))), "02");
  const adb = bytes(mget(r.body, 2));
  assert.ok(verifyEs256(c2.pub, new Uint8Array([...adb, ...cd]), bytes(mget(r.body, 3))));
  const n = chip.call(CMD.NEXT);
  assert.equal(n.status, ST.OK);
  assert.equal(n.askedUp, false);
  assert.deepEqual(mkeys(n.body), [1n, 2n, 3n, 4n]);
  assert.equal(hex(bytes(mget(mget(n.body, 1), "id"))), hex(c1.id));
  const adn = bytes(mget(n.body, 2));
  assert.equal(parseAuthData(adn).flags & 1, 1, "UP of the getAssertion");
  assert.ok(verifyEs256(c1.pub, new Uint8Array([...adn, ...cd]), bytes(mget(n.body, 3))));
  assert.equal(chip.call(CMD.NEXT).status, ST.NOT_ALLOWED, "no third");
  // the 30 s timer, and another command in between
  assert.equal(chip.call(CMD.GA, gaRequest({})).status, ST.OK);
  chip.clock.advance(31_000);
  assert.equal(chip.call(CMD.NEXT).status, ST.NOT_ALLOWED);
  assert.equal(chip.call(CMD.GA, gaRequest({})).status, ST.OK);
  assert.equal(chip.call(CMD.INFO).status, ST.OK);
  assert.equal(chip.call(CMD.NEXT).status, ST.NOT_ALLOWED);
  // the records survive a reboot
  chip.reboot();
  const again = chip.call(CMD.GA, gaRequest({}));
  assert.equal(mget(again.body, 5), 2n);
  // same rp + user id replaces
  const c3 = makeCred(chip, { rk: true, userId: new Uint8Array([1]), name: "alice2" });
  const r3 = chip.call(CMD.GA, gaRequest({}));
  assert.equal(mget(r3.body, 5), 2n);
  assert.equal(hex(bytes(mget(mget(r3.body, 1), "id"))), hex(c3.id));
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [c1.id] })).status, ST.NO_CREDENTIALS, "the replaced credential is gone");
  assert.equal(chip.call(CMD.GA, gaRequest({ rp: "nobody.example" })).status, ST.NO_CREDENTIALS);
});

test("excludeList: a credential of this RP → CREDENTIAL_EXCLUDED after a touch; other RPs' are ignored", () => {
  const chip = new Chip();
  const a = makeCred(chip);
  const other = makeCred(chip, { rp: "other.example" });
  const ops = chip.flash.operations;
  const r = chip.call(CMD.MC, mcRequest({ exclude: [new Uint8Array(16), a.id] }));
  assert.equal(r.askedUp, true);
  assert.equal(r.status, ST.CREDENTIAL_EXCLUDED);
  assert.equal(chip.flash.operations, ops, "nothing written");
  assert.equal(chip.call(CMD.MC, mcRequest({ exclude: [other.id] })).status, ST.OK);
});

test("credProtect: levels in authData; level 2 needs an allowList, level 3 needs UV", () => {
  const chip = new Chip();
  const l1 = makeCred(chip, { rk: true, userId: new Uint8Array([1]), credProtect: 1 });
  const l2 = makeCred(chip, { rk: true, userId: new Uint8Array([2]), credProtect: 2 });
  const l3 = makeCred(chip, { rk: true, userId: new Uint8Array([3]), credProtect: 3 });
  assert.equal(l2.ad.flags, 0xc1, "UP | AT | ED");
  assert.deepEqual(l2.ad.extensions, new CMap([["credProtect", 2n]]));
  assert.deepEqual(l3.ad.extensions, new CMap([["credProtect", 3n]]));
  // discoverable without UV: only level 1
  const r = chip.call(CMD.GA, gaRequest({}));
  assert.equal(r.status, ST.OK);
  assert.equal(mget(r.body, 5), 1n);
  assert.equal(hex(bytes(mget(mget(r.body, 1), "id"))), hex(l1.id));
  assert.equal(chip.call(CMD.NEXT).status, ST.NOT_ALLOWED);
  // allowList without UV: level 2 yes, level 3 no
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [l2.id] })).status, ST.OK);
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [l3.id] })).status, ST.NO_CREDENTIALS);
  // excludeList: a level-3 credential is not revealed without UV
  assert.equal(chip.call(CMD.MC, mcRequest({ exclude: [l3.id] })).status, ST.OK);
  // an out-of-range level is ignored (no extension output)
  const x = makeCred(chip, { credProtect: 7 });
  assert.equal(x.ad.flags & 0x80, 0);
});

test("hmac-secret at makeCredential: the extension output is true", () => {
  const chip = new Chip();
  const c = makeCred(chip, { hmacSecret: true, credProtect: 2 });
  assert.deepEqual(c.ad.extensions, new CMap([["credProtect", 2n], ["hmac-secret", true]]));
});

test("NEED_UP before anything is written: makeCredential (rk), getAssertion, reset, selection", () => {
  const chip = new Chip();
  const a = makeCred(chip);
  const ops = chip.flash.operations;
  for (const [cmd, params] of [
    [CMD.MC, mcRequest({ rk: true })], [CMD.MC, mcRequest({})], [CMD.GA, gaRequest({ allow: [a.id] })],
    [CMD.RESET, undefined], [CMD.SELECTION, undefined],
  ] as [number, CborValue | undefined][]) {
    const r = chip.call(cmd, params, false);
    assert.equal(r.status, -1, `command ${cmd} waits for a touch`);
    assert.equal(chip.flash.operations, ops, `command ${cmd}: flash untouched before the touch`);
  }
  assert.equal(chip.call(CMD.SELECTION).status, ST.OK);
  assert.equal(chip.counter(a.id), 0);
});

test("reset: only within 10 s of power-up; wipes credentials and the master secret", () => {
  const chip = new Chip();
  const rk = makeCred(chip, { rk: true });
  const nrk = makeCred(chip, { userId: new Uint8Array([5]) });
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [nrk.id] })).status, ST.OK);
  chip.clock.advance(10_001);
  const late = chip.call(CMD.RESET, undefined, false);
  assert.equal(late.status, ST.NOT_ALLOWED);
  assert.equal(late.askedUp, false);
  chip.reboot();
  chip.clock.advance(9_000);
  const r = chip.call(CMD.RESET);
  assert.equal(r.askedUp, true);
  assert.equal(r.status, ST.OK);
  assert.equal(chip.call(CMD.GA, gaRequest({})).status, ST.NO_CREDENTIALS);
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [nrk.id, rk.id] })).status, ST.NO_CREDENTIALS, "old IDs dead");
  assert.equal(mget(chip.call(CMD.INFO).body, 20), 50n);
  chip.reboot();
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [nrk.id] })).status, ST.NO_CREDENTIALS, "also after a reboot");
  const fresh = makeCred(chip);
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [fresh.id] })).status, ST.OK);
});

test("parameter errors: missing, wrong types, options, algorithms, unknown keys and extensions", () => {
  const chip = new Chip();
  const base = mcRequest({});
  const without = (m: CMap, k: bigint): CMap => new CMap(m.entries.filter(([kk]) => kk !== k));
  const withEntry = (m: CMap, k: bigint, v: CborValue): CMap => new CMap([...m.entries.filter(([kk]) => kk !== k), [k, v]]);
  for (const k of [1n, 2n, 3n, 4n]) assert.equal(chip.call(CMD.MC, without(base, k)).status, ST.MISSING_PARAMETER, `mc without ${k}`);
  assert.equal(chip.call(CMD.MC).status, ST.MISSING_PARAMETER);
  assert.equal(chip.call(CMD.MC, withEntry(base, 1n, "x")).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, withEntry(base, 2n, new CMap([["id", 5n]]))).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, withEntry(base, 2n, new CMap([["name", "x"]]))).status, ST.MISSING_PARAMETER);
  assert.equal(chip.call(CMD.MC, withEntry(base, 3n, new CMap([["id", "text"]]))).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, withEntry(base, 3n, new CMap([["id", new Uint8Array(65)]]))).status, ST.INVALID_LENGTH);
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, ES256)).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, [new CMap([["alg", -257n], ["type", "public-key"]])])).status, ST.UNSUPPORTED_ALGORITHM);
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, [new CMap([["alg", -7n], ["type", "other"]])])).status, ST.UNSUPPORTED_ALGORITHM);
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, [])).status, ST.UNSUPPORTED_ALGORITHM);
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, [new CMap([["alg", -7n]])])).status, ST.MISSING_PARAMETER);
  // one unknown + one good entry is accepted
  assert.equal(chip.call(CMD.MC, withEntry(base, 4n, [new CMap([["alg", -8n], ["type", "public-key"]]), ES256])).status, ST.OK);
  assert.equal(chip.call(CMD.MC, mcRequest({ options: [["up", false]] })).status, ST.INVALID_OPTION);
  assert.equal(chip.call(CMD.MC, mcRequest({ options: [["uv", true]] })).status, ST.INVALID_OPTION);
  assert.equal(chip.call(CMD.MC, mcRequest({ options: [["rk", 1n]] })).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, mcRequest({ options: [["up", true], ["plat", 7n]] })).status, ST.OK, "up=true accepted, unknown option ignored");
  assert.equal(chip.call(CMD.MC, mcRequest({ extra: [[99n, "whatever"], ["textkey", 1n]] })).status, ST.OK, "unknown keys ignored");
  assert.equal(chip.call(CMD.MC, withEntry(base, 6n, new CMap([["unknownExt", new CMap([[1n, [1n, 2n]]])], ["credBlob", new Uint8Array(3)]]))).status, ST.OK, "unknown extensions ignored");
  assert.equal(chip.call(CMD.MC, withEntry(base, 10n, 1n)).status, ST.INVALID_PARAMETER, "no enterprise attestation");
  assert.equal(chip.call(CMD.MC, withEntry(base, 5n, [new CMap([["id", "text"], ["type", "public-key"]])])).status, ST.CBOR_UNEXPECTED_TYPE);
  assert.equal(chip.call(CMD.MC, withEntry(base, 5n, [new CMap([["type", "public-key"]])])).status, ST.MISSING_PARAMETER);
  // zero-length pinUvAuthParam: after a touch, PIN_NOT_SET (no PIN)
  const z = chip.call(CMD.MC, withEntry(withEntry(base, 8n, new Uint8Array(0)), 9n, 1n));
  assert.equal(z.askedUp, true);
  assert.equal(z.status, ST.PIN_NOT_SET);
  const zg = chip.call(CMD.GA, gaRequest({ extra: [[6n, new Uint8Array(0)], [7n, 2n]] }));
  assert.equal(zg.askedUp, true);
  assert.equal(zg.status, ST.PIN_NOT_SET);
  assert.equal(chip.call(CMD.MC, withEntry(base, 8n, new Uint8Array(16))).status, ST.MISSING_PARAMETER, "param without protocol");
  assert.equal(chip.call(CMD.MC, withEntry(withEntry(base, 8n, new Uint8Array(16)), 9n, 7n)).status, ST.INVALID_PARAMETER, "unknown protocol");
  // getAssertion
  assert.equal(chip.call(CMD.GA, new CMap([[2n, cdh()]])).status, ST.MISSING_PARAMETER);
  assert.equal(chip.call(CMD.GA, new CMap([[1n, "example.com"]])).status, ST.MISSING_PARAMETER);
  assert.equal(chip.call(CMD.GA, gaRequest({ options: [["rk", true]] })).status, ST.UNSUPPORTED_OPTION);
  assert.equal(chip.call(CMD.GA, gaRequest({ options: [["uv", true]] })).status, ST.INVALID_OPTION);
  assert.equal(chip.call(CMD.GA, gaRequest({ extra: [[3n, new CMap([])]] })).status, ST.CBOR_UNEXPECTED_TYPE);
  // malformed CBOR, unknown commands, an empty request
  assert.equal(chip.call(CMD.MC, new Uint8Array([0xa1, 0x01])).status, ST.INVALID_CBOR);
  assert.equal(chip.call(CMD.MC, new Uint8Array([0xa2, 0x02, 0x00, 0x01, 0x00])).status, ST.INVALID_CBOR, "key order");
  assert.equal(chip.call(CMD.MC, new Uint8Array([0x80])).status, ST.CBOR_UNEXPECTED_TYPE, "not a map");
  assert.equal(chip.call(CMD.GA, encode(new CMap([[1n, "a"]])).subarray(0, 2)).status, ST.INVALID_CBOR);
  assert.equal(chip.call(0x03).status, ST.INVALID_COMMAND);
  assert.equal(chip.call(0x40).status, ST.INVALID_COMMAND);
  assert.equal(chip.call(0x41).status, ST.MISSING_PARAMETER, "0x41: the 2.1-preview credential management");
  assert.equal(chip.rawCall(new Uint8Array(0), false).out[0], ST.INVALID_LENGTH);
});

test("invalid UTF-8 in displayName → INVALID_CBOR; long names are truncated at a code point", () => {
  const chip = new Chip();
  const good = encode(mcRequest({ rk: true, displayName: "Zoë" }));
  const i = Buffer.from(good).indexOf(Buffer.from("Zoë"));
  const bad = good.slice(); bad[i + 2] = 0xc3; bad[i + 3] = 0x28;
  assert.equal(chip.call(CMD.MC, bad).status, ST.INVALID_CBOR);
  const long = "ø".repeat(40); // 80 bytes
  const c = makeCred(chip, { rk: true, userId: new Uint8Array([7]), name: long });
  assert.ok(c.id.length === 34);
});

test("the signature counter saturates at 2^32−1: it never wraps back to 0 (a relying party would see a clone)", () => {
  const chip = new Chip();
  const a = makeCred(chip);
  chip.setCounter(a.id, 0xfffffffe);
  const count = () => {
    const r = chip.call(CMD.GA, gaRequest({ allow: [a.id], up: false }));
    assert.equal(r.status, ST.OK);
    return parseAuthData(bytes(mget(r.body, 2))).signCount;
  };
  assert.equal(count(), 0xffffffff);
  assert.equal(count(), 0xffffffff, "stays at the top");
  assert.equal(chip.counter(a.id), 0xffffffff);
});
