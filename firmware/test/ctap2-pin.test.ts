// CTAP2 with a PIN (clientPIN of fido/pin.ts through the same dispatcher): PUAT rules,
// makeCredUvNotRqd, UV flag and user details, credential management, hmac-secret.
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  Chip, CMD, ST, CMap, mget, mkeys, bytes, parseAuthData, verifyEs256, mcRequest, gaRequest, makeCred, cdh, hex, encode,
  sha256, pinSet, pinToken, pinSession, type CborValue,
} from "./ctap2-util.js";

const PIN = "2468";
const PERM = { MC: 1, GA: 2, CM: 4 };

function withPin(protocol: 1 | 2 = 2): Chip {
  const chip = new Chip();
  assert.equal(pinSet(chip, protocol, PIN), ST.OK);
  return chip;
}

for (const protocol of [1, 2] as const) {
  test(`PIN set (protocol ${protocol}): PUAT_REQUIRED for rk only, UV flag with a token, user details with UV`, () => {
    const chip = withPin(protocol);
    assert.equal(mget(mget(chip.call(CMD.INFO).body, 4), "clientPin"), true);
    assert.equal(chip.call(CMD.MC, mcRequest({ rk: true })).status, ST.PUAT_REQUIRED);
    const plain = makeCred(chip, {}); // makeCredUvNotRqd: non-discoverable needs no token
    assert.equal(plain.ad.flags & 0x04, 0);
    const { token, pl } = pinToken(chip, protocol, PIN, PERM.MC | PERM.GA, "example.com");
    const cd = cdh(3);
    const param = pl.authToken(token, cd);
    const r = chip.call(CMD.MC, mcRequest({ rk: true, clientDataHash: cd, name: "alice", displayName: "Alice A.", extra: [[8n, param], [9n, BigInt(protocol)]] }));
    assert.equal(r.status, ST.OK);
    const ad = parseAuthData(bytes(mget(r.body, 2)));
    assert.equal(ad.flags, 0x45, "UP | UV | AT");
    // a wrong param
    const bad = param.slice(); bad[0]! ^= 1;
    assert.equal(chip.call(CMD.MC, mcRequest({ rk: true, clientDataHash: cd, extra: [[8n, bad], [9n, BigInt(protocol)]] })).status, ST.PIN_AUTH_INVALID);
    // zero-length param with a PIN set → PIN_INVALID after a touch
    const z = chip.call(CMD.MC, mcRequest({ extra: [[8n, new Uint8Array(0)], [9n, BigInt(protocol)]] }));
    assert.equal(z.askedUp, true);
    assert.equal(z.status, ST.PIN_INVALID);
    // getAssertion with UV: name and displayName come back, UV flag
    const t2 = pinToken(chip, protocol, PIN, PERM.GA, "example.com");
    const cd2 = cdh(4);
    const g = chip.call(CMD.GA, gaRequest({ clientDataHash: cd2, extra: [[6n, t2.pl.authToken(t2.token, cd2)], [7n, BigInt(protocol)]] }));
    assert.equal(g.status, ST.OK);
    const gad = parseAuthData(bytes(mget(g.body, 2)));
    assert.equal(gad.flags, 0x05, "UP | UV");
    assert.deepEqual(mget(g.body, 4), new CMap([["id", new Uint8Array([1, 2, 3, 4])], ["name", "alice"], ["displayName", "Alice A."]]));
    assert.ok(verifyEs256(ad.pub!, new Uint8Array([...bytes(mget(g.body, 2)), ...cd2]), bytes(mget(g.body, 3))));
  });
}

test("credProtect level 3 with UV: found by discovery and allowList; excluded with UV", () => {
  const chip = withPin(2);
  const t = pinToken(chip, 2, PIN, PERM.MC | PERM.GA, "example.com");
  const cd = cdh(8);
  const r = chip.call(CMD.MC, mcRequest({ rk: true, credProtect: 3, clientDataHash: cd, extra: [[8n, t.pl.authToken(t.token, cd)], [9n, 2n]] }));
  assert.equal(r.status, ST.OK);
  const id = parseAuthData(bytes(mget(r.body, 2))).credId!;
  assert.equal(chip.call(CMD.GA, gaRequest({})).status, ST.NO_CREDENTIALS, "not without UV");
  const t2 = pinToken(chip, 2, PIN, PERM.GA | PERM.MC, "example.com");
  const cd2 = cdh(9);
  const g = chip.call(CMD.GA, gaRequest({ clientDataHash: cd2, extra: [[6n, t2.pl.authToken(t2.token, cd2)], [7n, 2n]] }));
  assert.equal(g.status, ST.OK);
  assert.equal(hex(bytes(mget(mget(g.body, 1), "id"))), hex(id));
  const t3 = pinToken(chip, 2, PIN, PERM.MC, "example.com");
  const cd3 = cdh(10);
  const x = chip.call(CMD.MC, mcRequest({ exclude: [id], clientDataHash: cd3, extra: [[8n, t3.pl.authToken(t3.token, cd3)], [9n, 2n]] }));
  assert.equal(x.status, ST.CREDENTIAL_EXCLUDED);
});

/** credentialManagement with a token: subCommand, params (a map or undefined). */
function cm(chip: Chip, token: Uint8Array, pl: { authToken(t: Uint8Array, m: Uint8Array): Uint8Array }, sub: number, params?: CMap, protocol = 2) {
  const e: [CborValue, CborValue][] = [[1n, BigInt(sub)]];
  const pb = params ? encode(params) : new Uint8Array(0);
  if (params) e.push([2n, params]);
  e.push([3n, BigInt(protocol)], [4n, pl.authToken(token, new Uint8Array([sub, ...pb]))]);
  return chip.call(CMD.CM, new CMap(e));
}

test("credentialManagement: metadata, enumerate RPs and credentials, update, delete", () => {
  const chip = withPin(2);
  const a = makeCredWithToken(chip, "example.com", [1], "alice", "Alice");
  const b = makeCredWithToken(chip, "example.com", [2], "bob", "Bob");
  const c = makeCredWithToken(chip, "other.example", [3], "carol", undefined);
  const { token, pl } = pinToken(chip, 2, PIN, PERM.CM);
  // no token → PUAT_REQUIRED; wrong token → PIN_AUTH_INVALID
  assert.equal(chip.call(CMD.CM, new CMap([[1n, 1n]])).status, ST.PUAT_REQUIRED);
  assert.equal(cm(chip, new Uint8Array(32), pl, 1).status, ST.PIN_AUTH_INVALID);
  const md = cm(chip, token, pl, 1);
  assert.equal(md.status, ST.OK);
  assert.deepEqual(md.body, new CMap([[1n, 3n], [2n, 47n]]));
  // RPs
  const r1 = cm(chip, token, pl, 2);
  assert.equal(r1.status, ST.OK);
  assert.deepEqual(mkeys(r1.body), [3n, 4n, 5n]);
  assert.equal(mget(r1.body, 5), 2n);
  const r2 = chip.call(CMD.CM, new CMap([[1n, 3n]]));
  assert.equal(r2.status, ST.OK);
  assert.deepEqual(mkeys(r2.body), [3n, 4n]);
  const rps = [r1, r2].map((r) => mget(mget(r.body, 3), "id") as string).sort();
  assert.deepEqual(rps, ["example.com", "other.example"]);
  for (const r of [r1, r2]) assert.equal(hex(bytes(mget(r.body, 4))), hex(sha256(new TextEncoder().encode(mget(mget(r.body, 3), "id") as string))));
  assert.equal(chip.call(CMD.CM, new CMap([[1n, 3n]])).status, ST.NOT_ALLOWED);
  // credentials of example.com, newest first
  const rpHash = sha256(new TextEncoder().encode("example.com"));
  const c1 = cm(chip, token, pl, 4, new CMap([[1n, rpHash]]));
  assert.equal(c1.status, ST.OK);
  assert.deepEqual(mkeys(c1.body), [6n, 7n, 8n, 9n, 10n]);
  assert.equal(mget(c1.body, 9), 2n);
  assert.equal(hex(bytes(mget(mget(c1.body, 7), "id"))), hex(b.id));
  assert.deepEqual(mget(c1.body, 6), new CMap([["id", new Uint8Array([2])], ["name", "bob"], ["displayName", "Bob"]]));
  const cose = mget(c1.body, 8) as CMap;
  assert.equal(hex(new Uint8Array([4, ...bytes(mget(cose, -2)), ...bytes(mget(cose, -3))])), hex(b.pub));
  assert.equal(mget(c1.body, 10), 1n);
  const c2 = chip.call(CMD.CM, new CMap([[1n, 5n]]));
  assert.equal(c2.status, ST.OK);
  assert.equal(hex(bytes(mget(mget(c2.body, 7), "id"))), hex(a.id));
  assert.equal(chip.call(CMD.CM, new CMap([[1n, 5n]])).status, ST.NOT_ALLOWED);
  assert.equal(cm(chip, token, pl, 4, new CMap([[1n, new Uint8Array(32)]])).status, ST.NO_CREDENTIALS);
  assert.equal(cm(chip, token, pl, 4).status, ST.MISSING_PARAMETER);
  // update bob's names (the user id must match)
  const desc = (id: Uint8Array) => new CMap([["id", id], ["type", "public-key"]]);
  assert.equal(cm(chip, token, pl, 7, new CMap([[2n, desc(b.id)], [3n, new CMap([["id", new Uint8Array([9])], ["name", "x"]])]])).status, ST.INVALID_PARAMETER);
  assert.equal(cm(chip, token, pl, 7, new CMap([[2n, desc(b.id)], [3n, new CMap([["id", new Uint8Array([2])], ["name", "robert"]])]])).status, ST.OK);
  const u = cm(chip, token, pl, 4, new CMap([[1n, rpHash]]));
  assert.deepEqual(mget(u.body, 6), new CMap([["id", new Uint8Array([2])], ["name", "robert"]]));
  assert.equal(hex(bytes(mget(mget(u.body, 7), "id"))), hex(b.id), "still newest: the update keeps the creation order");
  // delete carol: gone from discovery and from allowList use; the others stay
  assert.equal(cm(chip, token, pl, 6, new CMap([[2n, desc(c.id)]])).status, ST.OK);
  assert.equal(cm(chip, token, pl, 6, new CMap([[2n, desc(c.id)]])).status, ST.NO_CREDENTIALS);
  assert.equal(chip.call(CMD.GA, gaRequest({ rp: "other.example", allow: [c.id] })).status, ST.NO_CREDENTIALS);
  assert.deepEqual(cm(chip, token, pl, 1).body, new CMap([[1n, 2n], [2n, 48n]]));
  chip.reboot();
  const t2 = pinToken(chip, 2, PIN, PERM.CM);
  assert.deepEqual(cm(chip, t2.token, t2.pl, 1).body, new CMap([[1n, 2n], [2n, 48n]]), "after a reboot");
  assert.equal(cm(chip, t2.token, t2.pl, 0x20).status, ST.INVALID_SUBCOMMAND);
});

function makeCredWithToken(chip: Chip, rp: string, uid: number[], name: string, displayName?: string): { id: Uint8Array; pub: Uint8Array } {
  const { token, pl } = pinToken(chip, 2, PIN, PERM.MC, rp);
  const cd = cdh(uid[0]!);
  const r = chip.call(CMD.MC, mcRequest({
    rp, rk: true, userId: new Uint8Array(uid), name, ...(displayName !== undefined ? { displayName } : {}), clientDataHash: cd,
    extra: [[8n, pl.authToken(token, cd)], [9n, 2n]],
  }));
  assert.equal(r.status, ST.OK);
  const ad = parseAuthData(bytes(mget(r.body, 2)));
  return { id: ad.credId!, pub: ad.pub! };
}

for (const protocol of [1, 2] as const) {
  test(`hmac-secret (protocol ${protocol}): deterministic per credential and salt, separate with and without UV`, () => {
    const chip = new Chip();
    const c = makeCred(chip, { hmacSecret: true });
    const d = makeCred(chip, { hmacSecret: true, userId: new Uint8Array([8]) });
    const plainCred = makeCred(chip, { userId: new Uint8Array([9]) });
    const salt1 = randomBytes(32), salt2 = randomBytes(32);
    const run = (id: Uint8Array, salts: Uint8Array): { status: number; out?: Uint8Array; flags?: number } => {
      const pl = pinSession(chip, protocol);
      const saltEnc = pl.encrypt(salts);
      const ext = new CMap([[1n, pl.cose()], [2n, saltEnc], [3n, pl.authenticate(saltEnc)], [4n, BigInt(protocol)]]);
      const r = chip.call(CMD.GA, gaRequest({ allow: [id], extensions: [["hmac-secret", ext]] }));
      if (r.status !== ST.OK) return { status: r.status };
      const ad = parseAuthData(bytes(mget(r.body, 2)));
      if (!(ad.flags & 0x80)) return { status: r.status, flags: ad.flags };
      const enc = bytes(mget(ad.extensions, "hmac-secret"));
      assert.equal(enc.length, salts.length + (protocol === 2 ? 16 : 0));
      return { status: r.status, out: pl.decrypt(enc), flags: ad.flags };
    };
    const one = run(c.id, salt1);
    assert.equal(one.status, ST.OK);
    assert.equal(one.flags, 0x81, "UP | ED");
    assert.equal(one.out!.length, 32);
    const again = run(c.id, salt1);
    assert.equal(hex(again.out!), hex(one.out!), "same credential + salt → same secret (new session)");
    const two = run(c.id, new Uint8Array([...salt1, ...salt2]));
    assert.equal(hex(two.out!.subarray(0, 32)), hex(one.out!));
    assert.notEqual(hex(two.out!.subarray(32)), hex(one.out!));
    assert.notEqual(hex(run(d.id, salt1).out!), hex(one.out!), "another credential → another secret");
    assert.equal(run(plainCred.id, salt1).flags, 0x01, "no output for a credential made without hmac-secret");
    // a bad saltAuth
    const pl = pinSession(chip, protocol);
    const saltEnc = pl.encrypt(salt1);
    const auth = pl.authenticate(saltEnc); auth[0]! ^= 1;
    const bad = chip.call(CMD.GA, gaRequest({ allow: [c.id], extensions: [["hmac-secret", new CMap([[1n, pl.cose()], [2n, saltEnc], [3n, auth], [4n, BigInt(protocol)]])]] }));
    assert.equal(bad.status, ST.PIN_AUTH_INVALID);
    const missing = chip.call(CMD.GA, gaRequest({ allow: [c.id], extensions: [["hmac-secret", new CMap([[1n, pl.cose()], [2n, saltEnc]])]] }));
    assert.equal(missing.status, ST.MISSING_PARAMETER);
    // with UV the secret differs (CredRandomWithUV)
    assert.equal(pinSet(chip, 2, PIN), ST.OK);
    const t = pinToken(chip, 2, PIN, PERM.GA, "example.com");
    const pl2 = pinSession(chip, protocol);
    const se = pl2.encrypt(salt1);
    const cd = cdh(2);
    const uv = chip.call(CMD.GA, gaRequest({
      allow: [c.id], clientDataHash: cd,
      extensions: [["hmac-secret", new CMap([[1n, pl2.cose()], [2n, se], [3n, pl2.authenticate(se)], [4n, BigInt(protocol)]])]],
      extra: [[6n, t.pl.authToken(t.token, cd)], [7n, 2n]],
    }));
    assert.equal(uv.status, ST.OK);
    const uad = parseAuthData(bytes(mget(uv.body, 2)));
    assert.equal(uad.flags, 0x85);
    const uvOut = pl2.decrypt(bytes(mget(uad.extensions, "hmac-secret")));
    assert.notEqual(hex(uvOut), hex(one.out!));
  });
}

test("names longer than 64 bytes are stored truncated at a code point boundary", () => {
  const chip = withPin(2);
  makeCredWithToken(chip, "long.example", [5], "ø".repeat(40), "a" + "水".repeat(30));
  const { token, pl } = pinToken(chip, 2, PIN, PERM.CM);
  const r = cm(chip, token, pl, 4, new CMap([[1n, sha256(new TextEncoder().encode("long.example"))]]));
  assert.equal(r.status, ST.OK);
  assert.equal(mget(mget(r.body, 6), "name"), "ø".repeat(32));
  assert.equal(mget(mget(r.body, 6), "displayName"), "a" + "水".repeat(21));
});

test("hmac-secret over getNextAssertion: each credential's own secret, same as through an allowList", () => {
  const chip = new Chip();
  const c1 = makeCred(chip, { rk: true, hmacSecret: true, userId: new Uint8Array([1]) });
  const c2 = makeCred(chip, { rk: true, hmacSecret: true, userId: new Uint8Array([2]) });
  const salt = randomBytes(32);
  const ext = (allow?: Uint8Array[]) => {
    const pl = pinSession(chip, 2);
    const se = pl.encrypt(salt);
    const req = gaRequest({ ...(allow ? { allow } : {}), extensions: [["hmac-secret", new CMap([[1n, pl.cose()], [2n, se], [3n, pl.authenticate(se)], [4n, 2n]])]] });
    return { pl, r: chip.call(CMD.GA, req) };
  };
  const secretOf = (pl: { decrypt(b: Uint8Array): Uint8Array }, body: CborValue | undefined) =>
    hex(pl.decrypt(bytes(mget(parseAuthData(bytes(mget(body, 2))).extensions, "hmac-secret"))));
  const { pl, r } = ext();
  assert.equal(r.status, ST.OK);
  const first = secretOf(pl, r.body);
  const n = chip.call(CMD.NEXT);
  assert.equal(n.status, ST.OK);
  const second = secretOf(pl, n.body);
  assert.notEqual(first, second);
  const one = ext([c2.id]);
  assert.equal(secretOf(one.pl, one.r.body), first, "newest first: c2");
  const two = ext([c1.id]);
  assert.equal(secretOf(two.pl, two.r.body), second);
});

test("credentialManagement with a token bound to one RP manages only that RP", () => {
  const chip = withPin(2);
  const a = makeCredWithToken(chip, "example.com", [1], "alice", "Alice");
  const c = makeCredWithToken(chip, "other.example", [3], "carol", undefined);
  const { token, pl } = pinToken(chip, 2, PIN, PERM.CM, "example.com");
  const desc = (id: Uint8Array) => new CMap([["id", id], ["type", "public-key"]]);
  assert.equal(cm(chip, token, pl, 1).status, ST.PIN_AUTH_INVALID, "metadata needs an unbound token");
  assert.equal(cm(chip, token, pl, 2).status, ST.PIN_AUTH_INVALID, "listing every RP needs an unbound token");
  const own = cm(chip, token, pl, 4, new CMap([[1n, sha256(new TextEncoder().encode("example.com"))]]));
  assert.equal(own.status, ST.OK);
  assert.equal(hex(bytes(mget(mget(own.body, 7), "id"))), hex(a.id));
  assert.equal(cm(chip, token, pl, 4, new CMap([[1n, sha256(new TextEncoder().encode("other.example"))]])).status, ST.PIN_AUTH_INVALID);
  assert.equal(cm(chip, token, pl, 6, new CMap([[2n, desc(c.id)]])).status, ST.PIN_AUTH_INVALID, "cannot delete another RP's credential");
  assert.equal(cm(chip, token, pl, 7, new CMap([[2n, desc(c.id)], [3n, new CMap([["id", new Uint8Array([3])], ["name", "x"]])]])).status, ST.PIN_AUTH_INVALID);
  assert.equal(cm(chip, token, pl, 6, new CMap([[2n, desc(a.id)]])).status, ST.OK, "its own RP's credential can be deleted");
  const unbound = pinToken(chip, 2, PIN, PERM.CM);
  assert.equal(cm(chip, unbound.token, unbound.pl, 1).status, ST.OK);
  assert.equal(cm(chip, unbound.token, unbound.pl, 6, new CMap([[2n, desc(c.id)]])).status, ST.OK);
});
