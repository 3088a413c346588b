// CRC-32 in the image (util/crc32.ts, bit by bit without a table): the check value of the
// CRC-32/ISO-HDLC catalogue ("123456789" → 0xCBF43926), the empty message, and agreement with
// node:zlib over every length 0..300 and in pieces (the store continues CRCs across a header and
// a value).
import { test } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Device, SimClock, imageFromBytes } from "@segl/simulator";

interface CrcExports { io_ptr(): number; kat_crc32(crc: number, p: number, n: number): number }
const dev = new Device({ image: imageFromBytes(new Uint8Array(readFileSync("firmware/build/harness-kat.wasm"))), clock: new SimClock({ startMs: 0 }) });
const x = dev.raw as unknown as CrcExports;
const crc = (b: Uint8Array, from = 0): number => x.kat_crc32(from, dev.ioWrite(0, b), b.length) >>> 0;

test("CRC-32 check value and empty message", () => {
  assert.equal(crc(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc(new Uint8Array(0)), 0);
});

test("CRC-32 agrees with node:zlib over lengths 0..300, whole and continued", () => {
  const data = new Uint8Array(300).map((_, i) => (i * 131 + 17) & 0xff);
  for (let n = 0; n <= 300; n++) {
    const b = data.subarray(0, n);
    assert.equal(crc(b), crc32(b) >>> 0, `length ${n}`);
    const cut = n >> 1;
    assert.equal(crc(b.subarray(cut), crc(b.subarray(0, cut))), crc32(b) >>> 0, `continued at ${cut} of ${n}`);
  }
});
