// Broker-side FIDO verification against a software authenticator (noble keys) that produces
// packed-with-batch, packed-self, none and fido-u2f registrations and assertions. Every case is
// cross-checked with @simplewebauthn/server: both must reach the same verdict.
import { test } from "vitest";
import assert from "node:assert/strict";
import {
  SettingsService, verifyAuthenticationResponse, verifyRegistrationResponse,
} from "@simplewebauthn/server";
import {
  cborEncode, coseEs256, createBatchCertificate, FidoVerifier, isSeglError, parseAuthenticatorData,
  verifyAssertion, verifyRegistration, checkCounter, type CborValue,
} from "../src/index.js";
import {
  RP, ORIGIN, AAGUID, b64u, cat, ca, otherCa, newCred, authData, register, assertWith, ours, parts, USER, asr,
  type Reg, type Asr, type SoftCred,
} from "./fido-soft.js";

async function swaRegistration(r: Reg, roots?: string[], rpId = RP): Promise<boolean> {
  SettingsService.setRootCertificates({ identifier: "packed", certificates: roots ?? [] });
  SettingsService.setRootCertificates({ identifier: "fido-u2f", certificates: roots ?? [] });
  try {
    const out = await verifyRegistrationResponse({
      response: {
        id: b64u(r.cred.id), rawId: b64u(r.cred.id), type: "public-key", clientExtensionResults: {},
        response: { clientDataJSON: b64u(r.clientDataJSON), attestationObject: b64u(r.attestationObject) },
      },
      expectedChallenge: b64u(r.challenge), expectedOrigin: ORIGIN, expectedRPID: rpId, requireUserVerification: false,
    });
    return out.verified;
  } catch {
    return false;
  }
}

async function swaAssertion(cred: SoftCred, a: Asr, stored: number, rpId = RP): Promise<boolean> {
  try {
    const out = await verifyAuthenticationResponse({
      response: {
        id: b64u(cred.id), rawId: b64u(cred.id), type: "public-key", clientExtensionResults: {},
        response: { clientDataJSON: b64u(a.clientDataJSON), authenticatorData: b64u(a.authenticatorData), signature: b64u(a.signature) },
      },
      expectedChallenge: b64u(a.challenge), expectedOrigin: ORIGIN, expectedRPID: rpId,
      credential: { id: b64u(cred.id), publicKey: new Uint8Array(cred.cose), counter: stored }, requireUserVerification: false,
    });
    return out.verified;
  } catch {
    return false;
  }
}

test("FIDO registration: packed with batch certificate, chained to the maker root; SimpleWebAuthn agrees", async () => {
  const r = register("packed-batch");
  const free = ours(r);
  assert.equal(free.verified, true, free.problems.join("; "));
  assert.equal(free.signatureValid, true);
  assert.deepEqual(
    { format: free.attestation.format, type: free.attestation.type, trust: free.attestation.trust, aaguid: free.attestation.aaguid },
    { format: "packed", type: "basic", trust: "unchained", aaguid: AAGUID },
  );
  assert.equal(free.attestation.chain?.length, 1);
  const chained = ours(r, { trustAnchors: [ca.certificateDer], expectedAaguid: AAGUID });
  assert.equal(chained.verified, true, chained.problems.join("; "));
  assert.equal(chained.attestation.trust, "chained");
  assert.equal(chained.attestation.aaguidValid, true);
  assert.deepEqual(chained.credential.id, r.cred.id);
  assert.deepEqual(chained.credential.publicKey, r.cred.cose);
  assert.equal(chained.credential.algorithm, -7);
  assert.equal(chained.credential.keyObject.asymmetricKeyType, "ec");
  // PEM anchors work too
  assert.equal(ours(r, { trustAnchors: [ca.certificatePem] }).attestation.trust, "chained");
  assert.equal(await swaRegistration(r), true);
  assert.equal(await swaRegistration(r, [ca.certificatePem]), true);
});

test("FIDO registration: a wrong root leaves the chain unchained and fails verification (both verifiers)", async () => {
  const r = register("packed-batch");
  const v = ours(r, { trustAnchors: [otherCa.certificateDer] });
  assert.equal(v.signatureValid, true);
  assert.equal(v.attestation.trust, "unchained");
  assert.equal(v.verified, false);
  assert.ok(v.attestation.problems.some((p) => /trust anchor/.test(p)));
  assert.equal(await swaRegistration(r, [otherCa.certificatePem]), false);
  // a batch certificate of another maker does not chain to ours
  const foreign = register("packed-batch", { batch: createBatchCertificate({ ca: otherCa, aaguid: AAGUID }) });
  assert.equal(ours(foreign, { trustAnchors: [ca.certificateDer] }).attestation.trust, "unchained");
  assert.equal(await swaRegistration(foreign, [ca.certificatePem]), false);
  // an expired chain is not trusted
  assert.equal(ours(r, { trustAnchors: [ca.certificateDer], now: new Date(Date.now() + 40 * 365 * 86400e3) }).attestation.trust, "unchained");
});

test("FIDO registration: packed self, none, fido-u2f; Ed25519 self; SimpleWebAuthn agrees", async () => {
  const self = register("packed-self");
  const s = ours(self, { trustAnchors: [ca.certificateDer] });
  assert.deepEqual([s.attestation.type, s.attestation.trust, s.signatureValid], ["self", "self", true]);
  assert.equal(s.verified, false, "anchors demand a chain; self attestation has none");
  assert.equal(ours(self).verified, true);
  assert.equal(await swaRegistration(self), true);

  const ed = register("packed-self", { cred: newCred("ed25519") });
  const e = ours(ed);
  assert.equal(e.verified, true, e.problems.join("; "));
  assert.equal(e.credential.algorithm, -8);
  assert.equal(await swaRegistration(ed), true);

  const none = register("none");
  const n = ours(none);
  assert.equal(n.verified, true, n.problems.join("; "));
  assert.deepEqual([n.attestation.format, n.attestation.type, n.attestation.trust, n.signatureValid], ["none", "none", "none", undefined]);
  assert.equal(await swaRegistration(none), true);

  const u2f = register("fido-u2f");
  const u = ours(u2f, { trustAnchors: [ca.certificateDer] });
  assert.equal(u.verified, true, u.problems.join("; "));
  assert.deepEqual([u.attestation.format, u.attestation.type, u.attestation.trust], ["fido-u2f", "basic", "chained"]);
  assert.equal(await swaRegistration(u2f, [ca.certificatePem]), true);
});

test("FIDO registration: CTAP2 response parts (what the chip returns) with the clientDataJSON the broker made", () => {
  const r = register("packed-batch");
  const v = parts(r, { trustAnchors: [ca.certificateDer] });
  assert.equal(v.verified, true, v.problems.join("; "));
  assert.equal(v.clientData.challengeValid, true);
});

test("FIDO registration: AAGUID mismatch, certificate without OU, self alg mismatch are reported", async () => {
  const mismatch = register("packed-batch", { aaguid: new Uint8Array(16).fill(7) });
  const m = ours(mismatch);
  assert.equal(m.signatureValid, true);
  assert.equal(m.verified, false);
  assert.ok(m.attestation.problems.some((p) => /AAGUID/.test(p)), m.attestation.problems.join("; "));
  assert.equal(await swaRegistration(mismatch), false);
  // expectedAaguid differs from what the authenticator reports
  const other = ours(register("none"), { expectedAaguid: "00000000-0000-0000-0000-000000000001" });
  assert.equal(other.attestation.aaguidValid, false);
  assert.equal(other.verified, false);

  const noOu = createBatchCertificate({ ca, aaguid: AAGUID, subject: { OU: null } });
  const r = register("packed-batch", { batch: noOu });
  const v = ours(r, { trustAnchors: [ca.certificateDer] });
  assert.equal(v.signatureValid, true);
  assert.equal(v.attestation.trust, "chained");
  assert.equal(v.verified, false);
  assert.ok(v.attestation.problems.some((p) => /OU/.test(p)));
  assert.equal(await swaRegistration(r, [ca.certificatePem]), false);

  const tpm = register("none");
  const t = parts({ ...tpm, fmt: "tpm", attStmt: new Map() });
  assert.deepEqual([t.verified, t.signatureValid], [false, false]);
  assert.ok(t.attestation.problems.some((p) => /not supported/.test(p)));

  const ed = newCred("ed25519");
  const bad = register("packed-self", { cred: ed });
  bad.attStmt.set("alg", -7);
  const b = parts(bad);
  assert.equal(b.verified, false);
  assert.ok(b.attestation.problems.some((p) => /alg/.test(p)));
});

test("FIDO registration: tampered authData or signature, wrong rpId, missing UP", async () => {
  const flipCounter = (ad: Uint8Array) => { const c = ad.slice(); c[36] ^= 1; return c; };
  for (const fmt of ["packed-batch", "packed-self", "fido-u2f"] as const) {
    const t = register(fmt, { tamper: flipCounter });
    const v = ours(t);
    assert.equal(v.signatureValid, fmt === "fido-u2f", fmt); // fido-u2f signs neither flags nor counter
    if (fmt !== "fido-u2f") assert.equal(v.verified, false);
    assert.equal(await swaRegistration(t), v.verified, fmt);
  }
  const r = register("packed-batch");
  const sig = r.attStmt.get("sig") as Uint8Array;
  sig[sig.length - 1] ^= 1;
  const v = parts(r);
  assert.equal(v.signatureValid, false);
  assert.equal(v.verified, false);

  const wrongRp = register("packed-batch", { rpId: "evil.example" });
  const w = ours(wrongRp);
  assert.equal(w.rpIdValid, false);
  assert.equal(w.signatureValid, true);
  assert.equal(w.verified, false);
  assert.equal(await swaRegistration(wrongRp), false);
  assert.equal(ours(wrongRp, { expectedRpId: ["x.example", "evil.example"] }).rpIdValid, true);

  const noUp = register("packed-batch", { flags: 0x40 });
  assert.equal(ours(noUp).verified, false);
  assert.equal(ours(noUp, { requireUserPresence: false }).verified, true);
  assert.equal(ours(register("none"), { requireUserVerification: true }).verified, false);
  assert.equal(ours(register("none", { flags: 0x45 }), { requireUserVerification: true }).verified, true);
});

test("FIDO assertion: valid, high-S, Ed25519, KeyObject credential; SimpleWebAuthn agrees", async () => {
  const cred = newCred();
  const reg = ours(register("packed-self", { cred }));
  const a = assertWith(cred, { counter: 5 });
  const v = verifyAssertion(asr(cred, a, 4));
  assert.equal(v.verified, true, v.problems.join("; "));
  assert.deepEqual([v.signatureValid, v.rpIdValid, v.userPresent, v.userVerified, v.credentialIdValid, v.userHandleValid], [true, true, true, false, true, true]);
  assert.deepEqual(v.counter, { status: "ok", stored: 4, received: 5, next: 5 });
  assert.equal(v.clientData.challengeValid, true);
  assert.equal(await swaAssertion(cred, a, 4), true);
  const ko = { id: cred.id, publicKey: reg.credential.keyObject, algorithm: -7, signCount: 4, userHandle: USER };
  assert.equal(verifyAssertion(asr(cred, a, 4, { credential: ko })).verified, true);

  const h = assertWith(cred, { highS: true });
  assert.equal(verifyAssertion(asr(cred, h, 0)).signatureValid, true);
  assert.equal(await swaAssertion(cred, h, 0), true);

  const ed = newCred("ed25519");
  const ea = assertWith(ed, { counter: 0 });
  const ev = verifyAssertion(asr(ed, ea, 0));
  assert.equal(ev.verified, true, ev.problems.join("; "));
  assert.equal(ev.counter.status, "unsupported");
  assert.equal(await swaAssertion(ed, ea, 0), true);
});

test("FIDO assertion: counter ok / unsupported / regressed (WebAuthn §6.1.1), policy report vs reject", async () => {
  assert.equal(checkCounter(0, 0), "unsupported");
  assert.equal(checkCounter(0, 1), "ok");
  assert.equal(checkCounter(7, 8), "ok");
  assert.equal(checkCounter(7, 7), "regressed");
  assert.equal(checkCounter(7, 0), "regressed");
  assert.equal(checkCounter(0xfffffffe, 0xffffffff), "ok");
  const cred = newCred();
  for (const [stored, received, status] of [[0, 0, "unsupported"], [3, 4, "ok"], [10, 10, "regressed"], [10, 2, "regressed"], [5, 0, "regressed"]] as const) {
    const a = assertWith(cred, { counter: received });
    const v = verifyAssertion(asr(cred, a, stored));
    assert.equal(v.counter.status, status, `${stored}->${received}`);
    assert.equal(v.signatureValid, true);
    assert.equal(v.verified, status !== "regressed");
    assert.equal(v.counter.next, Math.max(stored, received));
    assert.equal(verifyAssertion(asr(cred, a, stored, { counterPolicy: "report" })).verified, true);
    assert.equal(await swaAssertion(cred, a, stored), v.verified, `${stored}->${received}`);
  }
});

test("FIDO assertion: tampered authData / signature, wrong rpId, origin, challenge, UP/UV", async () => {
  const cred = newCred();
  const a = assertWith(cred, { counter: 9 });
  const mk = (o: Partial<Parameters<typeof verifyAssertion>[0]> = {}) => verifyAssertion(asr(cred, a, 1, o));
  const tamperedAd = a.authenticatorData.slice();
  tamperedAd[36] ^= 0x10;
  const t = mk({ authenticatorData: tamperedAd });
  assert.deepEqual([t.signatureValid, t.verified], [false, false]);
  assert.equal(await swaAssertion(cred, { ...a, authenticatorData: tamperedAd }, 1), false);
  const badSig = a.signature.slice();
  badSig[10] ^= 1;
  assert.deepEqual([mk({ signature: badSig }).signatureValid, mk({ signature: badSig }).verified], [false, false]);
  assert.equal(mk({ signature: new Uint8Array(3) }).signatureValid, false, "garbage signature reports, never throws");
  assert.equal(await swaAssertion(cred, { ...a, signature: badSig }, 1), false);

  const w = mk({ expectedRpId: "other.example" });
  assert.deepEqual([w.signatureValid, w.rpIdValid, w.verified], [true, false, false]);
  assert.equal(await swaAssertion(cred, a, 1, "other.example"), false);

  const o = mk({ expectedOrigin: "https://evil.example" });
  assert.deepEqual([o.clientData.originValid, o.verified], [false, false]);
  const c = mk({ expectedChallenge: new Uint8Array(32) });
  assert.deepEqual([c.clientData.challengeValid, c.verified], [false, false]);
  assert.equal(mk({ expectedChallenge: (s) => s === b64u(a.challenge) }).verified, true);
  // a registration's clientData is not an assertion's
  const reg = register("none", { cred });
  assert.equal(mk({ clientDataJSON: reg.clientDataJSON, expectedChallenge: reg.challenge }).clientData.typeValid, false);

  const noUp = assertWith(cred, { flags: 0x00, counter: 10 });
  const nu = asr(cred, noUp, 1);
  assert.deepEqual([verifyAssertion(nu).signatureValid, verifyAssertion(nu).userPresent, verifyAssertion(nu).verified], [true, false, false]);
  assert.equal(verifyAssertion({ ...nu, requireUserPresence: false }).verified, true);
  assert.equal(verifyAssertion({ ...nu, requireUserPresence: false, requireUserVerification: true }).verified, false);
  const uv = assertWith(cred, { flags: 0x05, counter: 11 });
  assert.equal(verifyAssertion(asr(cred, uv, 1, { requireUserVerification: true })).verified, true);
  // UV is required by default
  assert.equal(verifyAssertion({ ...asr(cred, a, 1), requireUserVerification: undefined }).verified, false);
});

test("FIDO: malformed input throws BAD_RESPONSE, never a crash", () => {
  const cred = newCred();
  const a = assertWith(cred);
  const bad = (e: unknown) => isSeglError(e, "BAD_RESPONSE");
  const base = asr(cred, a, 0);
  assert.throws(() => verifyAssertion({ ...base, authenticatorData: a.authenticatorData.subarray(0, 36) }), bad);
  assert.throws(() => verifyAssertion({ ...base, authenticatorData: cat(a.authenticatorData, Uint8Array.of(0)) }), bad);
  const at = a.authenticatorData.slice();
  at[32] |= 0x40;
  assert.throws(() => verifyAssertion({ ...base, authenticatorData: at }), bad);
  const ed = a.authenticatorData.slice();
  ed[32] |= 0x80;
  assert.throws(() => verifyAssertion({ ...base, authenticatorData: ed }), bad);
  assert.throws(() => verifyAssertion({ ...base, clientDataJSON: "not json" }), bad);
  assert.throws(() => verifyAssertion({ ...base, credential: { ...base.credential, publicKey: new Uint8Array([0xa1, 1, 2]) } }), bad);
  // a point not on the curve
  const offCurve = coseEs256(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));
  assert.throws(() => verifyAssertion({ ...base, credential: { ...base.credential, publicKey: offCurve } }), bad);
  assert.throws(() => verifyRegistration({ attestationObject: Uint8Array.of(0xa0), clientDataJSON: a.clientDataJSON, expectedRpId: RP, expectedChallenge: a.challenge, expectedOrigin: ORIGIN, attestation: "any" }), bad);
  // extensions parse
  const withExt = cat(authData({ flags: 0x81, counter: 1 }), cborEncode(new Map<CborValue, CborValue>([["credProtect", 2]])));
  assert.equal(parseAuthenticatorData(withExt).extensions?.get("credProtect"), 2);
  // every truncation of a registration authData throws BAD_RESPONSE (or parses), never anything else
  const r = register("packed-batch");
  for (let i = 0; i < r.authData.length; i++) {
    try {
      parseAuthenticatorData(r.authData.subarray(0, i));
    } catch (e) {
      assert.ok(bad(e), String(e));
    }
  }
});

test("FidoVerifier: policy once, and a bounded KeyObject cache by credential id", () => {
  const v = new FidoVerifier({ rpId: RP, origin: ORIGIN, trustAnchors: [ca.certificateDer], requireUserVerification: false });
  const r = register("packed-batch");
  const reg = v.verifyRegistration({ attestationObject: r.attestationObject, clientDataJSON: r.clientDataJSON, expectedChallenge: r.challenge });
  assert.equal(reg.verified, true, reg.problems.join("; "));
  assert.equal(reg.attestation.trust, "chained");
  assert.equal(v.cachedKeys, 1);
  const k1 = v.importKey(r.cred.id, r.cred.cose).key;
  assert.equal(k1, reg.credential.keyObject);
  let stored = 0;
  for (let i = 1; i <= 3; i++) {
    const a = assertWith(r.cred, { counter: i });
    const { expectedRpId: _r, expectedOrigin: _o, ...call } = asr(r.cred, a, stored);
    const res = v.verifyAssertion(call);
    assert.equal(res.verified, true, res.problems.join("; "));
    stored = res.counter.next;
  }
  assert.equal(stored, 3);
  assert.equal(v.cachedKeys, 1);
  // a different key under the same id is not served from the cache
  const other = newCred();
  const a = assertWith(other, { counter: 9 });
  const res = v.verifyAssertion({ ...asr(other, a, 0), credentialId: r.cred.id, credential: { id: r.cred.id, publicKey: other.cose, signCount: 0, userHandle: USER } });
  assert.equal(res.signatureValid, true);
  const small = new FidoVerifier({ rpId: RP, origin: ORIGIN, maxCachedKeys: 2 });
  for (let i = 0; i < 5; i++) { const c = newCred(); small.importKey(c.id, c.cose); }
  assert.equal(small.cachedKeys, 2);
  // failed registrations are not cached
  const fresh = new FidoVerifier({ rpId: RP, origin: ORIGIN, trustAnchors: [ca.certificateDer], requireUserVerification: false });
  const foreign = register("packed-batch", { batch: createBatchCertificate({ ca: otherCa, aaguid: AAGUID }) });
  assert.equal(fresh.verifyRegistration({ attestationObject: foreign.attestationObject, clientDataJSON: foreign.clientDataJSON, expectedChallenge: foreign.challenge }).verified, false);
  assert.equal(fresh.cachedKeys, 0);
  const bounded = new FidoVerifier({ rpId: RP, origin: ORIGIN, attestation: "any", requireUserVerification: false, maxCachedKeys: 3 });
  for (let i = 0; i < 6; i++) {
    const g = register("none");
    assert.equal(bounded.verifyRegistration({ attestationObject: g.attestationObject, clientDataJSON: g.clientDataJSON, expectedChallenge: g.challenge }).verified, true);
  }
  assert.equal(bounded.cachedKeys, 3);
});
