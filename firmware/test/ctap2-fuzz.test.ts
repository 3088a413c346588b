// Seeded fuzzer through ctap2Dispatch: mutated valid requests of every command, random bytes, and
// short output buffers. The firmware must never trap, must answer NEED_UP or a known status,
// must keep within the output buffer, and every success body must be canonical CBOR.
// SEGL_FUZZ_ITERATIONS (default 20 000) and SEGL_FUZZ_SEED change the run.
import { test } from "vitest";
import assert from "node:assert/strict";
import { rng } from "./cbor-util.js";
import { Chip, CMD, CMap, NEED_UP, OUT, encode, mcRequest, gaRequest, makeCred, decodeStrict, Platform, type CborValue } from "./ctap2-util.js";

const ITER = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 20_000);
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 20240601);
const KNOWN = new Set([0x00, 0x01, 0x02, 0x03, 0x11, 0x12, 0x14, 0x15, 0x16, 0x19, 0x26, 0x27, 0x28, 0x2b, 0x2c, 0x2e, 0x30, 0x31, 0x32,
  0x33, 0x34, 0x35, 0x36, 0x37, 0x3e, 0x40, 0x7f]);

test(`fuzz: ${ITER} mutated requests through ctap2Dispatch (seed ${SEED})`, () => {
  const chip = new Chip({ seed: `fuzz-${SEED}` });
  const r = rng(SEED);
  const int = (n: number) => Math.floor(r() * n);
  const a = makeCred(chip, { rk: true, hmacSecret: true });
  const b = makeCred(chip, { credProtect: 2 });
  const pl = new Platform(2);
  const ka = pl.cose();
  const corpus: Uint8Array[] = [];
  const add = (cmd: number, v?: CborValue) => corpus.push(new Uint8Array([cmd, ...(v === undefined ? [] : encode(v))]));
  add(CMD.INFO);
  add(CMD.MC, mcRequest({}));
  add(CMD.MC, mcRequest({ rk: true, name: "n", displayName: "d", credProtect: 3, hmacSecret: true, exclude: [a.id, b.id] }));
  add(CMD.MC, mcRequest({ extra: [[8n, new Uint8Array(16)], [9n, 1n]] }));
  add(CMD.GA, gaRequest({ allow: [b.id, a.id] }));
  add(CMD.GA, gaRequest({ up: false }));
  add(CMD.GA, gaRequest({ allow: [a.id], extensions: [["hmac-secret", new CMap([[1n, ka], [2n, new Uint8Array(48)], [3n, new Uint8Array(32)], [4n, 2n]])]] }));
  add(CMD.GA, gaRequest({ extra: [[6n, new Uint8Array(32)], [7n, 2n]] }));
  add(CMD.NEXT);
  add(CMD.CM, new CMap([[1n, 4n], [2n, new CMap([[1n, new Uint8Array(32)]])], [3n, 2n], [4n, new Uint8Array(32)]]));
  add(CMD.CM, new CMap([[1n, 7n], [2n, new CMap([[2n, new CMap([["id", a.id], ["type", "public-key"]])], [3n, new CMap([["id", new Uint8Array(4)]])]])], [3n, 1n], [4n, new Uint8Array(16)]]));
  add(CMD.CM, new CMap([[1n, 3n]]));
  add(CMD.PIN, new CMap([[1n, 2n], [2n, 2n]]));
  add(CMD.SELECTION);
  add(CMD.RESET);

  const mutate = (src: Uint8Array): Uint8Array => {
    const b2 = Array.from(src);
    const n = 1 + int(4);
    for (let i = 0; i < n; i++) {
      const k = int(9);
      const at = int(b2.length + 1);
      if (k <= 2 && b2.length > 0) b2[at % b2.length] = int(256);
      else if (k === 3 && b2.length > 0) b2[at % b2.length]! ^= 1 << int(8);
      else if (k === 4) b2.splice(at, 0, int(256));
      else if (k === 5 && b2.length > 1) b2.splice(at % b2.length, 1 + int(4));
      else if (k === 6) b2.length = Math.min(b2.length, at);
      else if (k === 7) { const o = corpus[int(corpus.length)]!; const s = int(o.length); b2.splice(at, 0, ...o.subarray(s, s + int(24))); }
      else if (k === 8 && b2.length > 0) b2[0] = [1, 2, 4, 6, 7, 8, 10, 11, int(256)][int(9)]!;
    }
    return new Uint8Array(b2);
  };

  // structured mutation: decode, replace/drop/add one node somewhere, encode canonically again
  const randValue = (depth: number): CborValue => {
    switch (int(depth > 2 ? 7 : 9)) {
      case 0: return BigInt(int(40)) - 20n;
      case 1: return [0n, -7n, 1n, 2n, 3n, 0xffffffffn, -0x10000000000n, 7609n][int(8)]!;
      case 2: return new Uint8Array(Array.from({ length: [0, 1, 16, 32, 34, 48, 64, 65, 80][int(9)]! }, () => int(256)));
      case 3: return ["", "id", "public-key", "up", "uv", "rk", "hmac-secret", "credProtect", "type", "alg", "name", "ø"][int(12)]!;
      case 4: return [true, false, null][int(3)]!;
      case 5: return new Uint8Array(0);
      case 6: return BigInt(int(12));
      case 7: return Array.from({ length: int(3) }, () => randValue(depth + 1));
      default: return new CMap(Array.from({ length: int(3) }, (_, j) => [BigInt(j + int(3) * 3), randValue(depth + 1)] as [CborValue, CborValue]));
    }
  };
  const mutateValue = (v: CborValue, depth: number): CborValue => {
    if (v instanceof CMap && v.entries.length > 0 && depth < 3) {
      const e = v.entries.slice();
      const i = int(e.length);
      const k = int(6);
      if (k === 0) e.splice(i, 1);
      else if (k === 1 && !e.some(([kk]) => kk === 99n)) e.push([99n, randValue(depth + 1)]);
      else e[i] = [e[i]![0], int(3) === 0 ? randValue(depth + 1) : mutateValue(e[i]![1], depth + 1)];
      return new CMap(e);
    }
    if (Array.isArray(v) && v.length > 0 && depth < 3) {
      const a = v.slice();
      const i = int(a.length);
      if (int(4) === 0) a.splice(i, 1); else a[i] = int(3) === 0 ? randValue(depth + 1) : mutateValue(a[i]!, depth + 1);
      return a;
    }
    return randValue(depth);
  };
  const values: (CborValue | null)[] = corpus.map((c) => (c.length > 1 ? decodeStrict(c.subarray(1)) : null));

  const sentinel = new Uint8Array(64).fill(0xa5);
  const stats = { needUp: 0, ok: 0, err: 0 };
  for (let i = 0; i < ITER; i++) {
    let req: Uint8Array;
    const which = int(corpus.length);
    if (int(20) === 0) req = new Uint8Array(Array.from({ length: int(80) }, () => int(256)));
    else if (int(2) === 0 && values[which] !== null) {
      let v: CborValue = values[which]!;
      for (let m = 1 + int(3); m > 0; m--) v = mutateValue(v, 0);
      req = new Uint8Array([corpus[which]![0]!, ...encode(v)]);
    } else req = mutate(corpus[which]!);
    if (req.length > 4096) continue;
    const up = int(8) === 0;
    const small = int(10) === 0;
    const outMax = small ? int(200) : undefined;
    if (small) chip.dev.ioWrite(OUT + outMax!, sentinel);
    let res;
    try {
      res = chip.rawCall(req, up, outMax);
    } catch (e) {
      assert.fail(`iteration ${i}: ${(e as Error).message} on ${Buffer.from(req).toString("hex")}`);
    }
    if (small) assert.deepEqual(chip.dev.ioRead(OUT + outMax!, 64), sentinel, `iteration ${i}: wrote past outMax ${outMax}`);
    if (res.n === NEED_UP) { assert.equal(up, false, "NEED_UP only without a touch"); stats.needUp++; continue; }
    if (small && outMax === 0) { assert.equal(res.n, 0); continue; }
    assert.ok(res.n >= 1 && res.n <= (outMax ?? 4096), `iteration ${i}: length ${res.n}`);
    const st = res.out[0]!;
    assert.ok(KNOWN.has(st), `iteration ${i}: unknown status 0x${st.toString(16)}`);
    if (st === 0 && res.n > 1) {
      assert.doesNotThrow(() => decodeStrict(res.out.subarray(1)), `iteration ${i}: success body not canonical`);
      stats.ok++;
    } else stats.err++;
    if (i % 4000 === 3999) chip.clock.advance(11_000); // leave the reset window now and then
  }
  if (process.env.SEGL_FUZZ_VERBOSE) console.log(stats);
  assert.ok(stats.ok > 50 && stats.needUp > 50 && stats.err > ITER / 4, JSON.stringify(stats));
  // still a working authenticator
  chip.reboot();
  assert.equal(chip.call(CMD.INFO).status, 0);
  const c = makeCred(chip);
  assert.equal(chip.call(CMD.GA, gaRequest({ allow: [c.id] })).status, 0);
});
