// PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7), platform side: ECDH P-256 key
// agreement with the authenticator, the shared secret, encrypt/decrypt and authenticate.
import { aesCbcDecrypt, aesCbcEncrypt, digest, hkdf, hmac, randomBytes } from "../../platform/crypto.js";
import { p256 } from "@noble/curves/nist.js";
import { SeglError, argCheck } from "../../errors.js";
import type { CborValue } from "../../cbor.js";

/** A COSE_Key as CTAP carries it (integer labels). */
export type CoseKey = Map<CborValue, CborValue>;

export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  /**
   * Key agreement with the authenticator's COSE key (getKeyAgreement): a fresh platform key
   * pair (or `platformSecretKey`, for tests), the platform's COSE key to send, and the shared secret.
   */
  encapsulate(peer: CborValue, platformSecretKey?: Uint8Array): { platformKey: CoseKey; sharedSecret: Uint8Array };
  /** The shared secret from the ECDH x-coordinate Z. */
  kdf(z: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** pinUvAuthParam over `message` with a shared secret or a pinUvAuthToken. */
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

const ZERO_IV = new Uint8Array(16);

function hmacSha256(key: Uint8Array, msg: Uint8Array): Uint8Array {
  return hmac("sha256", key, msg);
}

function badKey(why: string): SeglError {
  return new SeglError("BAD_RESPONSE", `keyAgreement: ${why}`);
}

/** Reads an EC2 P-256 COSE key into an uncompressed SEC1 point (checked on the curve). */
export function coseKeyToPoint(key: CborValue): Uint8Array {
  if (!(key instanceof Map)) throw badKey("not a COSE_Key map");
  const kty = key.get(1), crv = key.get(-1), x = key.get(-2), y = key.get(-3);
  if (kty !== 2) throw badKey(`kty ${String(kty)}, EC2 (2) expected`);
  if (crv !== 1) throw badKey(`crv ${String(crv)}, P-256 (1) expected`);
  if (!(x instanceof Uint8Array) || x.length !== 32 || !(y instanceof Uint8Array) || y.length !== 32) throw badKey("x and y must be 32-byte strings");
  const pt = new Uint8Array(65);
  pt[0] = 4;
  pt.set(x, 1);
  pt.set(y, 33);
  try {
    p256.Point.fromBytes(pt).assertValidity();
  } catch (err) {
    throw new SeglError("BAD_RESPONSE", "keyAgreement: the point is not on P-256", { cause: err });
  }
  return pt;
}

/** The platform's COSE key for a P-256 public key (alg −25: ECDH-ES+HKDF-256, as CTAP wants). */
export function pointToCoseKey(pub: Uint8Array): CoseKey {
  const pt = pub.length === 65 ? pub : p256.Point.fromBytes(pub).toBytes(false);
  return new Map<CborValue, CborValue>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, pt.slice(1, 33)],
    [-3, pt.slice(33, 65)],
  ]);
}

abstract class PinProtocolBase implements PinUvAuthProtocol {
  abstract readonly version: 1 | 2;
  abstract kdf(z: Uint8Array): Uint8Array;
  abstract encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  abstract decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  abstract authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;

  encapsulate(peer: CborValue, platformSecretKey?: Uint8Array): { platformKey: CoseKey; sharedSecret: Uint8Array } {
    const peerPoint = coseKeyToPoint(peer);
    const sk = platformSecretKey ?? p256.utils.randomSecretKey();
    const shared = p256.getSharedSecret(sk, peerPoint, true); // 0x02/0x03 ‖ x
    const z = shared.slice(1, 33);
    return { platformKey: pointToCoseKey(p256.getPublicKey(sk, false)), sharedSecret: this.kdf(z) };
  }
}

/** PIN/UV auth protocol one: SHA-256(Z); AES-256-CBC with a zero IV; HMAC-SHA-256 cut to 16 bytes. */
export class PinProtocolV1 extends PinProtocolBase {
  readonly version = 1 as const;

  kdf(z: Uint8Array): Uint8Array {
    return digest("sha256", z);
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    argCheck(key.length === 32, "protocol 1 keys are 32 bytes");
    return aesCbcEncrypt(key, ZERO_IV, plaintext);
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    argCheck(key.length === 32, "protocol 1 keys are 32 bytes");
    if (ciphertext.length % 16 !== 0) throw new SeglError("BAD_RESPONSE", `protocol 1 ciphertext of ${ciphertext.length} bytes is not whole AES blocks`);
    return aesCbcDecrypt(key, ZERO_IV, ciphertext);
  }

  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return hmacSha256(key, message).slice(0, 16);
  }
}

/**
 * PIN/UV auth protocol two: HKDF-SHA-256 (zero salt) gives an HMAC key ("CTAP2 HMAC key") and
 * an AES key ("CTAP2 AES key"); AES-256-CBC with a random IV sent in front; full HMAC-SHA-256.
 */
export class PinProtocolV2 extends PinProtocolBase {
  readonly version = 2 as const;

  constructor(private readonly random: (n: number) => Uint8Array = randomBytes) {
    super();
  }

  kdf(z: Uint8Array): Uint8Array {
    const salt = new Uint8Array(32);
    const hmacKey = hkdf("sha256", z, salt, "CTAP2 HMAC key", 32);
    const aesKey = hkdf("sha256", z, salt, "CTAP2 AES key", 32);
    const out = new Uint8Array(64);
    out.set(hmacKey);
    out.set(aesKey, 32);
    return out;
  }

  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
    argCheck(key.length === 64, "protocol 2 shared secrets are 64 bytes");
    const iv = this.random(16);
    const ct = aesCbcEncrypt(key.subarray(32), iv, plaintext);
    const out = new Uint8Array(16 + ct.length);
    out.set(iv);
    out.set(ct, 16);
    return out;
  }

  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    argCheck(key.length === 64, "protocol 2 shared secrets are 64 bytes");
    if (ciphertext.length < 16 || ciphertext.length % 16 !== 0)
      throw new SeglError("BAD_RESPONSE", `protocol 2 ciphertext of ${ciphertext.length} bytes is not IV ‖ whole AES blocks`);
    return aesCbcDecrypt(key.subarray(32), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  }

  /** With the 64-byte shared secret the HMAC key is its first half; a 32-byte pinUvAuthToken is used whole. */
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array {
    return hmacSha256(key.length === 64 ? key.subarray(0, 32) : key, message);
  }
}

/** The protocol object for a protocol number. */
export function pinProtocol(version: number): PinUvAuthProtocol {
  if (version === 1) return new PinProtocolV1();
  if (version === 2) return new PinProtocolV2();
  throw new SeglError("UNSUPPORTED", `PIN/UV auth protocol ${version} is not supported (1 and 2 are)`);
}
