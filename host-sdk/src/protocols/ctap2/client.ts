// CTAP2 authenticator API (CTAP 2.1 §6), platform side, over any CTAPHID-like channel:
// getInfo, makeCredential, getAssertion (+ next, + all), reset, selection, and the raw call.
// Status bytes other than CTAP2_OK reject SeglError("CTAP_ERROR", { ctapStatus, ctapName }).
import { parseAuthenticatorData, type AuthenticatorData } from "../../fido/authdata.js";
import { SeglError, argCheck } from "../../errors.js";
import { cborDecode, type CborValue } from "../../cbor.js";
import { CTAP_STATUS_MEANINGS, ctapStatusName } from "../../ctap-status.js";
import type { CtapCborChannel, CtapHidCallOptions } from "../ctaphid/client.js";
import type { PinUvAuthProtocol } from "./pin-protocol.js";
import {
  asMap, badCtap, descriptorToCbor, optBool, optBytes, optText, optTextArray, optUint, readDescriptor, readUser,
  reqBytes, userToCbor, type CborMap, type CredentialDescriptor, type RpEntity, type UserEntity,
} from "./decode.js";

export const Ctap2Command = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  GET_NEXT_ASSERTION: 0x08,
  BIO_ENROLLMENT: 0x09,
  CREDENTIAL_MANAGEMENT: 0x0a,
  SELECTION: 0x0b,
  LARGE_BLOBS: 0x0c,
  CONFIG: 0x0d,
  CREDENTIAL_MANAGEMENT_PREVIEW: 0x41,
} as const;

export function ctap2CommandName(cmd: number): string {
  for (const [k, v] of Object.entries(Ctap2Command)) if (v === cmd) return k;
  return `0x${cmd.toString(16).padStart(2, "0")}`;
}

/** Options of every CTAP2 call: abort, bound, and KEEPALIVE status ("up-needed": ask for a touch). */
export type Ctap2CallOptions = CtapHidCallOptions;

/** A token from ClientPin, used to compute pinUvAuthParam. */
export interface PinUvAuthToken {
  protocol: PinUvAuthProtocol;
  token: Uint8Array;
}

/** The CTAP status as an error. `details.ctapStatus` is the byte, `details.ctapName` its spec name. */
export function ctapError(status: number, command: number, extra: Record<string, unknown> = {}): SeglError {
  const name = ctapStatusName(status);
  const meaning = CTAP_STATUS_MEANINGS[status];
  return new SeglError("CTAP_ERROR", `${ctap2CommandName(command)}: ${name}${meaning ? ` (${meaning})` : ""}`, {
    details: { ctapStatus: status, ctapName: name, command: ctap2CommandName(command), ...extra },
  });
}

export interface Ctap2Info {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports?: string[];
  algorithms?: Array<{ type: string; alg: number }>;
  maxSerializedLargeBlobArray?: number;
  forcePINChange?: boolean;
  minPINLength?: number;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRPIDsForSetMinPINLength?: number;
  preferredPlatformUvAttempts?: number;
  uvModality?: number;
  certifications?: CborMap;
  remainingDiscoverableCredentials?: number;
  vendorPrototypeConfigCommands?: number[];
  /** The whole response map (members this SDK does not know included). */
  raw: CborMap;
}

export interface PubKeyCredParam {
  type?: string;
  /** COSE algorithm (−7 = ES256). */
  alg: number;
}

export type Extensions = Map<string, CborValue> | Record<string, CborValue>;

interface PinAuthParams {
  /** A token from ClientPin: pinUvAuthParam and pinUvAuthProtocol are computed from it. */
  pinUvAuthToken?: PinUvAuthToken;
  /** Or given directly (e.g. a zero-length one to probe for a touch, CTAP 2.1 §6.1.2 step 1). */
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface MakeCredentialParams extends PinAuthParams {
  /** SHA-256 of the client data, 32 bytes. */
  clientDataHash: Uint8Array;
  rp: RpEntity;
  user: UserEntity;
  /** Default [{ type: "public-key", alg: −7 }]. */
  pubKeyCredParams?: PubKeyCredParam[];
  excludeList?: CredentialDescriptor[];
  extensions?: Extensions;
  options?: { rk?: boolean; up?: boolean; uv?: boolean };
  enterpriseAttestation?: number;
}

export interface Ctap2Attestation {
  fmt: string;
  authData: Uint8Array;
  parsedAuthData: AuthenticatorData;
  /** The attestation statement as decoded (packed: alg, sig, x5c). */
  attStmt: CborMap;
  credentialId: Uint8Array;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
  raw: CborMap;
}

export interface GetAssertionParams extends PinAuthParams {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  extensions?: Extensions;
  options?: { up?: boolean; uv?: boolean };
}

export interface Ctap2Assertion {
  credential: CredentialDescriptor;
  authData: Uint8Array;
  parsedAuthData: AuthenticatorData;
  signature: Uint8Array;
  user?: UserEntity;
  numberOfCredentials?: number;
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
  raw: CborMap;
}

function extensionsToCbor(e: Extensions): Map<CborValue, CborValue> {
  return e instanceof Map ? new Map<CborValue, CborValue>(e) : new Map<CborValue, CborValue>(Object.entries(e));
}

function optionsToCbor(o: Record<string, boolean | undefined>): Map<CborValue, CborValue> | undefined {
  const m = new Map<CborValue, CborValue>();
  for (const [k, v] of Object.entries(o)) if (v !== undefined) m.set(k, v);
  return m.size ? m : undefined;
}

function setPinAuth(req: CborMap, p: PinAuthParams, message: Uint8Array, paramKey: number, protoKey: number): void {
  if (p.pinUvAuthToken) {
    req.set(paramKey, p.pinUvAuthToken.protocol.authenticate(p.pinUvAuthToken.token, message));
    req.set(protoKey, p.pinUvAuthToken.protocol.version);
    return;
  }
  if (p.pinUvAuthParam !== undefined) req.set(paramKey, p.pinUvAuthParam);
  if (p.pinUvAuthProtocol !== undefined) req.set(protoKey, p.pinUvAuthProtocol);
}

export class Ctap2Client {
  /** The last getInfo answer (undefined before the first). */
  lastInfo: Ctap2Info | undefined;

  constructor(readonly channel: CtapCborChannel) {}

  /**
   * Any CTAP2 command: command byte ‖ CBOR params. Resolves with the decoded response map
   * (undefined when the authenticator sent only the status byte); non-zero status rejects CTAP_ERROR.
   */
  async call(command: number, params?: CborValue, opts: Ctap2CallOptions = {}): Promise<CborMap | undefined> {
    const r = await this.channel.cbor(command, params, opts);
    if (r.status !== 0) throw ctapError(r.status, command);
    if (r.data.length === 0) return undefined;
    const v = cborDecode(r.data);
    return asMap(v, ctap2CommandName(command));
  }

  async getInfo(opts: Ctap2CallOptions = {}): Promise<Ctap2Info> {
    const what = "GET_INFO";
    const m = asMap(await this.call(Ctap2Command.GET_INFO, undefined, opts), what);
    const versions = optTextArray(m, 1, what);
    const aaguid = optBytes(m, 3, what);
    if (!versions) throw badCtap(what, "versions (1) is missing");
    if (!aaguid || aaguid.length !== 16) throw badCtap(what, "aaguid (3) must be 16 bytes");
    const options: Record<string, boolean> = {};
    const om = m.get(4);
    if (om !== undefined) {
      for (const [k, v] of asMap(om, what)) {
        if (typeof k !== "string" || typeof v !== "boolean") throw badCtap(what, "options (4) must map text to booleans");
        options[k] = v;
      }
    }
    const uintArray = (key: number): number[] | undefined => {
      const v = m.get(key);
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < 0)) throw badCtap(what, `member ${key} must be an array of unsigned integers`);
      return v as number[];
    };
    const info: Ctap2Info = {
      versions,
      extensions: optTextArray(m, 2, what) ?? [],
      aaguid,
      options,
      pinUvAuthProtocols: uintArray(6) ?? [],
      raw: m,
    };
    const setU = (k: keyof Ctap2Info, key: number) => {
      const v = optUint(m, key, what);
      if (v !== undefined) (info as unknown as Record<string, unknown>)[k] = v;
    };
    setU("maxMsgSize", 5);
    setU("maxCredentialCountInList", 7);
    setU("maxCredentialIdLength", 8);
    const transports = optTextArray(m, 9, what);
    if (transports) info.transports = transports;
    const algs = m.get(10);
    if (algs !== undefined) {
      if (!Array.isArray(algs)) throw badCtap(what, "algorithms (10) must be an array");
      info.algorithms = algs.map((a) => {
        const am = asMap(a, what);
        const type = optText(am, "type", what);
        const alg = am.get("alg");
        if (type === undefined || typeof alg !== "number") throw badCtap(what, "an algorithm entry needs type and alg");
        return { type, alg };
      });
    }
    setU("maxSerializedLargeBlobArray", 11);
    const fpc = optBool(m, 12, what);
    if (fpc !== undefined) info.forcePINChange = fpc;
    setU("minPINLength", 13);
    setU("firmwareVersion", 14);
    setU("maxCredBlobLength", 15);
    setU("maxRPIDsForSetMinPINLength", 16);
    setU("preferredPlatformUvAttempts", 17);
    setU("uvModality", 18);
    if (m.get(19) !== undefined) info.certifications = asMap(m.get(19), what);
    setU("remainingDiscoverableCredentials", 20);
    const vp = uintArray(21);
    if (vp) info.vendorPrototypeConfigCommands = vp;
    this.lastInfo = info;
    return info;
  }

  /** authenticatorMakeCredential. A touch is usually needed: watch `onStatus` for "up-needed". */
  async makeCredential(p: MakeCredentialParams, opts: Ctap2CallOptions = {}): Promise<Ctap2Attestation> {
    argCheck(p.clientDataHash instanceof Uint8Array && p.clientDataHash.length === 32, "clientDataHash must be 32 bytes");
    argCheck(typeof p.rp?.id === "string" && p.rp.id !== "", "rp.id is required");
    argCheck(p.user?.id instanceof Uint8Array && p.user.id.length >= 1 && p.user.id.length <= 64, "user.id must be 1..64 bytes");
    const rp = new Map<CborValue, CborValue>([["id", p.rp.id]]);
    if (p.rp.name !== undefined) rp.set("name", p.rp.name);
    const params = (p.pubKeyCredParams ?? [{ alg: -7 }]).map(
      (c) => new Map<CborValue, CborValue>([["alg", c.alg], ["type", c.type ?? "public-key"]]),
    );
    const req: CborMap = new Map<CborValue, CborValue>([[1, p.clientDataHash], [2, rp], [3, userToCbor(p.user)], [4, params]]);
    if (p.excludeList && p.excludeList.length) req.set(5, p.excludeList.map(descriptorToCbor));
    if (p.extensions) req.set(6, extensionsToCbor(p.extensions));
    const o = p.options && optionsToCbor(p.options);
    if (o) req.set(7, o);
    setPinAuth(req, p, p.clientDataHash, 8, 9);
    if (p.enterpriseAttestation !== undefined) req.set(10, p.enterpriseAttestation);
    const what = "MAKE_CREDENTIAL";
    const m = asMap(await this.call(Ctap2Command.MAKE_CREDENTIAL, req, opts), what);
    const fmt = optText(m, 1, what);
    if (fmt === undefined) throw badCtap(what, "fmt (1) is missing");
    const authData = reqBytes(m, 2, what);
    const attStmt = asMap(m.get(3), what);
    const parsed = parseAuthenticatorData(authData);
    if (!parsed.attestedCredentialData) throw badCtap(what, "authData carries no attested credential data");
    const out: Ctap2Attestation = { fmt, authData, parsedAuthData: parsed, attStmt, credentialId: parsed.attestedCredentialData.credentialId, raw: m };
    const ep = optBool(m, 4, what);
    if (ep !== undefined) out.epAtt = ep;
    const lbk = optBytes(m, 5, what);
    if (lbk) out.largeBlobKey = lbk;
    return out;
  }

  /** authenticatorGetAssertion: the first assertion (see numberOfCredentials; getNextAssertion for the rest). */
  async getAssertion(p: GetAssertionParams, opts: Ctap2CallOptions = {}): Promise<Ctap2Assertion> {
    argCheck(typeof p.rpId === "string" && p.rpId !== "", "rpId is required");
    argCheck(p.clientDataHash instanceof Uint8Array && p.clientDataHash.length === 32, "clientDataHash must be 32 bytes");
    const req: CborMap = new Map<CborValue, CborValue>([[1, p.rpId], [2, p.clientDataHash]]);
    if (p.allowList && p.allowList.length) req.set(3, p.allowList.map(descriptorToCbor));
    if (p.extensions) req.set(4, extensionsToCbor(p.extensions));
    const o = p.options && optionsToCbor(p.options);
    if (o) req.set(5, o);
    setPinAuth(req, p, p.clientDataHash, 6, 7);
    const m = await this.call(Ctap2Command.GET_ASSERTION, req, opts);
    return this.readAssertion(m, "GET_ASSERTION", p.allowList);
  }

  /** authenticatorGetNextAssertion (after a getAssertion that reported numberOfCredentials > 1). */
  async getNextAssertion(opts: Ctap2CallOptions = {}): Promise<Ctap2Assertion> {
    const m = await this.call(Ctap2Command.GET_NEXT_ASSERTION, undefined, opts);
    return this.readAssertion(m, "GET_NEXT_ASSERTION", undefined);
  }

  /** getAssertion followed by getNextAssertion until every credential has answered. */
  async getAssertions(p: GetAssertionParams, opts: Ctap2CallOptions = {}): Promise<Ctap2Assertion[]> {
    const first = await this.getAssertion(p, opts);
    const all = [first];
    const n = first.numberOfCredentials ?? 1;
    for (let i = 1; i < n; i++) all.push(await this.getNextAssertion(opts));
    return all;
  }

  /** authenticatorReset: only shortly after power-up and with a touch (NOT_ALLOWED otherwise). */
  async reset(opts: Ctap2CallOptions = {}): Promise<void> {
    await this.call(Ctap2Command.RESET, undefined, opts);
  }

  /** authenticatorSelection: resolves when the user touches this authenticator. */
  async selection(opts: Ctap2CallOptions = {}): Promise<void> {
    await this.call(Ctap2Command.SELECTION, undefined, opts);
  }

  private readAssertion(v: CborMap | undefined, what: string, allowList: CredentialDescriptor[] | undefined): Ctap2Assertion {
    const m = asMap(v, what);
    let credential: CredentialDescriptor;
    if (m.get(1) !== undefined) credential = readDescriptor(m.get(1), what);
    else if (allowList && allowList.length === 1) credential = allowList[0]!; // may be omitted then (§6.2.2)
    else throw badCtap(what, "credential (1) is missing");
    const authData = reqBytes(m, 2, what);
    const out: Ctap2Assertion = { credential, authData, parsedAuthData: parseAuthenticatorData(authData), signature: reqBytes(m, 3, what), raw: m };
    if (m.get(4) !== undefined) out.user = readUser(m.get(4), what);
    const n = optUint(m, 5, what);
    if (n !== undefined) {
      if (n < 1) throw badCtap(what, "numberOfCredentials must be at least 1");
      out.numberOfCredentials = n;
    }
    const sel = optBool(m, 6, what);
    if (sel !== undefined) out.userSelected = sel;
    const lbk = optBytes(m, 7, what);
    if (lbk) out.largeBlobKey = lbk;
    return out;
  }
}
