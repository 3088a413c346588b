// Service-protocol frames: encoding, CRC (against zlib), and the streaming parser's resync rules.
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { crc32, encodeFrame, encodeRequest, encodeResponse, FrameParser, isSeglError, MAX_PAYLOAD, type Frame } from "../src/index.js";

const zcrc = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const summary = (fs: Frame[]) => fs.map((f) => [f.type, f.seq, Buffer.from(f.payload).toString("hex")]);

test("crc32: zlib check value and random buffers", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  for (let i = 0; i < 50; i++) {
    const b = new Uint8Array(randomBytes(i * 37));
    if (zcrc) assert.equal(crc32(b), zcrc(b));
    // streaming continuation
    assert.equal(crc32(b.subarray(i)), crc32(b.subarray(i)));
    assert.equal(crc32(b.subarray(Math.floor(b.length / 2)), crc32(b.subarray(0, Math.floor(b.length / 2)))), crc32(b));
  }
});

test("encode: layout, big-endian LEN and CRC, limits", () => {
  const f = encodeRequest(0x06, 0x2a, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...f.subarray(0, 6)], [0x53, 0x47, 0x06, 0x2a, 0x00, 0x03]);
  assert.deepEqual([...f.subarray(6, 9)], [1, 2, 3]);
  assert.equal(Buffer.from(f).readUInt32BE(9), crc32(f.subarray(2, 9)));
  const r = encodeResponse(0x01, 7, 0x05);
  assert.deepEqual([...r.subarray(0, 7)], [0x53, 0x47, 0x81, 7, 0, 1, 5]);
  assert.equal(encodeFrame(0x06, 0, new Uint8Array(MAX_PAYLOAD)).length, 1034);
  assert.throws(() => encodeFrame(0x06, 0, new Uint8Array(MAX_PAYLOAD + 1)), (e) => isSeglError(e, "FRAME_ERROR"));
  assert.throws(() => encodeRequest(0x80, 0), (e) => isSeglError(e, "FRAME_ERROR"));
  assert.throws(() => encodeRequest(0x01, 256), (e) => isSeglError(e, "FRAME_ERROR"));
});

test("parser: garbage before frames, several frames in one chunk, 1-byte chunks", () => {
  const a = encodeResponse(0x01, 1, 0, new Uint8Array([9, 8, 7]));
  const b = encodeResponse(0x06, 2, 0, new Uint8Array(MAX_PAYLOAD - 1).fill(0xaa));
  const c = encodeRequest(0x04, 3);
  const stream = cat(new Uint8Array([0, 0x47, 0x53, 0x53, 1, 2]), a, new Uint8Array([0xff]), b, c);
  const want = [[0x81, 1, "00090807"], [0x86, 2, "00" + "aa".repeat(MAX_PAYLOAD - 1)], [0x04, 3, ""]];
  const p1 = new FrameParser({ interByteTimeoutMs: 0 });
  assert.deepEqual(summary(p1.push(stream)), want);
  const p2 = new FrameParser({ interByteTimeoutMs: 0 });
  const got: Frame[] = [];
  for (const byte of stream) got.push(...p2.push(new Uint8Array([byte])));
  assert.deepEqual(summary(got), want);
  assert.equal(p2.buffered, 0);
  // random split points
  for (let k = 0; k < 20; k++) {
    const p = new FrameParser({ interByteTimeoutMs: 0 });
    const out: Frame[] = [];
    for (let off = 0; off < stream.length;) {
      const n = 1 + Math.floor(Math.random() * 300);
      out.push(...p.push(stream.subarray(off, off + n)));
      off += n;
    }
    assert.deepEqual(summary(out), want);
  }
});

test("parser: a false sync with LEN > 1024 costs one byte; the frame behind it is found", () => {
  const real = encodeResponse(0x04, 9, 0, new Uint8Array([1]));
  const falseSync = new Uint8Array([0x53, 0x47, 0x01, 0x00, 0x04, 0x01]); // LEN = 1025
  const p = new FrameParser({ interByteTimeoutMs: 0 });
  assert.deepEqual(summary(p.push(cat(falseSync, real))), [[0x84, 9, "0001"]]);
  assert.equal(p.stats.falseSyncs, 1);
  // an embedded false sync whose header swallows the real frame's start
  const p2 = new FrameParser({ interByteTimeoutMs: 0 });
  assert.deepEqual(summary(p2.push(cat(new Uint8Array([0x53, 0x47, 0x01, 0x02]), real))), [[0x84, 9, "0001"]]);
});

test("parser: a bad CRC drops only the first sync byte (a frame hidden inside is still found)", () => {
  const inner = encodeResponse(0x06, 4, 0, new Uint8Array([0x41]));
  // outer "frame" whose payload contains a complete real frame; its CRC is wrong
  const outer = encodeFrame(0x86, 3, cat(new Uint8Array([0]), inner));
  outer[outer.length - 1]! ^= 0xff;
  const p = new FrameParser({ interByteTimeoutMs: 0 });
  assert.deepEqual(summary(p.push(outer)), [[0x86, 4, "0041"]]);
  assert.equal(p.stats.crcErrors, 1);
  // corrupting any single byte of a lone frame yields no frame at all
  const f = encodeResponse(0x01, 1, 0, new Uint8Array([1, 2, 3, 4]));
  for (let i = 2; i < f.length; i++) {
    const g = f.slice();
    g[i]! ^= 0x10;
    assert.deepEqual(new FrameParser({ interByteTimeoutMs: 0 }).push(g), [], `byte ${i}`);
  }
});

test("parser: a stalled partial frame is dropped after the inter-byte timeout", () => {
  let now = 1000;
  const p = new FrameParser({ now: () => now });
  const big = encodeResponse(0x06, 1, 0, new Uint8Array(500));
  assert.deepEqual(p.push(big.subarray(0, 100)), []);
  now += 251;
  const small = encodeResponse(0x04, 2, 0);
  assert.deepEqual(summary(p.push(small)), [[0x84, 2, "00"]]);
  assert.equal(p.stats.stalled, 1);
  // within the timeout, a split frame is reassembled
  const q = new FrameParser({ now: () => now });
  q.push(big.subarray(0, 10));
  now += 200;
  assert.equal(q.push(big.subarray(10)).length, 1);
});

test("parser: random noise never throws and never yields a frame with a bad CRC", () => {
  const p = new FrameParser({ interByteTimeoutMs: 0 });
  for (let i = 0; i < 200; i++) {
    const noise = new Uint8Array(randomBytes(1 + (i % 97)));
    if (i % 5 === 0) noise[0] = 0x53, noise[1 % noise.length] = 0x47;
    for (const f of p.push(noise)) assert.ok(f.payload.length <= MAX_PAYLOAD);
  }
  const real = encodeRequest(0x01, 200);
  const out = p.push(cat(new Uint8Array(1100), real));
  assert.deepEqual(summary(out.slice(-1)), [[0x01, 200, ""]]);
});
