// The SDK's whole FIDO verification with the browser twins in place of the Node modules (as the
// page's bundle has them: platform/keys.browser.ts and platform/crypto.browser.ts), on a registration
// and assertions from the simulated chip: the same verdicts as with node:crypto, field by field, and
// the same refusals when the signature, the trust anchor or the counter is wrong.
import { test, vi, beforeAll } from "vitest";
import assert from "node:assert/strict";
import { KeyObject, constants, generateKeyPairSync, sign } from "node:crypto";
import { CHIP_NOW, CHIP_ORIGIN, CHIP_RP, CHIP_USER, chipCeremonies, type ChipCeremonies } from "./fido-chip.js";
import { cborEncode, createMakerCa, type CborValue } from "../src/index.js";
import * as soft from "./fido-soft.js";
import { cert, party } from "./fido-certs.js";

type Fido = typeof import("../src/fido/index.js");
/** The verification fuzzer (fido-fuzz.ts) loaded in the browser graph: it verifies with the browser twins. */
let fuzz: typeof import("./fido-fuzz.js");
let node: Fido;
let browser: Fido;
let chip: ChipCeremonies;
/** The key module the browser graph imported in place of ../src/platform/keys.js (the twin's own class). */
let twinKeys: { PublicKey: abstract new (...a: never[]) => unknown; isPublicKey(x: unknown): boolean };

beforeAll(async () => {
  node = await import("../src/fido/index.js");
  vi.resetModules();
  vi.doMock("../src/platform/keys.js", () => import("../src/platform/keys.browser.js"));
  vi.doMock("../src/platform/crypto.js", () => import("../src/platform/crypto.browser.js"));
  browser = await import("../src/fido/index.js");
  fuzz = await import("./fido-fuzz.js");
  twinKeys = (await import("../src/platform/keys.js")) as unknown as typeof twinKeys;
  vi.doUnmock("../src/platform/keys.js");
  vi.doUnmock("../src/platform/crypto.js");
  chip = await chipCeremonies("fido-browser-twins", 3);
}, 60_000);

const regOptions = (anchors: Uint8Array[], tamper?: (o: Uint8Array) => Uint8Array) => ({
  attestationObject: tamper ? tamper(chip.registration.attestationObject.slice()) : chip.registration.attestationObject,
  clientDataJSON: chip.registration.clientDataJSON, expectedRpId: CHIP_RP, expectedOrigin: CHIP_ORIGIN,
  expectedChallenge: chip.registration.challenge, trustAnchors: anchors, expectedAaguid: chip.aaguid, requireUserVerification: false, now: CHIP_NOW,
});

/** What a registration verdict says, without the platform objects (KeyObject / certificates). */
function regVerdict(r: ReturnType<Fido["verifyRegistration"]>) {
  const { keyObject: _k, ...credential } = r.credential;
  const { chain, ...attestation } = r.attestation;
  return { verified: r.verified, reasons: r.reasons, problems: r.problems, signatureValid: r.signatureValid, rpIdValid: r.rpIdValid, attestation, chainLength: chain?.length, credential };
}

test("browser twins: the chip's registration verifies as with node:crypto (trust chained, signature valid, same fields)", () => {
  const anchors = [chip.ca.certificateDer];
  const b = browser.verifyRegistration(regOptions(anchors));
  const n = node.verifyRegistration(regOptions(anchors));
  assert.ok(b.credential.keyObject instanceof twinKeys.PublicKey, "the browser twin made the key");
  assert.ok(!(b.credential.keyObject instanceof KeyObject));
  assert.ok(n.credential.keyObject instanceof KeyObject, "node:crypto made the key");
  assert.deepEqual(b.problems, []);
  assert.equal(b.verified, true);
  assert.equal(b.attestation.trust, "chained");
  assert.equal(b.attestation.format, "packed");
  assert.deepEqual(regVerdict(b), regVerdict(n));
});

test("browser twins: a stranger's root, a flipped attestation signature and a different RP are refused as by node:crypto", () => {
  const stranger = [createMakerCa({ notBefore: new Date(CHIP_NOW.getTime() - 1000) }).certificateDer];
  const b1 = browser.verifyRegistration(regOptions(stranger));
  assert.equal(b1.verified, false);
  assert.equal(b1.signatureValid, true, "the signature is good, the trust is not");
  assert.equal(b1.attestation.trust, "unchained");
  assert.deepEqual(regVerdict(b1), regVerdict(node.verifyRegistration(regOptions(stranger))));
  // The attestation signature's last byte flipped: find "sig" in the CBOR and flip the byte before "x5c"'s key.
  const flip = (o: Uint8Array) => {
    const at = indexOf(o, new TextEncoder().encode("x5c")) - 2;
    o[at]! ^= 0x01;
    return o;
  };
  const b2 = browser.verifyRegistration(regOptions([chip.ca.certificateDer], flip));
  const n2 = node.verifyRegistration(regOptions([chip.ca.certificateDer], flip));
  assert.equal(b2.signatureValid, false);
  assert.ok(b2.reasons.includes("signature-invalid"));
  assert.deepEqual(regVerdict(b2), regVerdict(n2));
  const otherRp = { ...regOptions([chip.ca.certificateDer]), expectedRpId: "evil.example" };
  assert.deepEqual(regVerdict(browser.verifyRegistration(otherRp)), regVerdict(node.verifyRegistration(otherRp)));
  assert.equal(browser.verifyRegistration(otherRp).rpIdValid, false);
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error("not found");
}

test("browser twins: the chip's assertions verify as with node:crypto; counter and signature verdicts apart", () => {
  const reg = node.verifyRegistration(regOptions([chip.ca.certificateDer]));
  let stored = reg.credential.signCount;
  const verdict = (r: ReturnType<Fido["verifyAssertion"]>) => ({ verified: r.verified, reasons: r.reasons, problems: r.problems, signatureValid: r.signatureValid, counter: r.counter, credentialIdValid: r.credentialIdValid, userHandleValid: r.userHandleValid });
  const options = (a: ChipCeremonies["assertions"][number], signCount: number, signature = a.signature) => ({
    credential: { id: reg.credential.id, publicKey: reg.credential.publicKey, signCount, userHandle: CHIP_USER },
    credentialId: a.credentialId, userHandle: a.userHandle, authenticatorData: a.authenticatorData, signature, clientDataJSON: a.clientDataJSON,
    expectedRpId: CHIP_RP, expectedChallenge: a.challenge, expectedOrigin: CHIP_ORIGIN, requireUserVerification: false, counterPolicy: "report" as const,
  });
  const verifier = new browser.FidoVerifier({ rpId: CHIP_RP, origin: CHIP_ORIGIN, requireUserVerification: false, counterPolicy: "report" });
  for (const a of chip.assertions) {
    const b = browser.verifyAssertion(options(a, stored));
    assert.equal(b.verified, true, b.problems.join("; "));
    assert.equal(b.counter.status, "ok");
    assert.deepEqual(verdict(b), verdict(node.verifyAssertion(options(a, stored))));
    assert.deepEqual(verdict(verifier.verifyAssertion(options(a, stored))), verdict(b), "FidoVerifier (cached key) agrees");
    const bad = a.signature.slice();
    bad[bad.length - 1]! ^= 0x01;
    const bb = browser.verifyAssertion(options(a, stored, bad));
    assert.equal(bb.signatureValid, false);
    assert.equal(bb.counter.status, "ok", "the counter verdict stands apart from the signature's");
    assert.deepEqual(verdict(bb), verdict(node.verifyAssertion(options(a, stored, bad))));
    stored = b.counter.next;
  }
  // A replay: signature still good, counter regressed, in both.
  const first = chip.assertions[0]!;
  const replay = browser.verifyAssertion(options(first, stored));
  assert.equal(replay.signatureValid, true);
  assert.equal(replay.counter.status, "regressed");
  assert.deepEqual(verdict(replay), verdict(node.verifyAssertion(options(first, stored))));
});

// ---------------------------------------------------------------------------------------------
// Certificate chains: the same problems listed by both twins

const T0 = new Date(CHIP_NOW.getTime() - 86_400_000 * 30);
const T1 = new Date(CHIP_NOW.getTime() + 86_400_000 * 365);

/** checkChain's problems for (x5c DER, anchors DER) in both graphs. */
function chainProblems(x5c: Uint8Array[], anchors: Uint8Array[]): { node: string[]; browser: string[] } {
  const run = (f: Fido) => f.checkChain(f.parseX5c(x5c), f.parseX5c(anchors), CHIP_NOW);
  return { node: run(node), browser: run(browser) };
}

test("chains: valid (ECDSA P-256/384/521, RSA PKCS#1, Ed25519 issuers), wrong issuer, bad signature, expired, not a CA, no anchor — the same problems in both", () => {
  const root = party("Root", "p256");
  const interP384 = party("Intermediate P-384", "p384");
  const interRsa = party("Intermediate RSA", "rsa2048");
  const interEd = party("Intermediate Ed25519", "ed25519");
  const interP521 = party("Intermediate P-521", "p521");
  const leafKey = party("Leaf", "p256");
  const rootDer = cert({ subject: root, issuer: root, ca: true, keyUsage: [5, 6], notBefore: T0, notAfter: T1 });
  const leafUnder = (inter: typeof root) => cert({ subject: leafKey, issuer: inter, ca: false, notBefore: T0, notAfter: T1, serial: 3 });
  for (const inter of [interP384, interRsa, interEd, interP521]) {
    const interDer = cert({ subject: inter, issuer: root, ca: true, keyUsage: [5], notBefore: T0, notAfter: T1, serial: 2 });
    const r = chainProblems([leafUnder(inter), interDer], [rootDer]);
    assert.deepEqual(r.browser, [], `${inter.cn}: ${r.browser.join("; ")}`);
    assert.deepEqual(r.browser, r.node);
  }
  const interDer = cert({ subject: interP384, issuer: root, ca: true, notBefore: T0, notAfter: T1, serial: 2 });
  const leafDer = leafUnder(interP384);
  const cases: Array<[string, Uint8Array[], Uint8Array[], string[]]> = [
    ["valid", [leafDer, interDer], [rootDer], []],
    ["anchor in x5c", [leafDer, interDer, rootDer], [rootDer], []],
    ["wrong issuer", [leafUnder(interRsa), interDer], [rootDer], ["certificate 0 of x5c is not signed by certificate 1"]],
    ["bad signature", [(() => { const d = leafDer.slice(); d[d.length - 2]! ^= 0x01; return d; })(), interDer], [rootDer], ["certificate 0 of x5c is not signed by certificate 1"]],
    ["expired", [cert({ subject: leafKey, issuer: interP384, ca: false, notBefore: T0, notAfter: new Date(CHIP_NOW.getTime() - 1000) }), interDer], [rootDer],
      [`certificate 0 of x5c is outside its validity period (${T0.toISOString()} .. ${new Date(CHIP_NOW.getTime() - 1000).toISOString()})`]],
    ["not yet valid", [cert({ subject: leafKey, issuer: interP384, ca: false, notBefore: new Date(CHIP_NOW.getTime() + 1000), notAfter: T1 }), interDer], [rootDer],
      [`certificate 0 of x5c is outside its validity period (${new Date(CHIP_NOW.getTime() + 1000).toISOString()} .. ${T1.toISOString()})`]],
    ["intermediate not a CA", [leafDer, cert({ subject: interP384, issuer: root, notBefore: T0, notAfter: T1, serial: 2 })], [rootDer], ["certificate 1 of x5c is not a CA"]],
    ["intermediate CA=false", [leafDer, cert({ subject: interP384, issuer: root, ca: false, notBefore: T0, notAfter: T1, serial: 2 })], [rootDer], ["certificate 1 of x5c is not a CA"]],
    ["intermediate without keyCertSign", [leafDer, cert({ subject: interP384, issuer: root, ca: true, keyUsage: [0], notBefore: T0, notAfter: T1, serial: 2 })], [rootDer],
      ["certificate 1 of x5c is not a CA", "certificate 0 of x5c is not signed by certificate 1"]],
    ["no anchor", [leafDer, interDer], [cert({ subject: party("Root", "p256"), issuer: party("Root", "p256"), ca: true, notBefore: T0, notAfter: T1 })],
      ["x5c does not chain to any given trust anchor"]],
    ["authority key id differs from the issuer's subject key id", [cert({ subject: leafKey, issuer: interP384, ca: false, notBefore: T0, notAfter: T1, authorityKeyId: Uint8Array.of(1, 2, 3) }),
      cert({ subject: interP384, issuer: root, ca: true, notBefore: T0, notAfter: T1, serial: 2, subjectKeyId: Uint8Array.of(4, 5, 6) })], [rootDer],
      ["certificate 0 of x5c is not signed by certificate 1"]],
    ["issuer key RSA-1024 (below policy)", [leafUnder(party("Intermediate P-384", "rsa1024")), cert({ subject: party("Intermediate P-384", "rsa1024"), issuer: root, ca: true, notBefore: T0, notAfter: T1 })], [rootDer],
      ["certificate 0 of x5c is not signed by certificate 1"]],
  ];
  for (const [what, x5c, anchors, want] of cases) {
    const r = chainProblems(x5c, anchors);
    assert.deepEqual(r.node, want, `node: ${what}`);
    assert.deepEqual(r.browser, r.node, `browser: ${what}`);
  }
});

test("chains: the browser twin's documented limit — an RSASSA-PSS certificate signature verifies in Node only", () => {
  const root = party("PSS Root", "rsa2048", true);
  const inter = party("Intermediate", "p256");
  const rootDer = cert({ subject: root, issuer: root, ca: true, notBefore: T0, notAfter: T1 });
  const interDer = cert({ subject: inter, issuer: root, ca: true, notBefore: T0, notAfter: T1, serial: 2 });
  const leafDer = cert({ subject: party("Leaf", "p256"), issuer: inter, ca: false, notBefore: T0, notAfter: T1, serial: 3 });
  const r = chainProblems([leafDer, interDer], [rootDer]);
  assert.deepEqual(r.node, []);
  assert.deepEqual(r.browser, ["x5c does not chain to any given trust anchor"]);
});

/** Cases of the fuzzer run with the browser twins (SEGL_FUZZ_TWIN_ITERATIONS for longer runs) and its seed. */
const TWIN_CASES = Number(process.env["SEGL_FUZZ_TWIN_ITERATIONS"] ?? 3000);
const TWIN_SEED = Number(process.env["SEGL_FUZZ_SEED"] ?? 0x7e62);

test(`the verification fuzzer with the browser twins: ${TWIN_CASES} cases, only typed errors, nothing accepted that the specification refuses`, () => {
  // No time limit per case here (1 s): the twin's ECDSA takes milliseconds; Node's limit is fido-fuzz.test.ts's.
  const r = fuzz.fuzzVerify(TWIN_CASES, TWIN_SEED, undefined, 1_000);
  const summary = Object.entries(r.byTarget).map(([t, x]) => `${t}: ${x.cases} cases, ${x.accepted} accepted, ${x.thrown} thrown, max ${x.maxMs.toFixed(2)} ms`).join("\n");
  console.log(`browser twins, seed ${TWIN_SEED}, ${r.cases} cases in ${(r.totalMs / 1000).toFixed(1)} s\n${summary}`);
  assert.equal(r.cases, TWIN_CASES);
  assert.deepEqual(r.untyped, [], `${r.untypedCount} untyped error(s)`);
  assert.deepEqual(r.wronglyAccepted, [], `${r.wronglyAcceptedCount} input(s) accepted that the specification refuses`);
  for (const t of ["assertion", "registration", "cose"] as const) assert.ok(r.byTarget[t].accepted > 0, `${t} never accepted`);
}, 600_000);

test("RSA credentials: PS256 and RS384 assertions verify when allowed and are refused by the default policy, the same in both", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const b = (s: string | undefined) => new Uint8Array(Buffer.from(s ?? "", "base64url"));
  const id = Uint8Array.of(7, 7, 7, 7);
  for (const [alg, hash, pss] of [[-37, "sha256", true], [-258, "sha384", false]] as const) {
    const cose = cborEncode(new Map<CborValue, CborValue>([[1, 3], [3, alg], [-1, b(jwk.n)], [-2, b(jwk.e)]]));
    const challenge = new Uint8Array(32).fill(alg & 0xff);
    const cdj = soft.clientData("webauthn.get", challenge);
    const ad = soft.authData({ flags: 0x05, counter: 9 });
    const signed = soft.cat(ad, soft.sha256(cdj));
    const sig = new Uint8Array(sign(hash, signed, pss ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : privateKey));
    const opts = (allowedAlgorithms?: number[]) => ({
      credential: { id, publicKey: cose, signCount: 1, userHandle: soft.USER }, credentialId: id, authenticatorData: ad, signature: sig, clientDataJSON: cdj,
      expectedRpId: soft.RP, expectedOrigin: soft.ORIGIN, expectedChallenge: challenge, ...(allowedAlgorithms ? { allowedAlgorithms } : {}),
    });
    const verdict = (r: ReturnType<Fido["verifyAssertion"]>) => ({ verified: r.verified, reasons: r.reasons, signatureValid: r.signatureValid });
    assert.deepEqual(verdict(browser.verifyAssertion(opts([alg]))), { verified: true, reasons: [], signatureValid: true }, `${alg}`);
    assert.deepEqual(verdict(node.verifyAssertion(opts([alg]))), verdict(browser.verifyAssertion(opts([alg]))));
    assert.deepEqual(verdict(browser.verifyAssertion(opts())), { verified: false, reasons: ["algorithm-not-allowed"], signatureValid: true }, `${alg} by default`);
    assert.deepEqual(verdict(node.verifyAssertion(opts())), verdict(browser.verifyAssertion(opts())));
  }
});
