// ECDSA P-256 inside the image (harness-p256.wasm: the firmware's own code, through its
// exports) vs @noble/curves vs node:crypto (OpenSSL), in one run. Also verify and ECDH.
// Goal (issue 3): image sign ≥ 5 × noble sign.
// SEGL_P256_BASELINE=path/to/harness-p256.wasm adds rows for another build of the harness (an
// older image, say), measured in the same run: the ratio of the two is the cost of a change.
import { readFileSync } from "node:fs";
import { createHash, createPrivateKey, createPublicKey, createECDH, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { Device, SimClock, imageFromBytes } from "@segl/simulator";
import { measure, table } from "./lib.mjs";

const image = imageFromBytes(new Uint8Array(readFileSync(new URL("../firmware/build/harness-p256.wasm", import.meta.url))));
const dev = new Device({ image, clock: new SimClock({ startMs: 0 }), guardChecks: false }); // a test image: no per-call guard check
const x = dev.raw;
const basePath = process.env.SEGL_P256_BASELINE;
const baseDev = basePath ? new Device({ image: imageFromBytes(new Uint8Array(readFileSync(basePath))), clock: new SimClock({ startMs: 0 }) }) : undefined;
const bx = baseDev?.raw;

const priv = createHash("sha256").update("segl bench key").digest();
const peerPriv = createHash("sha256").update("segl bench peer").digest();
const pubFull = p256.getPublicKey(priv, false);
const pub = pubFull.subarray(1);
const peerPub = p256.getPublicKey(peerPriv, false);
const digest = createHash("sha256").update("segl bench message").digest();

const pPriv = dev.ioWrite(0, priv);
const pDig = dev.ioWrite(32, digest);
const pOut = dev.ioWrite(64, new Uint8Array(64));
const pPub = dev.ioWrite(128, pub);
const pSig = dev.ioWrite(192, new Uint8Array(64));
const pPeer = dev.ioWrite(256, peerPub.subarray(1));
if (baseDev) for (const [off, b] of [[0, priv], [32, digest], [128, pub], [256, peerPub.subarray(1)]]) baseDev.ioWrite(off, b);
const hex = (b) => Buffer.from(b).toString("hex");

// First use builds the fixed-base table.
let t0 = performance.now();
x.p256_ready();
const readyMs = performance.now() - t0;

// Cross-checks before timing.
if (x.p256_sign(pPriv, pDig, pOut) !== 0) throw new Error("image sign failed");
const imgSig = dev.ioRead(64, 64);
const nobleSig = p256.sign(digest, priv, { prehash: false });
if (hex(imgSig) !== hex(nobleSig)) throw new Error("image and noble signatures differ");
dev.ioWrite(192, nobleSig);
if (x.p256_verify(pPub, pDig, pSig) !== 1) throw new Error("image rejects noble's signature");

const b64 = (b) => Buffer.from(b).toString("base64url");
const jwk = { kty: "EC", crv: "P-256", x: b64(pub.subarray(0, 32)), y: b64(pub.subarray(32)) };
const sk = createPrivateKey({ key: { ...jwk, d: b64(priv) }, format: "jwk" });
const pk = createPublicKey({ key: jwk, format: "jwk" });
const msg = Buffer.from("segl bench message");
const nodeSig = nodeSign("sha256", msg, { key: sk, dsaEncoding: "ieee-p1363" });
if (!nodeVerify("sha256", msg, { key: pk, dsaEncoding: "ieee-p1363" }, imgSig)) throw new Error("OpenSSL rejects the image's signature");

const mem = new Uint8Array(x.memory.buffer);
let ctr = 0;
const bump = () => { mem[pDig + 31] = ++ctr & 0xff; mem[pDig + 30] = (ctr >> 8) & 0xff; };
const d2 = Buffer.from(digest);
const signRows = [
  measure("@noble/curves 2 p256.sign (prehash:false)", () => { d2[31] = ++ctr & 0xff; p256.sign(d2, priv, { prehash: false }); }),
  measure("firmware image p256_sign (WASM)", () => { bump(); x.p256_sign(pPriv, pDig, pOut); }),
  ...(bx ? [measure("baseline image p256_sign (SEGL_P256_BASELINE)", () => bx.p256_sign(pPriv, pDig, pOut))] : []),
  measure("node:crypto sign (OpenSSL, random k, hashes msg)", () => nodeSign("sha256", msg, { key: sk, dsaEncoding: "ieee-p1363" })),
];
table("ECDSA P-256 sign (RFC 6979 in image and noble)", signRows);
const loopN = 2000;
t0 = performance.now();
x.p256_sign_loop(pPriv, pDig, pOut, loopN);
const loopRate = loopN / ((performance.now() - t0) / 1000);

// With a baseline: both images sign in interleaved rounds of 100 (one call each), best round
// kept, which a loaded machine disturbs far less than the medians above.
let abLine;
if (bx) {
  bx.p256_ready();
  const best = [Infinity, Infinity];
  for (let r = 0; r < 30; r++) {
    [x, bx].forEach((e, i) => {
      const t = performance.now();
      e.p256_sign_loop(pPriv, pDig, pOut, 100);
      best[i] = Math.min(best[i], (performance.now() - t) / 100);
    });
  }
  abLine = `| sign, best of 30 interleaved rounds: this image / baseline | ${(best[0] * 1000).toFixed(1)} µs / ${(best[1] * 1000).toFixed(1)} µs = ${(best[0] / best[1]).toFixed(3)} | |`;
}

const verifyRows = [
  measure("@noble/curves 2 p256.verify (prehash:false)", () => p256.verify(nobleSig, digest, pubFull, { prehash: false })),
  measure("firmware image p256_verify (WASM)", () => x.p256_verify(pPub, pDig, pSig)),
  ...(bx ? [measure("baseline image p256_verify (SEGL_P256_BASELINE)", () => { baseDev.ioWrite(192, nobleSig); bx.p256_verify(pPub, pDig, pSig); })] : []),
  measure("node:crypto verify (cached KeyObject)", () => nodeVerify("sha256", msg, { key: pk, dsaEncoding: "ieee-p1363" }, nodeSig)),
];
table("ECDSA P-256 verify", verifyRows);

const ecdh = createECDH("prime256v1");
ecdh.setPrivateKey(priv);
const ecdhRows = [
  measure("@noble/curves 2 getSharedSecret", () => p256.getSharedSecret(priv, peerPub)),
  measure("firmware image p256_ecdh (WASM)", () => x.p256_ecdh(pPriv, pPeer, pOut)),
  ...(bx ? [measure("baseline image p256_ecdh (SEGL_P256_BASELINE)", () => bx.p256_ecdh(pPriv, pPeer, pOut))] : []),
  measure("node:crypto ECDH computeSecret", () => ecdh.computeSecret(peerPub)),
];
table("ECDH P-256", ecdhRows);

const ratio = signRows[1].opsPerSec / signRows[0].opsPerSec;
console.log(`\n| figure | value | goal |`);
console.log(`|---|---:|---:|`);
console.log(`| image sign / noble sign | ${ratio.toFixed(1)}× | ≥ 5× |`);
console.log(`| image sign, ${loopN} in one call (no host round trip) | ${Math.round(loopRate).toLocaleString("en-US")}/s | |`);
console.log(`| first use: fixed-base table (33 × 8 points, 18.5 KiB) | ${readyMs.toFixed(2)} ms | |`);
if (abLine) console.log(abLine);
