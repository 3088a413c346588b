// CTAP1/U2F in the firmware (fido/u2f.ts) through the harness image: APDU forms and errors,
// VERSION, REGISTER (self-signed and batch attestation) and AUTHENTICATE (check-only, enforce,
// don't-enforce) with every signature checked by @noble/curves and node:crypto, counters, and a
// fuzzer. SEGL_FUZZ_ITERATIONS (default 10 000) tunes the fuzzer.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Device, SimClock, NorFlash, PowerCut } from "@segl/simulator";
import { harnessImage } from "./image-util.js";

interface U2fExports {
  io_ptr(): number;
  u2f_call(len: number): number;
  u2f_call_max(len: number, outMax: number): number;
  u2f_out_off(): number;
  up_latch(): void;
  up_clear(): void;
  cred_reset(): number;
  counter_peek(id: number, len: number): number;
  att_provision(key: number, cert: number, len: number): number;
  der_signature(rs: number, out: number): number;
}

const SW = { OK: 0x9000, UP: 0x6985, DATA: 0x6a80, LEN: 0x6700, INS: 0x6d00, CLA: 0x6e00, UNKNOWN: 0x6f00 };
const image = harnessImage("u2f");
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

class U2f {
  readonly flash = new NorFlash();
  readonly clock = new SimClock({ startMs: 1_700_000_000_000 });
  readonly dev = new Device({ image, clock: this.clock, flash: this.flash });
  get x(): U2fExports { return this.dev.raw as unknown as U2fExports; }
  /** Raw APDU → { data, sw }. */
  apdu(bytes: Uint8Array, outMax?: number): { data: Uint8Array; sw: number } {
    this.dev.ioWrite(0, bytes);
    const n = outMax === undefined ? this.x.u2f_call(bytes.length) : this.x.u2f_call_max(bytes.length, outMax);
    if (outMax !== undefined && outMax < 2) { assert.equal(n, 0); return { data: new Uint8Array(0), sw: -1 }; }
    assert.ok(n >= 2, `response length ${n}`);
    const out = this.dev.ioRead(this.x.u2f_out_off(), n);
    return { data: out.subarray(0, n - 2), sw: (out[n - 2]! << 8) | out[n - 1]! };
  }
  touch(): void { this.x.up_latch(); }
}

/** Extended-length APDU: 00 INS P1 P2 00 Lc1 Lc2 data [Le1 Le2]. */
function ext(ins: number, p1: number, data: Uint8Array, le = true): Uint8Array {
  const head = [0, ins, p1, 0];
  if (data.length === 0) return new Uint8Array([...head, ...(le ? [0, 0, 0] : [])]);
  return new Uint8Array([...head, 0, data.length >> 8, data.length & 0xff, ...data, ...(le ? [0, 0] : [])]);
}
/** Short APDU: 00 INS P1 P2 Lc data [Le]. */
function short(ins: number, p1: number, data: Uint8Array, le = false): Uint8Array {
  return new Uint8Array([0, ins, p1, 0, ...(data.length ? [data.length, ...data] : []), ...(le ? [0] : [])]);
}

/** Length of the DER TLV at b[0]. */
function derLen(b: Uint8Array): number {
  if (b[1]! < 0x80) return 2 + b[1]!;
  const n = b[1]! & 0x7f;
  let l = 0;
  for (let i = 0; i < n; i++) l = l * 256 + b[2 + i]!;
  return 2 + n + l;
}

interface Registration { pub: Uint8Array; kh: Uint8Array; cert: Uint8Array; sig: Uint8Array }
function parseRegister(d: Uint8Array): Registration {
  assert.equal(d[0], 0x05);
  const pub = d.slice(1, 66);
  assert.equal(pub[0], 0x04);
  const khLen = d[66]!;
  const kh = d.slice(67, 67 + khLen);
  const rest = d.subarray(67 + khLen);
  const certLen = derLen(rest);
  const cert = rest.slice(0, certLen);
  const sig = rest.slice(certLen);
  assert.equal(derLen(sig), sig.length, "the signature fills the rest");
  return { pub, kh, cert, sig };
}

function register(u: U2f, chal: Uint8Array, app: Uint8Array, form: "short" | "ext" = "ext"): Registration {
  u.touch();
  const data = new Uint8Array([...chal, ...app]);
  const r = u.apdu(form === "ext" ? ext(1, 0, data) : short(1, 0, data, true));
  assert.equal(r.sw, SW.OK);
  return parseRegister(r.data);
}

function authApdu(p1: number, chal: Uint8Array, app: Uint8Array, kh: Uint8Array, form: "short" | "ext" = "ext"): Uint8Array {
  const data = new Uint8Array([...chal, ...app, kh.length, ...kh]);
  return form === "ext" ? ext(2, p1, data) : short(2, p1, data);
}

const verifyDer = (sig: Uint8Array, digest: Uint8Array, pub: Uint8Array): boolean =>
  p256.verify(sig, digest, pub, { prehash: false, lowS: false, format: "der" });

test("VERSION in every APDU form; CLA, INS and length errors", () => {
  const u = new U2f();
  const v = new TextEncoder().encode("U2F_V2");
  for (const a of [[0, 3, 0, 0], [0, 3, 0, 0, 0], [0, 3, 0, 0, 0, 0, 0], [0, 3, 0, 0, 0, 0, 0, 0, 0]]) {
    const r = u.apdu(new Uint8Array(a));
    assert.equal(r.sw, SW.OK, `${a}`);
    assert.deepEqual(r.data, v);
  }
  assert.equal(u.apdu(short(3, 0, new Uint8Array([1]))).sw, SW.LEN, "VERSION takes no data");
  assert.equal(u.apdu(new Uint8Array([0x80, 3, 0, 0])).sw, SW.CLA);
  assert.equal(u.apdu(new Uint8Array([0, 0x04, 0, 0])).sw, SW.INS);
  assert.equal(u.apdu(new Uint8Array([0, 0x40, 0, 0, 0, 0, 0])).sw, SW.INS);
  for (const bad of [[], [0], [0, 3, 0], [0, 3, 0, 0, 0, 0], [0, 1, 0, 0, 5, 1, 2, 3], [0, 1, 0, 0, 2, 1, 2, 3, 4],
    [0, 1, 0, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0, 2, 1], [0, 1, 0, 0, 0, 0, 1, 1, 2, 3, 4]]) {
    assert.equal(u.apdu(new Uint8Array(bad)).sw, SW.LEN, `${bad}`);
  }
  // REGISTER and AUTHENTICATE data lengths
  u.touch();
  assert.equal(u.apdu(ext(1, 0, new Uint8Array(63))).sw, SW.LEN);
  assert.equal(u.apdu(ext(1, 0, new Uint8Array(65))).sw, SW.LEN);
  assert.equal(u.apdu(ext(2, 3, new Uint8Array(64))).sw, SW.LEN);
  assert.equal(u.apdu(ext(2, 3, new Uint8Array([...new Uint8Array(64), 5, 1, 2, 3]))).sw, SW.LEN, "kh length byte says 5, 3 follow");
  // tiny output buffers never trap
  assert.equal(u.apdu(new Uint8Array([0, 3, 0, 0]), 0).sw, -1);
  assert.equal(u.apdu(new Uint8Array([0, 3, 0, 0]), 2).sw, SW.UNKNOWN);
});

test("REGISTER needs a touch; the self-signed certificate and the registration signature verify", () => {
  const u = new U2f();
  const chal = randomBytes(32), app = sha(new TextEncoder().encode("https://example.com"));
  assert.equal(u.apdu(ext(1, 0, new Uint8Array([...chal, ...app]))).sw, SW.UP, "no touch");
  for (const form of ["ext", "short"] as const) {
    const reg = register(u, chal, app, form);
    assert.ok(reg.kh.length > 0 && reg.kh.length <= 255);
    const cert = new X509Certificate(reg.cert);
    assert.equal(cert.subject, "CN=Segl U2F");
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    const certPub = new Uint8Array(cert.publicKey.export({ format: "der", type: "spki" })).slice(-65);
    assert.deepEqual(certPub, reg.pub, "the certificate is the credential's own key");
    const digest = sha(new Uint8Array([0]), app, chal, reg.kh, reg.pub);
    assert.ok(verifyDer(reg.sig, digest, reg.pub), "registration signature");
    assert.ok(!verifyDer(reg.sig, sha(new Uint8Array([0]), app, randomBytes(32), reg.kh, reg.pub), reg.pub));
  }
  // the touch was consumed
  assert.equal(u.apdu(ext(1, 0, new Uint8Array([...chal, ...app]))).sw, SW.UP);
  // a touch goes stale
  u.touch();
  u.clock.advance(3_500);
  assert.equal(u.apdu(ext(1, 0, new Uint8Array([...chal, ...app]))).sw, SW.UP);
});

test("AUTHENTICATE: check-only, enforce, don't-enforce; signatures and increasing counters", () => {
  const u = new U2f();
  const app = sha(new TextEncoder().encode("example.com"));
  const reg = register(u, randomBytes(32), app);
  const chal = randomBytes(32);
  // check-only
  assert.equal(u.apdu(authApdu(7, chal, app, reg.kh)).sw, SW.UP, "ours");
  assert.equal(u.apdu(authApdu(7, chal, sha(new TextEncoder().encode("evil.example")), reg.kh)).sw, SW.DATA, "other app");
  const forged = reg.kh.slice(); forged[forged.length - 1]! ^= 1;
  assert.equal(u.apdu(authApdu(7, chal, app, forged)).sw, SW.DATA, "tampered handle");
  assert.equal(u.apdu(authApdu(7, chal, app, reg.kh.subarray(1))).sw, SW.DATA, "short handle");
  assert.equal(u.apdu(authApdu(7, chal, app, new Uint8Array(0))).sw, SW.DATA, "empty handle");
  assert.equal(u.apdu(authApdu(0x05, chal, app, reg.kh)).sw, SW.DATA, "unknown P1");
  // enforce without a touch
  assert.equal(u.apdu(authApdu(3, chal, app, reg.kh)).sw, SW.UP);
  let last = -1;
  for (const [p1, touch, form] of [[3, true, "ext"], [8, false, "ext"], [3, true, "short"], [8, true, "short"]] as const) {
    if (touch) u.touch();
    const r = u.apdu(authApdu(p1, chal, app, reg.kh, form));
    assert.equal(r.sw, SW.OK);
    const flags = r.data[0]!;
    assert.equal(flags, p1 === 3 ? 1 : 0, "UP bit");
    const counter = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
    assert.ok(counter > last, `counter ${counter} after ${last}`);
    last = counter;
    const sig = r.data.slice(5);
    assert.equal(derLen(sig), sig.length);
    assert.ok(verifyDer(sig, sha(app, r.data.subarray(0, 5), chal), reg.pub), "assertion signature");
  }
  // counters survive power-off
  u.dev.reboot();
  u.touch();
  const r = u.apdu(authApdu(3, chal, app, reg.kh));
  assert.equal(r.sw, SW.OK);
  assert.ok(new DataView(r.data.buffer, r.data.byteOffset).getUint32(1) > last);
});

test("after authenticatorReset (new master secret) old key handles are not ours", () => {
  const u = new U2f();
  const app = sha(new TextEncoder().encode("example.com"));
  const reg = register(u, randomBytes(32), app);
  assert.equal(u.apdu(authApdu(7, randomBytes(32), app, reg.kh)).sw, SW.UP);
  assert.equal(u.x.cred_reset(), 0);
  assert.equal(u.apdu(authApdu(7, randomBytes(32), app, reg.kh)).sw, SW.DATA);
});

/** A minimal X.509 certificate for a P-256 key, signed by noble (independent of the firmware's). */
function makeCert(priv: Uint8Array): Uint8Array {
  const tlv = (tag: number, body: number[]): number[] => {
    const l = body.length;
    const len = l < 0x80 ? [l] : l < 0x100 ? [0x81, l] : [0x82, l >> 8, l & 0xff];
    return [tag, ...len, ...body];
  };
  const oid = (b: number[]): number[] => tlv(0x06, b);
  const ecdsaSha256 = tlv(0x30, oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
  const name = (cn: string): number[] => tlv(0x30, tlv(0x31, tlv(0x30, [...oid([0x55, 0x04, 0x03]), ...tlv(0x0c, [...Buffer.from(cn)])])));
  const pub = p256.getPublicKey(priv, false);
  const spki = tlv(0x30, [...tlv(0x30, [...oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), ...oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])]),
    ...tlv(0x03, [0, ...pub])]);
  const validity = tlv(0x30, [...tlv(0x17, [...Buffer.from("240101000000Z")]), ...tlv(0x17, [...Buffer.from("491231235959Z")])]);
  const tbs = tlv(0x30, [...tlv(0xa0, tlv(0x02, [2])), ...tlv(0x02, [0x12, 0x34]), ...ecdsaSha256, ...name("Segl Test CA"), ...validity,
    ...name("Segl Batch"), ...spki]);
  const sig = p256.sign(sha(new Uint8Array(tbs)), priv, { prehash: false, format: "der" });
  return new Uint8Array(tlv(0x30, [...tbs, ...ecdsaSha256, ...tlv(0x03, [0, ...sig])]));
}

test("with a provisioned batch attestation, REGISTER sends the batch certificate and signs with the batch key", () => {
  const u = new U2f();
  const batch = p256.utils.randomSecretKey();
  const cert = makeCert(batch);
  u.dev.ioWrite(0, batch);
  u.dev.ioWrite(64, cert);
  const base = u.x.io_ptr();
  assert.equal(u.x.att_provision(base, base + 64, cert.length), 0);
  const chal = randomBytes(32), app = randomBytes(32);
  const reg = register(u, chal, app);
  assert.deepEqual(reg.cert, cert);
  const digest = sha(new Uint8Array([0]), app, chal, reg.kh, reg.pub);
  assert.ok(verifyDer(reg.sig, digest, p256.getPublicKey(batch, false)), "batch signature");
  assert.ok(!verifyDer(reg.sig, digest, reg.pub), "not the credential key");
  // the credential still works
  u.touch();
  const r = u.apdu(authApdu(3, chal, app, reg.kh));
  assert.equal(r.sw, SW.OK);
  assert.ok(verifyDer(r.data.slice(5), sha(app, r.data.subarray(0, 5), chal), reg.pub));
});

/** Strict DER ECDSA-Sig-Value parser: minimal positive INTEGERs, exact lengths. */
function strictDer(b: Uint8Array): [bigint, bigint] {
  assert.equal(b[0], 0x30);
  assert.equal(b[1], b.length - 2);
  let p = 2;
  const int = (): bigint => {
    assert.equal(b[p], 0x02);
    const n = b[p + 1]!;
    const v = b.subarray(p + 2, p + 2 + n);
    assert.ok(n >= 1 && n <= 33 && v.length === n);
    assert.ok((v[0]! & 0x80) === 0, "positive");
    if (n > 1) assert.ok(v[0] !== 0 || (v[1]! & 0x80) !== 0, "minimal");
    p += 2 + n;
    return BigInt("0x" + Buffer.from(v).toString("hex"));
  };
  const r = int(), s = int();
  assert.equal(p, b.length);
  return [r, s];
}

test("DER signature encoding: leading zeros trimmed, high bits padded (strict DER)", () => {
  const u = new U2f();
  const base = u.x.io_ptr();
  const cases: Uint8Array[] = [new Uint8Array(64).fill(0xff), new Uint8Array(64).fill(0x01)];
  const z = new Uint8Array(64); z[31] = 1; z[63] = 0x80; cases.push(z);
  const y = new Uint8Array(64); y[5] = 0x90; y[40] = 0x7f; cases.push(y);
  for (let i = 0; i < 200; i++) cases.push(randomBytes(64));
  for (const rs of cases) {
    u.dev.ioWrite(0, rs);
    const n = u.x.der_signature(base, base + 128);
    const der = u.dev.ioRead(128, n);
    const [r, s] = strictDer(der);
    assert.equal(r, BigInt("0x" + Buffer.from(rs.subarray(0, 32)).toString("hex")));
    assert.equal(s, BigInt("0x" + Buffer.from(rs.subarray(32)).toString("hex")));
  }
});

test("a power cut at every flash operation of AUTHENTICATE never repeats a counter", () => {
  const u = new U2f();
  const app = randomBytes(32), chal = randomBytes(32);
  const reg = register(u, chal, app);
  const before = u.flash.operations;
  u.touch();
  let r = u.apdu(authApdu(3, chal, app, reg.kh));
  assert.equal(r.sw, SW.OK);
  const ops = u.flash.operations - before;
  let last = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
  for (let n = 1; n <= ops + 1; n++) {
    u.touch();
    u.dev.cutPowerAtFlashOperation(n);
    try {
      r = u.apdu(authApdu(3, chal, app, reg.kh));
      const c = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
      assert.ok(c > last);
      last = c;
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      u.dev.cutPower();
      u.dev.powerOn();
    } finally {
      u.dev.cutPowerAtFlashOperation(0);
    }
    u.touch();
    r = u.apdu(authApdu(3, chal, app, reg.kh));
    const c = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
    assert.ok(c > last, `after a cut at op ${n}: ${c} after ${last}`);
    last = c;
  }
});

test(`U2F fuzz: ${Number(process.env.SEGL_FUZZ_ITERATIONS ?? 10_000)} mutated and random APDUs never trap`, () => {
  const u = new U2f();
  const app = randomBytes(32);
  const reg = register(u, randomBytes(32), app);
  const seeds = [
    authApdu(3, randomBytes(32), app, reg.kh), authApdu(7, randomBytes(32), app, reg.kh, "short"),
    authApdu(8, randomBytes(32), app, reg.kh), ext(1, 0, randomBytes(64)), short(1, 3, randomBytes(64), true),
    new Uint8Array([0, 3, 0, 0, 0, 0, 0]),
  ];
  let s = 0x9e3779b9;
  const rnd = (n: number): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
  const iters = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 10_000);
  const seen = new Set<number>();
  for (let i = 0; i < iters; i++) {
    let b: number[];
    if (rnd(10) === 0) b = Array.from({ length: rnd(200) }, () => rnd(256));
    else {
      b = Array.from(seeds[rnd(seeds.length)]!);
      for (let k = 1 + rnd(3); k > 0; k--) {
        const at = rnd(b.length + 1);
        switch (rnd(5)) {
          case 0: b[at % b.length] = rnd(256); break;
          case 1: b.splice(at, 1 + rnd(4)); break;
          case 2: b.splice(at, 0, rnd(256)); break;
          case 3: b.length = at; break;
          default: b[Math.min(4 + rnd(3), b.length - 1)] = rnd(256);
        }
      }
    }
    if (rnd(4) === 0) u.touch();
    const r = u.apdu(new Uint8Array(b));
    seen.add(r.sw);
    assert.ok([SW.OK, SW.UP, SW.DATA, SW.LEN, SW.INS, SW.CLA].includes(r.sw), `sw ${r.sw.toString(16)}`);
    if (r.sw !== SW.OK) assert.equal(r.data.length, 0);
  }
  assert.equal(u.dev.state, "on");
  for (const sw of [SW.OK, SW.UP, SW.DATA, SW.LEN]) assert.ok(seen.has(sw), `0x${sw.toString(16)} seen`);
});

// Key handles past the tag: the chip's tag cannot be recomputed by a host, so the fuzzer makes the
// chip mint key handles for application parameters of its choosing and mutates everything around
// them (challenge, appParam, P1, the L byte against Lc, truncations, bit flips). Valid handles reach
// the signing path: every signature is verified and the counter must rise. Guards checked per call.
test(`U2F key-handle fuzz: ${Number(process.env.SEGL_FUZZ_ITERATIONS ?? 10_000)} authenticates with chip-minted handles`, () => {
  const u = new U2f();
  let s = 0x2545f491;
  const rnd = (n: number): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd(256));
  const regs = Array.from({ length: 4 }, () => { const app = bytes(32); return { app, last: -1, ...register(u, bytes(32), app) }; });
  const iters = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 10_000);
  let signed = 0, refused = 0;
  for (let i = 0; i < iters; i++) {
    const reg = regs[rnd(regs.length)]!;
    let kh: Uint8Array = reg.kh.slice();
    let app = reg.app;
    const valid = rnd(3) === 0;
    if (!valid) {
      switch (rnd(5)) {
        case 0: kh[rnd(kh.length)]! ^= 1 << rnd(8); break;
        case 1: kh = kh.subarray(0, rnd(kh.length)); break;
        case 2: kh = new Uint8Array([...kh, ...bytes(1 + rnd(180))]); break;
        case 3: app = regs[(regs.indexOf(reg) + 1) % regs.length]!.app; break;
        default: kh = bytes(rnd(256));
      }
    }
    const chal = bytes(32);
    const p1 = valid ? 3 : [3, 7, 8, 0, 0xff][rnd(5)]!;
    let apdu = authApdu(p1, chal, app, kh, rnd(4) === 0 ? "short" : "ext");
    if (!valid && rnd(4) === 0) { apdu = apdu.slice(); apdu[7 + 64]! ^= 1 + rnd(255); } // the L byte disagrees with Lc
    if (p1 === 3 || rnd(2) === 0) u.touch();
    if (apdu.length > 4000) continue;
    const r = u.apdu(apdu);
    assert.ok([SW.OK, SW.UP, SW.DATA, SW.LEN].includes(r.sw), `sw ${r.sw.toString(16)}`);
    if (r.sw !== SW.OK) { assert.equal(r.data.length, 0); refused++; continue; }
    assert.ok(kh.length === reg.kh.length, "only a chip-minted handle is accepted");
    const counter = new DataView(r.data.buffer, r.data.byteOffset).getUint32(1);
    assert.ok(counter > reg.last, "the credential's counter rises");
    reg.last = counter;
    const digest = sha(app, r.data.subarray(0, 5), chal);
    assert.ok(verifyDer(r.data.subarray(5), digest, reg.pub), "the signature verifies with the registered key");
    signed++;
  }
  assert.equal(u.dev.state, "on");
  assert.ok(signed > iters / 5 && refused > iters / 3, `${signed} signed, ${refused} refused`);
});
