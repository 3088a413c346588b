// HMAC_DRBG (SP 800-90A, HMAC-SHA-256) in the firmware: NIST CAVP HMAC_DRBG.rsp [SHA-256]
// vectors (no reseed, personalization, reseed, reseed with additional input) and agreement with
// an independent reference written here on node:crypto's HMAC.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Harness, hex, unhex, concat, seededBytes } from "./p256-util.js";

const h = new Harness();
const rnd = seededBytes("p256-drbg");
const EMPTY = new Uint8Array(0);

// exchange-buffer layout: inputs at 0..1023 (three slots), output from 2048
const O_A = 0, O_B = 384, O_C = 768, O_OUT = 2048;

function instantiate(ent: Uint8Array, nonce: Uint8Array, pers: Uint8Array): number {
  return h.x.drbg_instantiate(h.put(O_A, ent), ent.length, h.put(O_B, nonce), nonce.length, h.put(O_C, pers), pers.length);
}
function reseed(ent: Uint8Array, add: Uint8Array): number {
  return h.x.drbg_reseed(h.put(O_A, ent), ent.length, h.put(O_B, add), add.length);
}
function generate(n: number, add: Uint8Array = EMPTY): Uint8Array {
  assert.equal(h.x.drbg_generate(h.addr(O_OUT), n, h.put(O_A, add), add.length), 0);
  return h.get(O_OUT, n);
}

/** Reference HMAC_DRBG (SP 800-90A §10.1.2) over node:crypto. */
class RefDrbg {
  private k: Uint8Array = new Uint8Array(32);
  private v: Uint8Array = new Uint8Array(32).fill(1);
  constructor(ent: Uint8Array, nonce: Uint8Array, pers: Uint8Array) {
    this.update(concat(ent, nonce, pers));
  }
  private mac(...parts: Uint8Array[]): Uint8Array {
    const m = createHmac("sha256", this.k);
    for (const p of parts) m.update(p);
    return new Uint8Array(m.digest());
  }
  private update(data: Uint8Array): void {
    this.k = this.mac(this.v, new Uint8Array([0]), data);
    this.v = this.mac(this.v);
    if (data.length === 0) return;
    this.k = this.mac(this.v, new Uint8Array([1]), data);
    this.v = this.mac(this.v);
  }
  reseed(ent: Uint8Array, add: Uint8Array): void {
    this.update(concat(ent, add));
  }
  generate(n: number, add: Uint8Array): Uint8Array {
    if (add.length) this.update(add);
    const out: Uint8Array[] = [];
    let have = 0;
    while (have < n) { this.v = this.mac(this.v); out.push(this.v); have += 32; }
    this.update(add);
    return concat(...out).subarray(0, n);
  }
}

test("CAVP HMAC_DRBG SHA-256: no reseed, no personalization (COUNT 0 and 1)", () => {
  const cases = [
    ["ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488", "659ba96c601dc69fc902940805ec0ca8",
      "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"],
    ["79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3", "3593259c092bef4129bc2c6c9e19f343",
      "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655b924159413e2293b17610f211e09f770f172b8fb693a35b85d3b9e5e63b1dc252ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51e6c8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37"],
  ];
  for (const [ent, nonce, expected] of cases) {
    assert.equal(instantiate(unhex(ent!), unhex(nonce!), EMPTY), 0);
    generate(128);
    assert.equal(hex(generate(128)), expected);
  }
});

test("CAVP HMAC_DRBG SHA-256: personalization string (COUNT 0)", () => {
  assert.equal(instantiate(unhex("5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55"),
    unhex("6f885496c1e63af620becd9e71ecb824"), unhex("e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0")), 0);
  generate(128);
  assert.equal(hex(generate(128)), "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5" +
    "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d9f607b190dd69954450d16cd0e2d6437" +
    "067d8b44d19a6af7a7cfa8794e5fbd728e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b");
});

test("CAVP HMAC_DRBG SHA-256: reseed, and reseed with additional input (COUNT 0)", () => {
  assert.equal(instantiate(unhex("06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d"),
    unhex("0e66f71edc43e42a45ad3c6fc6cdc4df"), EMPTY), 0);
  assert.equal(reseed(unhex("01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552"), EMPTY), 0);
  generate(128);
  assert.equal(hex(generate(128)), "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a80225422918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124");

  assert.equal(instantiate(unhex("05ac9fc4c62a02e3f90840da5616218c6de5743d66b8e0fbf833759c5928b53d"),
    unhex("2b89a17904922ed8f017a63044848545"), EMPTY), 0);
  assert.equal(reseed(unhex("2791126b8b52ee1fd9392a0a13e0083bed4186dc649b739607ac70ec8dcecf9b"),
    unhex("43bac13bae715092cf7eb280a2e10a962faf7233c41412f69bc74a35a584e54c")), 0);
  generate(128, unhex("3f2fed4b68d506ecefa21f3f5bb907beb0f17dbc30f6ffbba5e5861408c53a1e"));
  assert.equal(hex(generate(128, unhex("529030df50f410985fde068df82b935ec23d839cb4b269414c0ede6cffea5b68"))),
    "02ddff5173da2fcffa10215b030d660d61179e61ecc22609b1151a75f1cbcbb4363c3a89299b4b63aca5e581e73c860491010aa35de3337cc6c09ebec8c91a6287586f3a74d9694b462d2720ea2e11bbd02af33adefb4a16e6b370fa0effd57d607547bdcfbb7831f54de7073ad2a7da987a0016a82fa958779a168674b56524");
});

test("agrees with a node:crypto reference on random lengths, additional inputs and reseeds", () => {
  for (let i = 0; i < 60; i++) {
    const len = (n: number): number => rnd(1)[0]! % n;
    const ent = rnd(32 + len(64)), nonce = rnd(len(40)), pers = rnd(len(3) === 0 ? 0 : len(300));
    assert.equal(instantiate(ent, nonce, pers), 0);
    const ref = new RefDrbg(ent, nonce, pers);
    for (let j = 0; j < 4; j++) {
      if (j === 2) {
        const e2 = rnd(32 + len(20)), a2 = rnd(len(2) ? len(100) : 0);
        assert.equal(reseed(e2, a2), 0);
        ref.reseed(e2, a2);
      }
      const add = rnd(len(2) ? len(120) : 0);
      const n = [0, 1, 31, 32, 33, 64, 100, 257][len(8)]!;
      assert.equal(hex(generate(n, add)), hex(ref.generate(n, add)), `case ${i}.${j} n=${n}`);
    }
  }
  assert.equal(h.x.drbg_generate(h.addr(1), 8192, h.addr(0), 0), -100, "output must fit the exchange buffer");
  assert.equal(h.x.drbg_generate(h.addr(0), 8192, h.addr(0), 0), 0, "8 KiB in one request");
});

test("entropy shorter than 32 bytes is refused; an uninstantiated state cannot generate", () => {
  assert.equal(instantiate(rnd(31), rnd(16), EMPTY), -1);
  assert.equal(h.x.drbg_generate(h.addr(O_OUT), 16, h.addr(0), 0), -3, "failed instantiate leaves no state");
  assert.equal(reseed(rnd(40), EMPTY), -3);
  assert.equal(instantiate(rnd(32), EMPTY, EMPTY), 0);
  assert.equal(reseed(rnd(31), EMPTY), -1);
  assert.equal(h.device.faults.length, 0);
});
