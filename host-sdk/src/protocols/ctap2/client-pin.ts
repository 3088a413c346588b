// authenticatorClientPIN (CTAP 2.1 §6.5): retries, set/change PIN, and pinUvAuthTokens, with
// PIN/UV auth protocol one or two.
import { concatBytes } from "../../platform/bytes.js";
import { digest } from "../../platform/crypto.js";
import { SeglError, argCheck, isSeglError } from "../../errors.js";
import type { CborValue } from "../../cbor.js";
import { Ctap2Command, type Ctap2CallOptions, type Ctap2Client, type PinUvAuthToken } from "./client.js";
import { asMap, badCtap, optBool, optUint, reqBytes, type CborMap } from "./decode.js";
import { PinProtocolV1, PinProtocolV2, pinProtocol, type CoseKey, type PinUvAuthProtocol } from "./pin-protocol.js";

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). */
export const PinPermission = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  CREDENTIAL_MANAGEMENT: 0x04,
  BIO_ENROLLMENT: 0x08,
  LARGE_BLOB_WRITE: 0x10,
  AUTHENTICATOR_CONFIG: 0x20,
} as const;

export const ClientPinSubCommand = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: 0x06,
  GET_UV_RETRIES: 0x07,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

const te = new TextEncoder();

/** Checks a PIN (at least 4 Unicode code points, at most 63 UTF-8 bytes) and pads it to 64 bytes. */
export function paddedPin(pin: string): Uint8Array {
  argCheck(typeof pin === "string", "the PIN must be a string");
  argCheck([...pin].length >= 4, "the PIN must be at least 4 characters (Unicode code points)");
  const b = te.encode(pin);
  argCheck(b.length <= 63, "the PIN must be at most 63 bytes in UTF-8", { bytes: b.length });
  const out = new Uint8Array(64);
  out.set(b);
  return out;
}

/** LEFT(SHA-256(pin), 16), as pinHashEnc carries it. */
export function pinHash(pin: string): Uint8Array {
  return digest("sha256", te.encode(pin)).slice(0, 16);
}

export interface PinRetries {
  retries: number;
  /** True when the authenticator needs a power cycle before it accepts another PIN attempt. */
  powerCycleState?: boolean;
}

export class ClientPin {
  readonly protocol: PinUvAuthProtocol;

  /** `protocol`: 1, 2 or a protocol object (default 2). See also ClientPin.forDevice. */
  constructor(readonly ctap2: Ctap2Client, protocol: PinUvAuthProtocol | 1 | 2 = 2) {
    this.protocol = typeof protocol === "number" ? pinProtocol(protocol) : protocol;
  }

  /** The best protocol the authenticator offers (getInfo pinUvAuthProtocols: 2 preferred). */
  static async forDevice(ctap2: Ctap2Client, opts: Ctap2CallOptions = {}): Promise<ClientPin> {
    const info = ctap2.lastInfo ?? (await ctap2.getInfo(opts));
    if (info.pinUvAuthProtocols.includes(2)) return new ClientPin(ctap2, new PinProtocolV2());
    if (info.pinUvAuthProtocols.includes(1) || info.options["clientPin"] !== undefined) return new ClientPin(ctap2, new PinProtocolV1());
    throw new SeglError("UNSUPPORTED", "the authenticator offers no PIN/UV auth protocol this SDK knows (1 or 2)");
  }

  private async run(sub: number, extra: Array<[number, CborValue]>, opts: Ctap2CallOptions): Promise<CborMap | undefined> {
    const req = new Map<CborValue, CborValue>([[1, this.protocol.version], [2, sub], ...extra]);
    return this.ctap2.call(Ctap2Command.CLIENT_PIN, req, opts);
  }

  async getRetries(opts: Ctap2CallOptions = {}): Promise<PinRetries> {
    const m = asMap(await this.run(ClientPinSubCommand.GET_PIN_RETRIES, [], opts), "CLIENT_PIN getPINRetries");
    const retries = optUint(m, 3, "CLIENT_PIN getPINRetries");
    if (retries === undefined) throw badCtap("CLIENT_PIN getPINRetries", "pinRetries (3) is missing");
    const pcs = optBool(m, 4, "CLIENT_PIN getPINRetries");
    return pcs === undefined ? { retries } : { retries, powerCycleState: pcs };
  }

  async getUvRetries(opts: Ctap2CallOptions = {}): Promise<number> {
    const m = asMap(await this.run(ClientPinSubCommand.GET_UV_RETRIES, [], opts), "CLIENT_PIN getUVRetries");
    const n = optUint(m, 5, "CLIENT_PIN getUVRetries");
    if (n === undefined) throw badCtap("CLIENT_PIN getUVRetries", "uvRetries (5) is missing");
    return n;
  }

  /** The authenticator's key-agreement COSE key (checked on P-256 when used). */
  async getKeyAgreement(opts: Ctap2CallOptions = {}): Promise<CoseKey> {
    const m = asMap(await this.run(ClientPinSubCommand.GET_KEY_AGREEMENT, [], opts), "CLIENT_PIN getKeyAgreement");
    return asMap(m.get(1), "CLIENT_PIN getKeyAgreement");
  }

  /** Sets the first PIN (CTAP2_ERR_PIN_AUTH_INVALID / NOT_ALLOWED when one is set). */
  async setPin(pin: string, opts: Ctap2CallOptions = {}): Promise<void> {
    const padded = paddedPin(pin);
    const { platformKey, sharedSecret } = this.protocol.encapsulate(await this.getKeyAgreement(opts));
    const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
    const auth = this.protocol.authenticate(sharedSecret, newPinEnc);
    await this.run(ClientPinSubCommand.SET_PIN, [[3, platformKey], [4, auth], [5, newPinEnc]], opts);
  }

  /** Changes the PIN. A wrong current PIN rejects CTAP_ERROR PIN_INVALID with `details.retries`. */
  async changePin(currentPin: string, newPin: string, opts: Ctap2CallOptions = {}): Promise<void> {
    argCheck(typeof currentPin === "string" && currentPin.length > 0, "the current PIN is required");
    const padded = paddedPin(newPin);
    const { platformKey, sharedSecret } = this.protocol.encapsulate(await this.getKeyAgreement(opts));
    const pinHashEnc = this.protocol.encrypt(sharedSecret, pinHash(currentPin));
    const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
    const auth = this.protocol.authenticate(sharedSecret, concatBytes(newPinEnc, pinHashEnc));
    await this.withRetries(() => this.run(ClientPinSubCommand.CHANGE_PIN, [[3, platformKey], [4, auth], [5, newPinEnc], [6, pinHashEnc]], opts), opts);
  }

  /** getPinToken (subcommand 5, CTAP 2.0 style: no permissions). */
  async getPinToken(pin: string, opts: Ctap2CallOptions = {}): Promise<PinUvAuthToken> {
    return this.tokenUsingPin(ClientPinSubCommand.GET_PIN_TOKEN, pin, [], opts);
  }

  /** getPinUvAuthTokenUsingPinWithPermissions (subcommand 9): `permissions` from PinPermission, `rpId` for mc/ga. */
  async getPinUvAuthToken(pin: string, permissions: number, rpId?: string, opts: Ctap2CallOptions = {}): Promise<PinUvAuthToken> {
    argCheck(Number.isInteger(permissions) && permissions > 0 && permissions <= 0xff, "permissions must be a non-zero byte", { permissions });
    const extra: Array<[number, CborValue]> = [[9, permissions]];
    if (rpId !== undefined) extra.push([10, rpId]);
    return this.tokenUsingPin(ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS, pin, extra, opts);
  }

  /** getPinUvAuthTokenUsingUvWithPermissions (subcommand 6): built-in user verification. */
  async getUvToken(permissions: number, rpId?: string, opts: Ctap2CallOptions = {}): Promise<PinUvAuthToken> {
    argCheck(Number.isInteger(permissions) && permissions > 0 && permissions <= 0xff, "permissions must be a non-zero byte", { permissions });
    const { platformKey, sharedSecret } = this.protocol.encapsulate(await this.getKeyAgreement(opts));
    const extra: Array<[number, CborValue]> = [[3, platformKey], [9, permissions]];
    if (rpId !== undefined) extra.push([10, rpId]);
    const m = await this.run(ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS, extra, opts);
    return this.readToken(m, sharedSecret);
  }

  /** pinUvAuthParam over `message` with a token. */
  pinUvAuthParam(token: PinUvAuthToken, message: Uint8Array): Uint8Array {
    return token.protocol.authenticate(token.token, message);
  }

  private async tokenUsingPin(sub: number, pin: string, extra: Array<[number, CborValue]>, opts: Ctap2CallOptions): Promise<PinUvAuthToken> {
    argCheck(typeof pin === "string" && pin.length > 0, "the PIN is required");
    const { platformKey, sharedSecret } = this.protocol.encapsulate(await this.getKeyAgreement(opts));
    const pinHashEnc = this.protocol.encrypt(sharedSecret, pinHash(pin));
    const m = await this.withRetries(() => this.run(sub, [[3, platformKey], [6, pinHashEnc], ...extra], opts), opts);
    return this.readToken(m, sharedSecret);
  }

  private readToken(m: CborMap | undefined, sharedSecret: Uint8Array): PinUvAuthToken {
    const what = "CLIENT_PIN token";
    const enc = reqBytes(asMap(m, what), 2, what);
    const token = this.protocol.decrypt(sharedSecret, enc);
    const okLen = this.protocol.version === 1 ? token.length === 16 || token.length === 32 : token.length === 32;
    if (!okLen) throw badCtap(what, `a pinUvAuthToken of ${token.length} bytes`);
    return { protocol: this.protocol, token };
  }

  /** Adds `details.retries` to a PIN_INVALID error (one getPINRetries round trip, best effort). */
  private async withRetries<T>(fn: () => Promise<T>, opts: Ctap2CallOptions): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isSeglError(err, "CTAP_ERROR") && err.details?.["ctapStatus"] === 0x31) {
        try {
          const r = await this.getRetries({ ...opts, onStatus: undefined });
          (err.details as Record<string, unknown>)["retries"] = r.retries;
        } catch {
          /* the error itself matters more */
        }
      }
      throw err;
    }
  }
}
