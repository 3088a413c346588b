// One vocabulary for verdicts: OTP and FIDO results both say `verified`, and every reason a FIDO
// result is not verified is a stable code in `reasons` (the same codes docs/fido-verification.md
// lists), exactly when `verified` is false.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { verifyAssertion, verifyRegistration, type AssertionResult, type RegistrationResult } from "../src/fido/verify.js";
import { createMakerCa } from "../src/fido/ca.js";
import { MemoryStore, TotpVerifier, type AuditEvent } from "../src/verify/index.js";
import { totp } from "../src/otp/hotp.js";
import { FLAG_BS, FLAG_UP, FLAG_UV, ORIGIN, RP, assertWith, newCred, register } from "./fido-soft.js";

function consistent(r: AssertionResult | RegistrationResult): AssertionResult | RegistrationResult {
  assert.equal(r.verified, r.reasons.length === 0, `verified ${r.verified} but reasons ${JSON.stringify(r.reasons)}`);
  assert.equal(r.reasons.length === 0, r.problems.length === 0, `reasons ${JSON.stringify(r.reasons)} vs problems ${JSON.stringify(r.problems)}`);
  return r;
}

describe("FIDO assertion reasons", () => {
  const cred = newCred();
  const a = assertWith(cred, { counter: 9 });
  const stored = { id: cred.id, publicKey: cred.cose, signCount: 3, userHandle: Uint8Array.of(1, 2, 3) };
  // the soft authenticator does no user verification: say so (the default requires it)
  const check = (o: Partial<Parameters<typeof verifyAssertion>[0]> = {}) => consistent(verifyAssertion({
    credential: stored, credentialId: cred.id, authenticatorData: a.authenticatorData, clientDataJSON: a.clientDataJSON,
    signature: a.signature, expectedChallenge: a.challenge, expectedOrigin: ORIGIN, expectedRpId: RP, requireUserVerification: false, ...o,
  }));

  test("a valid assertion: verified, no reasons", () => {
    assert.deepEqual([check().verified, check().reasons], [true, []]);
  });
  test("each failed check gives its own code", () => {
    const badSig = a.signature.slice();
    badSig[12]! ^= 1;
    assert.deepEqual(check({ signature: badSig }).reasons, ["signature-invalid"]);
    assert.deepEqual(check({ expectedRpId: "other.example" }).reasons, ["rp-id-mismatch"]);
    assert.deepEqual(check({ expectedOrigin: "https://evil.example" }).reasons, ["origin-mismatch"]);
    assert.deepEqual(check({ expectedChallenge: new Uint8Array(32) }).reasons, ["challenge-mismatch"]);
    assert.deepEqual(check({ credential: { ...stored, signCount: 9 } }).reasons, ["counter-regressed"]);
    assert.deepEqual(check({ credential: { ...stored, signCount: 9 }, counterPolicy: "report" }).reasons, []);
    assert.deepEqual(check({ credentialId: Uint8Array.of(7) }).reasons, ["credential-id-mismatch"]);
    assert.deepEqual(check({ userHandle: Uint8Array.of(7) }).reasons, ["user-handle-mismatch"]);
    assert.deepEqual(check({ requireUserVerification: undefined }).reasons, ["user-not-verified"]);
    assert.deepEqual(check({ requireUserVerification: true }).reasons, ["user-not-verified"]);
  });
  test("flags and clientData type: codes, several at once when several checks fail", () => {
    const weird = assertWith(cred, { counter: 10, flags: FLAG_BS, type: "webauthn.create" });
    const r = check({ authenticatorData: weird.authenticatorData, clientDataJSON: weird.clientDataJSON, signature: weird.signature, expectedChallenge: weird.challenge });
    assert.deepEqual(r.reasons, ["user-not-present", "flags-inconsistent", "client-data-type"]);
    const uv = assertWith(cred, { counter: 11, flags: FLAG_UP | FLAG_UV });
    assert.deepEqual(check({ ...uv, expectedChallenge: uv.challenge, requireUserVerification: true }).reasons, []);
  });
});

describe("FIDO registration reasons", () => {
  const cred = newCred();
  test("none attestation: verified under attestation \"any\"; untrusted under \"chained\"; AAGUID and rpId codes", () => {
    const r = register("none", { cred });
    const base = {
      attestationObject: r.attestationObject, clientDataJSON: r.clientDataJSON, expectedChallenge: r.challenge, expectedOrigin: ORIGIN, expectedRpId: RP,
      attestation: "any" as const, requireUserVerification: false,
    };
    assert.deepEqual(consistent(verifyRegistration(base)).reasons, []);
    assert.deepEqual(consistent(verifyRegistration({ ...base, attestation: "chained", trustAnchors: [createMakerCa().certificateDer] })).reasons, ["attestation-untrusted"]);
    assert.deepEqual(consistent(verifyRegistration({ ...base, expectedAaguid: "00000000-0000-0000-0000-000000000001" })).reasons, ["aaguid-mismatch"]);
    assert.deepEqual(consistent(verifyRegistration({ ...base, expectedRpId: "x.example" })).reasons, ["rp-id-mismatch"]);
  });
});

test("OTP results use the same word: { verified }, and the audit hook gets the same kind of code", async () => {
  const seed = new Uint8Array(20).fill(5);
  const events: AuditEvent[] = [];
  const v = new TotpVerifier({ store: new MemoryStore(), onAudit: (e) => events.push(e) });
  await v.enroll("d", { secret: seed });
  const now = 1_900_000_000_000;
  const code = totp(seed, { time: now / 1000 });
  assert.deepEqual(Object.keys(await v.verify("d", code, { now })).sort(), ["driftSteps", "step", "verified"]);
  assert.deepEqual(await v.verify("d", code, { now }), { verified: false });
  assert.deepEqual(events.map((e) => [e.op, e.outcome, e.reason]), [["enroll", "done", undefined], ["verify", "accepted", undefined], ["verify", "rejected", "replay"]]);
});
