// Test helpers for the CTAP2 core: the ctap2 harness image in a simulated device with its own NOR
// flash, a strict CBOR decoder for responses (independent of the firmware's), authData parsing,
// request builders, and signature checks with @noble/curves and node:crypto.
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Device, SimClock, NorFlash, PowerCut, type FirmwareImage } from "@segl/simulator";
import { harnessImage } from "./image-util.js";
import { encode, CMap, type CborValue } from "./cbor-util.js";
import { Platform, padPin, pinHash16 } from "./pin-util.js";

export { encode, CMap, Platform, type CborValue };

export const CMD = { MC: 0x01, GA: 0x02, INFO: 0x04, PIN: 0x06, RESET: 0x07, NEXT: 0x08, CM: 0x0a, SELECTION: 0x0b } as const;
export const ST = {
  OK: 0x00, INVALID_COMMAND: 0x01, INVALID_PARAMETER: 0x02, INVALID_LENGTH: 0x03, CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12, MISSING_PARAMETER: 0x14, CREDENTIAL_EXCLUDED: 0x19, UNSUPPORTED_ALGORITHM: 0x26,
  KEY_STORE_FULL: 0x28, UNSUPPORTED_OPTION: 0x2b, INVALID_OPTION: 0x2c, NO_CREDENTIALS: 0x2e, NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31, PIN_AUTH_INVALID: 0x33, PIN_NOT_SET: 0x35, PUAT_REQUIRED: 0x36, INVALID_SUBCOMMAND: 0x3e, OTHER: 0x7f,
} as const;
export const NEED_UP = -1000;
export const OUT = 4096;

interface Ctap2Exports {
  ctap2_call(len: number, up: number): number;
  ctap2_call_max(len: number, up: number, outMax: number): number;
  att_provision(keyOff: number, certOff: number, certLen: number): number;
  counter_peek(off: number, len: number): number;
  counter_poke(off: number, len: number, value: number): number;
  pin_state(): number;
}

let image: FirmwareImage | undefined;
export function ctap2Image(): FirmwareImage {
  image ??= harnessImage("ctap2");
  return image;
}

export function isPowerCut(e: unknown): boolean {
  return e instanceof PowerCut;
}

export interface Resp {
  status: number;
  /** The first call answered NEED_UP (and, with touch, the second call ran with upGranted). */
  askedUp: boolean;
  body?: CborValue;
  /** Exact response bytes after the status. */
  raw: Uint8Array;
}

/** A chip: the ctap2 harness with its own flash and clock. */
export class Chip {
  readonly flash: NorFlash;
  readonly clock: SimClock;
  readonly dev: Device;
  constructor(opts: { flash?: NorFlash; clock?: SimClock; seed?: string } = {}) {
    this.flash = opts.flash ?? new NorFlash();
    this.clock = opts.clock ?? new SimClock({ startMs: 1_700_000_000_000 });
    this.dev = new Device({ image: ctap2Image(), clock: this.clock, flash: this.flash, ...(opts.seed ? { rngSeed: opts.seed } : {}) });
  }
  get x(): Ctap2Exports { return this.dev.raw as unknown as Ctap2Exports; }
  reboot(): void { this.dev.cutPower(); this.dev.powerOn(); }

  /** One raw dispatch: returns the length (or NEED_UP) and the output bytes. Throws PowerCut through. */
  rawCall(req: Uint8Array, up: boolean, outMax?: number): { n: number; out: Uint8Array } {
    this.dev.ioWrite(0, req);
    const n = outMax === undefined ? this.x.ctap2_call(req.length, up ? 1 : 0) : this.x.ctap2_call_max(req.length, up ? 1 : 0, outMax);
    return { n, out: n > 0 ? this.dev.ioRead(OUT, n) : new Uint8Array(0) };
  }

  /**
   * Sends cmd ‖ params like the transport: when the answer is NEED_UP and touch is true, runs it again
   * with upGranted (the user touched); with touch false the result has status -1 (still waiting).
   */
  call(cmd: number, params?: CborValue | Uint8Array, touch = true): Resp {
    const body = params === undefined ? new Uint8Array(0) : params instanceof Uint8Array ? params : encode(params);
    const req = new Uint8Array(1 + body.length);
    req[0] = cmd;
    req.set(body, 1);
    let r = this.rawCall(req, false);
    let askedUp = false;
    if (r.n === NEED_UP) {
      askedUp = true;
      if (!touch) return { status: -1, askedUp, raw: new Uint8Array(0) };
      r = this.rawCall(req, true);
    }
    if (r.n < 1) throw new Error(`dispatch returned ${r.n}`);
    const status = r.out[0]!;
    const raw = r.out.subarray(1);
    const resp: Resp = { status, askedUp, raw };
    if (raw.length > 0) resp.body = decodeStrict(raw);
    return resp;
  }

  provision(key: Uint8Array, cert: Uint8Array): number {
    this.dev.ioWrite(0, key);
    this.dev.ioWrite(64, cert);
    return this.x.att_provision(0, 64, cert.length);
  }

  counter(id: Uint8Array): number {
    this.dev.ioWrite(0, id);
    return this.x.counter_peek(0, id.length) >>> 0;
  }

  /** Test set-up: the stored signature counter of credential `id` becomes `value`. */
  setCounter(id: Uint8Array, value: number): void {
    assert.equal(this.pokeCounter(id, value), 0, "counter_poke");
  }

  /** Like setCounter; returns the harness's answer (0 stored, -1 the store refused). */
  pokeCounter(id: Uint8Array, value: number): number {
    this.dev.ioWrite(0, id);
    return this.x.counter_poke(0, id.length, value >>> 0);
  }
}

// ---- strict CBOR decoding (responses must be canonical: re-encoding gives the same bytes) ----

export function decode(b: Uint8Array): CborValue {
  let p = 0;
  const arg = (ai: number): bigint => {
    if (ai < 24) return BigInt(ai);
    const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
    if (n < 0 || p + n > b.length) throw new Error("bad head");
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[p++]!);
    return v;
  };
  const item = (): CborValue => {
    if (p >= b.length) throw new Error("truncated");
    const ib = b[p++]!;
    const major = ib >> 5, ai = ib & 31;
    if (major === 7) {
      if (ai === 20) return false;
      if (ai === 21) return true;
      if (ai === 22) return null;
      throw new Error(`simple ${ai}`);
    }
    const v = arg(ai);
    switch (major) {
      case 0: return v;
      case 1: return -1n - v;
      case 2: case 3: {
        const n = Number(v);
        if (p + n > b.length) throw new Error("truncated string");
        const s = b.slice(p, p + n); p += n;
        return major === 2 ? s : new TextDecoder("utf-8", { fatal: true }).decode(s);
      }
      case 4: { const a: CborValue[] = []; for (let i = 0n; i < v; i++) a.push(item()); return a; }
      case 5: { const e: [CborValue, CborValue][] = []; for (let i = 0n; i < v; i++) { const k = item(); e.push([k, item()]); } return new CMap(e); }
      default: throw new Error(`major ${major}`);
    }
  };
  const v = item();
  if (p !== b.length) throw new Error("trailing bytes");
  return v;
}

/** Decodes and checks canonical form (the reference encoder must give the same bytes back). */
export function decodeStrict(b: Uint8Array): CborValue {
  const v = decode(b);
  const again = encode(v);
  if (Buffer.compare(Buffer.from(again), Buffer.from(b)) !== 0) {
    throw new Error(`response not canonical:\n got ${Buffer.from(b).toString("hex")}\nwant ${Buffer.from(again).toString("hex")}`);
  }
  return v;
}

/** Value under key k of a map (k: number for integer keys, string for text keys). */
export function mget(m: CborValue | undefined, k: number | string): CborValue | undefined {
  if (!(m instanceof CMap)) throw new Error("not a map");
  const key = typeof k === "number" ? BigInt(k) : k;
  for (const [kk, v] of m.entries) if (kk === key) return v;
  return undefined;
}
export function mkeys(m: CborValue | undefined): (bigint | string)[] {
  if (!(m instanceof CMap)) throw new Error("not a map");
  return m.entries.map(([k]) => k as bigint | string);
}
export function bytes(v: CborValue | undefined): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new Error("not bytes");
  return v;
}

// ---- authData ----

export interface AuthData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  aaguid?: Uint8Array;
  credId?: Uint8Array;
  cose?: CborValue;
  coseRaw?: Uint8Array;
  /** Uncompressed public key 04 ‖ x ‖ y. */
  pub?: Uint8Array;
  extensions?: CborValue;
}

export function parseAuthData(ad: Uint8Array): AuthData {
  const dv = new DataView(ad.buffer, ad.byteOffset, ad.byteLength);
  const r: AuthData = { rpIdHash: ad.slice(0, 32), flags: ad[32]!, signCount: dv.getUint32(33, false) };
  let p = 37;
  if (r.flags & 0x40) {
    r.aaguid = ad.slice(p, p + 16); p += 16;
    const n = dv.getUint16(p, false); p += 2;
    r.credId = ad.slice(p, p + n); p += n;
    // the COSE key: find its end by decoding prefixes (it is followed by the extensions map, if any)
    let end = -1;
    for (let e = p + 1; e <= ad.length; e++) {
      try { decode(ad.subarray(p, e)); end = e; break; } catch { /* longer */ }
    }
    if (end < 0) throw new Error("no COSE key");
    r.coseRaw = ad.slice(p, end);
    r.cose = decodeStrict(r.coseRaw);
    const x = bytes(mget(r.cose, -2)), y = bytes(mget(r.cose, -3));
    r.pub = new Uint8Array([4, ...x, ...y]);
    p = end;
  }
  if (r.flags & 0x80) { r.extensions = decodeStrict(ad.subarray(p)); p = ad.length; }
  if (p !== ad.length) throw new Error("trailing authData bytes");
  return r;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const x of parts) h.update(x);
  return new Uint8Array(h.digest());
}

/** Verifies a DER ES256 signature over msg with both noble and OpenSSL; returns true when both accept. */
export function verifyEs256(pub: Uint8Array, msg: Uint8Array, derSig: Uint8Array): boolean {
  const noble = p256.verify(derSig, sha256(msg), pub, { prehash: false, lowS: false, format: "der" });
  const key = createPublicKey({ key: Buffer.concat([Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"), Buffer.from(pub)]), format: "der", type: "spki" });
  const ossl = nodeVerify("sha256", msg, key, derSig);
  return noble && ossl;
}

// ---- request builders ----

export const ES256 = new CMap([["alg", -7n], ["type", "public-key"]]);
export function cdh(seed = 1): Uint8Array { return sha256(new Uint8Array([seed, 0xcd])); }

export interface McOpts {
  rp?: string;
  userId?: Uint8Array;
  name?: string;
  displayName?: string;
  rk?: boolean;
  exclude?: Uint8Array[];
  credProtect?: number;
  hmacSecret?: boolean;
  params?: CborValue[];
  extra?: [CborValue, CborValue][];
  options?: [string, CborValue][];
  clientDataHash?: Uint8Array;
}

export function mcRequest(o: McOpts = {}): CMap {
  const e: [CborValue, CborValue][] = [
    [1n, o.clientDataHash ?? cdh()],
    [2n, new CMap([["id", o.rp ?? "example.com"], ["name", "Example"]])],
    [3n, new CMap([
      ["id", o.userId ?? new Uint8Array([1, 2, 3, 4])],
      ...(o.name !== undefined ? [["name", o.name] as [CborValue, CborValue]] : []),
      ...(o.displayName !== undefined ? [["displayName", o.displayName] as [CborValue, CborValue]] : []),
    ])],
    [4n, o.params ?? [ES256]],
  ];
  if (o.exclude) e.push([5n, o.exclude.map((id) => new CMap([["id", id], ["type", "public-key"]]))]);
  const ext: [CborValue, CborValue][] = [];
  if (o.credProtect !== undefined) ext.push(["credProtect", BigInt(o.credProtect)]);
  if (o.hmacSecret) ext.push(["hmac-secret", true]);
  if (ext.length) e.push([6n, new CMap(ext)]);
  const opts: [string, CborValue][] = [...(o.options ?? [])];
  if (o.rk !== undefined) opts.push(["rk", o.rk]);
  if (opts.length) e.push([7n, new CMap(opts)]);
  e.push(...(o.extra ?? []));
  return new CMap(e);
}

export interface GaOpts {
  rp?: string;
  allow?: Uint8Array[];
  up?: boolean;
  options?: [string, CborValue][];
  extensions?: [CborValue, CborValue][];
  extra?: [CborValue, CborValue][];
  clientDataHash?: Uint8Array;
}

export function gaRequest(o: GaOpts = {}): CMap {
  const e: [CborValue, CborValue][] = [[1n, o.rp ?? "example.com"], [2n, o.clientDataHash ?? cdh(2)]];
  if (o.allow) e.push([3n, o.allow.map((id) => new CMap([["id", id], ["type", "public-key"]]))]);
  if (o.extensions) e.push([4n, new CMap(o.extensions)]);
  const opts: [string, CborValue][] = [...(o.options ?? [])];
  if (o.up !== undefined) opts.push(["up", o.up]);
  if (opts.length) e.push([5n, new CMap(opts)]);
  e.push(...(o.extra ?? []));
  return new CMap(e);
}

/** Makes a credential and returns its ID, public key and parsed authData (asserts success). */
export function makeCred(chip: Chip, o: McOpts = {}): { id: Uint8Array; pub: Uint8Array; ad: AuthData; resp: Resp } {
  const resp = chip.call(CMD.MC, mcRequest(o));
  if (resp.status !== 0) throw new Error(`makeCredential status 0x${resp.status.toString(16)}`);
  const ad = parseAuthData(bytes(mget(resp.body, 2)));
  return { id: ad.credId!, pub: ad.pub!, ad, resp };
}

export function hex(b: Uint8Array): string { return Buffer.from(b).toString("hex"); }

// ---- clientPIN through the chip (the platform side is pin-util's reference Platform) ----

/** getKeyAgreement: a fresh platform session with the chip. */
export function pinSession(chip: Chip, protocol: 1 | 2): Platform {
  const pl = new Platform(protocol);
  const r = chip.call(CMD.PIN, new CMap([[1n, BigInt(protocol)], [2n, 2n]]));
  if (r.status !== ST.OK) throw new Error(`getKeyAgreement status ${r.status}`);
  const cose = mget(r.body, 1) as CMap;
  pl.agree(new Map(cose.entries.map(([k, v]) => [Number(k), v])) as Map<number, unknown>);
  return pl;
}

export function pinSet(chip: Chip, protocol: 1 | 2, pin: string): number {
  const pl = pinSession(chip, protocol);
  const enc = pl.encrypt(padPin(pin));
  return chip.call(CMD.PIN, new CMap([[1n, BigInt(protocol)], [2n, 3n], [3n, pl.cose()], [4n, pl.authenticate(enc)], [5n, enc]])).status;
}

/** getPinUvAuthTokenUsingPinWithPermissions: the decrypted token and the session. */
export function pinToken(chip: Chip, protocol: 1 | 2, pin: string, perms: number, rpId?: string): { token: Uint8Array; pl: Platform } {
  const pl = pinSession(chip, protocol);
  const hashEnc = pl.encrypt(pinHash16(pin));
  const e: [CborValue, CborValue][] = [[1n, BigInt(protocol)], [2n, 9n], [3n, pl.cose()], [6n, hashEnc], [9n, BigInt(perms)]];
  if (rpId !== undefined) e.push([10n, rpId]);
  const r = chip.call(CMD.PIN, new CMap(e));
  if (r.status !== ST.OK) throw new Error(`getPinUvAuthToken status 0x${r.status.toString(16)}`);
  return { token: pl.decrypt(bytes(mget(r.body, 2))), pl };
}

// ---- power cuts: fresh chips restored from a flash image, cut at the nth flash operation ----

/** A small flash, so the log wraps and compaction runs within a test. */
export const SMALL_FLASH = { pageSize: 1024, pageCount: 6 };

export function chipOn(img?: Uint8Array): Chip {
  const chip = new Chip({ flash: new NorFlash(SMALL_FLASH), seed: "powercut" });
  if (img) chip.dev.restoreFlash(img);
  return chip;
}

/** Flash operations the action takes from this state. */
export function opsOf(img: Uint8Array, action: (c: Chip) => void): number {
  const chip = chipOn(img);
  const before = chip.flash.operations;
  action(chip);
  return chip.flash.operations - before;
}

/** Runs action with a cut at its nth flash operation; returns the rebooted chip and whether the cut happened. */
export function cutAt(img: Uint8Array, n: number, action: (c: Chip) => void): { chip: Chip; cut: boolean } {
  const chip = chipOn(img);
  chip.dev.cutPowerAtFlashOperation(n);
  let cut = false;
  try {
    action(chip);
  } catch (e) {
    if (!isPowerCut(e)) throw e;
    cut = true;
  }
  chip.dev.cutPowerAtFlashOperation(0);
  chip.reboot();
  assert.equal(chip.dev.state, "on");
  return { chip, cut };
}
