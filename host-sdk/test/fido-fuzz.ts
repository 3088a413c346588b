// A structure-aware fuzzer of the broker's verification entry points: assertions, registrations,
// CBOR, COSE keys and certificates. Inputs start from valid ceremonies and are mutated field by
// field; a signature over the mutated bytes is made again (most of the time) so that a mutation
// reaches the checks behind the signature. For every case it checks:
//   - only SeglError with a documented code (BAD_RESPONSE, INVALID_ARGUMENT) is ever thrown;
//   - no case takes 5 ms of CPU time or more (a case over 5 ms is run three more times after a
//     short pause and counts only if every run is);
//   - no input is accepted that the specification refuses (an independent oracle written here).
// Used by fido-fuzz.test.ts (100k cases in CI) and `node scripts/fuzz.mjs verify N seed`.

import {
  createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject,
} from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import {
  cborDecode, cborEncode, certFields, checkAttestationCertificate, coseKeyToKeyObject, createBatchCertificate, createMakerCa, parseCoseKey,
  verifyAssertion, verifyRegistration, FidoVerifier, SeglError, type CborValue,
} from "../src/index.js";
import { toNodeCertificate } from "../src/fido/certificate.js";
import { toX509 } from "../src/fido/attestation.js";
import type { X509 } from "../src/platform/keys.js";
import { derOctetString, derOid, derSequence } from "../src/fido/asn1.js";
import { RP, ORIGIN, AAGUID, aaguidBytes, ca, hugeOidExtension, leaf, rawCert } from "./fido-soft.js";

export const DOCUMENTED_CODES = new Set(["BAD_RESPONSE", "INVALID_ARGUMENT"]);
export const SLOW_MS = 5;
export type Target = "assertion" | "registration" | "cbor" | "cose" | "certificate";
/** Targets and their weights (registrations and certificates cost the most: a certificate parse is ~0.5 ms). */
const TARGETS: Array<[Target, number]> = [["assertion", 45], ["registration", 10], ["cbor", 22], ["cose", 18], ["certificate", 5]];

export interface FuzzReport {
  cases: number;
  seed: number;
  byTarget: Record<Target, { cases: number; accepted: number; thrown: number; maxMs: number }>;
  /** Non-SeglError or undocumented code (first 20; the count in untypedCount). */
  untyped: Array<{ target: Target; error: string }>;
  untypedCount: number;
  /** Accepted although the specification refuses it (first 20). */
  wronglyAccepted: Array<{ target: Target; why: string }>;
  wronglyAcceptedCount: number;
  /** Cases over SLOW_MS on three runs (first 20). */
  slow: Array<{ target: Target; ms: number; label?: string }>;
  slowCount: number;
  /** Most CPU time of one case (the least of its runs when re-run), ms. */
  maxMs: number;
  /** Most wall time of one case's first run, ms (includes time lost to other processes). */
  maxWallMs: number;
  totalMs: number;
}

// ---------------------------------------------------------------------------------------------
// Randomness

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

const sha256 = (b: Uint8Array | string): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());
const b64u = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p));
const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0); return b; };
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

/** Byte-level mutations of any buffer. */
function mutateBytes(r: Rng, b: Uint8Array): Uint8Array {
  const out = Array.from(b);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const at = out.length === 0 ? 0 : r.int(out.length);
    switch (r.int(7)) {
      case 0: if (out.length) out[at] = out[at]! ^ (1 << r.int(8)); break;
      case 1: if (out.length) out[at] = r.int(256); break;
      case 2: out.splice(at, 0, r.int(256)); break;
      case 3: out.splice(at, 1 + r.int(4)); break;
      case 4: out.length = r.int(out.length + 1); break;
      case 5: out.push(...r.bytes(1 + r.int(8))); break;
      default: if (out.length) out[at] = r.pick([0x00, 0x7f, 0x80, 0xff, 0x1f, 0x9f, 0xbf, 0xf9, 0xfb]); break;
    }
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates (made once)

interface Cred { id: Uint8Array; cose: Uint8Array; key: KeyObject; pub: KeyObject; alg: number; hash: string | null; userHandle: Uint8Array }

function p256Cred(r: Rng): Cred {
  const sk = sha256(r.bytes(32));
  const pub = p256.getPublicKey(sk, false);
  const x = pub.subarray(1, 33);
  const y = pub.subarray(33);
  const key = createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64u(sk), x: b64u(x), y: b64u(y) }, format: "jwk" });
  const cose = cborEncode(new Map<CborValue, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, x.slice()], [-3, y.slice()]]));
  return { id: r.bytes(16 + r.int(48)), cose, key, pub: createPublicKey(key), alg: -7, hash: "sha256", userHandle: r.bytes(1 + r.int(32)) };
}

function edCred(r: Rng): Cred {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const x = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const cose = cborEncode(new Map<CborValue, CborValue>([[1, 1], [3, -8], [-1, 6], [-2, x]]));
  return { id: r.bytes(32), cose, key: privateKey, pub: publicKey, alg: -8, hash: null, userHandle: r.bytes(8) };
}

function rsaCose(bits: number): { cose: Uint8Array; key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" });
  const cose = cborEncode(new Map<CborValue, CborValue>([[1, 3], [3, -257], [-1, Buffer.from(jwk.n!, "base64url")], [-2, Buffer.from(jwk.e!, "base64url")]]));
  return { cose, key: privateKey };
}

interface CertVariant { name: string; x5c: Uint8Array[]; chained: boolean; acceptableUnchained: boolean; signer?: KeyObject }

const nodeKey = (sk: Uint8Array): KeyObject => {
  const pub = p256.getPublicKey(sk, false);
  return createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64u(sk), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: "jwk" });
};

interface World {
  creds: Cred[];
  rsa: Cred;
  rsaSmallCose: Uint8Array;
  variants: CertVariant[];
  batchKey: KeyObject;
  batchPub: KeyObject;
  /** The maker root, loaded once by the SDK's own reader (node:crypto's, or the browser twin's when it is swapped in). */
  anchors: X509[];
  verifier: FidoVerifier;
  cborSeeds: Uint8Array[];
}

function world(r: Rng): World {
  const batch = createBatchCertificate({ ca, aaguid: AAGUID });
  const batchKey = nodeKey(batch.privateKey);
  const otherCa = createMakerCa({ subject: { CN: "Fuzz stranger" } });
  const foreign = createBatchCertificate({ ca: otherCa, aaguid: AAGUID });
  const expired = leaf({ notBefore: new Date(Date.UTC(2001, 0, 1)), notAfter: new Date(Date.UTC(2002, 0, 1)) });
  const future = leaf({ notBefore: new Date(Date.now() + 400 * 86400e3), notAfter: new Date(Date.now() + 800 * 86400e3) });
  const noOu = createBatchCertificate({ ca, aaguid: AAGUID, subject: { OU: null } });
  const wrongAaguid = createBatchCertificate({ ca, aaguid: new Uint8Array(16).fill(7) });
  const offCurve = leaf({ point: cat(Uint8Array.of(4), new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)) });
  const aaguidCritical = rawCert([derSequence(derOid("1.3.6.1.4.1.45724.1.1.4"), Uint8Array.of(1, 1, 0xff), derOctetString(derOctetString(aaguidBytes)))]);
  const v = (name: string, x5c: Uint8Array[], chained: boolean, acceptableUnchained: boolean, signer?: Uint8Array): CertVariant =>
    ({ name, x5c, chained, acceptableUnchained, ...(signer ? { signer: nodeKey(signer) } : {}) });
  const variants: CertVariant[] = [
    v("batch", [batch.certificateDer], true, true, batch.privateKey),
    v("batch+root", [batch.certificateDer, ca.certificateDer], true, true, batch.privateKey),
    v("foreign", [foreign.certificateDer], false, true, foreign.privateKey),
    v("expired", [expired.certificateDer], false, false, expired.privateKey),
    v("not-yet-valid", [future.certificateDer], false, false, future.privateKey),
    v("no-OU", [noOu.certificateDer], false, false, noOu.privateKey),
    v("wrong-aaguid", [wrongAaguid.certificateDer], false, false, wrongAaguid.privateKey),
    v("root-as-leaf", [ca.certificateDer], false, false, ca.privateKey),
    v("off-curve", [offCurve.certificateDer], false, false),
    v("empty-extension", [rawCert([derSequence()])], false, false),
    v("critical-aaguid", [aaguidCritical], false, false),
    v("oid-7KB", [rawCert([hugeOidExtension(7 * 1024)])], false, false),
    v("oid-72KB", [rawCert([hugeOidExtension(72 * 1024)])], false, false),
    v("oid-256KB", [rawCert([hugeOidExtension(256 * 1024)])], false, false),
    v("long-chain", new Array<Uint8Array>(5).fill(batch.certificateDer), false, false, batch.privateKey),
    v("pem", [new TextEncoder().encode(batch.certificatePem)], false, false, batch.privateKey),
    v("trailing", [cat(batch.certificateDer, Uint8Array.of(0))], false, false, batch.privateKey),
  ];
  const creds = [p256Cred(r), p256Cred(r), edCred(r)];
  const rsa = rsaCose(2048);
  const cborSeeds = [
    ...creds.map((c) => c.cose), rsa.cose,
    cborEncode(new Map<CborValue, CborValue>([["fmt", "packed"], ["attStmt", new Map<CborValue, CborValue>([["alg", -7], ["sig", r.bytes(70)], ["x5c", [batch.certificateDer]]])], ["authData", r.bytes(160)]])),
    cborEncode(new Map<CborValue, CborValue>([["credProtect", 2], ["hmac-secret", true], ["x", [1, -2, "a", r.bytes(3), null, 1.5]]])),
  ];
  return {
    creds, rsa: { id: r.bytes(20), cose: rsa.cose, key: rsa.key, pub: createPublicKey(rsa.key), alg: -257, hash: "sha256", userHandle: r.bytes(4) },
    rsaSmallCose: rsaCose(1024).cose, variants, batchKey, batchPub: createPublicKey(batchKey), cborSeeds,
    anchors: [toX509(ca.certificateDer)],
    verifier: new FidoVerifier({ rpId: RP, origin: ORIGIN, requireUserVerification: false, maxCachedKeys: 16 }),
  };
}

const signWith = (c: { key: KeyObject; hash: string | null }, m: Uint8Array): Uint8Array => new Uint8Array(nodeSign(c.hash, m, c.key));

// ---------------------------------------------------------------------------------------------
// Oracle pieces (written independently of the SDK)

interface CdExpect { type: string; challenge: string; crossAllowed: string[] | undefined }

function cdAcceptable(bytes: Uint8Array, e: CdExpect): string | undefined {
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return "clientData not JSON";
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return "clientData not an object";
  const c = o as Record<string, unknown>;
  if (c.type !== e.type) return "type";
  if (c.challenge !== e.challenge) return "challenge";
  if (c.origin !== ORIGIN) return "origin";
  if (c.crossOrigin !== undefined && typeof c.crossOrigin !== "boolean") return "crossOrigin type";
  if (c.crossOrigin === true) {
    if (e.crossAllowed === undefined) return "cross-origin not allowed";
    if (typeof c.topOrigin !== "string" || !e.crossAllowed.includes(c.topOrigin)) return "topOrigin";
  } else if (c.topOrigin !== undefined) return "topOrigin without crossOrigin";
  return undefined;
}

function flagsAcceptable(flags: number, requireUv: boolean): string | undefined {
  if (!(flags & 0x01)) return "UP";
  if (requireUv && !(flags & 0x04)) return "UV";
  if ((flags & 0x10) && !(flags & 0x08)) return "BS without BE";
  return undefined;
}

function cdMutate(r: Rng, base: Record<string, unknown>): Uint8Array {
  const o: Record<string, unknown> = { ...base };
  switch (r.int(14)) {
    case 0: o.type = r.pick(["webauthn.create", "webauthn.get", "", "webauthn.get ", 7]); break;
    case 1: o.challenge = r.pick([b64u(r.bytes(32)), "", String(o.challenge).slice(1), `${String(o.challenge)}=`, null]); break;
    case 2: o.origin = r.pick(["https://evil.example", "https://segl.example.", "HTTPS://SEGL.EXAMPLE", "https://segl.example:443", "", null]); break;
    case 3: o.crossOrigin = r.pick([true, "true", 1, null, false]); break;
    case 4: o.topOrigin = r.pick(["https://top.example", "https://evil.example", 3]); break;
    case 5: o.crossOrigin = true; o.topOrigin = r.pick(["https://top.example", "https://evil.example"]); break;
    case 6: delete o[r.pick(["type", "challenge", "origin", "crossOrigin"])]; break;
    case 7: o["other_keys_can_be_added_here"] = "x".repeat(r.int(200)); break;
    case 8: return new TextEncoder().encode(r.pick(["[]", "null", "7", '"s"', "{", "{}", "\u0000"]));
    case 9: return mutateBytes(r, new TextEncoder().encode(JSON.stringify(o)));
    case 10: o.origin = "x".repeat(9000); break;
    case 11: return new TextEncoder().encode(`${JSON.stringify(o).slice(0, -1)},"type":"webauthn.create"}`);
    case 12: o.tokenBinding = { status: "present", id: "abc" }; break;
    default: break;
  }
  return new TextEncoder().encode(JSON.stringify(o));
}

// ---------------------------------------------------------------------------------------------
// Case builders: each returns the call to time and the oracle's verdict on acceptance

interface Case { run: () => boolean | void; mustRefuse: string | undefined; label?: string }

function assertionCase(r: Rng, w: World): Case {
  const cred = r.chance(0.05) ? w.rsa : r.pick(w.creds);
  const stored = r.int(1000);
  const challenge = r.bytes(32);
  const base = { type: "webauthn.get", challenge: b64u(challenge), origin: ORIGIN, crossOrigin: false };
  let cdj: Uint8Array = new TextEncoder().encode(JSON.stringify(base));
  let flags = 0x05;
  let counter = stored + 1 + r.int(10);
  let rpHash = sha256(RP);
  let tail: Uint8Array = new Uint8Array(0);
  let credentialId = cred.id;
  let userHandle: Uint8Array | null | undefined = r.pick([cred.userHandle, null, undefined]);
  let storedCose = cred.cose;
  let sigMode: "resign" | "keep" | "garbage" = "resign";
  const requireUv = r.pick([true, false, undefined]);
  const crossAllowed = r.chance(0.2) ? ["https://top.example"] : undefined;
  const requireUserHandle = r.chance(0.1) ? true : undefined;
  const nMut = r.int(4);
  let rawAd = false;
  for (let i = 0; i < nMut; i++) {
    switch (r.int(12)) {
      case 0: flags = r.int(256); break;
      case 1: counter = r.pick([0, stored, stored - 1, r.u32(), 0xffffffff]); break;
      case 2: rpHash = r.chance(0.5) ? sha256("evil.example") : r.bytes(32); break;
      case 3: flags |= 0x80; tail = r.chance(0.7) ? r.pick(w.cborSeeds.slice(-1)) : mutateBytes(r, r.pick(w.cborSeeds)); break;
      case 4: cdj = cdMutate(r, base); break;
      case 5: credentialId = r.pick([new Uint8Array(0), r.bytes(16), cred.id.subarray(1)]); break;
      case 6: userHandle = r.pick([r.bytes(8), new Uint8Array(0)]); break;
      case 7: sigMode = r.pick(["keep", "garbage"]); break;
      case 8: storedCose = mutateBytes(r, cred.cose); break;
      case 9: rawAd = true; break;
      case 10: tail = r.bytes(1 + r.int(4)); break;
      default: flags = flags & ~0x04; break;
    }
  }
  let ad = cat(rpHash, Uint8Array.of(flags), u32(counter), tail);
  if (rawAd) ad = mutateBytes(r, ad);
  const original = cat(cat(sha256(RP), Uint8Array.of(0x05), u32(stored + 1)), sha256(new TextEncoder().encode(JSON.stringify(base))));
  const signed = cat(ad, sha256(cdj));
  let signature: Uint8Array;
  if (sigMode === "resign") signature = signWith(cred, signed);
  else if (sigMode === "keep") signature = signWith(cred, original);
  else signature = r.chance(0.5) ? mutateBytes(r, signWith(cred, signed)) : r.bytes(r.int(80));

  // Oracle: what the specification (and the documented policy) accepts.
  let why: string | undefined;
  // A signature made here over exactly these bytes is valid; any other is checked as the specification says.
  let sigOk = sigMode === "resign";
  if (!sigOk) {
    try {
      sigOk = nodeVerify(cred.hash, signed, cred.pub, signature);
    } catch {
      sigOk = false;
    }
  }
  if (!sigOk) why = "signature";
  else if (!eq(storedCose, cred.cose)) why = "stored key changed (unknown)";
  else if (ad.length < 37) why = "short authData";
  else if (!eq(ad.subarray(0, 32), sha256(RP))) why = "rpIdHash";
  else why = flagsAcceptable(ad[32]!, requireUv ?? true);
  if (why === undefined) {
    const f = ad[32]!;
    if (f & 0x40) why = "AT in an assertion";
    else if (!(f & 0x80) && ad.length !== 37) why = "trailing bytes";
    else if (f & 0x80) {
      try {
        const ext = cborDecode(ad.subarray(37));
        if (!(ext instanceof Map)) why = "extensions not a map";
      } catch {
        why = "extensions malformed";
      }
    }
  }
  if (why === undefined) {
    const received = new DataView(ad.buffer, ad.byteOffset + 33, 4).getUint32(0);
    if (!(received > stored || (received === 0 && stored === 0))) why = "counter"; // both zero: no counter (WebAuthn §6.1.1)
  }
  why ??= cdAcceptable(cdj, { type: "webauthn.get", challenge: b64u(challenge), crossAllowed });
  if (why === undefined && !eq(credentialId, cred.id)) why = "credential id";
  if (why === undefined && userHandle !== null && userHandle !== undefined && !eq(userHandle, cred.userHandle)) why = "userHandle";
  if (why === undefined && (userHandle === null || userHandle === undefined) && requireUserHandle) why = "userHandle required";
  if (why === undefined && cred.alg !== -7 && cred.alg !== -8 && cred.alg !== -257) why = "algorithm";

  const opts = {
    credential: { id: cred.id, publicKey: storedCose, signCount: stored, userHandle: cred.userHandle },
    credentialId, userHandle, authenticatorData: ad, signature, clientDataJSON: cdj, expectedChallenge: challenge,
    expectedOrigin: ORIGIN, expectedRpId: RP, requireUserVerification: requireUv ?? true, requireUserHandle,
    ...(crossAllowed ? { allowCrossOrigin: { topOrigin: crossAllowed } } : {}),
  };
  // half through FidoVerifier (cached keys; its rpId/origin, per-call UV), half through the function
  const viaVerifier = r.chance(0.5);
  return {
    mustRefuse: why,
    run: () => (viaVerifier ? w.verifier.verifyAssertion(opts) : verifyAssertion({ ...opts, requireUserVerification: requireUv })).verified,
  };
}

/** COSE key mutations: [bytes, known spec-invalid?]. */
function coseMutate(r: Rng, w: World, cose: Uint8Array): [Uint8Array, boolean] {
  let m: CborValue;
  try {
    m = cborDecode(cose);
  } catch {
    return [mutateBytes(r, cose), false];
  }
  if (!(m instanceof Map)) return [mutateBytes(r, cose), false];
  switch (r.int(12)) {
    case 0: m.delete(3); return [cborEncode(m), true];
    case 1: {
      const orig = m.get(3);
      m.set(3, r.pick([-35, -257, -8, -7, 0, -7.5, "ES256"]));
      return [cborEncode(m), m.get(3) !== orig];
    }
    case 2: m.set(1.5, 1); return [cborEncode(m), true];
    case 3: m.set("x", 1); return [cborEncode(m), true];
    case 4: m.set(-4, r.bytes(32)); return [cborEncode(m), true];
    case 5: return [w.rsaSmallCose, true];
    case 6: m.set(-2, r.bytes(32)); return [cborEncode(m), m.get(1) !== 1];
    case 7: m.set(-2, r.bytes(r.pick([0, 31, 33, 64]))); return [cborEncode(m), true];
    case 8: {
      const orig = m.get(1);
      m.set(1, r.pick([1, 2, 3, 4, -1]));
      return [cborEncode(m), m.get(1) !== orig];
    }
    case 9: m.set(-1, new Map<CborValue, CborValue>([[1, 1]])); return [cborEncode(m), true];
    case 10: return [cat(Uint8Array.of(0xf9, 0x3c, 0x00)), true];
    default: return [mutateBytes(r, cose), false];
  }
}

function registrationCase(r: Rng, w: World): Case {
  const fmt = r.pick(["packed-batch", "packed-batch", "packed-self", "none", "fido-u2f"] as const);
  const cred = r.chance(0.03) ? w.rsa : fmt === "fido-u2f" ? w.creds[r.int(2)]! : r.pick(w.creds);
  const variant = fmt === "packed-batch" && r.chance(0.3) ? r.pick(w.variants) : w.variants[0]!;
  const challenge = r.bytes(32);
  const base = { type: "webauthn.create", challenge: b64u(challenge), origin: ORIGIN, crossOrigin: false };
  let cdj: Uint8Array = new TextEncoder().encode(JSON.stringify(base));
  let flags = 0x45;
  let rpHash = sha256(RP);
  let aaguid: Uint8Array = fmt === "fido-u2f" ? new Uint8Array(16) : aaguidBytes;
  let credId = cred.id;
  let idLenField: number | undefined;
  let cose = cred.cose;
  let coseBad = false;
  let fmtName: string = fmt.startsWith("packed") ? "packed" : fmt;
  let attAlg: CborValue = fmt === "packed-self" ? cred.alg : -7;
  let x5c: CborValue = variant.x5c;
  let tail: Uint8Array = new Uint8Array(0);
  let resign = true;
  let rawMutation = false;
  let sigGarbage = false;
  let attStmtExtra = false;
  let x5cMutated = false;
  const requireUv = r.pick([true, false, undefined]);
  const policy = r.pick(["chained", "any"] as const);
  const nMut = r.int(4);
  for (let i = 0; i < nMut; i++) {
    switch (r.int(14)) {
      case 0: flags = r.int(256); break;
      case 1: rpHash = r.bytes(32); break;
      case 2: aaguid = r.bytes(16); break;
      case 3: credId = r.pick([new Uint8Array(0), r.bytes(1023), r.bytes(1)]); break;
      case 4: idLenField = r.pick([0, 1024, 0xffff, cred.id.length + 1, cred.id.length - 1]); break;
      case 5: [cose, coseBad] = coseMutate(r, w, cose); break;
      case 6: cdj = cdMutate(r, base); break;
      case 7: attAlg = r.pick([-8, -257, -35, 0, "x"]); break;
      case 8: x5c = r.pick([[], "x", [1], [mutateBytes(r, variant.x5c[0]!)], null]); x5cMutated = true; break;
      case 9: fmtName = r.pick(["tpm", "", "packed ", "none", "fido-u2f", "packed"]); break;
      case 10: resign = false; break;
      case 11: rawMutation = true; break;
      case 12: sigGarbage = true; break;
      default: if (r.chance(0.5)) { flags |= 0x80; tail = w.cborSeeds[w.cborSeeds.length - 1]!; } else attStmtExtra = true; break;
    }
  }
  const idLen = idLenField ?? credId.length;
  const ad = cat(rpHash, Uint8Array.of(flags), u32(0), (flags & 0x40) ? cat(aaguid, Uint8Array.of(idLen >> 8, idLen & 0xff), credId, cose) : new Uint8Array(0), tail);
  const cdh = sha256(cdj);
  const okCdh = sha256(new TextEncoder().encode(JSON.stringify(base)));
  const signedBytes = resign ? cat(ad, cdh) : cat(ad.subarray(0, 37), okCdh);
  let attStmt: Map<CborValue, CborValue>;
  let sig: Uint8Array;
  // The oracle checks each signature as the specification says, over the bytes actually sent.
  const spec = (hash: string | null, data: Uint8Array, key: KeyObject): boolean => {
    if (resign && !sigGarbage && fmt !== "fido-u2f") return true; // signed here over exactly these bytes with this key
    try {
      return nodeVerify(hash, data, key, sig);
    } catch {
      return false;
    }
  };
  let sigOk = false;
  if (fmt === "none") attStmt = new Map();
  else if (fmt === "packed-self") {
    sig = sigGarbage ? r.bytes(64) : signWith(cred, signedBytes);
    attStmt = new Map<CborValue, CborValue>([["alg", attAlg], ["sig", sig]]);
    sigOk = attAlg === cred.alg && spec(cred.hash, cat(ad, cdh), cred.pub);
  } else if (fmt === "packed-batch") {
    const signer = variant.signer ?? w.batchKey;
    sig = sigGarbage ? r.bytes(64) : new Uint8Array(nodeSign("sha256", signedBytes, signer));
    attStmt = new Map<CborValue, CborValue>([["alg", attAlg], ["sig", sig], ["x5c", x5c]]);
    sigOk = attAlg === -7 && variant.signer !== undefined && spec("sha256", cat(ad, cdh), createPublicKey(variant.signer));
  } else {
    const pt = cred.alg === -7 ? (() => { const k = parseCoseKey(cred.cose); return cat(Uint8Array.of(4), k.x!, k.y!); })() : new Uint8Array(65);
    sig = sigGarbage ? r.bytes(64) : new Uint8Array(nodeSign("sha256", cat(Uint8Array.of(0), rpHash, resign ? cdh : okCdh, credId, pt), w.batchKey));
    attStmt = new Map<CborValue, CborValue>([["sig", sig], ["x5c", x5c]]);
    sigOk = cred.alg === -7 && spec("sha256", cat(Uint8Array.of(0), rpHash, cdh, credId, pt), w.batchPub);
  }
  if (attStmtExtra) attStmt.set("ecdaaKeyId", r.bytes(4));
  let attObj = cborEncode(new Map<CborValue, CborValue>([["fmt", fmtName], ["attStmt", attStmt], ["authData", ad]]));
  if (rawMutation) attObj = mutateBytes(r, attObj);

  // Oracle
  let why: string | undefined;
  if (rawMutation) why = "raw mutation (unknown)";
  else if (fmtName !== (fmt.startsWith("packed") ? "packed" : fmt)) why = "format";
  else if (!eq(rpHash, sha256(RP))) why = "rpIdHash";
  else why = flagsAcceptable(flags, requireUv ?? true);
  if (why === undefined && !(flags & 0x40)) why = "AT clear";
  if (why === undefined && (flags & 0x80) === 0 && tail.length > 0) why = "trailing";
  if (why === undefined && (credId.length === 0 || credId.length > 1023 || idLen !== credId.length)) why = "credential id";
  if (why === undefined && coseBad) why = "COSE key";
  if (why === undefined && !eq(cose, cred.cose)) why = "COSE key changed (unknown)";
  if (why === undefined && cred.alg !== -7 && cred.alg !== -8 && cred.alg !== -257) why = "algorithm";
  why ??= cdAcceptable(cdj, { type: "webauthn.create", challenge: b64u(challenge), crossAllowed: undefined });
  if (why === undefined) {
    if (fmt === "none") {
      if (attStmtExtra) why = "none with a statement";
      else if (policy === "chained") why = "none under chained";
    } else if (x5cMutated && fmt !== "packed-self") why = policy === "chained" ? "mutated certificate under chained" : "mutated certificate (unknown)";
    else if (!sigOk) why = "attestation signature";
    else if (fmt === "packed-self" && policy === "chained") why = "self under chained";
    else if (fmt !== "packed-self") {
      if (!eq(aaguid, fmt === "fido-u2f" ? new Uint8Array(16) : aaguidBytes) && fmt === "packed-batch") why = "AAGUID differs from certificate";
      else if (policy === "chained" ? !variant.chained : !variant.acceptableUnchained) why = `certificate ${variant.name}`;
    }
  }
  return {
    mustRefuse: why,
    label: `${fmt} ${variant.name} ${attObj.length} bytes`,
    run: () => verifyRegistration({
      attestationObject: attObj, clientDataJSON: cdj, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP,
      requireUserVerification: requireUv, attestation: policy, trustAnchors: w.anchors,
    }).verified,
  };
}

function randomCbor(r: Rng, depth: number): CborValue {
  switch (r.int(depth > 3 ? 6 : 9)) {
    case 0: return r.int(1000) - 500;
    case 1: return r.bytes(r.int(40));
    case 2: return "abc".slice(r.int(3));
    case 3: return r.pick([true, false, null, undefined]);
    case 4: return r.u32() * 2 ** 21 + r.int(1000);
    case 5: return r.pick([1.5, -0.25, 65504, 1e300]);
    case 6: return Array.from({ length: r.int(5) }, () => randomCbor(r, depth + 1));
    default: {
      const m = new Map<CborValue, CborValue>();
      for (let i = r.int(5); i > 0; i--) m.set(r.chance(0.5) ? r.int(20) - 10 : `k${r.int(9)}`, randomCbor(r, depth + 1));
      return m;
    }
  }
}

function cborCase(r: Rng, w: World): Case {
  let bytes = r.chance(0.5) ? cborEncode(randomCbor(r, 0)) : r.pick(w.cborSeeds);
  if (r.chance(0.85)) bytes = mutateBytes(r, bytes);
  if (r.chance(0.05)) bytes = cat(new Uint8Array(r.int(40)).fill(0x81), Uint8Array.of(0));
  if (r.chance(0.03)) bytes = cat(Uint8Array.of(0x9b), new Uint8Array(8).fill(0xff));
  const opts = { maxDepth: 1 + r.int(16), maxItems: 1 + r.int(200), allowFloats: r.chance(0.5) };
  return { mustRefuse: undefined, run: () => { cborDecode(bytes, opts); } };
}

function coseCase(r: Rng, w: World): Case {
  let bytes: Uint8Array;
  let bad = false;
  if (r.chance(0.6)) [bytes, bad] = coseMutate(r, w, r.pick([...w.creds.map((c) => c.cose), w.rsa.cose]));
  else {
    const m = new Map<CborValue, CborValue>();
    for (let i = r.int(7); i > 0; i--) m.set(r.pick<CborValue>([1, 3, -1, -2, -3, -4, 2, 4, 5, 6, "x", 1.5]), r.pick<CborValue>([2, 1, 3, -7, -8, -257, -35, 6, r.bytes(32), r.bytes(256), r.bytes(1), 1.5]));
    bytes = cborEncode(m);
  }
  return {
    mustRefuse: bad ? "invalid COSE key" : undefined,
    run: () => {
      const k = parseCoseKey(bytes);
      coseKeyToKeyObject(k);
      return true;
    },
  };
}

function certificateCase(r: Rng, w: World): Case {
  const v = r.pick(w.variants);
  let der = v.x5c[0]!;
  if (r.chance(0.8)) der = mutateBytes(r, der);
  return {
    mustRefuse: undefined,
    label: `${v.name} ${der.length} bytes`,
    run: () => {
      const x = toNodeCertificate(der);
      certFields(x);
      checkAttestationCertificate(x, aaguidBytes);
    },
  };
}

const BUILDERS: Record<Target, (r: Rng, w: World) => Case> = {
  assertion: assertionCase, registration: registrationCase, cbor: cborCase, cose: coseCase, certificate: certificateCase,
};

/**
 * Runs one case and measures the CPU time it took (user + system of this process, so time lost to
 * other processes on a loaded machine does not count; wall time is reported beside it).
 */
function timed(run: () => boolean | void): { ms: number; wallMs: number; ok: boolean; err?: unknown } {
  const c0 = process.cpuUsage();
  const t = performance.now();
  let ok = false;
  let err: unknown;
  try {
    ok = run() === true;
  } catch (e) {
    err = e;
  }
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, wallMs: performance.now() - t, ok, ...(err !== undefined ? { err } : {}) };
}

/** Runs `n` cases from `seed`. Never throws for a finding: everything is in the report. `slowMs`: the time limit per case. */
export function fuzzVerify(n: number, seed: number, only?: Target, slowMs = SLOW_MS): FuzzReport {
  const r = new Rng(seed);
  const w = world(new Rng(seed ^ 0x5eed));
  const weights = only ? TARGETS.filter(([t]) => t === only) : TARGETS;
  const total = weights.reduce((s, [, x]) => s + x, 0);
  const report: FuzzReport = {
    cases: 0, seed, untyped: [], wronglyAccepted: [], slow: [], untypedCount: 0, wronglyAcceptedCount: 0, slowCount: 0, maxMs: 0, maxWallMs: 0, totalMs: 0,
    byTarget: Object.fromEntries(TARGETS.map(([t]) => [t, { cases: 0, accepted: 0, thrown: 0, maxMs: 0 }])) as FuzzReport["byTarget"],
  };
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    let pick = r.int(total);
    let target = weights[0]![0];
    for (const [t, x] of weights) {
      if (pick < x) { target = t; break; }
      pick -= x;
    }
    const c = BUILDERS[target](r, w);
    let res = timed(c.run);
    let ms = res.ms;
    report.maxWallMs = Math.max(report.maxWallMs, res.wallMs);
    for (let again = 0; again < 3 && ms >= slowMs; again++) {
      // let the engine's background threads (JIT, GC) settle: their CPU time counts in the process's
      Atomics.wait(pause, 0, 0, 20);
      res = timed(c.run);
      ms = Math.min(ms, res.ms);
    }
    const st = report.byTarget[target];
    st.cases++;
    report.cases++;
    st.maxMs = Math.max(st.maxMs, ms);
    report.maxMs = Math.max(report.maxMs, ms);
    if (ms >= slowMs && report.slowCount++ < 20) report.slow.push({ target, ms, ...(c.label ? { label: c.label } : {}) });
    if (res.err !== undefined) {
      st.thrown++;
      const e = res.err;
      if (!(e instanceof SeglError) || !DOCUMENTED_CODES.has(e.code)) {
        if (report.untypedCount++ < 20) report.untyped.push({ target, error: e instanceof Error ? `${e.name}: ${e.message} @ ${(e.stack ?? "").split("\n").slice(1, 3).join(" <")}` : String(e) });
      }
    } else if (res.ok) {
      st.accepted++;
      if (c.mustRefuse !== undefined && !c.mustRefuse.endsWith("(unknown)") && report.wronglyAcceptedCount++ < 20) {
        report.wronglyAccepted.push({ target, why: c.mustRefuse });
      }
    }
  }
  report.totalMs = performance.now() - t0;
  return report;
}

// ---------------------------------------------------------------------------------------------
// The corpus's hostile inputs, one by one (for the benchmark: bench/fido-verify.mjs)

export interface InputTiming { input: string; outcome: string; medianMs: number; maxMs: number }

/** CPU time of each hostile input of the corpus (and of ordinary ones for scale), `runs` runs each. */
export function corpusTimings(runs = 25, seed = 1): InputTiming[] {
  const r = new Rng(seed);
  const w = world(r);
  const cred = w.creds[0]!;
  const challenge = r.bytes(32);
  const cdj = new TextEncoder().encode(JSON.stringify({ type: "webauthn.create", challenge: b64u(challenge), origin: ORIGIN }));
  const ad = cat(sha256(RP), Uint8Array.of(0x45), u32(0), aaguidBytes, Uint8Array.of(0, cred.id.length), cred.id, cred.cose);
  const signed = cat(ad, sha256(cdj));
  const reg = (x5c: Uint8Array[], signer: KeyObject, viaObject: boolean) => {
    const attStmt = new Map<CborValue, CborValue>([["alg", -7], ["sig", new Uint8Array(nodeSign("sha256", signed, signer))], ["x5c", x5c]]);
    const common = { clientDataJSON: cdj, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP, trustAnchors: w.anchors, requireUserVerification: false };
    const obj = cborEncode(new Map<CborValue, CborValue>([["fmt", "packed"], ["attStmt", attStmt], ["authData", ad]]));
    return viaObject
      ? () => verifyRegistration({ ...common, attestationObject: obj }).verified
      : () => verifyRegistration({ ...common, fmt: "packed", authData: ad, attStmt }).verified;
  };
  const inputs: Array<[string, (i: number) => boolean | void]> = [];
  // a batch certificate never seen before on every call: the full parse (what an attacker can force)
  const fresh = Array.from({ length: runs }, () => {
    const b = createBatchCertificate({ ca, aaguid: AAGUID });
    return reg([b.certificateDer], nodeKey(b.privateKey), true);
  });
  inputs.push(["registration, a batch certificate not seen before (full parse)", (i) => fresh[i]!()]);
  for (const v of w.variants) {
    inputs.push([`registration, x5c ${v.name}${v.name.startsWith("batch") ? " (seen before: parse cached)" : ""}`, reg(v.x5c, v.signer ?? w.batchKey, true)]);
    if (v.name.startsWith("oid-")) inputs.push([`registration, x5c ${v.name} (CTAP2 parts: no object cap)`, reg(v.x5c, v.signer ?? w.batchKey, false)]);
  }
  for (const c of [...w.creds.slice(1), w.rsa]) {
    const a = cat(sha256(RP), Uint8Array.of(0x05), u32(7));
    const cd = new TextEncoder().encode(JSON.stringify({ type: "webauthn.get", challenge: b64u(challenge), origin: ORIGIN }));
    const sig = signWith(c, cat(a, sha256(cd)));
    inputs.push([`assertion, ${c.alg === -8 ? "Ed25519" : c.alg === -257 ? "RSA-2048" : "ES256"} (key imported per call)`, () => verifyAssertion({
      credential: { id: c.id, publicKey: c.cose, signCount: 1, userHandle: c.userHandle }, credentialId: c.id, authenticatorData: a, signature: sig,
      clientDataJSON: cd, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP, requireUserVerification: false,
    }).verified]);
  }
  const bigCd = new TextEncoder().encode(JSON.stringify({ type: "webauthn.get", challenge: b64u(challenge), origin: ORIGIN, pad: "x".repeat(8000) }));
  inputs.push(["assertion, 8 KB clientDataJSON", () => verifyAssertion({
    credential: { id: cred.id, publicKey: cred.cose, signCount: 1, userHandle: cred.userHandle }, credentialId: cred.id,
    authenticatorData: cat(sha256(RP), Uint8Array.of(0x05), u32(7)), signature: new Uint8Array(70), clientDataJSON: bigCd,
    expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRpId: RP,
  }).verified]);
  const deep = cat(new Uint8Array(40_000).fill(0x81), Uint8Array.of(0));
  inputs.push(["CBOR, 40,000 nested arrays (depth cap)", () => { cborDecode(deep); }]);
  const wide = cat(Uint8Array.of(0x9a, 0x00, 0x00, 0x9c, 0x40), new Uint8Array(40_000));
  inputs.push(["CBOR, array of 40,000 items (attestation item cap)", () => { cborDecode(wide, { maxItems: 64 }); }]);
  inputs.push(["COSE, RSA-1024 key", () => { parseCoseKey(w.rsaSmallCose); }]);
  const out: InputTiming[] = [];
  for (const [input, run] of inputs) {
    const times: number[] = [];
    let outcome = "";
    for (let i = 0; i < runs; i++) {
      const t = timed(() => run(i));
      times.push(t.ms);
      outcome = t.err instanceof SeglError ? `${t.err.code}` : t.err !== undefined ? `UNTYPED ${String(t.err)}` : t.ok ? "verified" : "refused";
    }
    times.sort((a, b) => a - b);
    out.push({ input, outcome, medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]! });
  }
  return out;
}
