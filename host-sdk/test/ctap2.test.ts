// CTAP2 client, clientPIN (protocols 1 and 2) and credential management against a fake
// authenticator whose crypto is an independent formulation (node:crypto ECDH, HKDF written out
// from RFC 5869 with HMAC, CBC chained by hand over AES-ECB), plus known-answer checks.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createECDH, createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { cborDecode, cborEncode, type CborValue } from "../src/cbor.js";
import { isSeglError } from "../src/errors.js";
import { Ctap2Client, ctapError } from "../src/protocols/ctap2/client.js";
import { ClientPin, PinPermission } from "../src/protocols/ctap2/client-pin.js";
import { CredentialManagement } from "../src/protocols/ctap2/credential-management.js";
import { PinProtocolV1, PinProtocolV2, coseKeyToPoint, pointToCoseKey } from "../src/protocols/ctap2/pin-protocol.js";
import { parseAuthenticatorData } from "../src/fido/authdata.js";
import type { CtapCborChannel, CtapCborResponse } from "../src/protocols/ctaphid/client.js";

type M = Map<CborValue, CborValue>;
const B = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ""), "hex"));
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const hmac = (k: Uint8Array, m: Uint8Array) => new Uint8Array(createHmac("sha256", k).update(m).digest());

// ---- independent formulations
function hkdf32(ikm: Uint8Array, info: string): Uint8Array {
  const prk = hmac(new Uint8Array(32), ikm);
  return hmac(prk, new Uint8Array([...Buffer.from(info), 1]));
}
function ecb(enc: boolean, key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = enc ? createCipheriv("aes-256-ecb", key, null) : createDecipheriv("aes-256-ecb", key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
}
function cbcDecrypt(key: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array {
  const out = new Uint8Array(ct.length);
  let prev = iv;
  for (let i = 0; i < ct.length; i += 16) {
    const blk = ct.subarray(i, i + 16);
    const d = ecb(false, key, blk);
    for (let j = 0; j < 16; j++) out[i + j] = d[j]! ^ prev[j]!;
    prev = blk;
  }
  return out;
}
function cbcEncrypt(key: Uint8Array, iv: Uint8Array, pt: Uint8Array): Uint8Array {
  const out = new Uint8Array(pt.length);
  let prev = iv;
  for (let i = 0; i < pt.length; i += 16) {
    const x = new Uint8Array(16);
    for (let j = 0; j < 16; j++) x[j] = pt[i + j]! ^ prev[j]!;
    prev = ecb(true, key, x);
    out.set(prev, i);
  }
  return out;
}

/** Authenticator side of protocol v (independent of the SDK's PinProtocolV1/V2). */
class AuthPin {
  readonly ecdh = createECDH("prime256v1");
  constructor(readonly v: 1 | 2) { this.ecdh.generateKeys(); }
  coseKey(): M {
    const pub = this.ecdh.getPublicKey();
    return new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, new Uint8Array(pub.subarray(1, 33))], [-3, new Uint8Array(pub.subarray(33))]]);
  }
  shared(platformKey: M): Uint8Array {
    const pt = Buffer.concat([Buffer.of(4), platformKey.get(-2) as Uint8Array, platformKey.get(-3) as Uint8Array]);
    const z = new Uint8Array(this.ecdh.computeSecret(pt));
    return this.v === 1 ? sha256(z) : new Uint8Array([...hkdf32(z, "CTAP2 HMAC key"), ...hkdf32(z, "CTAP2 AES key")]);
  }
  decrypt(s: Uint8Array, ct: Uint8Array): Uint8Array {
    return this.v === 1 ? cbcDecrypt(s, new Uint8Array(16), ct) : cbcDecrypt(s.subarray(32), ct.subarray(0, 16), ct.subarray(16));
  }
  encrypt(s: Uint8Array, pt: Uint8Array): Uint8Array {
    if (this.v === 1) return cbcEncrypt(s, new Uint8Array(16), pt);
    const iv = new Uint8Array(randomBytes(16));
    return new Uint8Array([...iv, ...cbcEncrypt(s.subarray(32), iv, pt)]);
  }
  mac(key: Uint8Array, msg: Uint8Array): Uint8Array {
    const k = this.v === 2 && key.length === 64 ? key.subarray(0, 32) : key;
    const h = hmac(k, msg);
    return this.v === 1 ? h.subarray(0, 16) : h;
  }
}

/** A fake authenticator at the CBOR level. */
class FakeAuthenticator implements CtapCborChannel {
  pin: string | undefined;
  retries = 8;
  token = new Uint8Array(randomBytes(32));
  auth: AuthPin;
  lastRequest: { cmd: number; params: M | undefined } | undefined;
  assertionsLeft = 0;
  credKey = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  rks: Array<{ rp: string; user: M; id: Uint8Array }> = [
    { rp: "a.example", user: new Map<CborValue, CborValue>([["id", Uint8Array.of(1)], ["name", "ann"]]), id: Uint8Array.of(0xa1) },
    { rp: "a.example", user: new Map<CborValue, CborValue>([["id", Uint8Array.of(2)], ["name", "bob"]]), id: Uint8Array.of(0xa2) },
    { rp: "b.example", user: new Map<CborValue, CborValue>([["id", Uint8Array.of(3)]]), id: Uint8Array.of(0xb1) },
  ];
  private iter: Array<M> = [];

  constructor(readonly v: 1 | 2) { this.auth = new AuthPin(v); }

  authData(rpId: string, withCred: boolean): Uint8Array {
    const parts: Uint8Array[] = [sha256(Buffer.from(rpId)), Uint8Array.of(withCred ? 0x45 : 0x05), Uint8Array.of(0, 0, 0, 7)];
    if (withCred) {
      const cose = cborEncode(new Map<CborValue, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, this.credKey.slice(1, 33)], [-3, this.credKey.slice(33)]]));
      parts.push(new Uint8Array(16).fill(0xaa), Uint8Array.of(0, 4), Uint8Array.of(1, 2, 3, 4), cose);
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  private ok(m?: M): CtapCborResponse {
    return { status: 0, statusName: "CTAP2_OK", data: m ? cborEncode(m) : new Uint8Array(0) };
  }
  private err(s: number): CtapCborResponse {
    return { status: s, statusName: "", data: new Uint8Array(0) };
  }

  async cbor(cmd: number, params: CborValue | undefined): Promise<CtapCborResponse> {
    // What went over the wire must be canonical CBOR with integer keys.
    const p = params === undefined ? undefined : (cborDecode(cborEncode(params), { requireCanonical: true }) as M);
    this.lastRequest = { cmd, params: p };
    const map = (...e: Array<[CborValue, CborValue]>) => new Map<CborValue, CborValue>(e);
    switch (cmd) {
      case 0x04:
        return this.ok(map([1, ["FIDO_2_0", "FIDO_2_1"]], [2, ["credProtect"]], [3, new Uint8Array(16).fill(0xaa)],
          [4, map(["rk", true], ["clientPin", this.pin !== undefined], ["up", true])], [5, 1200], [6, [this.v]], [9, ["usb"]],
          [10, [map(["alg", -7], ["type", "public-key"])]], [13, 4], [0x63, "vendor"]));
      case 0x06: return this.clientPin(p!);
      case 0x01: {
        if (p!.get(8) !== undefined) {
          if (!eq(p!.get(8) as Uint8Array, this.auth.mac(this.token, p!.get(1) as Uint8Array))) return this.err(0x33);
          if (p!.get(9) !== this.v) return this.err(0x02);
        } else if (this.pin !== undefined) return this.err(0x36);
        const rp = (p!.get(2) as M).get("id") as string;
        const attStmt = map(["alg", -7], ["sig", Uint8Array.of(0x30, 0)]);
        return this.ok(map([1, "packed"], [2, this.authData(rp, true)], [3, attStmt]));
      }
      case 0x02: {
        this.assertionsLeft = 2;
        return this.ok(this.assertion(p!.get(1) as string, 3));
      }
      case 0x08:
        if (this.assertionsLeft-- <= 0) return this.err(0x30);
        return this.ok(this.assertion("a.example"));
      case 0x0a: return this.credMgmt(p!);
      default:
        return this.err(0x01);
    }
  }

  private assertion(rp: string, n?: number): M {
    const m = new Map<CborValue, CborValue>([
      [1, new Map<CborValue, CborValue>([["id", Uint8Array.of(this.assertionsLeft)], ["type", "public-key"]])],
      [2, this.authData(rp, false)], [3, Uint8Array.of(0x30, 1, 2)],
      [4, new Map<CborValue, CborValue>([["id", Uint8Array.of(9)], ["name", "u"]])],
    ]);
    if (n) m.set(5, n);
    return m;
  }

  private clientPin(p: M): CtapCborResponse {
    assert.equal(p.get(1), this.v, "pinUvAuthProtocol");
    const sub = p.get(2);
    const map = (...e: Array<[CborValue, CborValue]>) => new Map<CborValue, CborValue>(e);
    if (sub === 1) return this.ok(map([3, this.retries]));
    if (sub === 2) return this.ok(map([1, this.auth.coseKey()]));
    const s = this.auth.shared(p.get(3) as M);
    const checkPin = (): CtapCborResponse | undefined => {
      if (this.retries === 0) return this.err(0x32);
      this.retries--;
      const h = this.auth.decrypt(s, p.get(6) as Uint8Array);
      if (!eq(h, sha256(Buffer.from(this.pin!)).subarray(0, 16))) return this.err(0x31);
      this.retries = 8;
      return undefined;
    };
    const newPin = (): string => {
      const padded = this.auth.decrypt(s, p.get(5) as Uint8Array);
      assert.equal(padded.length, 64);
      return Buffer.from(padded.subarray(0, padded.indexOf(0) < 0 ? 64 : padded.indexOf(0))).toString("utf8");
    };
    if (sub === 3) {
      if (this.pin !== undefined) return this.err(0x30);
      if (!eq(p.get(4) as Uint8Array, this.auth.mac(s, p.get(5) as Uint8Array))) return this.err(0x33);
      this.pin = newPin();
      return this.ok();
    }
    if (sub === 4) {
      const msg = new Uint8Array([...(p.get(5) as Uint8Array), ...(p.get(6) as Uint8Array)]);
      if (!eq(p.get(4) as Uint8Array, this.auth.mac(s, msg))) return this.err(0x33);
      const e = checkPin();
      if (e) return e;
      this.pin = newPin();
      return this.ok();
    }
    if (sub === 5 || sub === 9) {
      const e = checkPin();
      if (e) return e;
      if (sub === 9) assert.equal(typeof p.get(9), "number");
      this.token = new Uint8Array(randomBytes(this.v === 1 ? 16 : 32));
      return this.ok(map([2, this.auth.encrypt(s, this.token)]));
    }
    return this.err(0x3e);
  }

  private credMgmt(p: M): CtapCborResponse {
    const sub = p.get(1) as number;
    const params = p.get(2) as M | undefined;
    const map = (...e: Array<[CborValue, CborValue]>) => new Map<CborValue, CborValue>(e);
    if (sub === 1 || sub === 2 || sub === 4 || sub === 6 || sub === 7) {
      const msg = new Uint8Array([sub, ...(params ? cborEncode(params) : [])]);
      if (p.get(3) !== this.v || !eq(p.get(4) as Uint8Array, this.auth.mac(this.token, msg))) return this.err(0x33);
    }
    const rps = [...new Set(this.rks.map((r) => r.rp))];
    const rpEntry = (id: string) => map([3, map(["id", id])], [4, sha256(Buffer.from(id))]);
    const credEntry = (r: { user: M; id: Uint8Array }) => map([6, r.user], [7, map(["id", r.id], ["type", "public-key"])], [8, map([1, 2], [3, -7])], [10, 1]);
    switch (sub) {
      case 1: return this.ok(map([1, this.rks.length], [2, 10]));
      case 2:
        if (!rps.length) return this.err(0x2e);
        this.iter = rps.slice(1).map(rpEntry);
        return this.ok(new Map([...rpEntry(rps[0]!), [5, rps.length]]));
      case 3: return this.ok(this.iter.shift()!);
      case 4: {
        const mine = this.rks.filter((r) => eq(sha256(Buffer.from(r.rp)), params!.get(1) as Uint8Array));
        if (!mine.length) return this.err(0x2e);
        this.iter = mine.slice(1).map(credEntry);
        return this.ok(new Map([...credEntry(mine[0]!), [9, mine.length]]));
      }
      case 5: return this.ok(this.iter.shift()!);
      case 6: {
        const id = (params!.get(2) as M).get("id") as Uint8Array;
        const i = this.rks.findIndex((r) => eq(r.id, id));
        if (i < 0) return this.err(0x2e);
        this.rks.splice(i, 1);
        return this.ok();
      }
      case 7: {
        const id = (params!.get(2) as M).get("id") as Uint8Array;
        const r = this.rks.find((x) => eq(x.id, id));
        if (!r) return this.err(0x2e);
        r.user = params!.get(3) as M;
        return this.ok();
      }
    }
    return this.err(0x3e);
  }
}

test("PIN protocol 1: AES-256-CBC with a zero IV is the FIPS-197 C.3 vector for one block; 16-byte HMAC", () => {
  const v1 = new PinProtocolV1();
  const key = B("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const ct = v1.encrypt(key, B("00112233445566778899aabbccddeeff"));
  assert.deepEqual(ct, B("8ea2b7ca516745bfeafc49904b496089"));
  assert.deepEqual(v1.decrypt(key, ct), B("00112233445566778899aabbccddeeff"));
  const pt = new Uint8Array(randomBytes(64));
  assert.deepEqual(v1.encrypt(key, pt), cbcEncrypt(key, new Uint8Array(16), pt));
  assert.deepEqual(v1.authenticate(key, pt), hmac(key, pt).subarray(0, 16));
  assert.deepEqual(v1.kdf(pt.subarray(0, 32)), sha256(pt.subarray(0, 32)));
  assert.throws(() => v1.encrypt(key, new Uint8Array(15)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.throws(() => v1.decrypt(key, new Uint8Array(17)), (e) => isSeglError(e, "BAD_RESPONSE"));
});

test("PIN protocol 2: HKDF info strings, random IV in front, full HMAC with the first half of the secret", () => {
  const iv = B("0f0e0d0c0b0a09080706050403020100");
  const v2 = new PinProtocolV2(() => iv.slice());
  const z = new Uint8Array(randomBytes(32));
  const s = v2.kdf(z);
  assert.deepEqual(s.subarray(0, 32), hkdf32(z, "CTAP2 HMAC key"));
  assert.deepEqual(s.subarray(32), hkdf32(z, "CTAP2 AES key"));
  const pt = new Uint8Array(randomBytes(32));
  const ct = v2.encrypt(s, pt);
  assert.deepEqual(ct.subarray(0, 16), iv);
  assert.deepEqual(ct.subarray(16), cbcEncrypt(s.subarray(32), iv, pt));
  assert.deepEqual(v2.decrypt(s, ct), pt);
  assert.deepEqual(v2.authenticate(s, pt), hmac(s.subarray(0, 32), pt));
  const token = new Uint8Array(randomBytes(32));
  assert.deepEqual(v2.authenticate(token, pt), hmac(token, pt));
  assert.throws(() => v2.decrypt(s, new Uint8Array(8)), (e) => isSeglError(e, "BAD_RESPONSE"));
});

test("key agreement: both protocols agree with node:crypto ECDH; off-curve keys are BAD_RESPONSE", () => {
  for (const v of [1, 2] as const) {
    const a = new AuthPin(v);
    const proto = v === 1 ? new PinProtocolV1() : new PinProtocolV2();
    const { platformKey, sharedSecret } = proto.encapsulate(a.coseKey());
    assert.equal(platformKey.get(3), -25);
    assert.deepEqual(sharedSecret, a.shared(platformKey));
  }
  const k = new AuthPin(2).coseKey();
  (k.get(-3) as Uint8Array)[31] ^= 1;
  assert.throws(() => coseKeyToPoint(k), (e) => isSeglError(e, "BAD_RESPONSE"));
  assert.throws(() => coseKeyToPoint(new Map([[1, 1]])), (e) => isSeglError(e, "BAD_RESPONSE"));
  const pub = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  assert.deepEqual(coseKeyToPoint(pointToCoseKey(pub)), pub);
});

for (const v of [1, 2] as const) {
  test(`clientPIN protocol ${v}: set, change, wrong PIN with retries, token, makeCredential with pinUvAuthParam, credential management`, async () => {
    const dev = new FakeAuthenticator(v);
    const ctap = new Ctap2Client(dev);
    const pin = await ClientPin.forDevice(ctap);
    assert.equal(pin.protocol.version, v);
    assert.deepEqual(await pin.getRetries(), { retries: 8 });
    await pin.setPin("1234😀");
    assert.equal(dev.pin, "1234😀");
    await assert.rejects(pin.setPin("abc"), (e) => isSeglError(e, "INVALID_ARGUMENT")); // 3 code points
    await assert.rejects(pin.setPin("x".repeat(64)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
    await pin.changePin("1234😀", "55555");
    assert.equal(dev.pin, "55555");
    await assert.rejects(pin.getPinToken("0000"), (e) =>
      isSeglError(e, "CTAP_ERROR") && e.details?.["ctapName"] === "CTAP2_ERR_PIN_INVALID" && e.details?.["ctapStatus"] === 0x31 && e.details?.["retries"] === 7);
    const token = await pin.getPinUvAuthToken("55555", PinPermission.MAKE_CREDENTIAL | PinPermission.CREDENTIAL_MANAGEMENT, "a.example");
    assert.deepEqual(token.token, dev.token);
    assert.equal(dev.lastRequest!.params!.get(9), 5);
    assert.equal(dev.lastRequest!.params!.get(10), "a.example");

    const cdh = new Uint8Array(randomBytes(32));
    const user = { id: Uint8Array.of(7), name: "ann", displayName: "Ann" };
    await assert.rejects(ctap.makeCredential({ clientDataHash: cdh, rp: { id: "a.example" }, user }), (e) =>
      isSeglError(e, "CTAP_ERROR") && e.details?.["ctapName"] === "CTAP2_ERR_PUAT_REQUIRED");
    const att = await ctap.makeCredential({ clientDataHash: cdh, rp: { id: "a.example", name: "A" }, user, pinUvAuthToken: token, options: { rk: true } });
    const req = dev.lastRequest!.params!;
    assert.deepEqual(req.get(8), v === 1 ? hmac(token.token, cdh).subarray(0, 16) : hmac(token.token, cdh));
    assert.equal(req.get(9), v);
    assert.deepEqual(req.get(7), new Map([["rk", true]]));
    assert.deepEqual(req.get(4), [new Map<CborValue, CborValue>([["alg", -7], ["type", "public-key"]])]);
    assert.equal(att.fmt, "packed");
    assert.deepEqual(att.credentialId, Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual(att.parsedAuthData.rpIdHash, sha256(Buffer.from("a.example")));
    assert.equal(att.parsedAuthData.signCount, 7);
    assert.ok(att.parsedAuthData.flags.at && att.parsedAuthData.flags.up && att.parsedAuthData.flags.uv);
    assert.deepEqual(coseKeyToPoint(new Map([...(cborDecode(att.parsedAuthData.attestedCredentialData!.credentialPublicKey) as Map<number, unknown>)].filter(([k]) => k !== 3)) as never), dev.credKey);
    assert.equal(att.attStmt.get("alg"), -7);

    const cm = new CredentialManagement(ctap, token);
    assert.deepEqual(await cm.metadata(), { existingResidentCredentialsCount: 3, maxPossibleRemainingResidentCredentialsCount: 10 });
    const rps = await cm.enumerateRps();
    assert.deepEqual(rps.map((r) => r.rp.id), ["a.example", "b.example"]);
    const creds = await cm.enumerateCredentials(rps[0]!.rpIdHash);
    assert.deepEqual(creds.map((c) => c.user.name), ["ann", "bob"]);
    assert.equal(creds[0]!.credProtect, 1);
    await cm.updateUser(creds[1]!.credentialId, { id: Uint8Array.of(2), name: "robert" });
    assert.equal(dev.rks[1]!.user.get("name"), "robert");
    await cm.deleteCredential(creds[0]!.credentialId.id);
    assert.equal(dev.rks.length, 2);
    await cm.deleteCredential(Uint8Array.of(0xb1));
    assert.deepEqual((await cm.enumerateRps()).map((r) => r.rp.id), ["a.example"]);
    assert.deepEqual(await cm.enumerateCredentials(sha256(Buffer.from("zzz"))), []);
    const other = new CredentialManagement(ctap, { protocol: token.protocol, token: new Uint8Array(32) });
    await assert.rejects(other.metadata(), (e) => isSeglError(e, "CTAP_ERROR") && e.details?.["ctapName"] === "CTAP2_ERR_PIN_AUTH_INVALID");
  });
}

test("getInfo is typed; getAssertions walks getNextAssertion; CTAP status codes map 1:1", async () => {
  const dev = new FakeAuthenticator(2);
  const ctap = new Ctap2Client(dev);
  const info = await ctap.getInfo();
  assert.deepEqual(info.versions, ["FIDO_2_0", "FIDO_2_1"]);
  assert.deepEqual(info.options, { rk: true, clientPin: false, up: true });
  assert.equal(info.maxMsgSize, 1200);
  assert.deepEqual(info.pinUvAuthProtocols, [2]);
  assert.deepEqual(info.algorithms, [{ type: "public-key", alg: -7 }]);
  assert.equal(info.minPINLength, 4);
  assert.equal(info.raw.get(0x63), "vendor");
  const all = await ctap.getAssertions({ rpId: "a.example", clientDataHash: new Uint8Array(32) });
  assert.equal(all.length, 3);
  assert.equal(all[0]!.numberOfCredentials, 3);
  assert.equal(all[0]!.user?.name, "u");
  assert.deepEqual(all[2]!.credential.id, Uint8Array.of(0));
  assert.equal(all[1]!.parsedAuthData.flags.at, false);
  await assert.rejects(ctap.getNextAssertion(), (e) => isSeglError(e, "CTAP_ERROR") && e.details?.["ctapName"] === "CTAP2_ERR_NOT_ALLOWED");
  await assert.rejects(ctap.reset(), (e) => isSeglError(e, "CTAP_ERROR") && e.details?.["ctapStatus"] === 1 && e.details?.["ctapName"] === "CTAP1_ERR_INVALID_COMMAND");
  const e = ctapError(0x34, 0x06);
  assert.equal(e.details?.["ctapName"], "CTAP2_ERR_PIN_AUTH_BLOCKED");
  assert.equal(ctapError(0xee, 0x01).details?.["ctapName"], "CTAP_STATUS_0xee");
});

test("authData parsing: truncations and trailing bytes are BAD_RESPONSE", () => {
  const dev = new FakeAuthenticator(2);
  const ad = dev.authData("x", true);
  const p = parseAuthenticatorData(ad);
  assert.equal(p.attestedCredentialData!.credentialPublicKey.length, ad.length - 37 - 18 - 4);
  for (const cut of [10, 36, 40, 37 + 18 + 2, ad.length - 1]) assert.throws(() => parseAuthenticatorData(ad.subarray(0, cut)), (e) => isSeglError(e, "BAD_RESPONSE"), `cut ${cut}`);
  assert.throws(() => parseAuthenticatorData(new Uint8Array([...ad, 0])), (e) => isSeglError(e, "BAD_RESPONSE"));
});

test("getAssertion with one allowList entry may omit the credential; malformed responses are BAD_RESPONSE", async () => {
  let answer: CtapCborResponse = { status: 0, statusName: "", data: new Uint8Array(0) };
  const chan: CtapCborChannel = { cbor: async () => answer };
  const ctap = new Ctap2Client(chan);
  const dev = new FakeAuthenticator(2);
  answer = { status: 0, statusName: "", data: cborEncode(new Map<CborValue, CborValue>([[2, dev.authData("r", false)], [3, Uint8Array.of(1)]])) };
  const a = await ctap.getAssertion({ rpId: "r", clientDataHash: new Uint8Array(32), allowList: [{ type: "public-key", id: Uint8Array.of(5) }] });
  assert.deepEqual(a.credential.id, Uint8Array.of(5));
  await assert.rejects(ctap.getAssertion({ rpId: "r", clientDataHash: new Uint8Array(32) }), (e) => isSeglError(e, "BAD_RESPONSE"));
  for (const bad of [cborEncode([1, 2]), cborEncode(new Map([[1, "x"]])), Uint8Array.of(0xff), cborEncode(new Map<CborValue, CborValue>([[1, 3], [3, 5]]))]) {
    answer = { status: 0, statusName: "", data: bad };
    await assert.rejects(ctap.getInfo(), (e) => isSeglError(e, "BAD_RESPONSE"));
    await assert.rejects(ctap.makeCredential({ clientDataHash: new Uint8Array(32), rp: { id: "r" }, user: { id: Uint8Array.of(1) } }), (e) => isSeglError(e, "BAD_RESPONSE"));
  }
  await assert.rejects(ctap.makeCredential({ clientDataHash: new Uint8Array(31), rp: { id: "r" }, user: { id: Uint8Array.of(1) } }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});
