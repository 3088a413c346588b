// authenticatorCredentialManagement (CTAP 2.1 §6.8): discoverable credentials on the chip.
import { cborEncode, type CborValue } from "../../cbor.js";
import { concatBytes } from "../../platform/bytes.js";
import { argCheck, isSeglError } from "../../errors.js";
import { Ctap2Command, type Ctap2CallOptions, type Ctap2Client, type PinUvAuthToken } from "./client.js";
import {
  asMap, badCtap, descriptorToCbor, optBytes, optUint, readDescriptor, readRp, readUser, reqBytes, userToCbor, type CborMap,
  type CredentialDescriptor, type RpEntity, type UserEntity,
} from "./decode.js";
import type { CoseKey } from "./pin-protocol.js";

export const CredMgmtSubCommand = {
  GET_CREDS_METADATA: 0x01,
  ENUMERATE_RPS_BEGIN: 0x02,
  ENUMERATE_RPS_GET_NEXT_RP: 0x03,
  ENUMERATE_CREDENTIALS_BEGIN: 0x04,
  ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL: 0x05,
  DELETE_CREDENTIAL: 0x06,
  UPDATE_USER_INFORMATION: 0x07,
} as const;

export interface CredsMetadata {
  existingResidentCredentialsCount: number;
  maxPossibleRemainingResidentCredentialsCount: number;
}

export interface CredMgmtRp {
  rp: RpEntity;
  rpIdHash: Uint8Array;
}

export interface CredMgmtCredential {
  user: UserEntity;
  credentialId: CredentialDescriptor;
  publicKey: CoseKey;
  credProtect?: number;
  largeBlobKey?: Uint8Array;
}

/**
 * Credential management with a pinUvAuthToken that has the CREDENTIAL_MANAGEMENT permission.
 * `preview`: use the CTAP 2.1-pre command byte 0x41 (authenticators that list only FIDO_2_1_PRE).
 */
export class CredentialManagement {
  private readonly command: number;

  constructor(readonly ctap2: Ctap2Client, readonly token: PinUvAuthToken, opts: { preview?: boolean } = {}) {
    this.command = opts.preview ? Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW : Ctap2Command.CREDENTIAL_MANAGEMENT;
  }

  private async run(sub: number, params: CborMap | undefined, authenticated: boolean, opts: Ctap2CallOptions): Promise<CborMap | undefined> {
    const req = new Map<CborValue, CborValue>([[1, sub]]);
    if (params) req.set(2, params);
    if (authenticated) {
      const msg = params ? concatBytes(Uint8Array.of(sub), cborEncode(params)) : Uint8Array.of(sub);
      req.set(3, this.token.protocol.version);
      req.set(4, this.token.protocol.authenticate(this.token.token, msg));
    }
    return this.ctap2.call(this.command, req, opts);
  }

  async metadata(opts: Ctap2CallOptions = {}): Promise<CredsMetadata> {
    const what = "CREDENTIAL_MANAGEMENT getCredsMetadata";
    const m = asMap(await this.run(CredMgmtSubCommand.GET_CREDS_METADATA, undefined, true, opts), what);
    const a = optUint(m, 1, what), b = optUint(m, 2, what);
    if (a === undefined || b === undefined) throw badCtap(what, "counts (1, 2) are missing");
    return { existingResidentCredentialsCount: a, maxPossibleRemainingResidentCredentialsCount: b };
  }

  /** Every RP with discoverable credentials ([] when there are none). */
  async enumerateRps(opts: Ctap2CallOptions = {}): Promise<CredMgmtRp[]> {
    const what = "CREDENTIAL_MANAGEMENT enumerateRPs";
    let first: CborMap;
    try {
      first = asMap(await this.run(CredMgmtSubCommand.ENUMERATE_RPS_BEGIN, undefined, true, opts), what);
    } catch (err) {
      if (isSeglError(err, "CTAP_ERROR") && err.details?.["ctapStatus"] === 0x2e) return [];
      throw err;
    }
    const total = optUint(first, 5, what) ?? 0;
    const rps = [readRpEntry(first, what)];
    for (let i = 1; i < total; i++) rps.push(readRpEntry(asMap(await this.run(CredMgmtSubCommand.ENUMERATE_RPS_GET_NEXT_RP, undefined, false, opts), what), what));
    return rps;
  }

  /** Every discoverable credential of one RP (by SHA-256 of its id). [] when there are none. */
  async enumerateCredentials(rpIdHash: Uint8Array, opts: Ctap2CallOptions = {}): Promise<CredMgmtCredential[]> {
    argCheck(rpIdHash instanceof Uint8Array && rpIdHash.length === 32, "rpIdHash must be 32 bytes");
    const what = "CREDENTIAL_MANAGEMENT enumerateCredentials";
    let first: CborMap;
    try {
      first = asMap(await this.run(CredMgmtSubCommand.ENUMERATE_CREDENTIALS_BEGIN, new Map<CborValue, CborValue>([[1, rpIdHash]]), true, opts), what);
    } catch (err) {
      if (isSeglError(err, "CTAP_ERROR") && err.details?.["ctapStatus"] === 0x2e) return [];
      throw err;
    }
    const total = optUint(first, 9, what) ?? 0;
    const creds = [readCredEntry(first, what)];
    for (let i = 1; i < total; i++)
      creds.push(readCredEntry(asMap(await this.run(CredMgmtSubCommand.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL, undefined, false, opts), what), what));
    return creds;
  }

  async deleteCredential(credentialId: Uint8Array | CredentialDescriptor, opts: Ctap2CallOptions = {}): Promise<void> {
    const d = credentialId instanceof Uint8Array ? { type: "public-key", id: credentialId } : credentialId;
    await this.run(CredMgmtSubCommand.DELETE_CREDENTIAL, new Map<CborValue, CborValue>([[2, descriptorToCbor(d)]]), true, opts);
  }

  async updateUser(credentialId: Uint8Array | CredentialDescriptor, user: UserEntity, opts: Ctap2CallOptions = {}): Promise<void> {
    const d = credentialId instanceof Uint8Array ? { type: "public-key", id: credentialId } : credentialId;
    await this.run(
      CredMgmtSubCommand.UPDATE_USER_INFORMATION,
      new Map<CborValue, CborValue>([[2, descriptorToCbor(d)], [3, userToCbor(user)]]),
      true,
      opts,
    );
  }
}

function readRpEntry(m: CborMap, what: string): CredMgmtRp {
  return { rp: readRp(m.get(3), what), rpIdHash: reqBytes(m, 4, what) };
}

function readCredEntry(m: CborMap, what: string): CredMgmtCredential {
  const out: CredMgmtCredential = {
    user: readUser(m.get(6), what),
    credentialId: readDescriptor(m.get(7), what),
    publicKey: asMap(m.get(8), what),
  };
  const cp = optUint(m, 10, what);
  if (cp !== undefined) out.credProtect = cp;
  const lbk = optBytes(m, 11, what);
  if (lbk) out.largeBlobKey = lbk;
  return out;
}
