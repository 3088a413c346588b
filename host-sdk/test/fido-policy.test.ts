// The findings of issue 7, one by one: required expectations, defaults an `undefined` cannot
// switch off, cross-origin, credential id and userHandle binding, algorithms and COSE strictness,
// certificate validity and strict DER, typed errors, and hard caps (the OID stall).
import { test } from "vitest";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import {
  cborEncode, certFields, checkAttestationCertificate, coseEs256, createBatchCertificate, FidoVerifier, isSeglError,
  parseCoseKey, verifyAssertion, verifyRegistration, CERT_LIMITS, type CborValue,
} from "../src/index.js";
import { derSequence } from "../src/fido/asn1.js";
import {
  RP, ORIGIN, AAGUID, aaguidBytes, cat, ca, clientData, rawCert, hugeOidExtension, leaf, register, assertWith, ours, parts, USER, asr, newCred, sha256, u32,
  type SoftCred,
} from "./fido-soft.js";

const badArg = (e: unknown) => isSeglError(e, "INVALID_ARGUMENT");
const badInput = (e: unknown) => isSeglError(e, "BAD_RESPONSE");
type RegOpts = Parameters<typeof verifyRegistration>[0];
type AsrOpts = Parameters<typeof verifyAssertion>[0];

// ---------------------------------------------------------------------------------------------
// Required expectations

test("expected challenge, origin and RP ID are required (INVALID_ARGUMENT), on the functions and FidoVerifier", () => {
  const r = register("none");
  const cred = newCred();
  const a = assertWith(cred);
  for (const k of ["expectedChallenge", "expectedOrigin", "expectedRpId"] as const) {
    assert.throws(() => ours(r, { [k]: undefined } as Partial<RegOpts>), badArg, `registration ${k}`);
    assert.throws(() => verifyAssertion({ ...asr(cred, a, 0), [k]: undefined } as AsrOpts), badArg, `assertion ${k}`);
    const { [k]: _dropped, ...without } = asr(cred, a, 0);
    assert.throws(() => verifyAssertion(without as AsrOpts), badArg, `assertion without ${k}`);
  }
  assert.throws(() => ours(r, { expectedOrigin: [] }), badArg);
  assert.throws(() => ours(r, { expectedChallenge: new Uint8Array(0) }), badArg, "an empty challenge is no challenge");
  assert.throws(() => ours(r, { clientDataJSON: undefined } as Partial<RegOpts>), badArg);
  assert.throws(() => new FidoVerifier({ rpId: RP } as ConstructorParameters<typeof FidoVerifier>[0]), badArg, "origin required");
  assert.throws(() => new FidoVerifier({ rpId: RP, origin: undefined } as unknown as ConstructorParameters<typeof FidoVerifier>[0]), badArg);
  const v = new FidoVerifier({ rpId: RP, origin: ORIGIN, attestation: "any", requireUserVerification: false });
  assert.throws(() => v.verifyRegistration({ attestationObject: r.attestationObject, clientDataJSON: r.clientDataJSON } as Parameters<typeof v.verifyRegistration>[0]), badArg);
  // the replay of the issue: a right signature over another challenge from another origin
  const evil = assertWith(cred, { origin: "https://evil.example" });
  assert.equal(verifyAssertion(asr(cred, evil, 0, { expectedChallenge: a.challenge })).verified, false);
});

// ---------------------------------------------------------------------------------------------
// Each option set to undefined keeps its safe default

function es384(): { cred: SoftCred & { key: KeyObject }; cose: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const jwk = publicKey.export({ format: "jwk" });
  const cose = cborEncode(new Map<CborValue, CborValue>([[1, 2], [3, -35], [-1, 2], [-2, Buffer.from(jwk.x!, "base64url")], [-3, Buffer.from(jwk.y!, "base64url")]]));
  return { cred: { id: Uint8Array.of(9, 9, 9), sk: new Uint8Array(0), cose, kind: "p256", key: privateKey }, cose };
}

test("functions: an explicit undefined never switches a check off (one case per option)", () => {
  const cred = newCred();
  const stored = 5;
  const refusedBy = (o: AsrOpts) => verifyAssertion(o).verified;
  // requireUserPresence
  const noUp = assertWith(cred, { flags: 0x04, counter: 9 });
  assert.equal(refusedBy(asr(cred, noUp, stored, { requireUserPresence: undefined, requireUserVerification: undefined })), false);
  assert.equal(refusedBy(asr(cred, noUp, stored, { requireUserPresence: false, requireUserVerification: true })), true, "the UP check is what refused it");
  // requireUserVerification
  const noUv = assertWith(cred, { flags: 0x01, counter: 9 });
  assert.equal(refusedBy(asr(cred, noUv, stored, { requireUserVerification: undefined })), false);
  assert.equal(refusedBy(asr(cred, noUv, stored, { requireUserVerification: false })), true);
  // allowedAlgorithms: ES384 is supported but not in the default list
  const p384 = es384();
  const ch = assertWith(cred, { counter: 9 });
  const sig384 = new Uint8Array(nodeSign("sha384", cat(ch.authenticatorData, sha256(ch.clientDataJSON)), p384.cred.key));
  const o384 = { ...asr(p384.cred, { ...ch, signature: sig384 }, stored) };
  assert.equal(refusedBy({ ...o384, allowedAlgorithms: undefined }), false);
  assert.equal(refusedBy({ ...o384, allowedAlgorithms: [-35] }), true);
  // allowCrossOrigin
  const xo = assertWith(cred, { counter: 9, cd: { crossOrigin: true, topOrigin: "https://top.example" } });
  assert.equal(refusedBy(asr(cred, xo, stored, { allowCrossOrigin: undefined })), false);
  assert.equal(refusedBy(asr(cred, xo, stored, { allowCrossOrigin: { topOrigin: "https://top.example" } })), true);
  // counterPolicy
  const old = assertWith(cred, { counter: 3 });
  assert.equal(refusedBy(asr(cred, old, stored, { counterPolicy: undefined })), false);
  assert.equal(refusedBy(asr(cred, old, stored, { counterPolicy: "report" })), true);
  // requireUserHandle / userHandle
  const ok = assertWith(cred, { counter: 9 });
  assert.equal(refusedBy(asr(cred, ok, stored, { userHandle: Uint8Array.of(6, 6), requireUserHandle: undefined })), false);
  assert.equal(refusedBy(asr(cred, ok, stored, { userHandle: USER, requireUserHandle: undefined })), true);

  // registration: attestation, trustAnchors, now, expectedAaguid
  const batchReg = register("packed-batch");
  const base: RegOpts = {
    attestationObject: batchReg.attestationObject, clientDataJSON: batchReg.clientDataJSON, expectedChallenge: batchReg.challenge,
    expectedOrigin: ORIGIN, expectedRpId: RP, requireUserVerification: false,
  };
  assert.throws(() => verifyRegistration({ ...base, attestation: undefined }), badArg, "chained (default) without anchors is a configuration error");
  assert.throws(() => verifyRegistration({ ...base, attestation: "chained", trustAnchors: undefined }), badArg);
  assert.equal(verifyRegistration({ ...base, attestation: undefined, trustAnchors: [ca.certificateDer] }).verified, true);
  const self = register("packed-self");
  const selfOpts: RegOpts = { ...base, attestationObject: self.attestationObject, clientDataJSON: self.clientDataJSON, expectedChallenge: self.challenge };
  assert.equal(verifyRegistration({ ...selfOpts, attestation: undefined, trustAnchors: [ca.certificateDer] }).verified, false);
  assert.equal(verifyRegistration({ ...selfOpts, attestation: "any" }).verified, true);
  const expired = leaf({ notBefore: new Date(Date.UTC(2001, 0, 1)), notAfter: new Date(Date.UTC(2002, 0, 1)) });
  const er = register("packed-batch", { batch: expired });
  const erOpts: RegOpts = { ...base, attestationObject: er.attestationObject, clientDataJSON: er.clientDataJSON, expectedChallenge: er.challenge, attestation: "any" };
  assert.equal(verifyRegistration({ ...erOpts, now: undefined }).verified, false);
  assert.equal(verifyRegistration({ ...erOpts, now: new Date(Date.UTC(2001, 5, 1)) }).problems.some((p) => /validity/.test(p)), false);
  assert.equal(verifyRegistration({ ...base, trustAnchors: [ca.certificateDer], expectedAaguid: undefined }).verified, true);
  assert.equal(verifyRegistration({ ...base, trustAnchors: [ca.certificateDer], expectedAaguid: "00000000-0000-0000-0000-000000000001" }).verified, false);
});

test("FidoVerifier: an undefined per-call or constructor option keeps the verifier's setting or the safe default", () => {
  const cred = newCred();
  const call = (o: AsrOpts) => {
    const { expectedRpId: _r, expectedOrigin: _o, ...rest } = o;
    return rest;
  };
  // constructor options left undefined = defaults (UV required, default algorithms, no cross-origin, chained attestation)
  const strict = new FidoVerifier({
    rpId: RP, origin: ORIGIN, requireUserVerification: undefined, requireUserPresence: undefined, allowedAlgorithms: undefined,
    allowCrossOrigin: undefined, attestation: undefined, counterPolicy: undefined, clock: undefined, maxCachedKeys: undefined,
  });
  const noUv = assertWith(cred, { counter: 9 });
  assert.equal(strict.verifyAssertion(call(asr(cred, noUv, 1, { requireUserVerification: undefined }))).verified, false);
  const r = register("none");
  assert.throws(() => strict.verifyRegistration({ attestationObject: r.attestationObject, clientDataJSON: r.clientDataJSON, expectedChallenge: r.challenge }), badArg);

  const v = new FidoVerifier({ rpId: RP, origin: ORIGIN, requireUserVerification: true, trustAnchors: [ca.certificateDer] });
  const uv = assertWith(cred, { flags: 0x05, counter: 9 });
  assert.equal(v.verifyAssertion(call(asr(cred, uv, 1, { requireUserVerification: undefined }))).verified, true);
  assert.equal(v.verifyAssertion(call(asr(cred, noUv, 1, { requireUserVerification: undefined }))).verified, false, "undefined did not drop UV");
  // per-call expected values left undefined fall back to the verifier's, never to "anything"
  const evil = assertWith(cred, { flags: 0x05, counter: 9, origin: "https://evil.example" });
  const ev = v.verifyAssertion({ ...call(asr(cred, evil, 1)), expectedOrigin: undefined, expectedRpId: undefined });
  assert.deepEqual([ev.clientData.originValid, ev.verified], [false, false]);
  // anchors of the verifier cannot be dropped per call
  const self = register("packed-self", { flags: 0x45 });
  const sr = v.verifyRegistration({ attestationObject: self.attestationObject, clientDataJSON: self.clientDataJSON, expectedChallenge: self.challenge, attestation: undefined, ...({ trustAnchors: undefined } as object) });
  assert.deepEqual([sr.attestation.trust, sr.verified], ["self", false]);
  // the injectable clock decides certificate validity
  const later = new FidoVerifier({ rpId: RP, origin: ORIGIN, trustAnchors: [ca.certificateDer], requireUserVerification: false, clock: () => new Date(Date.now() + 30 * 365 * 86400e3) });
  const b = register("packed-batch");
  const lr = later.verifyRegistration({ attestationObject: b.attestationObject, clientDataJSON: b.clientDataJSON, expectedChallenge: b.challenge });
  assert.equal(lr.verified, false);
  assert.ok(lr.problems.some((p) => /validity/.test(p)), lr.problems.join("; "));
});

test("each policy option set to undefined, one at a time: functions and FidoVerifier (constructor and per call)", () => {
  const cred = newCred();
  const p384 = es384();
  type Opt = "requireUserPresence" | "requireUserVerification" | "allowedAlgorithms" | "allowCrossOrigin" | "counterPolicy";
  // For each option: an assertion that only its default refuses, and the explicit value that accepts it.
  const cases: Array<{ opt: Opt; opts: () => AsrOpts; permissive: unknown }> = [
    { opt: "requireUserPresence", opts: () => asr(cred, assertWith(cred, { flags: 0x04, counter: 9 }), 5), permissive: false },
    { opt: "requireUserVerification", opts: () => asr(cred, assertWith(cred, { flags: 0x01, counter: 9 }), 5), permissive: false },
    {
      opt: "allowedAlgorithms", permissive: [-35],
      opts: () => {
        const a = assertWith(cred, { flags: 0x05, counter: 9 });
        const sig = new Uint8Array(nodeSign("sha384", cat(a.authenticatorData, sha256(a.clientDataJSON)), p384.cred.key));
        return asr(p384.cred, { ...a, signature: sig }, 5);
      },
    },
    { opt: "allowCrossOrigin", opts: () => asr(cred, assertWith(cred, { flags: 0x05, counter: 9, cd: { crossOrigin: true, topOrigin: "https://top.example" } }), 5), permissive: { topOrigin: "https://top.example" } },
    { opt: "counterPolicy", opts: () => asr(cred, assertWith(cred, { flags: 0x05, counter: 3 }), 5), permissive: "report" },
  ];
  const strip = (o: AsrOpts) => {
    const { expectedRpId: _r, expectedOrigin: _o, requireUserVerification: _u, ...rest } = o;
    return rest;
  };
  for (const { opt, opts, permissive } of cases) {
    const o = { ...opts(), requireUserVerification: opt === "requireUserVerification" ? undefined : false };
    // functions
    assert.equal(verifyAssertion({ ...o, [opt]: undefined }).verified, false, `function, ${opt}: undefined`);
    assert.equal(verifyAssertion({ ...o, [opt]: permissive }).verified, true, `function, ${opt}: ${JSON.stringify(permissive)} (the check is real)`);
    const uv = opt === "requireUserVerification" ? {} : { requireUserVerification: false };
    // FidoVerifier: undefined in the constructor = default
    const byDefault = new FidoVerifier({ rpId: RP, origin: ORIGIN, ...uv, [opt]: undefined });
    assert.equal(byDefault.verifyAssertion(strip(o)).verified, false, `constructor ${opt}: undefined`);
    // FidoVerifier: undefined per call keeps the verifier's setting, whichever it is
    assert.equal(byDefault.verifyAssertion({ ...strip(o), [opt]: undefined }).verified, false, `per call ${opt}: undefined (default verifier)`);
    const permissiveVerifier = new FidoVerifier({ rpId: RP, origin: ORIGIN, ...uv, [opt]: permissive });
    assert.equal(permissiveVerifier.verifyAssertion({ ...strip(o), [opt]: undefined }).verified, true, `per call ${opt}: undefined keeps the verifier's ${JSON.stringify(permissive)}`);
  }
  // registration: requireUserPresence and requireUserVerification undefined keep their defaults too
  const noUp = register("none", { flags: 0x44 });
  assert.equal(ours(noUp, { requireUserPresence: undefined, requireUserVerification: false }).verified, false);
  assert.equal(ours(noUp, { requireUserPresence: false, requireUserVerification: true }).verified, true);
  const noUv = register("none", { flags: 0x41 });
  assert.equal(ours(noUv, { requireUserVerification: undefined }).verified, false);
  const reg = new FidoVerifier({ rpId: RP, origin: ORIGIN, attestation: "any" });
  assert.equal(reg.verifyRegistration({ attestationObject: noUv.attestationObject, clientDataJSON: noUv.clientDataJSON, expectedChallenge: noUv.challenge, requireUserVerification: undefined }).verified, false);
  assert.equal(reg.verifyRegistration({ attestationObject: noUv.attestationObject, clientDataJSON: noUv.clientDataJSON, expectedChallenge: noUv.challenge, requireUserVerification: false }).verified, true);
});

// ---------------------------------------------------------------------------------------------
// Cross-origin, credential id, userHandle

test("crossOrigin is refused unless allowed with the expected topOrigin; topOrigin alone is refused", () => {
  const cred = newCred();
  const allow = { allowCrossOrigin: { topOrigin: ["https://top.example"] } };
  const run = (cd: Record<string, unknown>, o: Partial<AsrOpts> = {}) => verifyAssertion(asr(cred, assertWith(cred, { counter: 2, cd }), 1, o));
  assert.equal(run({ crossOrigin: true, topOrigin: "https://top.example" }).verified, false);
  assert.equal(run({ crossOrigin: true, topOrigin: "https://top.example" }, allow).verified, true);
  assert.equal(run({ crossOrigin: true, topOrigin: "https://other.example" }, allow).verified, false);
  assert.equal(run({ crossOrigin: true }, allow).verified, false, "no topOrigin given");
  assert.equal(run({ topOrigin: "https://top.example" }).verified, false, "topOrigin without crossOrigin");
  assert.equal(run({}, allow).verified, true, "same-origin still accepted when cross-origin is allowed");
  assert.throws(() => run({ crossOrigin: "yes" }), badInput);
  const reg = register("none", { cd: { crossOrigin: true, topOrigin: "https://top.example" } });
  assert.equal(ours(reg).verified, false);
  assert.equal(ours(reg, allow).verified, true);
});

test("assertion: the returned credential id and userHandle are checked against the stored credential and user", () => {
  const cred = newCred();
  const a = assertWith(cred, { counter: 2 });
  const ok = verifyAssertion(asr(cred, a, 1, { userHandle: USER }));
  assert.deepEqual([ok.verified, ok.credentialIdValid, ok.userHandleValid], [true, true, true]);
  const otherId = verifyAssertion(asr(cred, a, 1, { credentialId: Uint8Array.of(1, 2, 3) }));
  assert.deepEqual([otherId.signatureValid, otherId.credentialIdValid, otherId.verified], [true, false, false]);
  const otherUser = verifyAssertion(asr(cred, a, 1, { userHandle: Uint8Array.of(9) }));
  assert.deepEqual([otherUser.userHandleValid, otherUser.verified], [false, false]);
  assert.equal(verifyAssertion(asr(cred, a, 1, { userHandle: null })).verified, true, "authenticators may omit userHandle");
  assert.equal(verifyAssertion(asr(cred, a, 1, { userHandle: null, requireUserHandle: true })).verified, false, "discoverable login needs it");
  assert.throws(() => verifyAssertion(asr(cred, a, 1, { credentialId: undefined } as Partial<AsrOpts>)), badArg);
  assert.throws(() => verifyAssertion({ ...asr(cred, a, 1), credential: { id: cred.id, publicKey: cred.cose, signCount: 1 } } as AsrOpts), badArg, "stored userHandle required");
});

// ---------------------------------------------------------------------------------------------
// Algorithms and COSE strictness

function rsaCose(bits: number): { cose: Uint8Array; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" });
  const cose = cborEncode(new Map<CborValue, CborValue>([[1, 3], [3, -257], [-1, Buffer.from(jwk.n!, "base64url")], [-2, Buffer.from(jwk.e!, "base64url")]]));
  return { cose, key: privateKey };
}

/** A packed self registration of an arbitrary COSE key, signed by `signer` (for the tests of odd keys). */
function selfReg(cose: Uint8Array, idLen = 16, signer?: (m: Uint8Array) => Uint8Array, alg = -257) {
  const challenge = new Uint8Array(32).fill(3);
  const cdj = clientData("webauthn.create", challenge);
  const ad = cat(sha256(RP), Uint8Array.of(0x45), u32(0), aaguidBytes, Uint8Array.of(idLen >> 8, idLen & 0xff), new Uint8Array(idLen).fill(1), cose);
  const sig = signer ? signer(cat(ad, sha256(cdj))) : new Uint8Array(8);
  const attStmt = new Map<CborValue, CborValue>([["alg", alg], ["sig", sig]]);
  return { fmt: "packed", authData: ad, attStmt, clientDataJSON: cdj, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP, attestation: "any" as const };
}

test("COSE: alg required and allowed, RSA ≥ 2048 bits, integer labels only, zero-length credential id refused", () => {
  const r2048 = rsaCose(2048);
  const ok = verifyRegistration(selfReg(r2048.cose, 16, (m) => new Uint8Array(nodeSign("sha256", m, r2048.key))));
  assert.equal(ok.verified, true, ok.problems.join("; "));
  assert.equal(ok.credential.algorithm, -257);
  const r1024 = rsaCose(1024);
  assert.throws(() => verifyRegistration(selfReg(r1024.cose, 16, (m) => new Uint8Array(nodeSign("sha256", m, r1024.key)))), badInput, "RSA-1024");
  assert.throws(() => parseCoseKey(rsaCose(512).cose), badInput, "RSA-512");
  const cred = newCred();
  const m = new Map<CborValue, CborValue>([[1, 2], [-1, 1], [-2, new Uint8Array(32).fill(1)], [-3, new Uint8Array(32).fill(2)]]);
  assert.throws(() => parseCoseKey(cborEncode(m)), badInput, "no alg");
  const good = coseEs256(p256.getPublicKey(cred.sk, false));
  assert.equal(parseCoseKey(good).alg, -7);
  // a float label (1.5) and a float that equals an integer label (3.0 written as a half float)
  const withFloat = cat(Uint8Array.of(0xa6), good.subarray(1), Uint8Array.of(0xf9, 0x3e, 0x00, 0x01));
  assert.throws(() => parseCoseKey(withFloat), badInput, "float label");
  const floatAlg = cat(Uint8Array.of(0xa5, 0x01, 0x02, 0xf9, 0x42, 0x00, 0x26), good.subarray(5));
  assert.throws(() => parseCoseKey(floatAlg), badInput, "alg label as float 3.0");
  assert.throws(() => parseCoseKey(cborEncode(new Map<CborValue, CborValue>([...parseMap(good), ["x", 1]]))), badInput, "text label");
  assert.throws(() => parseCoseKey(cborEncode(new Map<CborValue, CborValue>([...parseMap(good), [-4, new Uint8Array(32)]]))), badInput, "private key label");
  assert.throws(() => verifyRegistration(selfReg(good, 0)), badInput, "zero-length credential id");
  // ES384 is supported but not allowed by default; allowed when asked
  const p = es384();
  const es = selfReg(p.cose, 16, (msg) => new Uint8Array(nodeSign("sha384", msg, p.cred.key)), -35);
  assert.equal(verifyRegistration({ ...es, requireUserVerification: undefined }).verified, false);
  assert.equal(verifyRegistration({ ...es, allowedAlgorithms: [-35] }).verified, true);
  assert.throws(() => verifyRegistration({ ...es, allowedAlgorithms: [-999] }), badArg);
  assert.throws(() => verifyRegistration({ ...es, allowedAlgorithms: [] }), badArg);
});

function parseMap(cose: Uint8Array): Array<[CborValue, CborValue]> {
  const k = parseCoseKey(cose);
  return [[1, k.kty], [3, k.alg], [-1, k.crv!], [-2, k.x!], [-3, k.y!]];
}

// ---------------------------------------------------------------------------------------------
// Certificates: validity whatever the anchors, strict DER, typed errors

test("expired and not-yet-valid attestation leaves are refused with and without anchors", () => {
  const expired = leaf({ notBefore: new Date(Date.UTC(2001, 0, 1)), notAfter: new Date(Date.UTC(2002, 0, 1)) });
  const future = leaf({ notBefore: new Date(Date.now() + 365 * 86400e3), notAfter: new Date(Date.now() + 2 * 365 * 86400e3) });
  for (const [name, l] of [["expired", expired], ["not yet valid", future]] as const) {
    const r = register("packed-batch", { batch: l });
    const any = ours(r);
    assert.equal(any.signatureValid, true, name);
    assert.equal(any.verified, false, name);
    assert.ok(any.problems.some((p) => /validity/.test(p)), name);
    assert.equal(ours(r, { trustAnchors: [ca.certificateDer] }).verified, false, name);
  }
  const fine = register("packed-batch", { batch: leaf() });
  assert.equal(ours(fine).verified, true);
  assert.equal(ours(fine, { now: new Date(Date.now() + 3 * 365 * 86400e3) }).verified, false, "the clock is injectable");
});

test("x5c must be strict DER: trailing bytes, PEM text, BER lengths and over-long chains are BAD_RESPONSE", () => {
  const l = leaf();
  const der = l.certificateDer;
  const cases: Array<[string, Uint8Array[]]> = [
    ["trailing byte", [cat(der, Uint8Array.of(0))]],
    ["PEM text", [new TextEncoder().encode(l.certificatePem)]],
    ["long-form length where short would do", [cat(Uint8Array.of(0x30, 0x83, 0x00, (der.length - 4) >> 8, (der.length - 4) & 0xff), der.subarray(4))]],
    ["chain too long", new Array<Uint8Array>(CERT_LIMITS.chainLength + 1).fill(der)],
    ["empty", [new Uint8Array(0)]],
  ];
  for (const [name, x5c] of cases) {
    const r = register("packed-batch", { batch: l, x5c });
    assert.throws(() => ours(r), badInput, name);
  }
  assert.equal(ours(register("packed-batch", { batch: l, x5c: [der] })).verified, true);
});

test("an off-curve key in an attestation certificate is BAD_RESPONSE, not an OpenSSL error", () => {
  const off = leaf({ point: cat(Uint8Array.of(4), new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)) });
  const r = register("packed-batch", { batch: off });
  assert.throws(() => ours(r), badInput);
  assert.throws(() => ours(r, { trustAnchors: [ca.certificateDer] }), badInput);
});

test("an empty extension is reported as a problem (the old reader threw a raw TypeError)", () => {
  const der = rawCert([derSequence()]);
  const problems = checkAttestationCertificate(der, aaguidBytes);
  assert.equal(problems.length, 1, problems.join("; "));
  assert.match(problems[0]!, /cannot be parsed/);
  const r = register("packed-batch", { x5c: [der] });
  assert.throws(() => ours(r), badInput);
});

// ---------------------------------------------------------------------------------------------
// Hard caps: the OID stall of the issue

/** Fastest of five runs, in ms (the input is refused every time). */
function fastest(f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    try {
      f();
    } catch (e) {
      assert.ok(badInput(e), String(e));
    }
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

test("OIDs of 72, 180 and 256 KB in an x5c certificate are refused by size caps in well under 5 ms", () => {
  for (const kb of [72, 180, 256]) {
    const der = rawCert([hugeOidExtension(kb * 1024)]);
    const r = register("packed-batch", { x5c: [der] });
    assert.throws(() => ours(r), (e) => badInput(e) && (e as { details?: Record<string, unknown> }).details?.["limit"] === "attestationObject", `${kb} KB object`);
    assert.throws(() => parts(r), (e) => badInput(e) && (e as { details?: Record<string, unknown> }).details?.["limit"] === "certificateBytes", `${kb} KB cert`);
    assert.throws(() => certFields(der), badInput);
    const ms = Math.max(fastest(() => ours(r)), fastest(() => parts(r)));
    assert.ok(ms < 5, `${kb} KB: ${ms.toFixed(2)} ms`);
  }
  // just under the certificate cap, the OID cap stops it before any OID is decoded
  const der = rawCert([hugeOidExtension(CERT_LIMITS.certificateBytes - 600)]);
  assert.ok(der.length <= CERT_LIMITS.certificateBytes, String(der.length));
  assert.throws(() => certFields(der), (e) => badInput(e) && (e as { details?: Record<string, unknown> }).details?.["limit"] === "oidBytes");
  const r = register("packed-batch", { x5c: [der] });
  assert.throws(() => ours(r), badInput);
  assert.ok(fastest(() => ours(r)) < 5);
  // an ordinary certificate with a 33-byte OID is refused; a normal one still reads
  assert.throws(() => certFields(rawCert([hugeOidExtension(CERT_LIMITS.oidBytes + 1)])), badInput);
  assert.equal(certFields(rawCert([hugeOidExtension(20, 0x05)])).extensions.length, 1);
  assert.equal(certFields(createBatchCertificate({ ca, aaguid: AAGUID }).certificateDer).version, 3);
});

test("CBOR caps: nesting, item counts and floats in WebAuthn structures are BAD_RESPONSE", () => {
  const r = register("none");
  const ad = r.authData;
  const withExt = (ext: Uint8Array) => { const a = cat(ad, ext); a[32]! |= 0x80; return a; };
  const deep = cat(Uint8Array.of(0xa1, 0x01), ...new Array<Uint8Array>(6).fill(Uint8Array.of(0x81)), Uint8Array.of(0x00));
  const many = cborEncode(new Map<CborValue, CborValue>(Array.from({ length: 100 }, (_, i) => [i, i] as [CborValue, CborValue])));
  const float = Uint8Array.of(0xa1, 0x01, 0xf9, 0x3c, 0x00);
  for (const [name, ext] of [["deep", deep], ["many", many], ["float", float]] as const) {
    assert.throws(() => verifyRegistration({ fmt: "none", authData: withExt(ext), attStmt: new Map(), clientDataJSON: r.clientDataJSON, expectedChallenge: r.challenge, expectedOrigin: ORIGIN, expectedRpId: RP, attestation: "any", requireUserVerification: false }), badInput, name);
  }
  const bigObj = cborEncode(new Map<CborValue, CborValue>([["fmt", "none"], ["attStmt", new Map(Array.from({ length: 70 }, (_, i) => [i, i] as [CborValue, CborValue]))], ["authData", ad]]));
  assert.throws(() => ours({ ...r, attestationObject: bigObj }), badInput);
  assert.equal(verifyRegistration({ fmt: "none", authData: withExt(cborEncode(new Map<CborValue, CborValue>([["credProtect", 2]]))), attStmt: new Map(), clientDataJSON: r.clientDataJSON, expectedChallenge: r.challenge, expectedOrigin: ORIGIN, expectedRpId: RP, attestation: "any", requireUserVerification: false }).verified, true);
});
