// The chip end to end: factory provisioning over the CTAPHID vendor tunnel (model, batch
// attestation from the SDK's maker CA, lock), WebAuthn registration and assertions through the
// SDK's CTAP2 client, verified by the SDK's broker verifier AND by @simplewebauthn/server.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { SettingsService, verifyAuthenticationResponse, verifyRegistrationResponse } from "@simplewebauthn/server";
import { Device, SimClock } from "@segl/simulator";
import {
  CtapHidClient, Ctap2Client, HidMemoryTransport, HidServiceTunnel, ServiceClient, cborEncode, createBatchCertificate, createMakerCa,
  isSeglError, provisionDevice, verifyAssertion, verifyRegistration, type CborValue,
} from "@segl/host-sdk";

const RP = "bank.example";
const ORIGIN = "https://bank.example";
const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash("sha256").update(b).digest());

function clientData(type: "webauthn.create" | "webauthn.get", challenge: Uint8Array): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type, challenge: b64u(challenge), origin: ORIGIN, crossOrigin: false }));
}

async function chip(withAttestation: boolean) {
  const clock = new SimClock({ startMs: Date.now() });
  const device = new Device({ clock, rngSeed: `chip-broker-${withAttestation}` });
  const transport = new HidMemoryTransport(device);
  const hid = await CtapHidClient.open(transport);
  const factory = new ServiceClient(new HidServiceTunnel(hid));
  // unlocked until the batch attestation is in (a chip is locked by default): locked below
  await provisionDevice(factory, { model: "chip", serial: "CHIP-0001", timeMs: clock.now(), lock: false });
  const ctap = new Ctap2Client(hid);
  const info = await ctap.getInfo();
  const ca = createMakerCa();
  if (withAttestation) {
    const batch = createBatchCertificate({ ca, aaguid: info.aaguid });
    await factory.provisionAttestation(batch.privateKey, batch.certificateDer);
  }
  await factory.lock();
  // the touch: the simulated finger presses whenever the chip asks for one
  const touch = { onStatus: (s: string) => { if (s === "up-needed") queueMicrotask(() => device.click()); } };
  return { device, clock, hid, ctap, info, ca, factory, touch, close: async () => { await transport.close(); device.dispose(); } };
}

test("chip registration with batch attestation: chained to the maker root, accepted by SimpleWebAuthn", async () => {
  const c = await chip(true);
  try {
    assert.equal((await c.factory.info()).state, "locked");
    await assert.rejects(c.factory.provisionAttestation(new Uint8Array(32), new Uint8Array(100)), (e) => isSeglError(e, "DEVICE_STATUS") && e.details?.["statusName"] === "LOCKED");
    const challenge = new Uint8Array(randomBytes(32));
    const cdj = clientData("webauthn.create", challenge);
    const att = await c.ctap.makeCredential({
      clientDataHash: sha256(cdj), rp: { id: RP, name: "Bank" }, user: { id: new Uint8Array([1, 2, 3, 4]), name: "anna", displayName: "Anna" },
    }, c.touch);
    const attestationObject = cborEncode(new Map<CborValue, CborValue>([["fmt", att.fmt], ["attStmt", att.attStmt], ["authData", att.authData]]));

    const ours = verifyRegistration({ attestationObject, clientDataJSON: cdj, expectedRpId: RP, expectedChallenge: challenge, expectedOrigin: ORIGIN, trustAnchors: [c.ca.certificateDer], expectedAaguid: c.info.aaguid, requireUserVerification: false });
    assert.deepEqual(ours.problems, []);
    assert.equal(ours.verified, true);
    assert.equal(ours.signatureValid, true);
    assert.equal(ours.attestation.type, "basic");
    assert.equal(ours.attestation.trust, "chained");
    assert.equal(ours.attestation.aaguidValid, true);
    // another maker's root does not vouch for this chip
    const stranger = verifyRegistration({ attestationObject, clientDataJSON: cdj, expectedRpId: RP, expectedChallenge: challenge, expectedOrigin: ORIGIN, trustAnchors: [createMakerCa().certificateDer], requireUserVerification: false });
    assert.equal(stranger.verified, false);
    assert.equal(stranger.signatureValid, true, "the signature itself is still good: kept apart from trust");

    SettingsService.setRootCertificates({ identifier: "packed", certificates: [c.ca.certificatePem] });
    const swa = await verifyRegistrationResponse({
      response: { id: b64u(att.credentialId), rawId: b64u(att.credentialId), type: "public-key", clientExtensionResults: {}, response: { clientDataJSON: b64u(cdj), attestationObject: b64u(attestationObject) } },
      expectedChallenge: b64u(challenge), expectedOrigin: ORIGIN, expectedRPID: RP, requireUserVerification: false,
    });
    assert.equal(swa.verified, true, "SimpleWebAuthn accepts the chip's registration");

    // Assertions: verified by both; the counter rises; an old counter is reported as regressed.
    let stored = ours.credential.signCount;
    const stock = { id: ours.credential.id, publicKey: ours.credential.publicKey, userHandle: new Uint8Array([1, 2, 3, 4]) };
    let previous: { authData: Uint8Array; signature: Uint8Array; cdj: Uint8Array; challenge: Uint8Array } | undefined;
    for (let i = 0; i < 3; i++) {
      const ch = new Uint8Array(randomBytes(32));
      const gcdj = clientData("webauthn.get", ch);
      const a = await c.ctap.getAssertion({ rpId: RP, clientDataHash: sha256(gcdj), allowList: [{ type: "public-key", id: att.credentialId }] }, c.touch);
      const r = verifyAssertion({ credential: { ...stock, signCount: stored }, credentialId: a.credential.id, userHandle: a.user?.id ?? null, authenticatorData: a.authData, signature: a.signature, clientDataJSON: gcdj, expectedRpId: RP, expectedChallenge: ch, expectedOrigin: ORIGIN, requireUserVerification: false });
      assert.equal(r.verified, true, r.problems.join("; "));
      assert.equal(r.counter.status, "ok");
      assert.ok(r.counter.received > stored, "per-credential counter rises");
      const s = await verifyAuthenticationResponse({
        response: { id: b64u(att.credentialId), rawId: b64u(att.credentialId), type: "public-key", clientExtensionResults: {}, response: { clientDataJSON: b64u(gcdj), authenticatorData: b64u(a.authData), signature: b64u(a.signature) } },
        expectedChallenge: b64u(ch), expectedOrigin: ORIGIN, expectedRPID: RP, requireUserVerification: false,
        credential: { id: b64u(att.credentialId), publicKey: new Uint8Array(ours.credential.publicKey), counter: stored },
      });
      assert.equal(s.verified, true, "SimpleWebAuthn accepts the chip's assertion");
      stored = r.counter.next;
      previous = { authData: a.authData, signature: a.signature, cdj: gcdj, challenge: ch };
    }
    const replay = verifyAssertion({ credential: { ...stock, signCount: stored }, credentialId: att.credentialId, authenticatorData: previous!.authData, signature: previous!.signature, clientDataJSON: previous!.cdj, expectedRpId: RP, expectedChallenge: previous!.challenge, expectedOrigin: ORIGIN, counterPolicy: "report", requireUserVerification: false });
    assert.equal(replay.signatureValid, true);
    assert.equal(replay.counter.status, "regressed", "a replayed (cloned) assertion shows up as a counter regression");
    // The counter survives a power cut.
    c.device.reboot();
    const hid2 = await CtapHidClient.open(new HidMemoryTransport(c.device));
    const ch = new Uint8Array(randomBytes(32));
    const a = await new Ctap2Client(hid2).getAssertion({ rpId: RP, clientDataHash: sha256(clientData("webauthn.get", ch)), allowList: [{ type: "public-key", id: att.credentialId }] }, c.touch);
    assert.ok(a.parsedAuthData.signCount > stored, `no counter goes back across a reboot (${a.parsedAuthData.signCount} after ${stored})`);
  } finally {
    await c.close();
  }
});

test("chip without batch attestation: self attestation, reported as such", async () => {
  const c = await chip(false);
  try {
    const challenge = new Uint8Array(randomBytes(32));
    const cdj = clientData("webauthn.create", challenge);
    const att = await c.ctap.makeCredential({ clientDataHash: sha256(cdj), rp: { id: RP }, user: { id: new Uint8Array([9]), name: "bo" } }, c.touch);
    const r = verifyRegistration({ fmt: att.fmt, authData: att.authData, attStmt: att.attStmt, clientDataJSON: cdj, expectedRpId: RP, expectedChallenge: challenge, expectedOrigin: ORIGIN, attestation: "any", requireUserVerification: false });
    assert.equal(r.verified, true, r.problems.join("; "));
    assert.equal(r.signatureValid, true);
    assert.equal(r.attestation.type, "self");
    assert.equal(r.attestation.trust, "self");
    const withRoot = verifyRegistration({ fmt: att.fmt, authData: att.authData, attStmt: att.attStmt, clientDataJSON: cdj, expectedRpId: RP, expectedChallenge: challenge, expectedOrigin: ORIGIN, trustAnchors: [c.ca.certificateDer], requireUserVerification: false });
    assert.equal(withRoot.verified, false, "a broker that requires a maker root refuses self attestation");
  } finally {
    await c.close();
  }
});
