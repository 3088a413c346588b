// OCRA (RFC 6287) inside the image: every Appendix C vector, the QN odd-length extras,
// random cross-checks against an independent node:crypto implementation (QA/QN/QH, C, P, S, T),
// and malformed suites / inputs.
import { test, afterAll } from "vitest";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { harnessKat, hex, prng, targets, unhex, type Kat, type OcraInput } from "./kat-util.js";

const kats = targets();
const h = harnessKat();
afterAll(() => { for (const k of kats) k.dispose(); h.dispose(); });

const KEY20 = unhex("3132333435363738393031323334353637383930");
const KEY32 = unhex("3132333435363738393031323334353637383930313233343536373839303132");
const KEY64 = unhex("31323334353637383930313233343536373839303132333435363738393031323334353637383930313233343536373839303132333435363738393031323334");
const PIN = createHash("sha1").update("1234").digest();
const T = 0x132d0b6n; // 2008-03-25 12:06 UTC in minutes

// ---- an independent OCRA in TypeScript (BigInt for QN), used for random cross-checks ----
function refOcra(suite: string, key: Uint8Array, inp: OcraInput): { mac: Buffer; digits: number } {
  const [, crypto, data] = suite.split(":") as [string, string, string];
  const [, hashName, t] = crypto.split("-") as [string, string, string];
  const parts = data.split("-");
  const chunks: Buffer[] = [Buffer.from(suite), Buffer.from([0])];
  for (const p of parts) {
    if (p === "C") { const b = Buffer.alloc(8); b.writeBigUInt64BE(inp.counter ?? 0n); chunks.push(b); }
    else if (p[0] === "Q") {
      const f = Buffer.alloc(128);
      if (p[1] === "A") Buffer.from(inp.q).copy(f);
      else {
        const hexStr = p[1] === "N" ? BigInt(inp.q).toString(16) : inp.q;
        const padded = hexStr.padEnd(256, "0");
        Buffer.from(padded, "hex").copy(f);
      }
      chunks.push(f);
    } else if (p[0] === "P") chunks.push(Buffer.from(inp.pin ?? []));
    else if (p[0] === "S") chunks.push(Buffer.from(inp.session ?? []));
    else if (p[0] === "T") { const b = Buffer.alloc(8); b.writeBigUInt64BE(inp.time ?? 0n); chunks.push(b); }
  }
  const alg = hashName.toLowerCase();
  return { mac: createHmac(alg, key).update(Buffer.concat(chunks)).digest(), digits: Number(t) };
}
function refOcraDigits(suite: string, key: Uint8Array, inp: OcraInput): string {
  const { mac, digits } = refOcra(suite, key, inp);
  const off = mac[mac.length - 1]! & 0x0f;
  const v = BigInt(mac.readUInt32BE(off) & 0x7fffffff) % 10n ** BigInt(digits);
  return v.toString().padStart(digits, "0");
}

const rep8 = (i: number) => String(i).repeat(8);

function appendixC(k: Kat): void {
  const check = (suite: string, key: Uint8Array, inputs: OcraInput[], want: string[]) => {
    inputs.forEach((inp, i) => assert.equal(k.ocra(suite, key, inp), want[i], `${suite} #${i} ${JSON.stringify({ ...inp, pin: undefined, counter: String(inp.counter), time: String(inp.time) })}`));
  };
  const i10 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], i5 = [0, 1, 2, 3, 4];
  // C.1 one-way challenge-response
  check("OCRA-1:HOTP-SHA1-6:QN08", KEY20, i10.map((i) => ({ q: rep8(i) })),
    ["237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598", "750600", "294470"]);
  check("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", KEY32, i10.map((i) => ({ q: "12345678", counter: BigInt(i), pin: PIN })),
    ["65347737", "86775851", "78192410", "71565254", "10104329", "65983500", "70069104", "91771096", "75011558", "08522129"]);
  check("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", KEY32, i5.map((i) => ({ q: rep8(i), pin: PIN })),
    ["83238735", "01501458", "17957585", "86776967", "86807031"]);
  check("OCRA-1:HOTP-SHA512-8:C-QN08", KEY64, i10.map((i) => ({ q: rep8(i), counter: BigInt(i) })),
    ["07016083", "63947962", "70123924", "25341727", "33203315", "34205738", "44343969", "51946085", "20403879", "31409299"]);
  check("OCRA-1:HOTP-SHA512-8:QN08-T1M", KEY64, i5.map((i) => ({ q: rep8(i), time: T })),
    ["95209754", "55907591", "22048402", "24218844", "36209546"]);
  // C.2 mutual challenge-response
  const srv = (i: number) => `CLI2222${i}SRV1111${i}`, cli = (i: number) => `SRV1111${i}CLI2222${i}`;
  check("OCRA-1:HOTP-SHA256-8:QA08", KEY32, i5.map((i) => ({ q: srv(i) })),
    ["28247970", "01984843", "65387857", "03351211", "83412541"]);
  check("OCRA-1:HOTP-SHA256-8:QA08", KEY32, i5.map((i) => ({ q: cli(i) })),
    ["15510767", "90175646", "33777207", "95285278", "28934924"]);
  check("OCRA-1:HOTP-SHA512-8:QA08", KEY64, i5.map((i) => ({ q: srv(i) })),
    ["79496648", "76831980", "12250499", "90856481", "12761449"]);
  check("OCRA-1:HOTP-SHA512-8:QA08-PSHA1", KEY64, i5.map((i) => ({ q: cli(i), pin: PIN })),
    ["18806276", "70020315", "01600026", "18951020", "32528969"]);
  // C.3 plain signature
  check("OCRA-1:HOTP-SHA256-8:QA08", KEY32, i5.map((i) => ({ q: `SIG1${i}000` })),
    ["53095496", "04110475", "31331128", "76028668", "46554205"]);
  check("OCRA-1:HOTP-SHA512-8:QA10-T1M", KEY64, i5.map((i) => ({ q: `SIG1${i}00000`, time: T })),
    ["77537423", "31970405", "10235557", "95213541", "65360607"]);
  // QN with odd-length hex (the last nibble goes into the high half of a byte), from ocra.el
  check("OCRA-1:HOTP-SHA1-6:QN08", KEY20, ["11", "111", "1111", "11111", "111111", "1111111"].map((q) => ({ q })),
    ["807261", "901657", "134216", "861721", "275430", "960547"]);
}

for (const k of kats) {
  test(`${k.name}: RFC 6287 Appendix C and the QN odd-length extras`, () => appendixC(k));

  test(`${k.name}: malformed suites and inputs give negative codes, never traps`, () => {
    const bad = [
      "", "OCRA-1", "OCRA-1:", "OCRA-2:HOTP-SHA1-6:QN08", "ocra-1:hotp-sha1-6:qn08", "OCRA-1:HOTP-SHA1-6",
      "OCRA-1:HOTP-SHA1-6:", "OCRA-1:HOTP-MD5-6:QN08", "OCRA-1:HOTP-SHA224-6:QN08", "OCRA-1:HOTP-SHA1-3:QN08",
      "OCRA-1:HOTP-SHA1-11:QN08", "OCRA-1:HOTP-SHA1-06:QN08", "OCRA-1:HOTP-SHA1-:QN08", "OCRA-1:HOTP-SHA1-6:QX08",
      "OCRA-1:HOTP-SHA1-6:QN03", "OCRA-1:HOTP-SHA1-6:QN65", "OCRA-1:HOTP-SHA1-6:QN8", "OCRA-1:HOTP-SHA1-6:QN008",
      "OCRA-1:HOTP-SHA1-6:C", "OCRA-1:HOTP-SHA1-6:C-C-QN08", "OCRA-1:HOTP-SHA1-6:QN08-C", "OCRA-1:HOTP-SHA1-6:QN08-QN08",
      "OCRA-1:HOTP-SHA1-6:QN08-", "OCRA-1:HOTP-SHA1-6:-QN08", "OCRA-1:HOTP-SHA1-6:QN08--PSHA1", "OCRA-1:HOTP-SHA1-6:QN08-P",
      "OCRA-1:HOTP-SHA1-6:QN08-PMD5", "OCRA-1:HOTP-SHA1-6:QN08-S", "OCRA-1:HOTP-SHA1-6:QN08-S64", "OCRA-1:HOTP-SHA1-6:QN08-S000",
      "OCRA-1:HOTP-SHA1-6:QN08-S513", "OCRA-1:HOTP-SHA1-6:QN08-T", "OCRA-1:HOTP-SHA1-6:QN08-T1", "OCRA-1:HOTP-SHA1-6:QN08-T0M",
      "OCRA-1:HOTP-SHA1-6:QN08-T60S", "OCRA-1:HOTP-SHA1-6:QN08-T49H", "OCRA-1:HOTP-SHA1-6:QN08-T1D", "OCRA-1:HOTP-SHA1-6:QN08-T123M",
      "OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1", "OCRA-1:HOTP-SHA1-6:QN08-S064-PSHA1", "OCRA-1:HOTP-SHA1-6:QN08-T1M-T1M",
      "OCRA-1:HOTP-SHA1-6:QN08:", "OCRA-1:HOTP-SHA1-6:QN08 ", "OCRA-1:HOTP-SHA1-6:QN08\u0000", "OCRA-1:HOTP-SHA1-6:X-QN08",
      "OCRA-1:HOTP-SHA1-6:QN08-" + "S064-".repeat(20) + "T1M",
    ];
    for (const s of bad) {
      const r = k.ocra(s, KEY20, { q: "12345678", pin: PIN, session: new Uint8Array(64) });
      assert.ok(typeof r === "number" && r < 0, `${JSON.stringify(s)} gave ${r}`);
      assert.equal(r, -10, `${JSON.stringify(s)} is a suite error`);
    }
    const ok = "OCRA-1:HOTP-SHA1-6:QN08";
    // challenge errors
    for (const q of ["", "12a4", "-1", " 12", "1".repeat(257)]) assert.equal(k.ocra(ok, KEY20, { q }), -11, `QN ${JSON.stringify(q)}`);
    for (const q of ["", "0g", "12 4", "f".repeat(257)]) assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QH08", KEY20, { q }), -11, `QH ${JSON.stringify(q)}`);
    for (const q of ["", "x".repeat(129)]) assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QA08", KEY20, { q }), -11, `QA length ${q.length}`);
    // P and S lengths must match exactly
    assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QN08-PSHA1", KEY20, { q: "1", pin: new Uint8Array(19) }), -12);
    assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QN08-PSHA256", KEY20, { q: "1", pin: new Uint8Array(20) }), -12);
    assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QN08-S064", KEY20, { q: "1", session: new Uint8Array(63) }), -13);
    assert.equal(k.ocra("OCRA-1:HOTP-SHA1-6:QN08-S064", KEY20, { q: "1", session: new Uint8Array(65) }), -13);
    // truncation 0 asks for the full MAC, which otp_ocra does not return
    assert.equal(k.ocra("OCRA-1:HOTP-SHA1-0:QN08", KEY20, { q: "1" }), -14);
    // pointers outside the exchange buffer
    const a = k.ocraArgs(ok, KEY20, { q: "1" });
    assert.equal(k.x.otp_ocra(0, 23, ...a.slice(2) as [number, number, bigint, number, number, number, number, number, number, bigint, number]), -2);
    a[1] = 0xffffffff;
    assert.equal(k.x.otp_ocra(...a), -2);
    // a suite longer than 128 bytes
    assert.equal(k.ocra(ok + "-S064".repeat(30), KEY20, { q: "1" }), -10);
    assert.equal(k.device.state, "on");
    assert.equal(k.device.faults.length, 0);
  });

  test(`${k.name}: random suites agree with an independent OCRA implementation`, () => {
    const r = prng(6287);
    const hashes = ["SHA1", "SHA256", "SHA512"];
    const keyFor = (hname: string) => (hname === "SHA1" ? KEY20 : hname === "SHA256" ? KEY32 : KEY64);
    for (let i = 0; i < 200; i++) {
      const hname = hashes[r.below(3)]!;
      const digits = [4, 5, 6, 7, 8, 9, 10][r.below(7)]!;
      const fmt = "ANH"[r.below(3)]!;
      const xx = 4 + r.below(61);
      const parts: string[] = [];
      const inp: OcraInput = { q: "" };
      if (r.below(2)) { parts.push("C"); inp.counter = (BigInt(r.u32()) << 32n) | BigInt(r.u32()); }
      parts.push(`Q${fmt}${String(xx).padStart(2, "0")}`);
      const qLen = 1 + r.below(xx);
      const alphabet = fmt === "N" ? "0123456789" : fmt === "H" ? "0123456789abcdefABCDEF" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:-";
      inp.q = Array.from({ length: qLen }, () => alphabet[r.below(alphabet.length)]).join("");
      if (r.below(2)) {
        const p = hashes[r.below(3)]!;
        parts.push(`P${p}`);
        inp.pin = createHash(p.toLowerCase()).update(String(r.u32())).digest();
      }
      if (r.below(2)) {
        const n = [64, 128, 256, 512, 1 + r.below(512)][r.below(5)]!;
        parts.push(`S${String(n).padStart(3, "0")}`);
        inp.session = r.bytes(n);
      }
      if (r.below(2)) {
        const unit = "SMH"[r.below(3)]!;
        const g = unit === "H" ? r.below(49) : 1 + r.below(59);
        parts.push(`T${g}${unit}`);
        inp.time = BigInt(r.u32());
      }
      const suite = `OCRA-1:HOTP-${hname}-${digits}:${parts.join("-")}`;
      const key = r.below(4) === 0 ? r.bytes(r.below(200)) : keyFor(hname);
      assert.equal(k.ocra(suite, key, inp), refOcraDigits(suite, key, inp), `${suite} q=${inp.q}`);
    }
    // long challenges up to the field size
    for (const [fmt, q] of [["N", "9".repeat(256)], ["N", "1" + "0".repeat(255)], ["H", "f".repeat(256)], ["A", "z".repeat(128)], ["N", "0"], ["N", "0000"]] as const) {
      const suite = `OCRA-1:HOTP-SHA256-8:Q${fmt}64`;
      assert.equal(k.ocra(suite, KEY32, { q }), refOcraDigits(suite, KEY32, { q }), `${fmt} ${q.length}`);
    }
  });
}

test("harness: ocraMac returns the full MAC (truncation 0 suites)", () => {
  for (const suite of ["OCRA-1:HOTP-SHA1-0:QN08", "OCRA-1:HOTP-SHA256-0:C-QH40-PSHA1-S064-T30S", "OCRA-1:HOTP-SHA512-8:QA10-T1M"]) {
    const inp: OcraInput = { q: suite.includes("QH") ? "abc" : suite.includes("QA") ? "SIG1000000" : "12345678", counter: 7n, pin: PIN, session: new Uint8Array(64).fill(3), time: T };
    const key = suite.includes("SHA1-") ? KEY20 : suite.includes("SHA256") ? KEY32 : KEY64;
    const n = h.x.kat_ocra_mac(...h.ocraArgs(suite, key, inp));
    assert.ok(n > 0);
    assert.equal(hex(h.out(n)), refOcra(suite, key, inp).mac.toString("hex"), suite);
  }
  assert.equal(h.ocra("OCRA-1:HOTP-SHA512-8:QA10-T1M", KEY64, { q: "SIG1000000", time: T }), "77537423");
});
