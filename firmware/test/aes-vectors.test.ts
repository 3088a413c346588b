// AES-256 in the firmware: FIPS-197 C.3, SP 800-38A F.2.5/F.2.6, and random cross-checks of the
// block cipher and CBC against node:crypto.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Device, SimClock } from "@segl/simulator";
import { harnessImage } from "./image-util.js";

interface AesHarness {
  io_ptr(): number;
  aes_block(dir: number, key: number, src: number, dst: number): number;
  aes_cbc(dir: number, key: number, iv: number, src: number, len: number, dst: number): number;
  aes_bench(dir: number, key: number, buf: number, n: number): number;
}

const dev = new Device({
  image: harnessImage("aes"),
  clock: new SimClock({ startMs: 0 }),
});
const x = dev.raw as unknown as AesHarness;
const io = x.io_ptr();
const KEY = 0, IV = 32, SRC = 64, DST = 4128; // up to 4048 bytes of data
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function fwBlock(dir: 0 | 1, key: Buffer, block: Buffer): string {
  dev.ioWrite(KEY, key);
  dev.ioWrite(SRC, block);
  assert.equal(x.aes_block(dir, io + KEY, io + SRC, io + DST), 16);
  return Buffer.from(dev.ioRead(DST, 16)).toString("hex");
}

function fwCbc(dir: 0 | 1, key: Buffer, iv: Buffer, data: Buffer, inPlace = false): string {
  dev.ioWrite(KEY, key);
  dev.ioWrite(IV, iv);
  dev.ioWrite(SRC, data);
  const dst = inPlace ? SRC : DST;
  assert.equal(x.aes_cbc(dir, io + KEY, io + IV, io + SRC, data.length, io + dst), data.length);
  return Buffer.from(dev.ioRead(dst, data.length)).toString("hex");
}

function nodeCbc(dir: 0 | 1, key: Buffer, iv: Buffer, data: Buffer): string {
  const c = dir ? createCipheriv("aes-256-cbc", key, iv) : createDecipheriv("aes-256-cbc", key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]).toString("hex");
}

test("FIPS-197 Appendix C.3 (AES-256)", () => {
  const key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  assert.equal(fwBlock(1, key, hex("00112233445566778899aabbccddeeff")), "8ea2b7ca516745bfeafc49904b496089");
  assert.equal(fwBlock(0, key, hex("8ea2b7ca516745bfeafc49904b496089")), "00112233445566778899aabbccddeeff");
});

test("SP 800-38A F.2.5 / F.2.6 CBC-AES256", () => {
  const key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const iv = hex("000102030405060708090a0b0c0d0e0f");
  const pt = hex(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                  30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);
  const ct = `f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
              39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b`.replace(/\s+/g, "");
  assert.equal(fwCbc(1, key, iv, pt), ct);
  assert.equal(fwCbc(0, key, iv, hex(ct)), pt.toString("hex"));
  assert.equal(fwCbc(1, key, iv, pt, true), ct, "in place");
  assert.equal(fwCbc(0, key, iv, hex(ct), true), pt.toString("hex"), "in place");
  // the PIN protocol 1 shape: IV = 0
  const zero = Buffer.alloc(16);
  assert.equal(fwCbc(1, key, zero, pt), nodeCbc(1, key, zero, pt));
});

test("random blocks agree with node:crypto aes-256-ecb", () => {
  for (let i = 0; i < 300; i++) {
    const key = randomBytes(32), block = randomBytes(16);
    const e = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
    const want = Buffer.concat([e.update(block), e.final()]).toString("hex");
    assert.equal(fwBlock(1, key, block), want);
    assert.equal(fwBlock(0, key, hex(want)), block.toString("hex"));
  }
});

test("random CBC messages agree with node:crypto aes-256-cbc (no padding)", () => {
  for (let i = 0; i < 200; i++) {
    const key = randomBytes(32), iv = randomBytes(16);
    const data = randomBytes(16 * Math.floor(Math.random() * 65)); // 0..1024 bytes
    assert.equal(fwCbc(1, key, iv, data), nodeCbc(1, key, iv, data), `enc ${data.length}`);
    assert.equal(fwCbc(0, key, iv, data), nodeCbc(0, key, iv, data), `dec ${data.length}`);
    if (i % 4 === 0) assert.equal(fwCbc(0, key, iv, data, true), nodeCbc(0, key, iv, data), "in place");
  }
  const key = randomBytes(32), iv = randomBytes(16), big = randomBytes(4048);
  assert.equal(fwCbc(1, key, iv, big), nodeCbc(1, key, iv, big));
});

test("lengths that are not a multiple of 16 are refused, nothing is written", () => {
  dev.ioWrite(DST, Buffer.alloc(48, 0xee));
  for (const len of [1, 15, 17, 31, 33, 47]) {
    for (const dir of [0, 1]) assert.equal(x.aes_cbc(dir, io + KEY, io + IV, io + SRC, len, io + DST), -1, `${len}`);
  }
  assert.deepEqual(Buffer.from(dev.ioRead(DST, 48)), Buffer.alloc(48, 0xee));
  assert.equal(x.aes_cbc(1, io + KEY, io + IV, io + SRC, 0, io + DST), 0);
  // pointers outside the exchange buffer are refused by the harness
  assert.equal(x.aes_cbc(1, io + KEY, io + IV, io + 8000, 256, io + DST), -2);
});

test("speed (informational)", (t) => {
  dev.ioWrite(KEY, randomBytes(32));
  dev.ioWrite(SRC, randomBytes(16));
  const n = 20000;
  for (const dir of [1, 0]) {
    x.aes_bench(dir, io + KEY, io + SRC, 1000); // warm up
    const t0 = performance.now();
    x.aes_bench(dir, io + KEY, io + SRC, n);
    const us = ((performance.now() - t0) * 1000) / n;
    console.log(`${dir ? "encrypt" : "decrypt"}: ${us.toFixed(2)} µs/block (${(16 / us).toFixed(1)} MB/s)`);
  }
});
