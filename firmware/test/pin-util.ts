// Test helpers for clientPIN: the harness image in a simulated device with its own NOR flash,
// a small CBOR decoder for responses, and a reference *platform* side of PIN/UV auth protocols
// 1 and 2 written with @noble/curves and node:crypto (independent of the firmware).
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Device, SimClock, NorFlash, PowerCut, type FirmwareImage } from "@segl/simulator";
import { harnessImage } from "./image-util.js";
import { encode, CMap, type CborValue } from "./cbor-util.js";

export { encode, CMap };
export const ST = {
  OK: 0, INVALID_PARAMETER: 0x02, CBOR_UNEXPECTED_TYPE: 0x11, INVALID_CBOR: 0x12, MISSING_PARAMETER: 0x14,
  NOT_ALLOWED: 0x30, PIN_INVALID: 0x31, PIN_BLOCKED: 0x32, PIN_AUTH_INVALID: 0x33, PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35, PIN_POLICY_VIOLATION: 0x37, INVALID_SUBCOMMAND: 0x3e, UNAUTHORIZED_PERMISSION: 0x40, OTHER: 0x7f,
} as const;
export const PERM = { MC: 1, GA: 2, CM: 4, BE: 8, LBW: 0x10, ACFG: 0x20 } as const;

interface PinExports {
  io_ptr(): number;
  pin_cmd(len: number): number;
  pin_out_off(): number;
  pin_check_auth(protocol: number, perm: number, rp: number, rpLen: number, msg: number, msgLen: number, p: number, pLen: number): number;
  pin_token_used(): void;
  pin_power_up(): void;
  pin_reset(): number;
  pin_is_set(): number;
  pin_retries(): number;
  pin_min_length(): number;
  pin_protocol_supported(p: number): number;
  pin_shared_from_cose(protocol: number, cose: number, len: number): number;
  pin_shared_verify(msg: number, len: number, sig: number, sigLen: number): number;
  pin_shared_decrypt(ct: number, len: number, out: number): number;
  pin_shared_encrypt(pt: number, len: number, out: number): number;
  hkdf_sha256(salt: number, saltLen: number, ikm: number, ikmLen: number, info: number, infoLen: number, out: number, outLen: number): number;
}

let image: FirmwareImage | undefined;
export function pinImage(): FirmwareImage {
  image ??= harnessImage("pin");
  return image;
}

export function isPowerCut(e: unknown): boolean {
  return e instanceof PowerCut;
}

/** A device running the PIN harness. */
export class PinDev {
  readonly flash = new NorFlash();
  readonly clock = new SimClock({ startMs: 1_700_000_000_000 });
  readonly dev: Device;
  constructor(seed?: string) {
    this.dev = new Device({ image: pinImage(), clock: this.clock, flash: this.flash, ...(seed ? { rngSeed: seed } : {}) });
  }
  get x(): PinExports { return this.dev.raw as unknown as PinExports; }
  reboot(): void { this.dev.reboot(); }
  /** Raw clientPIN call: returns status and the CBOR body bytes. Throws PowerCut through. */
  raw(req: Uint8Array): { status: number; body: Uint8Array } {
    this.dev.ioWrite(0, req);
    const n = this.x.pin_cmd(req.length);
    if (n < 1) throw new Error(`pin_cmd returned ${n}`);
    const out = this.dev.ioRead(this.x.pin_out_off(), n);
    return { status: out[0]!, body: out.subarray(1) };
  }
  /** clientPIN with a request map; returns status and the decoded response map (if any). */
  call(entries: [number, CborValue][]): { status: number; map: Map<number, unknown> | undefined } {
    const r = this.raw(encode(new CMap(entries.map(([k, v]) => [BigInt(k), v]))));
    if (r.body.length === 0) return { status: r.status, map: undefined };
    const m = cborDecode(r.body);
    if (!(m instanceof Map)) throw new Error("response is not a map");
    // the firmware's encoding must be canonical: re-encoding gives the same bytes
    if (Buffer.compare(Buffer.from(encode(toCbor(m))), Buffer.from(r.body)) !== 0) throw new Error("non-canonical response");
    return { status: r.status, map: m as Map<number, unknown> };
  }
  checkAuth(protocol: number, perm: number, rpId: string, msg: Uint8Array, param: Uint8Array): number {
    const rp = Buffer.from(rpId, "utf8");
    const base = this.x.io_ptr();
    this.dev.ioWrite(0, rp);
    this.dev.ioWrite(512, msg);
    this.dev.ioWrite(3072, param);
    return this.x.pin_check_auth(protocol, perm, base, rp.length, base + 512, msg.length, base + 3072, param.length);
  }
}

// ---------------- CBOR decoding of responses ----------------

export function cborDecode(b: Uint8Array): unknown {
  let p = 0;
  const arg = (ai: number): number => {
    if (ai < 24) return ai;
    const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
    if (n < 0) throw new Error(`bad ai ${ai}`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[p++]!;
    return v;
  };
  const one = (): unknown => {
    if (p >= b.length) throw new Error("truncated");
    const h = b[p++]!;
    const major = h >> 5, ai = h & 31;
    const a = arg(ai);
    switch (major) {
      case 0: return a;
      case 1: return -1 - a;
      case 2: { const v = b.slice(p, p + a); p += a; return v; }
      case 3: { const v = Buffer.from(b.subarray(p, p + a)).toString("utf8"); p += a; return v; }
      case 4: return Array.from({ length: a }, () => one());
      case 5: { const m = new Map<unknown, unknown>(); for (let i = 0; i < a; i++) { const k = one(); m.set(k, one()); } return m; }
      case 7: if (ai === 20) return false; if (ai === 21) return true; if (ai === 22) return null; throw new Error("simple");
      default: throw new Error(`major ${major}`);
    }
  };
  const v = one();
  if (p !== b.length) throw new Error("trailing bytes");
  return v;
}

function toCbor(v: unknown): CborValue {
  if (typeof v === "number") return BigInt(v);
  if (v instanceof Map) return new CMap([...v.entries()].map(([k, x]) => [toCbor(k), toCbor(x)]));
  if (Array.isArray(v)) return v.map(toCbor);
  return v as CborValue;
}

// ---------------- the platform side of PIN/UV auth protocols 1 and 2 ----------------

const ZERO_IV = Buffer.alloc(16);
export function aesEnc(key: Uint8Array, iv: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-256-cbc", key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(pt), c.final()]));
}
export function aesDec(key: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array {
  const d = createDecipheriv("aes-256-cbc", key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(ct), d.final()]));
}
export function hmac256(key: Uint8Array, ...msg: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const m of msg) h.update(m);
  return new Uint8Array(h.digest());
}
export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(b).digest());
}

/** One protocol session: the platform's ephemeral key and the shared secret with the device. */
export class Platform {
  readonly priv = p256.utils.randomSecretKey();
  readonly pub = p256.getPublicKey(this.priv, false); // 04 ‖ x ‖ y
  shared: Uint8Array = new Uint8Array(0);
  constructor(readonly protocol: 1 | 2) {}

  /** COSE_Key of the platform's public key, as clientPIN's keyAgreement. */
  cose(): CMap {
    return new CMap([
      [1n, 2n], [3n, -25n], [-1n, 1n], [-2n, this.pub.slice(1, 33)], [-3n, this.pub.slice(33, 65)],
    ]);
  }
  /** Derives the shared secret from the authenticator's COSE key (a decoded map). */
  agree(deviceCose: Map<number, unknown>): void {
    const x = deviceCose.get(-2) as Uint8Array, y = deviceCose.get(-3) as Uint8Array;
    const point = new Uint8Array([4, ...x, ...y]);
    // node:crypto's ECDH (OpenSSL) for speed: the fuzzers agree keys thousands of times
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(this.priv);
    const z = new Uint8Array(ecdh.computeSecret(point)); // x coordinate
    if (this.protocol === 1) this.shared = sha256(z);
    else {
      const salt = Buffer.alloc(32);
      const hk = new Uint8Array(hkdfSync("sha256", z, salt, "CTAP2 HMAC key", 32));
      const ak = new Uint8Array(hkdfSync("sha256", z, salt, "CTAP2 AES key", 32));
      this.shared = new Uint8Array([...hk, ...ak]);
    }
  }
  private aesKey(): Uint8Array { return this.protocol === 1 ? this.shared : this.shared.subarray(32, 64); }
  private hmacKey(): Uint8Array { return this.shared.subarray(0, 32); }
  encrypt(pt: Uint8Array, iv: Uint8Array = randomBytes(16)): Uint8Array {
    if (this.protocol === 1) return aesEnc(this.aesKey(), ZERO_IV, pt);
    return new Uint8Array([...iv, ...aesEnc(this.aesKey(), iv, pt)]);
  }
  decrypt(ct: Uint8Array): Uint8Array {
    if (this.protocol === 1) return aesDec(this.aesKey(), ZERO_IV, ct);
    return aesDec(this.aesKey(), ct.subarray(0, 16), ct.subarray(16));
  }
  /** authenticate(sharedSecret, msg). */
  authenticate(...msg: Uint8Array[]): Uint8Array {
    const m = hmac256(this.hmacKey(), ...msg);
    return this.protocol === 1 ? m.subarray(0, 16) : m;
  }
  /** authenticate(token, msg) of this protocol. */
  authToken(token: Uint8Array, msg: Uint8Array): Uint8Array {
    const m = hmac256(token, msg);
    return this.protocol === 1 ? m.subarray(0, 16) : m;
  }
}

export function padPin(pin: string | Uint8Array): Uint8Array {
  const b = typeof pin === "string" ? Buffer.from(pin, "utf8") : pin;
  const out = new Uint8Array(64);
  out.set(b.subarray(0, 64));
  return out;
}
export function pinHash16(pin: string): Uint8Array {
  return sha256(Buffer.from(pin, "utf8")).subarray(0, 16);
}

/** getKeyAgreement + agree: a fresh platform session with the device. */
export function session(d: PinDev, protocol: 1 | 2): Platform {
  const pl = new Platform(protocol);
  const r = d.call([[1, BigInt(protocol)], [2, 2n]]);
  if (r.status !== ST.OK) throw new Error(`getKeyAgreement status ${r.status}`);
  pl.agree(r.map!.get(1) as Map<number, unknown>);
  return pl;
}

export function setPin(d: PinDev, protocol: 1 | 2, pin: string | Uint8Array): number {
  const pl = session(d, protocol);
  const enc = pl.encrypt(padPin(pin));
  return d.call([[1, BigInt(protocol)], [2, 3n], [3, pl.cose()], [4, pl.authenticate(enc)], [5, enc]]).status;
}

export function changePin(d: PinDev, protocol: 1 | 2, cur: string, next: string | Uint8Array): number {
  const pl = session(d, protocol);
  const newEnc = pl.encrypt(padPin(next));
  const hashEnc = pl.encrypt(pinHash16(cur));
  return d.call([[1, BigInt(protocol)], [2, 4n], [3, pl.cose()], [4, pl.authenticate(newEnc, hashEnc)], [5, newEnc], [6, hashEnc]]).status;
}

/** getPinToken (perms undefined) or getPinUvAuthTokenUsingPinWithPermissions; returns status and the decrypted token. */
export function getToken(d: PinDev, protocol: 1 | 2, pin: string, perms?: number, rpId?: string): { status: number; token?: Uint8Array; pl: Platform } {
  const pl = session(d, protocol);
  const hashEnc = pl.encrypt(pinHash16(pin));
  const req: [number, CborValue][] = [[1, BigInt(protocol)], [2, perms === undefined ? 5n : 9n], [3, pl.cose()], [6, hashEnc]];
  if (perms !== undefined) req.push([9, BigInt(perms)]);
  if (rpId !== undefined) req.push([10, rpId]);
  const r = d.call(req);
  if (r.status !== ST.OK) return { status: r.status, pl };
  const enc = r.map!.get(2) as Uint8Array;
  if (enc.length !== (protocol === 1 ? 32 : 48)) throw new Error(`token ciphertext of ${enc.length} bytes`);
  return { status: r.status, token: pl.decrypt(enc), pl };
}

export function retries(d: PinDev): { retries: number; powerCycle: boolean } {
  const r = d.call([[2, 1n]]);
  if (r.status !== ST.OK) throw new Error(`getPINRetries status ${r.status}`);
  return { retries: r.map!.get(3) as number, powerCycle: r.map!.get(4) as boolean };
}
