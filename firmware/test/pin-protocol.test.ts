// clientPIN end to end, PIN/UV auth protocols 1 and 2, against the reference platform in
// pin-util.ts (noble ECDH, node:crypto AES/HMAC/HKDF): key agreement, setPIN, changePIN, both
// token subcommands, pinCheckAuth (permissions, RP binding, expiry), PIN policy, hmac-secret helpers.
import { test } from "vitest";
import assert from "node:assert/strict";
import { p256 } from "@noble/curves/nist.js";
import {
  PinDev, ST, PERM, CMap, session, setPin, changePin, getToken, retries, padPin, pinHash16, Platform, encode,
} from "./pin-util.js";

const PROTOCOLS = [1, 2] as const;

test("getKeyAgreement: canonical COSE_Key {1:2, 3:-25, -1:1, -2:x, -3:y} on P-256, stable until power-up", () => {
  const d = new PinDev();
  for (const p of PROTOCOLS) {
    const r = d.call([[1, BigInt(p)], [2, 2n]]);
    assert.equal(r.status, ST.OK);
    assert.deepEqual([...r.map!.keys()], [1]);
    const k = r.map!.get(1) as Map<number, unknown>;
    assert.deepEqual([...k.keys()], [1, 3, -1, -2, -3]);
    assert.equal(k.get(1), 2);
    assert.equal(k.get(3), -25);
    assert.equal(k.get(-1), 1);
    const pt = new Uint8Array([4, ...(k.get(-2) as Uint8Array), ...(k.get(-3) as Uint8Array)]);
    assert.doesNotThrow(() => p256.Point.fromBytes(pt), "a point on the curve");
    const again = d.call([[1, BigInt(p)], [2, 2n]]).map!.get(1) as Map<number, unknown>;
    assert.deepEqual(again.get(-2), k.get(-2), "same key within a power cycle");
    d.reboot();
    const after = d.call([[1, BigInt(p)], [2, 2n]]).map!.get(1) as Map<number, unknown>;
    assert.notDeepEqual(after.get(-2), k.get(-2), "new key after power-up");
  }
  const k1 = d.call([[1, 1n], [2, 2n]]).map!.get(1) as Map<number, unknown>;
  const k2 = d.call([[1, 2n], [2, 2n]]).map!.get(1) as Map<number, unknown>;
  assert.notDeepEqual(k1.get(-2), k2.get(-2), "one key per protocol");
  assert.equal(d.call([[1, 3n], [2, 2n]]).status, ST.INVALID_PARAMETER);
  assert.equal(d.call([[2, 2n]]).status, ST.MISSING_PARAMETER);
});

for (const p of PROTOCOLS) {
  test(`protocol ${p}: setPIN, getPINRetries, changePIN, getPinToken, persistence`, () => {
    const d = new PinDev();
    assert.equal(d.x.pin_is_set(), 0);
    assert.deepEqual(retries(d), { retries: 8, powerCycle: false });
    assert.equal(getToken(d, p, "1234").status, ST.PIN_NOT_SET);
    assert.equal(changePin(d, p, "1234", "5678"), ST.PIN_NOT_SET);
    assert.equal(setPin(d, p, "1234"), ST.OK);
    assert.equal(d.x.pin_is_set(), 1);
    assert.equal(setPin(d, p, "9999"), ST.NOT_ALLOWED, "setPIN only once");
    const t1 = getToken(d, p, "1234");
    assert.equal(t1.status, ST.OK);
    assert.equal(t1.token!.length, 32);
    assert.equal(changePin(d, p, "1234", "abcdé"), ST.OK);
    assert.equal(getToken(d, p, "1234").status, ST.PIN_INVALID);
    d.reboot();
    assert.equal(d.x.pin_is_set(), 1, "PIN survives power-off");
    assert.deepEqual(retries(d), { retries: 7, powerCycle: false }, "the wrong attempt is remembered");
    const t2 = getToken(d, p, "abcdé");
    assert.equal(t2.status, ST.OK);
    assert.deepEqual(retries(d), { retries: 8, powerCycle: false }, "a right PIN restores the retries");
    assert.notDeepEqual(t2.token, t1.token, "new token");
  });

  test(`protocol ${p}: getPinToken grants mc|ga without RP binding; pinCheckAuth verifies authenticate(token, msg)`, () => {
    const d = new PinDev();
    assert.equal(setPin(d, p, "1234"), ST.OK);
    const { token, pl } = getToken(d, p, "1234");
    const msg = new Uint8Array(32).fill(0x5a);
    const good = pl.authToken(token!, msg);
    assert.equal(d.checkAuth(p, PERM.MC, "example.com", msg, good), ST.OK);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, good), ST.OK, "bound to the RP of its first use");
    assert.equal(d.checkAuth(p, PERM.GA, "other.example", msg, good), ST.PIN_AUTH_INVALID, "…and only that RP");
    assert.equal(d.checkAuth(p, PERM.CM, "", msg, good), ST.PIN_AUTH_INVALID);
    const bad = good.slice(); bad[bad.length - 1]! ^= 1;
    assert.equal(d.checkAuth(p, PERM.MC, "other.example", msg, bad), ST.PIN_AUTH_INVALID);
    assert.equal(d.checkAuth(p, PERM.MC, "other.example", msg, good.subarray(0, good.length - 1)), ST.PIN_AUTH_INVALID);
    assert.equal(d.checkAuth(p === 1 ? 2 : 1, PERM.MC, "other.example", msg, pl.authToken(token!, msg)), ST.PIN_AUTH_INVALID, "other protocol");
    assert.equal(d.checkAuth(3, PERM.MC, "other.example", msg, good), ST.INVALID_PARAMETER);
    // a token used with user presence loses mc/ga (CTAP 2.1 §6.1.2 step 14)
    d.x.pin_token_used();
    assert.equal(d.checkAuth(p, PERM.MC, "example.com", msg, good), ST.PIN_AUTH_INVALID);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, good), ST.PIN_AUTH_INVALID);
  });

  test(`protocol ${p}: getPinUvAuthTokenUsingPinWithPermissions: permissions, rpId binding, expiry, invalidation`, () => {
    const d = new PinDev();
    assert.equal(setPin(d, p, "1234"), ST.OK);
    const msg = new Uint8Array(48).map((_, i) => i);
    const t = getToken(d, p, "1234", PERM.MC | PERM.CM, "example.com");
    assert.equal(t.status, ST.OK);
    const auth = t.pl.authToken(t.token!, msg);
    assert.equal(d.checkAuth(p, PERM.MC, "example.com", msg, auth), ST.OK);
    assert.equal(d.checkAuth(p, PERM.CM, "", msg, auth), ST.OK);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, auth), ST.PIN_AUTH_INVALID);
    assert.equal(d.checkAuth(p, PERM.MC, "evil.example", msg, auth), ST.PIN_AUTH_INVALID);
    // a new token invalidates the old one
    const t2 = getToken(d, p, "1234", PERM.GA, "example.com");
    assert.equal(t2.status, ST.OK);
    assert.equal(d.checkAuth(p, PERM.MC, "example.com", msg, auth), ST.PIN_AUTH_INVALID);
    const auth2 = t2.pl.authToken(t2.token!, msg);
    // unused for more than 30 s: expired
    d.clock.advance(30_001);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, auth2), ST.PIN_AUTH_INVALID);
    // used within 30 s: lives up to 10 min
    const t3 = getToken(d, p, "1234", PERM.GA, "example.com");
    const auth3 = t3.pl.authToken(t3.token!, msg);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, auth3), ST.OK);
    d.clock.advance(9 * 60_000);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, auth3), ST.OK);
    d.clock.advance(60_001);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, auth3), ST.PIN_AUTH_INVALID);
    // power-up forgets the token
    const t4 = getToken(d, p, "1234", PERM.GA, "example.com");
    d.reboot();
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, t4.pl.authToken(t4.token!, msg)), ST.PIN_AUTH_INVALID);
    // changePIN invalidates tokens
    const t5 = getToken(d, p, "1234", PERM.GA, "example.com");
    assert.equal(changePin(d, p, "1234", "4321"), ST.OK);
    assert.equal(d.checkAuth(p, PERM.GA, "example.com", msg, t5.pl.authToken(t5.token!, msg)), ST.PIN_AUTH_INVALID);
  });

  test(`protocol ${p}: token subcommand parameter rules`, () => {
    const d = new PinDev();
    assert.equal(setPin(d, p, "1234"), ST.OK);
    assert.equal(getToken(d, p, "1234", 0, "example.com").status, ST.INVALID_PARAMETER, "permissions 0");
    assert.equal(getToken(d, p, "1234", PERM.BE, "example.com").status, ST.UNAUTHORIZED_PERMISSION, "no bio");
    assert.equal(getToken(d, p, "1234", PERM.LBW).status, ST.UNAUTHORIZED_PERMISSION, "no large blobs");
    assert.equal(getToken(d, p, "1234", PERM.ACFG).status, ST.UNAUTHORIZED_PERMISSION, "no config");
    assert.equal(getToken(d, p, "1234", 0x100).status, ST.UNAUTHORIZED_PERMISSION, "unknown bit");
    assert.equal(getToken(d, p, "1234", PERM.MC).status, ST.MISSING_PARAMETER, "mc needs rpId");
    assert.equal(getToken(d, p, "1234", PERM.GA).status, ST.MISSING_PARAMETER, "ga needs rpId");
    assert.equal(getToken(d, p, "1234", PERM.CM).status, ST.OK, "cm without rpId");
    // getPinToken refuses permissions / rpId
    const pl = session(d, p);
    const hashEnc = pl.encrypt(pinHash16("1234"));
    assert.equal(d.call([[1, BigInt(p)], [2, 5n], [3, pl.cose()], [6, hashEnc], [9, 3n]]).status, ST.INVALID_PARAMETER);
    assert.equal(d.call([[1, BigInt(p)], [2, 5n], [3, pl.cose()], [6, hashEnc], [10, "x.example"]]).status, ST.INVALID_PARAMETER);
    assert.equal(d.call([[1, BigInt(p)], [2, 5n], [3, pl.cose()]]).status, ST.MISSING_PARAMETER);
    assert.equal(d.call([[1, BigInt(p)], [2, 5n], [6, hashEnc]]).status, ST.MISSING_PARAMETER);
    assert.equal(d.call([[1, BigInt(p)], [2, 9n], [3, pl.cose()], [6, hashEnc]]).status, ST.MISSING_PARAMETER, "no permissions");
    // none of these touched the retries
    assert.equal(retries(d).retries, 8);
    // built-in UV subcommands and unknown ones
    for (const sub of [6n, 7n, 8n, 0x0an, 0xffn, 0n]) {
      assert.equal(d.call([[1, BigInt(p)], [2, sub]]).status, ST.INVALID_SUBCOMMAND, `sub ${sub}`);
    }
  });

  test(`protocol ${p}: PIN policy: 4..63 bytes, >= 4 code points, no NUL, valid UTF-8; wrong pinUvAuthParam`, () => {
    const d = new PinDev();
    assert.equal(setPin(d, p, "123"), ST.PIN_POLICY_VIOLATION);
    assert.equal(setPin(d, p, ""), ST.PIN_POLICY_VIOLATION);
    assert.equal(setPin(d, p, "ééé"), ST.PIN_POLICY_VIOLATION, "6 bytes but 3 code points");
    assert.equal(setPin(d, p, "😀😀😀"), ST.PIN_POLICY_VIOLATION, "12 bytes but 3 code points");
    assert.equal(setPin(d, p, new Uint8Array([0x31, 0x32, 0x00, 0x33, 0x34])), ST.PIN_POLICY_VIOLATION, "inner NUL");
    assert.equal(setPin(d, p, new Uint8Array([0x31, 0x32, 0x33, 0xff])), ST.PIN_POLICY_VIOLATION, "bad UTF-8");
    assert.equal(setPin(d, p, "x".repeat(64)), ST.PIN_POLICY_VIOLATION, "64 bytes");
    assert.equal(d.x.pin_is_set(), 0);
    // wrong pinUvAuthParam, and a short newPinEnc
    const pl = session(d, p);
    const enc = pl.encrypt(padPin("1234"));
    const auth = pl.authenticate(enc);
    const badAuth = auth.slice(); badAuth[0]! ^= 0x80;
    assert.equal(d.call([[1, BigInt(p)], [2, 3n], [3, pl.cose()], [4, badAuth], [5, enc]]).status, ST.PIN_AUTH_INVALID);
    const short = pl.encrypt(new Uint8Array(48).fill(0x31));
    assert.equal(d.call([[1, BigInt(p)], [2, 3n], [3, pl.cose()], [4, pl.authenticate(short)], [5, short]]).status, ST.INVALID_PARAMETER);
    assert.equal(d.call([[1, BigInt(p)], [2, 3n], [3, pl.cose()], [5, enc]]).status, ST.MISSING_PARAMETER);
    // a keyAgreement that is not on the curve
    const off = new CMap([[1n, 2n], [3n, -25n], [-1n, 1n], [-2n, new Uint8Array(32).fill(1)], [-3n, new Uint8Array(32).fill(2)]]);
    assert.equal(d.call([[1, BigInt(p)], [2, 3n], [3, off], [4, auth], [5, enc]]).status, ST.INVALID_PARAMETER);
    assert.equal(d.x.pin_is_set(), 0);
    // 63 bytes, and exactly 4 code points of 4 bytes each
    assert.equal(setPin(d, p, "😀😀😀😀"), ST.OK);
    assert.equal(getToken(d, p, "😀😀😀😀").status, ST.OK);
    assert.equal(changePin(d, p, "😀😀😀😀", "y".repeat(63)), ST.OK);
    assert.equal(getToken(d, p, "y".repeat(63)).status, ST.OK);
    // changePIN with a policy violation keeps the old PIN (and its retries are back to 8)
    assert.equal(changePin(d, p, "y".repeat(63), "12"), ST.PIN_POLICY_VIOLATION);
    assert.equal(retries(d).retries, 8);
    assert.equal(getToken(d, p, "y".repeat(63)).status, ST.OK);
  });

  test(`protocol ${p}: hmac-secret helpers share the secret the platform derives`, () => {
    const d = new PinDev();
    const pl = session(d, p);
    const cose = encode(pl.cose());
    const base = d.x.io_ptr();
    d.dev.ioWrite(0, cose);
    assert.equal(d.x.pin_shared_from_cose(p, base, cose.length), ST.OK);
    const salt = new Uint8Array(64).map((_, i) => i * 3);
    const saltEnc = pl.encrypt(salt);
    d.dev.ioWrite(1024, saltEnc);
    const auth = pl.authenticate(saltEnc);
    d.dev.ioWrite(2048, auth);
    assert.equal(d.x.pin_shared_verify(base + 1024, saltEnc.length, base + 2048, auth.length), 1);
    assert.equal(d.x.pin_shared_verify(base + 1024, saltEnc.length, base + 2048, auth.length - 1), 0);
    d.dev.ioWrite(2048, auth.map((b, i) => (i === 3 ? b ^ 1 : b)));
    assert.equal(d.x.pin_shared_verify(base + 1024, saltEnc.length, base + 2048, auth.length), 0);
    assert.equal(d.x.pin_shared_decrypt(base + 1024, saltEnc.length, base + 3072), 64);
    assert.deepEqual(d.dev.ioRead(3072, 64), salt);
    assert.equal(d.x.pin_shared_decrypt(base + 1024, saltEnc.length - 1, base + 3072), -1);
    const out = new Uint8Array(32).fill(0xee);
    d.dev.ioWrite(4096, out);
    const n = d.x.pin_shared_encrypt(base + 4096, 32, base + 5120);
    assert.equal(n, p === 1 ? 32 : 48);
    assert.deepEqual(pl.decrypt(d.dev.ioRead(5120, n)), out);
    assert.equal(d.x.pin_shared_encrypt(base + 4096, 31, base + 5120), -1);
    // bad COSE keys
    const bad = [
      new CMap([[1n, 2n], [3n, -25n], [-1n, 1n], [-2n, pl.pub.slice(1, 33)]]),
      new CMap([[1n, 1n], [3n, -25n], [-1n, 1n], [-2n, pl.pub.slice(1, 33)], [-3n, pl.pub.slice(33)]]),
      new CMap([[1n, 2n], [3n, -7n], [-1n, 1n], [-2n, pl.pub.slice(1, 33)], [-3n, pl.pub.slice(33)]]),
      new CMap([[1n, 2n], [3n, -25n], [-1n, 2n], [-2n, pl.pub.slice(1, 33)], [-3n, pl.pub.slice(33)]]),
      new CMap([[1n, 2n], [3n, -25n], [-1n, 1n], [-2n, pl.pub.slice(1, 32)], [-3n, pl.pub.slice(33)]]),
    ];
    for (const c of bad) {
      const b = encode(c);
      d.dev.ioWrite(0, b);
      assert.equal(d.x.pin_shared_from_cose(p, base, b.length), ST.INVALID_PARAMETER);
      assert.equal(d.x.pin_shared_verify(base + 1024, saltEnc.length, base + 2048, auth.length), 0, "secret forgotten");
    }
    assert.equal(d.x.pin_shared_from_cose(7, base, cose.length), ST.INVALID_PARAMETER);
  });
}

test("the key agreement key changes after a wrong PIN, and a stale session is refused", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 2, "1234"), ST.OK);
  const pl = session(d, 2);
  const k1 = d.call([[1, 2n], [2, 2n]]).map!.get(1) as Map<number, unknown>;
  assert.equal(d.call([[1, 2n], [2, 5n], [3, pl.cose()], [6, pl.encrypt(pinHash16("0000"))]]).status, ST.PIN_INVALID);
  const k2 = d.call([[1, 2n], [2, 2n]]).map!.get(1) as Map<number, unknown>;
  assert.notDeepEqual(k2.get(-2), k1.get(-2));
  // the old session's secret no longer decrypts on the device: the right PIN is now a mismatch
  assert.equal(d.call([[1, 2n], [2, 5n], [3, pl.cose()], [6, pl.encrypt(pinHash16("1234"))]]).status, ST.PIN_INVALID);
  const fresh = new Platform(2);
  fresh.agree(k2);
  assert.equal(getToken(d, 2, "1234").status, ST.OK);
});

test("authenticatorReset forgets the PIN, the retries and the token", () => {
  const d = new PinDev();
  assert.equal(setPin(d, 1, "1234"), ST.OK);
  assert.equal(getToken(d, 1, "0000").status, ST.PIN_INVALID);
  const t = getToken(d, 1, "1234", PERM.GA, "a.example");
  assert.equal(d.x.pin_reset(), 0);
  assert.equal(d.x.pin_is_set(), 0);
  assert.deepEqual(retries(d), { retries: 8, powerCycle: false });
  const msg = new Uint8Array(32);
  assert.equal(d.checkAuth(1, PERM.GA, "a.example", msg, t.pl.authToken(t.token!, msg)), ST.PIN_NOT_SET);
  d.reboot();
  assert.equal(d.x.pin_is_set(), 0);
  assert.equal(setPin(d, 1, "5678"), ST.OK);
});
