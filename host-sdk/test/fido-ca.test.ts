// Maker CA and batch attestation certificates: parsed and verified by node:crypto (OpenSSL) and
// by the openssl CLI when present; WebAuthn §8.2.1 checks catch each broken requirement; chains
// through an intermediate.
import { test } from "vitest";
import { requireTools } from "../../scripts/system-deps.mjs";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey, createPublicKey, sign } from "node:crypto";
import { spawnSync } from "node:child_process";
import { p256 } from "@noble/curves/nist.js";
import {
  createMakerCa, createBatchCertificate, issueCertificate, basicConstraintsExt, aaguidExt, checkAttestationCertificate,
  checkChain, parseCertFields, ATTESTATION_OU, derToPem,
} from "../src/index.js";

const AAGUID = "5e61c0de-0000-4000-8000-00000000c41d";
const aaguid = new Uint8Array(Buffer.from(AAGUID.replace(/-/g, ""), "hex"));

test("maker CA: self-signed P-256 root that OpenSSL accepts as a CA", () => {
  const ca = createMakerCa({ subject: { C: "DK", O: "Segl Test Maker", CN: "Segl Test Root" } });
  assert.equal(ca.privateKey.length, 32);
  assert.deepEqual(ca.publicKey, p256.getPublicKey(ca.privateKey, false));
  const x = new X509Certificate(ca.certificateDer);
  assert.equal(x.ca, true);
  assert.equal(x.verify(x.publicKey), true);
  assert.equal(x.checkIssued(x), true);
  assert.equal(x.subject, "C=DK\nO=Segl Test Maker\nCN=Segl Test Root");
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.equal(new X509Certificate(ca.certificatePem).fingerprint256, x.fingerprint256);
  assert.equal(parseCertFields(ca.certificateDer).version, 3);
});

test("batch certificate: meets the packed attestation requirements and verifies under the CA", () => {
  const ca = createMakerCa();
  const notBefore = new Date("2025-01-01T00:00:00Z");
  const notAfter = new Date("2060-01-01T00:00:00Z"); // GeneralizedTime past 2049
  const b = createBatchCertificate({ ca, aaguid: AAGUID, subject: { C: "DK", O: "Segl", CN: "Batch 7" }, notBefore, notAfter, serial: 7n });
  const x = new X509Certificate(b.certificateDer);
  const cx = new X509Certificate(ca.certificateDer);
  assert.equal(x.verify(cx.publicKey), true);
  assert.equal(x.checkIssued(cx), true);
  assert.equal(x.ca, false);
  assert.equal(x.serialNumber, "07");
  assert.equal(x.subject, `C=DK\nO=Segl\nOU=${ATTESTATION_OU}\nCN=Batch 7`);
  assert.equal(x.issuer, cx.subject);
  assert.equal(new Date(x.validFrom).toISOString(), notBefore.toISOString());
  assert.equal(new Date(x.validTo).toISOString(), notAfter.toISOString());
  assert.deepEqual(checkAttestationCertificate(b.certificateDer, aaguid), []);
  assert.deepEqual(checkChain([x], [cx], new Date("2030-01-01")), []);
  assert.equal(checkChain([x], [cx], new Date("2061-01-01")).length > 0, true);
  // the 32-byte batch key is the certificate's key: sign with it (via node) and verify with the cert
  const jwkPriv = {
    kty: "EC", crv: "P-256", d: Buffer.from(b.privateKey).toString("base64url"),
    x: Buffer.from(b.publicKey.subarray(1, 33)).toString("base64url"), y: Buffer.from(b.publicKey.subarray(33)).toString("base64url"),
  };
  const msg = Buffer.from("authData || clientDataHash");
  const sig = sign("sha256", msg, createPrivateKey({ key: jwkPriv, format: "jwk" }));
  assert.equal(createPublicKey(x.publicKey.export({ format: "pem", type: "spki" })).asymmetricKeyType, "ec");
  assert.equal(p256.verify(p256.Signature.fromBytes(sig, "der").toBytes("compact"), msg, b.publicKey, { lowS: false }), true);
  const ext = parseCertFields(b.certificateDer).extensions.find((e) => e.oid === "1.3.6.1.4.1.45724.1.1.4");
  assert.equal(ext?.critical, false);
  assert.equal(Buffer.from(ext!.value).toString("hex"), "0410" + Buffer.from(aaguid).toString("hex"));
});

test("openssl x509 -text reads the batch certificate", () => {
  requireTools("openssl");
  const ca = createMakerCa();
  const b = createBatchCertificate({ ca, aaguid: AAGUID });
  const r = spawnSync("openssl", ["x509", "-noout", "-text"], { input: b.certificatePem });
  assert.equal(r.status, 0, r.stderr.toString());
  const text = r.stdout.toString();
  assert.match(text, /Version: 3 \(0x2\)/);
  assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /OU ?= ?Authenticator Attestation/);
  assert.match(text, /1\.3\.6\.1\.4\.1\.45724\.1\.1\.4:\s*\n/);
  assert.doesNotMatch(text, /1\.3\.6\.1\.4\.1\.45724\.1\.1\.4: critical/);
});

test("attestation certificate checks name each broken requirement", () => {
  const ca = createMakerCa();
  const key = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  const base = {
    issuer: [["C", "DK"], ["O", "Segl device maker"], ["CN", "Segl Attestation Root CA"]] as const,
    subjectPublicKey: key, signingKey: ca.privateKey, serial: 1n,
    notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2035-01-01T00:00:00Z"),
  };
  const subj = [["C", "DK"], ["O", "Segl"], ["OU", ATTESTATION_OU], ["CN", "B"]] as const;
  const cert = (o: Partial<Parameters<typeof issueCertificate>[0]>) =>
    issueCertificate({ ...base, issuer: [...base.issuer], subject: [...subj], extensions: [basicConstraintsExt(false), aaguidExt(aaguid)], ...o });
  const problems = (der: Uint8Array) => checkAttestationCertificate(der, aaguid).join("; ");
  assert.equal(problems(cert({})), "");
  assert.match(problems(cert({ version: 1, extensions: [] })), /v1, must be v3/);
  assert.match(problems(cert({ subject: [["C", "DK"], ["O", "Segl"], ["CN", "B"]] })), /OU/);
  assert.match(problems(cert({ subject: [["C", "DK"], ["O", "Segl"], ["OU", "Other"], ["CN", "B"]] })), /OU/);
  assert.match(problems(cert({ subject: [["O", "Segl"], ["OU", ATTESTATION_OU], ["CN", "B"]] })), /lacks C/);
  assert.match(problems(cert({ extensions: [basicConstraintsExt(true), aaguidExt(aaguid)] })), /CA=true/);
  assert.match(problems(cert({ extensions: [basicConstraintsExt(false), aaguidExt(aaguid, true)] })), /must not be critical/);
  assert.match(problems(cert({ extensions: [basicConstraintsExt(false), aaguidExt(new Uint8Array(16))] })), /differs/);
  assert.match(problems(cert({ extensions: [basicConstraintsExt(false), aaguidExt(new Uint8Array(15))] })), /16 bytes/);
  assert.equal(problems(cert({ extensions: [basicConstraintsExt(false)] })), "", "AAGUID extension is optional");
  assert.match(checkAttestationCertificate(Uint8Array.of(0x30, 0x03, 1, 2)).join(), /cannot be parsed/);
});

test("a chain through an intermediate CA chains to the root; a broken link does not", () => {
  const root = createMakerCa({ subject: { CN: "Root" } });
  const interKey = p256.utils.randomSecretKey();
  const interPub = p256.getPublicKey(interKey, false);
  const interDer = issueCertificate({
    subject: [["C", "DK"], ["O", "Segl device maker"], ["CN", "Intermediate"]],
    issuer: [["C", "DK"], ["O", "Segl device maker"], ["CN", "Root"]],
    subjectPublicKey: interPub, signingKey: root.privateKey, serial: 2n,
    notBefore: new Date(Date.now() - 86400e3), notAfter: new Date(Date.now() + 365 * 86400e3),
    extensions: [basicConstraintsExt(true, 0)],
  });
  const leaf = createBatchCertificate({ ca: { certificateDer: interDer, privateKey: interKey }, aaguid });
  const chain = [new X509Certificate(leaf.certificateDer), new X509Certificate(interDer)];
  const rootX = new X509Certificate(root.certificatePem);
  assert.deepEqual(checkChain(chain, [rootX], new Date()), []);
  assert.deepEqual(checkChain(chain, [new X509Certificate(derToPem(interDer))], new Date()), [], "an intermediate may itself be the anchor");
  assert.ok(checkChain([chain[0]!], [rootX], new Date()).length > 0, "leaf alone does not reach the root");
  const stranger = createMakerCa({ subject: { CN: "Intermediate" } });
  assert.ok(checkChain([chain[0]!, new X509Certificate(stranger.certificateDer)], [rootX], new Date()).length > 0);
});
