// clientPIN never traps: mutated valid requests (every subcommand, both protocols), random bytes
// and splices. Every answer is a single known status byte or a well-formed success response, and
// the PIN state stays sane. SEGL_FUZZ_ITERATIONS (default 12 000) and SEGL_FUZZ_SEED tune it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { PinDev, ST, CMap, encode, session, padPin, pinHash16, cborDecode, setPin } from "./pin-util.js";

const ITER = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 12_000);
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 1);
const KNOWN = new Set<number>(Object.values(ST));

function corpus(d: PinDev): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of [1, 2] as const) {
    const P = BigInt(p);
    const pl = session(d, p);
    const newEnc = pl.encrypt(padPin("87654321"));
    const hashEnc = pl.encrypt(pinHash16("1234"));
    const m = (e: [bigint, Parameters<typeof encode>[0]][]): Uint8Array => encode(new CMap(e));
    out.push(
      m([[2n, 1n]]),
      m([[1n, P], [2n, 2n]]),
      m([[1n, P], [2n, 3n], [3n, pl.cose()], [4n, pl.authenticate(newEnc)], [5n, newEnc]]),
      m([[1n, P], [2n, 4n], [3n, pl.cose()], [4n, pl.authenticate(newEnc, hashEnc)], [5n, newEnc], [6n, hashEnc]]),
      m([[1n, P], [2n, 5n], [3n, pl.cose()], [6n, hashEnc]]),
      m([[1n, P], [2n, 9n], [3n, pl.cose()], [6n, hashEnc], [9n, 3n], [10n, "example.com"]]),
      m([[1n, P], [2n, 9n], [3n, pl.cose()], [6n, hashEnc], [9n, 4n], [0x10n, [1n, "x", new CMap([])]]]),
    );
  }
  return out;
}

class Rng {
  constructor(private s: number) {}
  next(): number { this.s ^= this.s << 13; this.s ^= this.s >>> 17; this.s ^= this.s << 5; return (this.s >>> 0) / 2 ** 32; }
  int(n: number): number { return Math.floor(this.next() * n); }
}

function mutate(r: Rng, base: Uint8Array, other: Uint8Array): Uint8Array {
  const b = Array.from(base);
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds; k++) {
    const at = r.int(b.length + 1);
    switch (r.int(8)) {
      case 0: if (b.length) b[at % b.length] = r.int(256); break;
      case 1: if (b.length) b[at % b.length]! ^= 1 << r.int(8); break;
      case 2: b.splice(at, 0, r.int(256)); break;
      case 3: b.splice(at, 1 + r.int(8)); break;
      case 4: b.length = Math.min(b.length, at); break;
      case 5: { const s = r.int(other.length); b.splice(at, r.int(16), ...other.subarray(s, s + r.int(40))); break; }
      case 6: if (b.length) b[at % b.length] = [0x00, 0x17, 0x18, 0x1f, 0x20, 0x40, 0x58, 0x5f, 0x60, 0x80, 0xa0, 0xbf, 0xc0, 0xf4, 0xf6, 0xff][r.int(16)]!; break;
      default: { const i = at % Math.max(1, b.length); for (let j = 0; j < 4 && i + j < b.length; j++) b[i + j] = r.int(256); }
    }
  }
  return new Uint8Array(b);
}

test(`clientPIN fuzz: ${ITER} mutated and random requests never trap`, () => {
  const d = new PinDev("pin-fuzz");
  const r = new Rng(SEED * 2654435761 || 1);
  let items = corpus(d);
  const hist = new Map<number, number>();
  for (let i = 0; i < ITER; i++) {
    if (i % 1500 === 0) {
      // keep reaching the deep paths: a fresh PIN ("1234") and fresh sessions
      d.reboot();
      assert.equal(d.x.pin_reset(), 0);
      assert.equal(setPin(d, 1, "1234"), ST.OK);
      items = corpus(d);
    }
    const kind = r.int(20);
    const req = kind === 0
      ? new Uint8Array(r.int(300)).map(() => r.int(256))
      : kind === 1 ? items[r.int(items.length)]! : mutate(r, items[r.int(items.length)]!, items[r.int(items.length)]!);
    let res: { status: number; body: Uint8Array };
    try {
      res = d.raw(req);
    } catch (e) {
      assert.fail(`request ${i} trapped: ${Buffer.from(req).toString("hex")}: ${String(e)}`);
    }
    hist.set(res.status, (hist.get(res.status) ?? 0) + 1);
    assert.ok(KNOWN.has(res.status), `unknown status 0x${res.status.toString(16)}`);
    if (res.status === ST.OK) {
      if (res.body.length > 0) assert.ok(cborDecode(res.body) instanceof Map);
    } else assert.equal(res.body.length, 0, "errors are one byte");
    const left = d.x.pin_retries();
    assert.ok(left >= 0 && left <= 8);
  }
  assert.equal(d.dev.state, "on");
  // the deep paths were reached
  for (const s of [ST.OK, ST.INVALID_CBOR, ST.PIN_INVALID, ST.PIN_AUTH_INVALID, ST.INVALID_PARAMETER, ST.MISSING_PARAMETER]) {
    assert.ok((hist.get(s) ?? 0) > 0, `status 0x${s.toString(16)} seen`);
  }
});
