// A registration and assertions from the simulated chip (the shipping image in the simulator), for
// tests that verify them: factory provisioning with a batch attestation from the SDK's maker CA, then
// makeCredential and getAssertion through the SDK's CTAP2 client, the finger pressing on request.
import { Device, SimClock } from "@segl/simulator";
import {
  CtapHidClient, Ctap2Client, HidMemoryTransport, HidServiceTunnel, ServiceClient, cborEncode, createBatchCertificate, createMakerCa,
  provisionDevice, type CborValue, type IssuedCertificate,
} from "../src/index.js";
import { digest } from "../src/platform/crypto.js";
import { base64url } from "../src/platform/encoding.js";

export const CHIP_RP = "bank.example";
export const CHIP_ORIGIN = "https://bank.example";
export const CHIP_USER = Uint8Array.of(1, 2, 3, 4);
/** The chip's clock and the time the verifications use (fixed: no wall clock in the verdicts). */
export const CHIP_NOW = new Date(Date.UTC(2030, 0, 1));

export function clientDataJSON(type: "webauthn.create" | "webauthn.get", challenge: Uint8Array): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type, challenge: base64url(challenge), origin: CHIP_ORIGIN, crossOrigin: false }));
}

export interface ChipAssertion { challenge: Uint8Array; clientDataJSON: Uint8Array; authenticatorData: Uint8Array; signature: Uint8Array; credentialId: Uint8Array; userHandle: Uint8Array | null }
export interface ChipCeremonies {
  ca: IssuedCertificate;
  aaguid: Uint8Array;
  registration: { challenge: Uint8Array; clientDataJSON: Uint8Array; attestationObject: Uint8Array; credentialId: Uint8Array };
  assertions: ChipAssertion[];
}

/** One registration (packed, batch attestation) and `n` assertions from a simulated chip, seeded by `seed`. */
export async function chipCeremonies(seed: string, n = 2): Promise<ChipCeremonies> {
  const clock = new SimClock({ startMs: CHIP_NOW.getTime() });
  const device = new Device({ clock, rngSeed: seed });
  const transport = new HidMemoryTransport(device);
  try {
    const hid = await CtapHidClient.open(transport);
    const factory = new ServiceClient(new HidServiceTunnel(hid));
    await provisionDevice(factory, { model: "chip", serial: "CHIP-0001", timeMs: clock.now(), lock: false });
    const ctap = new Ctap2Client(hid);
    const info = await ctap.getInfo();
    const notBefore = new Date(CHIP_NOW.getTime() - 86_400_000);
    const ca = createMakerCa({ notBefore });
    const batch = createBatchCertificate({ ca, aaguid: info.aaguid, notBefore });
    await factory.provisionAttestation(batch.privateKey, batch.certificateDer);
    await factory.lock();
    const touch = { onStatus: (s: string) => { if (s === "up-needed") queueMicrotask(() => device.click()); } };
    const challenge = digest("sha256", new TextEncoder().encode(`${seed} registration`));
    const cdj = clientDataJSON("webauthn.create", challenge);
    const att = await ctap.makeCredential({
      clientDataHash: digest("sha256", cdj), rp: { id: CHIP_RP, name: "Bank" }, user: { id: CHIP_USER, name: "anna", displayName: "Anna" },
    }, touch);
    const attestationObject = cborEncode(new Map<CborValue, CborValue>([["fmt", att.fmt], ["attStmt", att.attStmt], ["authData", att.authData]]));
    const assertions: ChipAssertion[] = [];
    for (let i = 0; i < n; i++) {
      const ch = digest("sha256", new TextEncoder().encode(`${seed} assertion ${i}`));
      const gcdj = clientDataJSON("webauthn.get", ch);
      const a = await ctap.getAssertion({ rpId: CHIP_RP, clientDataHash: digest("sha256", gcdj), allowList: [{ type: "public-key", id: att.credentialId }] }, touch);
      assertions.push({ challenge: ch, clientDataJSON: gcdj, authenticatorData: a.authData, signature: a.signature, credentialId: a.credential.id, userHandle: a.user?.id ?? null });
    }
    return { ca, aaguid: info.aaguid, registration: { challenge, clientDataJSON: cdj, attestationObject, credentialId: att.credentialId }, assertions };
  } finally {
    await transport.close();
    device.dispose();
  }
}
