// The page as relying party and client for a simulated chip (docs/simulator.md "In a browser"): it
// builds clientDataJSON (type, the broker's challenge, the page's origin), calls makeCredential and
// getAssertion on the chip over CTAPHID with the SDK's CTAP2 client, and verifies with the SDK's
// FidoBroker on its in-memory credential store. What comes back is three verdicts kept apart —
// trust (attestation), counter, signature — in words. Runs in Node as well (tests).
import { FidoBroker, type FidoAssertResult, type FidoRegisterResult } from "../../host-sdk/src/verify/fido-broker.js";
import { MemoryStore } from "../../host-sdk/src/verify/memory-store.js";
import type { CredentialRecord, CredentialTrust } from "../../host-sdk/src/verify/credentials.js";
import { CtapHidClient } from "../../host-sdk/src/protocols/ctaphid/client.js";
import { Ctap2Client, type Ctap2CallOptions } from "../../host-sdk/src/protocols/ctap2/client.js";
import { ServiceClient } from "../../host-sdk/src/protocols/service/client.js";
import { HidServiceTunnel } from "../../host-sdk/src/protocols/service/hid-tunnel.js";
import { HidMemoryTransport, type HidEndpoint } from "../../host-sdk/src/transport/hid-memory.js";
import { createBatchCertificate, createMakerCa, type IssuedCertificate } from "../../host-sdk/src/fido/ca.js";
import { cborEncode, type CborValue } from "../../host-sdk/src/cbor.js";
import { parseAuthenticatorData } from "../../host-sdk/src/fido/authdata.js";
import { digest, randomBytes } from "../../host-sdk/src/platform/crypto.js";
import type { FidoFailureReason } from "../../host-sdk/src/reasons.js";

/** The SDK's clients on one chip, over its HID reports (CTAP2, and the service protocol through the vendor command). */
export interface ChipLink {
  readonly hid: CtapHidClient;
  readonly ctap: Ctap2Client;
  readonly service: ServiceClient;
  close(): Promise<void>;
}

/** Opens a CTAPHID channel to an in-process chip (the simulator's Device, or a wrapper that logs its reports). */
export async function openChip(endpoint: HidEndpoint): Promise<ChipLink> {
  const transport = new HidMemoryTransport(endpoint);
  try {
    const hid = await CtapHidClient.open(transport);
    return { hid, ctap: new Ctap2Client(hid), service: new ServiceClient(new HidServiceTunnel(hid)), close: () => transport.close() };
  } catch (e) {
    await transport.close();
    throw e;
  }
}

/** A maker root for the page (the simulated chips' maker) or another maker's. */
export interface MakerRoot {
  readonly name: string;
  readonly ca: IssuedCertificate;
}

export function createMakerRoot(name: string, organisation: string): MakerRoot {
  return { name, ca: createMakerCa({ subject: { O: organisation, CN: name } }) };
}

/**
 * Factory provisioning of a chip that is still unlocked: a batch attestation key and certificate issued
 * by the maker root for the chip's AAGUID, then the clock (`timeMs`, LOCK needs it) and LOCK (a chip leaves the factory locked).
 */
export async function attestAndLock(link: ChipLink, root: MakerRoot, timeMs: number): Promise<void> {
  const info = await link.ctap.getInfo();
  const batch = createBatchCertificate({ ca: root.ca, aaguid: info.aaguid });
  await link.service.provisionAttestation(batch.privateKey, batch.certificateDer);
  await link.service.setTime(timeMs);
  await link.service.lock();
}

/** One verdict: `ok` true (passed), false (failed) or undefined (not judged, or only information); `text` says it in words. */
export interface Verdict {
  readonly ok: boolean | undefined;
  readonly text: string;
}

/** What the page shows after a ceremony: the broker's answer and the three verdicts apart. */
export interface Verdicts {
  readonly accepted: boolean;
  readonly reasons: readonly FidoFailureReason[];
  readonly outcome: string;
  readonly trust: Verdict;
  readonly counter: Verdict;
  readonly signature: Verdict;
}

/** An account registered with the page's broker, as the page keeps it (IndexedDB) across reloads. */
export interface PageAccount {
  readonly name: string;
  readonly credential: CredentialRecord;
}

/** The last assertion the page sent (for "replay an old assertion"). */
interface SentAssertion {
  credentialId: Uint8Array;
  clientDataJSON: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
  userHandle: Uint8Array | null;
}

/** How a sign-in is tampered with to show a verdict failing. */
export type SignInMode = "honest" | "flip-signature-bit" | "replay";

const NOT_CHECKED: Partial<Record<FidoFailureReason, string>> = {
  "challenge-unknown": "the challenge was never issued, has expired or was already used (a replay)",
  "unknown-credential": "no such credential is registered",
  malformed: "the response could not be read",
};
const enc = new TextEncoder();

export interface PageRelyingPartyOptions {
  readonly rpId: string;
  readonly origin: string;
  /** The maker root the broker trusts. */
  readonly trusted: MakerRoot;
  /** Another maker's root: registering against it shows trust failing. */
  readonly stranger: MakerRoot;
}

/** The broker in the page: FidoBroker on a MemoryStore, attestation "any" checked against one maker root. */
export class PageRelyingParty {
  readonly store = new MemoryStore();
  private readonly brokers: Record<"trusted" | "stranger", FidoBroker>;
  private last: SentAssertion | undefined;

  constructor(private readonly o: PageRelyingPartyOptions) {
    const broker = (root: MakerRoot) => new FidoBroker({
      store: this.store, rpId: o.rpId, rpName: "Segl simulator page", origin: o.origin,
      attestation: "any", trustAnchors: [root.ca.certificateDer], requireUserVerification: false,
    });
    this.brokers = { trusted: broker(o.trusted), stranger: broker(o.stranger) };
  }

  /** Puts back accounts kept from an earlier visit. */
  async restore(accounts: readonly PageAccount[]): Promise<void> {
    for (const a of accounts) if (!(await this.store.getCredential(a.credential.credentialId))) await this.store.createCredential({ ...a.credential, version: 0 });
  }

  /** The account as it stands now in the store (its counter moved by accepted assertions). */
  async current(a: PageAccount): Promise<PageAccount> {
    const c = await this.store.getCredential(a.credential.credentialId);
    return c ? { name: a.name, credential: c } : a;
  }

  /** Registers a new account on the chip: makeCredential with a touch, verified against the chosen root. */
  async register(ctap: Ctap2Client, name: string, opts: { root: "trusted" | "stranger"; call?: Ctap2CallOptions }): Promise<{ verdicts: Verdicts; account?: PageAccount }> {
    const broker = this.brokers[opts.root];
    const root = opts.root === "trusted" ? this.o.trusted : this.o.stranger;
    const userHandle = randomBytes(16);
    const options = await broker.registrationOptions({ userHandle, name });
    const clientDataJSON = this.clientData("webauthn.create", options.challenge);
    const att = await ctap.makeCredential({
      clientDataHash: digest("sha256", clientDataJSON), rp: options.rp, user: { id: userHandle, name, displayName: name },
      pubKeyCredParams: options.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
    }, opts.call ?? {});
    const attestationObject = cborEncode(new Map<CborValue, CborValue>([["fmt", att.fmt], ["attStmt", att.attStmt], ["authData", att.authData]]));
    const r = await broker.registerCredential({ clientDataJSON, attestationObject });
    const verdicts = registrationVerdicts(r, att.parsedAuthData.signCount, root.name);
    if (!r.verified) return { verdicts };
    const credential = await this.store.getCredential(att.credentialId);
    return { verdicts, ...(credential ? { account: { name, credential } } : {}) };
  }

  /**
   * Signs in to an account: getAssertion with a touch, verified and the counter advanced by the broker.
   * "flip-signature-bit" changes one bit of the chip's signature before it reaches the broker;
   * "replay" sends the last assertion again without asking the chip.
   */
  async signIn(ctap: Ctap2Client, account: PageAccount, opts: { mode?: SignInMode; call?: Ctap2CallOptions } = {}): Promise<Verdicts> {
    const mode = opts.mode ?? "honest";
    const before = await this.store.getCredential(account.credential.credentialId);
    const stored = before?.signCount ?? account.credential.signCount;
    const trust = before?.trust ?? account.credential.trust;
    let sent: SentAssertion;
    let received: number;
    if (mode === "replay") {
      if (!this.last) throw new Error("there is no earlier assertion to replay: sign in once first");
      sent = this.last;
      received = parseAuthenticatorData(sent.authenticatorData).signCount;
    } else {
      const options = await this.brokers.trusted.assertionOptions({ userHandle: account.credential.userHandle });
      const clientDataJSON = this.clientData("webauthn.get", options.challenge);
      const a = await ctap.getAssertion({
        rpId: this.o.rpId, clientDataHash: digest("sha256", clientDataJSON), allowList: [{ type: "public-key", id: account.credential.credentialId }],
      }, opts.call ?? {});
      const signature = a.signature.slice();
      if (mode === "flip-signature-bit") signature[signature.length - 1]! ^= 0x01;
      sent = { credentialId: a.credential.id, clientDataJSON, authenticatorData: a.authData, signature, userHandle: a.user?.id ?? null };
      received = a.parsedAuthData.signCount;
      if (mode === "honest") this.last = sent;
    }
    const r = await this.brokers.trusted.verifyAssertionAndUpdate(sent);
    return assertionVerdicts(r, { stored, received, trust, rootName: this.o.trusted.name });
  }

  private clientData(type: "webauthn.create" | "webauthn.get", challenge: string): Uint8Array {
    return enc.encode(JSON.stringify({ type, challenge, origin: this.o.origin, crossOrigin: false }));
  }
}

function outcome(r: FidoRegisterResult | FidoAssertResult): string {
  return r.verified ? "Broker: ACCEPTED" : `Broker: REFUSED (${r.reasons.join(", ")})`;
}

/** The reason the broker gave up before checking the signature, in words; undefined when it checked. */
function notChecked(reasons: readonly FidoFailureReason[]): string | undefined {
  const r = reasons.find((x) => NOT_CHECKED[x] !== undefined);
  return r === undefined ? undefined : `${r}: ${NOT_CHECKED[r]}`;
}

function trustWords(trust: CredentialTrust, rootName: string, registered: boolean): Verdict {
  const at = registered ? "registered with an attestation that" : "the attestation";
  switch (trust) {
    case "chained": return { ok: true, text: `Trust: TRUSTED — ${at} chains to the maker root “${rootName}”.` };
    case "self": return { ok: undefined, text: `Trust: SELF-ATTESTED — ${registered ? "registered with" : "the chip gave"} a self attestation: no maker root vouches for it.` };
    case "none": return { ok: undefined, text: `Trust: NONE — ${registered ? "registered without" : "the chip gave no"} attestation.` };
    case "unchained": return { ok: false, text: `Trust: UNCHAINED — ${at} carries a certificate no trusted root issued.` };
  }
}

/** What the broker's verification found, in its own words, when it says. */
function found(r: FidoRegisterResult): string {
  return !r.verified && r.problems?.length ? `: ${r.problems.join("; ")}` : "";
}

/** The three verdicts of a registration. */
export function registrationVerdicts(r: FidoRegisterResult, chipCounter: number, rootName: string): Verdicts {
  const reasons = r.verified ? [] : r.reasons;
  const skipped = notChecked(reasons);
  const attestationBad = reasons.filter((x) => x === "attestation-invalid" || x === "attestation-untrusted");
  const trust: Verdict = r.verified ? trustWords(r.trust, rootName, false)
    : skipped ? { ok: undefined, text: `Trust: NOT CHECKED — ${skipped}.` }
    : attestationBad.length ? { ok: false, text: `Trust: FAILED — the attestation does not chain to the trusted maker root “${rootName}” (${attestationBad.join(", ")})${found(r)}.` }
    : { ok: true, text: `Trust: no attestation problem (the registration was refused for other reasons).` };
  const signature: Verdict = skipped ? { ok: undefined, text: `Signature: NOT CHECKED — ${skipped}.` }
    : reasons.includes("signature-invalid") ? { ok: false, text: "Signature: INVALID — the attestation signature does not verify." }
    : { ok: true, text: "Signature: VALID — the attestation signature verifies." };
  const counter: Verdict = r.verified ? { ok: true, text: `Counter: STARTS at ${r.signCount}.` }
    : { ok: undefined, text: `Counter: NOT STORED — the registration was refused (the chip started at ${chipCounter}).` };
  return { accepted: r.verified, reasons, outcome: outcome(r), trust, counter, signature };
}

/** The three verdicts of an assertion; `stored` is the broker's counter before it, `received` the chip's. */
export function assertionVerdicts(r: FidoAssertResult, c: { stored: number; received: number; trust: CredentialTrust; rootName: string }): Verdicts {
  const reasons = r.verified ? [] : r.reasons;
  const skipped = notChecked(reasons);
  const signature: Verdict = skipped ? { ok: undefined, text: `Signature: NOT CHECKED — the broker refused first: ${skipped}.` }
    : reasons.includes("signature-invalid") ? { ok: false, text: "Signature: INVALID — the assertion does not verify with the registered credential key." }
    : { ok: true, text: "Signature: VALID — the assertion verifies with the registered credential key." };
  let counter: Verdict;
  if (r.verified && r.counter === "unsupported") counter = { ok: undefined, text: "Counter: ZERO — the chip keeps no counter (0 and 0); accepted as WebAuthn allows, but a clone could not be told apart." };
  else if (r.verified) counter = { ok: true, text: `Counter: INCREASED from ${c.stored} to ${c.received}.` };
  else if (reasons.includes("counter-regressed")) counter = { ok: false, text: `Counter: REGRESSED — the chip says ${c.received}, the broker had ${c.stored}: a cloned chip? Refused.` };
  else counter = { ok: undefined, text: `Counter: NOT MOVED — stays at ${c.stored} (the assertion said ${c.received} and was refused).` };
  return { accepted: r.verified, reasons, outcome: outcome(r), trust: trustWords(c.trust, c.rootName, true), counter, signature };
}
