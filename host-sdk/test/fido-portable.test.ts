// The SDK's FIDO verification is portable: bundled by esbuild with the page's swaps (scripts/web-portable.mjs),
// host-sdk/src/fido/index.ts pulls in no node: module and takes the browser twins; and that very bundle,
// run in a bare JavaScript realm (no Buffer, no process, no require, no node:crypto — only the language's
// own built-ins), verifies the simulated chip's registration and assertion with node:crypto's verdicts.
import { test, beforeAll } from "vitest";
import assert from "node:assert/strict";
import { createContext, runInContext } from "node:vm";
import { build, type Metafile } from "esbuild";
import { portablePlugin } from "../../scripts/web-portable.mjs";
import { root } from "../../scripts/portable.mjs";
import { CHIP_NOW, CHIP_ORIGIN, CHIP_RP, CHIP_USER, chipCeremonies, type ChipCeremonies } from "./fido-chip.js";
import { verifyAssertion, verifyRegistration } from "../src/index.js";
import { hex as toHex } from "../src/platform/encoding.js";

let bundle: string;
let meta: Metafile;
/** Bundled source files of the repository that name Node's Buffer (esbuild does not polyfill it). */
const bufferUsers: string[] = [];
const portable = portablePlugin(root);
let chip: ChipCeremonies;

beforeAll(async () => {
  const r = await build({
    entryPoints: [`${root}/host-sdk/src/fido/index.ts`], bundle: true, format: "iife", globalName: "SeglFido", platform: "browser",
    target: "es2022", write: false, metafile: true, plugins: [portablePlugin(root, { bufferUsers })], logLevel: "silent",
  });
  bundle = r.outputFiles[0]!.text;
  meta = r.metafile;
  chip = await chipCeremonies("fido-portable", 1);
}, 60_000);

test("bundle of host-sdk/src/fido/index.ts with the page's swaps: no node: module, no module naming Buffer, the browser twins in, the Node ones out", () => {
  assert.deepEqual(bufferUsers, []);
  const inputs = Object.keys(meta.inputs);
  assert.ok(inputs.includes("host-sdk/src/platform/keys.browser.ts"), inputs.join(", "));
  assert.ok(inputs.includes("host-sdk/src/platform/crypto.browser.ts"));
  assert.ok(!inputs.includes("host-sdk/src/platform/keys.ts"));
  assert.ok(!inputs.includes("host-sdk/src/platform/crypto.ts"));
  assert.ok(!inputs.some((p) => p.startsWith("node:")), "no node: input");
  assert.equal(/\brequire\(["']node:/.test(bundle) || /from ["']node:/.test(bundle), false);
});

test("a node: import reaching the bundle fails the build (the plugin refuses it)", async () => {
  await assert.rejects(build({
    stdin: { contents: 'import { createHash } from "node:crypto"; console.log(createHash);', resolveDir: `${root}/host-sdk/src` },
    bundle: true, write: false, platform: "browser", plugins: [portable], logLevel: "silent",
  }), /node:crypto is Node-only/);
});

test("the bundle, in a realm without Buffer/process/node:crypto, verifies the chip's registration and assertion as Node does", () => {
  // A bare realm: only ECMAScript built-ins, plus a TextEncoder/TextDecoder written in the realm itself.
  const realm = createContext({});
  runInContext(`
    globalThis.TextEncoder = class { encode(s) { return Uint8Array.from(unescape(encodeURIComponent(s)), (c) => c.charCodeAt(0)); } };
    globalThis.TextDecoder = class { decode(b) { let s = ""; for (const x of b) s += String.fromCharCode(x); return decodeURIComponent(escape(s)); } };
  `, realm);
  assert.equal(runInContext("typeof Buffer + typeof process + typeof require + typeof crypto", realm), "undefinedundefinedundefinedundefined");
  runInContext(bundle, realm);
  const a = chip.assertions[0]!;
  const input = {
    att: toHex(chip.registration.attestationObject), cdj: toHex(chip.registration.clientDataJSON), challenge: toHex(chip.registration.challenge),
    ca: toHex(chip.ca.certificateDer), now: CHIP_NOW.toISOString(), rp: CHIP_RP, origin: CHIP_ORIGIN, user: toHex(CHIP_USER),
    a: { ad: toHex(a.authenticatorData), sig: toHex(a.signature), cdj: toHex(a.clientDataJSON), challenge: toHex(a.challenge), id: toHex(a.credentialId) },
  };
  const out = JSON.parse(runInContext(`(() => {
    const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
    const i = ${JSON.stringify(input)};
    const reg = SeglFido.verifyRegistration({ attestationObject: hex(i.att), clientDataJSON: hex(i.cdj), expectedChallenge: hex(i.challenge),
      expectedRpId: i.rp, expectedOrigin: i.origin, trustAnchors: [hex(i.ca)], requireUserVerification: false, now: new Date(i.now) });
    const as = SeglFido.verifyAssertion({ credential: { id: reg.credential.id, publicKey: reg.credential.publicKey, signCount: reg.credential.signCount, userHandle: hex(i.user) },
      credentialId: hex(i.a.id), authenticatorData: hex(i.a.ad), signature: hex(i.a.sig), clientDataJSON: hex(i.a.cdj), expectedChallenge: hex(i.a.challenge),
      expectedRpId: i.rp, expectedOrigin: i.origin, requireUserVerification: false });
    const bad = hex(i.a.sig); bad[bad.length - 1] ^= 1;
    const refused = SeglFido.verifyAssertion({ credential: { id: reg.credential.id, publicKey: reg.credential.publicKey, signCount: reg.credential.signCount, userHandle: hex(i.user) },
      credentialId: hex(i.a.id), authenticatorData: hex(i.a.ad), signature: bad, clientDataJSON: hex(i.a.cdj), expectedChallenge: hex(i.a.challenge),
      expectedRpId: i.rp, expectedOrigin: i.origin, requireUserVerification: false });
    const pick = (r) => ({ verified: r.verified, reasons: r.reasons, problems: r.problems, signatureValid: r.signatureValid });
    return JSON.stringify({ reg: { ...pick(reg), trust: reg.attestation.trust, keyInfo: reg.credential.keyObject.info ?? null },
      as: { ...pick(as), counter: as.counter }, refused: { ...pick(refused), counter: refused.counter } });
  })()`, realm));

  const reg = verifyRegistration({
    attestationObject: chip.registration.attestationObject, clientDataJSON: chip.registration.clientDataJSON, expectedChallenge: chip.registration.challenge,
    expectedRpId: CHIP_RP, expectedOrigin: CHIP_ORIGIN, trustAnchors: [chip.ca.certificateDer], requireUserVerification: false, now: CHIP_NOW,
  });
  const opts = (signature: Uint8Array) => ({
    credential: { id: reg.credential.id, publicKey: reg.credential.publicKey, signCount: reg.credential.signCount, userHandle: CHIP_USER },
    credentialId: a.credentialId, authenticatorData: a.authenticatorData, signature, clientDataJSON: a.clientDataJSON, expectedChallenge: a.challenge,
    expectedRpId: CHIP_RP, expectedOrigin: CHIP_ORIGIN, requireUserVerification: false,
  });
  const as = verifyAssertion(opts(a.signature));
  const bad = a.signature.slice();
  bad[bad.length - 1]! ^= 1;
  const refused = verifyAssertion(opts(bad));
  const pick = (r: { verified: boolean; reasons: unknown; problems: unknown; signatureValid: unknown }) => ({ verified: r.verified, reasons: r.reasons, problems: r.problems, signatureValid: r.signatureValid });

  assert.equal(out.reg.verified, true, out.reg.problems.join("; "));
  assert.equal(out.reg.trust, "chained");
  assert.deepEqual(out.reg.keyInfo, { type: "ec", curve: "P-256" }, "the browser twin's key (a KeyObject has no info)");
  assert.deepEqual(out.reg, { ...pick(reg), trust: reg.attestation.trust, keyInfo: { type: "ec", curve: "P-256" } });
  assert.equal(out.as.verified, true);
  assert.deepEqual(out.as, { ...pick(as), counter: as.counter });
  assert.equal(out.refused.signatureValid, false);
  assert.deepEqual(out.refused, { ...pick(refused), counter: refused.counter });
});
