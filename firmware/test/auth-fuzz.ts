// Structure-aware fuzzers that get past the MAC (docs/testing.md): they complete the key agreement
// with the chip (PIN/UV auth protocols 1 and 2, the platform side in pin-util's reference Platform),
// mutate the PLAINTEXT and the structure of what the chip decrypts or authorises, then encrypt and
// authenticate it properly, so mutations reach the code behind pinUvAuthParam / saltAuth:
//   setpin  — setPIN newPinEnc (every length, content and protocol)
//   pin     — changePIN, getPinToken, getPinUvAuthTokenUsingPinWithPermissions (permissions, rpId)
//   hmac    — hmac-secret saltEnc / saltAuth on getAssertion, with and without a touch
//   cm      — credentialManagement subcommands and parameters, pinUvAuthParam recomputed
// The chip runs the guarded ctap2 harness: every input also checks the guard regions (a write past
// a static buffer throws GuardViolation). Invariants per input: no trap, a known CTAP status, a
// canonical CBOR map on success, and the PIN state changes only as the status says.
// Used by auth-fuzz.test.ts (CI) and `node scripts/fuzz.mjs auth N seed` (millions).
import { CMD, Chip, CMap, encode, cdh, makeCred, gaRequest, mget, bytes, pinSession, type CborValue } from "./ctap2-util.js";
import { Platform, padPin, pinHash16, sha256 } from "./pin-util.js";

export type AuthTarget = "setpin" | "pin" | "hmac" | "cm";
export const AUTH_TARGETS: readonly AuthTarget[] = ["setpin", "pin", "hmac", "cm"];

/** Every status the firmware may answer (fido/status.ts). */
const KNOWN = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0b, 0x11, 0x12, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x21,
  0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
  0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x7f]);
const S = { OK: 0, PIN_INVALID: 0x31, PIN_BLOCKED: 0x32, PIN_AUTH_BLOCKED: 0x34, NEED_UP: -1 } as const;
const PIN = "1234";

export interface AuthFuzzReport {
  target: AuthTarget;
  inputs: number;
  /** Inputs whose MAC verified (the chip went past pinUvAuthParam / saltAuth). */
  pastMac: number;
  statuses: Map<number, number>;
}

export class AuthFuzzFailure extends Error {
  override readonly name = "AuthFuzzFailure";
}

class Rng {
  constructor(private s: number) { if (this.s === 0) this.s = 1; }
  next(): number { this.s ^= this.s << 13; this.s ^= this.s >>> 17; this.s ^= this.s << 5; return (this.s >>> 0) / 2 ** 32; }
  int(n: number): number { return Math.floor(this.next() * n); }
  bytes(n: number): Uint8Array { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}

/** A length that probes capacities: exact, one block off, far beyond. */
function probeLen(r: Rng, typical: number): number {
  switch (r.int(8)) {
    case 0: return r.int(5) * 16;
    case 1: return typical + 16 * (1 + r.int(4));
    case 2: return Math.max(0, typical - 16);
    case 3: return 16 * (1 + r.int(220)); // up to 3.5 KB (the harness takes requests up to 4 KB)
    case 4: return r.int(typical + 40); // not a block multiple
    default: return typical;
  }
}

/** A PIN plaintext: valid PINs, policy edge cases and random bytes, padded or not to 64. */
function pinPlain(r: Rng): Uint8Array {
  const len = probeLen(r, 64);
  const out = new Uint8Array(len);
  switch (r.int(8)) {
    case 0: out.set(r.bytes(len)); break;
    case 1: { const p = Buffer.from("é".repeat(1 + r.int(40)), "utf8"); out.set(p.subarray(0, len)); break; }
    case 2: { const n = r.int(66); for (let i = 0; i < Math.min(n, len); i++) out[i] = 0x30 + r.int(10); break; }
    case 3: { const n = 4 + r.int(8); for (let i = 0; i < Math.min(n, len); i++) out[i] = 0x30 + r.int(10); break; }
    default: { const n = 1 + r.int(4); for (let i = 0; i < Math.min(n, len); i++) out[i] = 0x30 + r.int(10); } // too short
  }
  return out;
}

/** encrypt() of the protocol for any length: whole blocks encrypted, a ragged tail appended raw. */
function encryptAny(r: Rng, pl: Platform, pt: Uint8Array): Uint8Array {
  const whole = pt.length - (pt.length % 16);
  const ct = whole > 0 || pl.protocol === 2 ? pl.encrypt(pt.subarray(0, whole), r.bytes(16)) : new Uint8Array(0);
  if (whole === pt.length) return ct;
  const out = new Uint8Array(ct.length + pt.length - whole);
  out.set(ct);
  out.set(r.bytes(pt.length - whole), ct.length);
  return out;
}

function entries(e: [number, CborValue][]): CMap {
  return new CMap(e.map(([k, v]) => [BigInt(k), v]));
}

/** A fuzzing session on one chip: sessions per protocol, state snapshots to go back to. */
class Rig {
  readonly chip: Chip;
  private snap: Uint8Array;
  private sessions: (Platform | undefined)[] = [undefined, undefined, undefined];
  /** One platform key pair per protocol for the whole run (a new agreement per device key). */
  private readonly platforms = [undefined, new Platform(1), new Platform(2)] as const;
  statuses = new Map<number, number>();
  pastMac = 0;
  constructor(readonly r: Rng, setup: (c: Chip) => void) {
    this.chip = new Chip({ seed: "auth-fuzz" });
    setup(this.chip);
    this.snap = this.chip.dev.snapshotFlash();
  }
  session(p: 1 | 2): Platform {
    let pl = this.sessions[p];
    if (!pl) {
      const r = this.chip.call(CMD.PIN, entries([[1, BigInt(p)], [2, 2n]]));
      if (r.status !== 0) throw new AuthFuzzFailure(`getKeyAgreement status 0x${r.status.toString(16)}`);
      const cose = mget(r.body, 1) as CMap;
      pl = this.platforms[p];
      pl.agree(new Map(cose.entries.map(([k, v]) => [Number(k), v])) as Map<number, unknown>);
      this.sessions[p] = pl;
    }
    return pl;
  }
  dropSession(p: 1 | 2): void { this.sessions[p] = undefined; }
  /** Back to the state after setup (a power cycle: fresh key agreement keys, fresh token). */
  restore(): void {
    this.chip.dev.restoreFlash(this.snap);
    this.sessions = [undefined, undefined, undefined];
  }
  reboot(): void {
    this.chip.reboot();
    this.sessions = [undefined, undefined, undefined];
  }
  pinState(): { retries: number; set: boolean } {
    const s = this.chip.x.pin_state();
    return { retries: s & 0xff, set: (s & 0x100) !== 0 };
  }
  /** One request; checks the answer is a known status and a canonical map on success. */
  send(cmd: number, params: CMap | Uint8Array, touch: boolean, what: string): number {
    let req = params instanceof Uint8Array ? params : encode(params);
    if (req.length >= 4095) req = req.subarray(0, 4095); // the harness's request limit: a truncated request
    let res;
    try {
      res = this.chip.call(cmd, req, touch);
    } catch (e) {
      throw new AuthFuzzFailure(`${what}: ${String(e)} on request ${cmd.toString(16)} ${Buffer.from(req).toString("hex").slice(0, 400)}`);
    }
    if (this.chip.dev.state !== "on") throw new AuthFuzzFailure(`${what}: device ${this.chip.dev.state}`);
    const st = res.status;
    this.statuses.set(st, (this.statuses.get(st) ?? 0) + 1);
    if (st !== S.NEED_UP && !KNOWN.has(st)) throw new AuthFuzzFailure(`${what}: unknown status 0x${st.toString(16)}`);
    if (st === S.OK && res.raw.length > 0 && !(res.body instanceof CMap)) throw new AuthFuzzFailure(`${what}: success body is not a map`);
    if (st > 0 && res.raw.length > 0) throw new AuthFuzzFailure(`${what}: error 0x${st.toString(16)} with a body`);
    return st;
  }
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new AuthFuzzFailure(msg);
}

// ---------------- targets ----------------

/** The decrypted PIN never stays in RAM, whatever the answer. Returns the PIN's length without padding. */
function noPlainLeft(rig: Rig, plain: Uint8Array, what: string): number {
  let l = Math.min(plain.length, 64);
  while (l > 0 && plain[l - 1] === 0) l--;
  if (l >= 8) { // shorter runs could occur in RAM by chance
    const mem = Buffer.from((rig.chip.dev.raw.memory as WebAssembly.Memory).buffer);
    check(mem.indexOf(Buffer.from(plain.subarray(0, l))) < 0, `${what}: the plaintext PIN is left in RAM`);
  }
  return l;
}

function fuzzSetPin(rig: Rig, i: number): void {
  const r = rig.r;
  const p: 1 | 2 = r.int(2) === 0 ? 1 : 2;
  const pl = rig.session(p);
  const plain = pinPlain(r);
  const enc = encryptAny(r, pl, plain);
  const macOk = r.int(16) !== 0;
  const mac = macOk ? pl.authenticate(enc) : r.bytes(p === 1 ? 16 : 32);
  const e: [number, CborValue][] = [[1, BigInt(r.int(20) === 0 ? 3 - p : p)], [2, 3n], [3, pl.cose()], [4, mac], [5, enc]];
  if (r.int(30) === 0) e.splice(2 + r.int(3), 1);
  if (macOk) rig.pastMac++;
  const st = rig.send(CMD.PIN, entries(e), false, `setPIN #${i}`);
  const l = noPlainLeft(rig, plain, `setPIN #${i} (0x${st.toString(16)})`);
  const after = rig.pinState();
  check(after.set === (st === S.OK), `setPIN #${i}: status 0x${st.toString(16)} but PIN set=${after.set}`);
  check(after.retries === 8, `setPIN #${i}: retries ${after.retries}`);
  if (st === S.OK) {
    // the PIN that was set is the one sent: its hash opens a token
    const s2 = rig.session(p);
    const hashEnc = s2.encrypt(sha256(plain.subarray(0, l)).subarray(0, 16));
    const t = rig.send(CMD.PIN, entries([[1, BigInt(p)], [2, 5n], [3, s2.cose()], [6, hashEnc]]), false, `setPIN #${i} check`);
    check(t === S.OK, `setPIN #${i}: the new PIN does not open a token (0x${t.toString(16)})`);
    rig.restore();
  }
}

function fuzzPin(rig: Rig, i: number): void {
  const r = rig.r;
  const p: 1 | 2 = r.int(2) === 0 ? 1 : 2;
  const pl = rig.session(p);
  const before = rig.pinState();
  const rightPin = r.int(4) !== 0;
  const hashPlain = rightPin ? pinHash16(PIN) : r.int(2) ? pinHash16(String(r.int(1e6))) : r.bytes(probeLen(r, 16));
  const hashEnc = hashPlain.length === 16 ? pl.encrypt(hashPlain, r.bytes(16)) : encryptAny(r, pl, hashPlain);
  const sub = r.pick([4, 5, 9, 9]);
  const e: [number, CborValue][] = [[1, BigInt(p)], [2, BigInt(sub)], [3, pl.cose()], [6, hashEnc]];
  let newPlain: Uint8Array | undefined;
  if (sub === 4) {
    newPlain = pinPlain(r);
    const newEnc = encryptAny(r, pl, newPlain);
    const macOk = r.int(16) !== 0;
    e.push([4, macOk ? pl.authenticate(newEnc, hashEnc) : r.bytes(p === 1 ? 16 : 32)], [5, newEnc]);
    if (macOk) rig.pastMac++;
  } else {
    rig.pastMac++; // no MAC on these: the PIN hash decrypt is reached directly
    if (sub === 9 || r.int(10) === 0) {
      const perms = r.pick([1, 2, 3, 4, 5, 7, 8, 0x10, 0x20, 0x3f, 0, r.int(256), 2 ** 32 + 1]);
      if (r.int(20) !== 0) e.push([9, BigInt(perms)]);
      const rp = r.int(3) === 0 ? undefined : r.pick(["example.com", "", "x".repeat(r.int(300)), "é.example"]);
      if (rp !== undefined) e.push([10, r.int(30) === 0 ? Buffer.from(rp) : rp]);
    }
  }
  if (r.int(30) === 0) e.splice(2 + r.int(e.length - 2), 1);
  const st = rig.send(CMD.PIN, entries(e), false, `clientPIN 0x${sub} #${i}`);
  if (newPlain) noPlainLeft(rig, newPlain, `changePIN #${i} (0x${st.toString(16)})`);
  const after = rig.pinState();
  check(after.set, `clientPIN #${i}: the PIN was forgotten`);
  const counted = st === S.PIN_INVALID || st === S.PIN_AUTH_BLOCKED || st === S.PIN_BLOCKED;
  const ok = after.retries === before.retries
    || (after.retries === before.retries - 1 && counted)
    || (after.retries === 8 && rightPin);
  check(ok, `clientPIN 0x${sub} #${i}: retries ${before.retries} → ${after.retries} with status 0x${st.toString(16)}`);
  if (st === S.OK && rightPin && sub !== 4) check(after.retries === 8, `token #${i}: retries not reset`);
  if (counted) rig.dropSession(p); // a mismatch regenerates the key agreement key
  if ((st === S.OK && sub === 4) || after.retries <= 3) rig.restore();
  else if (st === S.PIN_AUTH_BLOCKED) rig.reboot();
}

interface HmacState { cred: Uint8Array; seen: Map<string, string> }
function fuzzHmac(rig: Rig, i: number, hs: HmacState): void {
  const r = rig.r;
  const p: 1 | 2 = r.int(2) === 0 ? 1 : 2;
  const pl = rig.session(p);
  const saltLen = r.int(3) === 0 ? probeLen(r, 64) : r.pick([32, 64]);
  const salt = r.int(4) === 0 ? r.bytes(saltLen) : new Uint8Array(saltLen).fill(r.int(4));
  const saltEnc = encryptAny(r, pl, salt);
  const macOk = r.int(16) !== 0;
  if (macOk) rig.pastMac++;
  const ext: [bigint, CborValue][] = [[1n, pl.cose()], [2n, saltEnc], [3n, macOk ? pl.authenticate(saltEnc) : r.bytes(16)]];
  if (p === 2 || r.int(10) === 0) ext.push([4n, BigInt(r.int(20) === 0 ? r.int(4) : p)]);
  if (r.int(40) === 0) ext.splice(r.int(ext.length), 1);
  const touch = r.int(4) !== 0;
  const up = r.int(5) === 0 ? false : undefined;
  const req = gaRequest({ allow: [hs.cred], extensions: [["hmac-secret", new CMap(ext)]], clientDataHash: cdh(i & 0xff), ...(up === undefined ? {} : { up }) });
  const ctr = rig.chip.counter(hs.cred);
  const st = rig.send(CMD.GA, req, touch, `hmac-secret #${i}`);
  // a refused or unanswered (no touch) request leaves the signature counter alone
  check(rig.chip.counter(hs.cred) === (st === S.OK ? ctr + 1 : ctr), `hmac-secret #${i}: counter ${ctr} → ${rig.chip.counter(hs.cred)} with 0x${st.toString(16)}`);
  if (st !== S.OK) return;
  const res = rig.chip.call(CMD.GA, req, true); // the same request again, to compare outputs
  const ad = bytes(mget(res.body, 2));
  const flags = ad[32]!;
  const out = extractHmacOutput(ad);
  if (out === undefined) return;
  check((flags & 1) === 1, `hmac-secret #${i}: an output without user presence`);
  const plain = pl.decrypt(out);
  check(plain.length === saltLen, `hmac-secret #${i}: output of ${plain.length} bytes for a ${saltLen}-byte salt`);
  const key = Buffer.from(salt).toString("hex") + p;
  const prev = hs.seen.get(key);
  const now = Buffer.from(plain).toString("hex");
  if (prev !== undefined) check(prev === now, `hmac-secret #${i}: the same salt gave another output`);
  else if (hs.seen.size < 64) hs.seen.set(key, now);
}

/** The hmac-secret output (bytes) in the extensions of an authData, or undefined. */
function extractHmacOutput(ad: Uint8Array): Uint8Array | undefined {
  if ((ad[32]! & 0x80) === 0) return undefined;
  const tail = ad.subarray(37);
  // the extensions map is the whole tail of an assertion's authData: a1 6b "hmac-secret" 58/50 len …
  const name = Buffer.from("hmac-secret");
  const at = Buffer.from(tail).indexOf(name);
  if (at < 0) return undefined;
  let q = at + name.length;
  const h = tail[q++]!;
  const len = (h & 0x1f) < 24 ? h & 0x1f : tail[q++]!;
  return tail.subarray(q, q + len);
}

interface CmState { token?: Uint8Array; pl?: Platform; rkId: Uint8Array; rpHash: Uint8Array }
function fuzzCm(rig: Rig, i: number, cs: CmState): void {
  const r = rig.r;
  if (!cs.token || r.int(500) === 0) {
    const p: 1 | 2 = r.int(2) === 0 ? 1 : 2;
    const pl = rig.session(p);
    const hashEnc = pl.encrypt(pinHash16(PIN));
    const perms = r.pick([4, 4, 6, 5]);
    const rp = perms !== 4 || r.int(3) === 0 ? [[10, r.pick(["example.com", "other.example"])] as [number, CborValue]] : [];
    const res = rig.chip.call(CMD.PIN, entries([[1, BigInt(p)], [2, 9n], [3, pl.cose()], [6, hashEnc], [9, BigInt(perms)], ...rp]), false);
    check(res.status === 0, `cm #${i}: token status 0x${res.status.toString(16)}`);
    cs.token = pl.decrypt(bytes(mget(res.body, 2)));
    cs.pl = pl;
  }
  const pl = cs.pl!;
  const sub = r.pick([1, 2, 3, 4, 5, 6, 7, 4, 6, 7]);
  const idMut = (): Uint8Array => {
    const id = r.int(3) === 0 ? r.bytes(probeLen(r, cs.rkId.length)) : Uint8Array.from(cs.rkId);
    if (id.length && r.int(2) === 0) id[r.int(id.length)]! ^= 1 << r.int(8);
    return id;
  };
  const scp: [bigint, CborValue][] = [];
  if (sub === 4 || r.int(10) === 0) scp.push([1n, r.int(4) === 0 ? r.bytes(probeLen(r, 32)) : cs.rpHash]);
  if (sub === 6 || sub === 7 || r.int(10) === 0) scp.push([2n, new CMap([["id", idMut()], ["type", r.int(20) ? "public-key" : "x"]])]);
  if (sub === 7 || r.int(10) === 0) {
    const u: [CborValue, CborValue][] = [["id", r.int(3) === 0 ? r.bytes(probeLen(r, 4) % 80) : new Uint8Array([1, 2, 3, 4])]];
    if (r.int(2)) u.push(["name", "n".repeat(probeLen(r, 16) % 300)]);
    if (r.int(2)) u.push(["displayName", "é".repeat(probeLen(r, 16) % 200)]);
    scp.push([3n, new CMap(u)]);
  }
  const scpBytes = scp.length ? encode(new CMap(scp)) : new Uint8Array(0);
  const macOk = r.int(16) !== 0;
  if (macOk) rig.pastMac++;
  const mac = macOk ? pl.authToken(cs.token, new Uint8Array([sub, ...scpBytes])) : r.bytes(pl.protocol === 1 ? 16 : 32);
  const e: [bigint, CborValue][] = [[1n, BigInt(sub)]];
  if (scp.length) e.push([2n, new CMap(scp)]);
  if (sub !== 3 && sub !== 5) e.push([3n, BigInt(pl.protocol)], [4n, mac]);
  const cmd = r.int(2) === 0 ? CMD.CM : 0x41;
  const st = rig.send(cmd, new CMap(e), false, `credMgmt 0x${sub} #${i}`);
  const after = rig.pinState();
  check(after.set && after.retries === 8, `credMgmt #${i}: PIN state changed`);
  if (st === S.OK && sub === 6) { rig.restore(); cs.token = undefined; }
}

/** Runs n inputs of one target from a seed; throws AuthFuzzFailure (or GuardViolation) on the first bad one. */
export function fuzzAuth(target: AuthTarget, seed: number, n: number): AuthFuzzReport {
  const r = new Rng((seed * 2654435761) ^ AUTH_TARGETS.indexOf(target));
  let hs: HmacState | undefined;
  let cs: CmState | undefined;
  const rig = new Rig(r, (c) => {
    if (target === "setpin") return;
    const pl = pinSession(c, 1);
    const enc = pl.encrypt(padPin(PIN));
    if (c.call(CMD.PIN, entries([[1, 1n], [2, 3n], [3, pl.cose()], [4, pl.authenticate(enc)], [5, enc]])).status !== 0) throw new Error("setPIN");
    if (target === "hmac") hs = { cred: makeCredUv(c, false), seen: new Map() };
    if (target === "cm") {
      const id = makeCredUv(c, true);
      cs = { rkId: id, rpHash: sha256(Buffer.from("example.com")) };
    }
  });
  for (let i = 0; i < n; i++) {
    if (target === "setpin") fuzzSetPin(rig, i);
    else if (target === "pin") fuzzPin(rig, i);
    else if (target === "hmac") fuzzHmac(rig, i, hs!);
    else fuzzCm(rig, i, cs!);
  }
  return { target, inputs: n, pastMac: rig.pastMac, statuses: rig.statuses };
}

/** makeCredential with a PIN token (the chip has a PIN): hmac-secret, rk as asked. Returns the credential ID. */
function makeCredUv(c: Chip, rk: boolean): Uint8Array {
  const pl = pinSession(c, 2);
  const res = c.call(CMD.PIN, entries([[1, 2n], [2, 9n], [3, pl.cose()], [6, pl.encrypt(pinHash16(PIN))], [9, 3n], [10, "example.com"]]));
  const token = pl.decrypt(bytes(mget(res.body, 2)));
  const h = cdh(7);
  const made = makeCred(c, { rk, hmacSecret: true, name: "fuzz", clientDataHash: h, extra: [[8n, pl.authToken(token, h)], [9n, 2n]] });
  return made.id;
}
