// PSKC (RFC 6030): the RFC's own figures, our export read back, tampering, wrong keys, malformed XML.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHmac, createDecipheriv, pbkdf2Sync } from "node:crypto";
import { exportPskc, importPskc, type PskcKey } from "../src/pskc/index.js";
import { isSeglError } from "../src/errors.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const RFC_PSK = hex("12345678901234567890123456789012");
/** RFC 4226's seed "12345678901234567890" (ASCII), the secret in both figures. */
const RFC_SECRET = "3132333435363738393031323334353637383930";

/** A deterministic random source: bytes 0,1,2,… (tests only). */
function counterRandom(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => Uint8Array.from({ length: n }, () => i++ & 0xff);
}

const keyOf = (r: ReturnType<typeof importPskc>, i = 0): PskcKey => {
  const k = r.keys[i];
  assert.ok(k?.ok, `key ${i} refused: ${k && !k.ok ? `${k.reason} ${k.message}` : "missing"}`);
  return k.key;
};

function keys(n: number): PskcKey[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `SGL-${String(i).padStart(6, "0")}`, kind: "totp" as const, secret: Uint8Array.from({ length: 20 }, (_, j) => (i * 7 + j) & 0xff),
    manufacturer: "Segl", serial: `SGL-${String(i).padStart(6, "0")}`, model: "code-display", algorithm: "SHA1" as const, digits: 6, period: 30, t0: 0, driftSteps: i % 3 - 1,
  }));
}

describe("RFC 6030 figures", () => {
  test("Figure 6 (§6.1, pre-shared AES-128-CBC key, HMAC-SHA1): secret, MAC key and ValueMAC as published", () => {
    const xml = fixture("rfc6030-figure6.pskcxml");
    const r = importPskc(xml, { psk: RFC_PSK });
    assert.equal(r.protection, "psk");
    assert.equal(r.keyName, "Pre-shared-key");
    const k = keyOf(r);
    assert.equal(Buffer.from(k.secret).toString("hex"), RFC_SECRET);
    assert.deepEqual({ id: k.id, serial: k.serial, kind: k.kind, digits: k.digits, counter: k.counter, manufacturer: k.manufacturer, issuer: k.issuer },
      { id: "12345678", serial: "987654321", kind: "hotp", digits: 8, counter: 0, manufacturer: "Manufacturer", issuer: "Issuer" });
    // The published intermediate values, computed independently of the importer:
    const macKeyCipher = Buffer.from("ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX", "base64");
    const d = createDecipheriv("aes-128-cbc", RFC_PSK, macKeyCipher.subarray(0, 16));
    const macKey = Buffer.concat([d.update(macKeyCipher.subarray(16)), d.final()]);
    assert.equal(macKey.toString("hex"), "1122334455667788990011223344556677889900");
    const secretCipher = Buffer.from("AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv", "base64");
    assert.equal(secretCipher.subarray(0, 16).toString("hex"), "000102030405060708090a0b0c0d0e0f"); // the IV, prepended
    assert.equal(createHmac("sha1", macKey).update(secretCipher).digest("base64"), "Su+NvtQfmvfJzF6bmQiJqoLRExc=");
  });

  test("Figure 7 (§6.2, PBKDF2 from 'qwerty'): derived key, secret and ValueMAC as published", () => {
    const xml = fixture("rfc6030-figure7.pskcxml");
    assert.equal(pbkdf2Sync("qwerty", Buffer.from("Ej7/PEpyEpw=", "base64"), 1000, 16, "sha1").toString("hex"), "651e63cd57008476af1ff6422cd02e41");
    const r = importPskc(xml, { password: "qwerty" });
    assert.equal(r.protection, "password");
    assert.equal(r.keyName, "My Password 1");
    const k = keyOf(r);
    assert.equal(Buffer.from(k.secret).toString("hex"), RFC_SECRET);
    assert.deepEqual({ id: k.id, serial: k.serial, kind: k.kind, digits: k.digits, manufacturer: k.manufacturer }, { id: "123456", serial: "987654321", kind: "hotp", digits: 8, manufacturer: "TokenVendorAcme" });
  });

  test("Figure 7 with a wrong password: PSKC_WRONG_KEY, nothing imported", () => {
    assert.throws(() => importPskc(fixture("rfc6030-figure7.pskcxml"), { password: "qwertz" }), (e) => isSeglError(e, "PSKC_WRONG_KEY"));
  });

  test("Figure 6 with a wrong pre-shared key: PSKC_WRONG_KEY", () => {
    const wrong = Uint8Array.from(RFC_PSK); wrong[0] ^= 1;
    assert.throws(() => importPskc(fixture("rfc6030-figure6.pskcxml"), { psk: wrong }), (e) => isSeglError(e, "PSKC_WRONG_KEY"));
  });

  test("a file that needs a key or a password says which when neither is given", () => {
    assert.throws(() => importPskc(fixture("rfc6030-figure6.pskcxml")), (e) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.field === "psk");
    assert.throws(() => importPskc(fixture("rfc6030-figure7.pskcxml")), (e) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.field === "password");
  });
});

describe("export", () => {
  const psk = hex("000102030405060708090a0b0c0d0e0f");

  test("pre-shared key: AES-128-CBC with the IV prepended, HMAC-SHA256 over IV‖ciphertext, MAC key encrypted under the transport key", () => {
    const xml = exportPskc(keys(1), { protection: { kind: "psk", key: psk, keyName: "factory-2026" }, random: counterRandom() });
    assert.match(xml, /<MACMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#hmac-sha256">/);
    assert.match(xml, /Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"/);
    assert.match(xml, /<ds:KeyName>factory-2026<\/ds:KeyName>/);
    const values = [...xml.matchAll(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/g)].map((m) => Buffer.from(m[1]!, "base64"));
    assert.equal(values.length, 2);
    const dec = (c: Buffer) => { const d = createDecipheriv("aes-128-cbc", psk, c.subarray(0, 16)); return Buffer.concat([d.update(c.subarray(16)), d.final()]); };
    const macKey = dec(values[0]!);
    // counterRandom: MAC key = bytes 0..31, then its IV 32..47, then the secret's IV 48..63.
    assert.equal(macKey.toString("hex"), Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("hex"));
    assert.equal(values[0]!.subarray(0, 16).toString("hex"), Buffer.from(Array.from({ length: 16 }, (_, i) => 32 + i)).toString("hex"));
    assert.equal(values[1]!.subarray(0, 16).toString("hex"), Buffer.from(Array.from({ length: 16 }, (_, i) => 48 + i)).toString("hex"));
    assert.deepEqual(Uint8Array.from(dec(values[1]!)), keys(1)[0]!.secret);
    const mac = /<ValueMAC>([^<]+)<\/ValueMAC>/.exec(xml)![1];
    assert.equal(mac, createHmac("sha256", macKey).update(values[1]!).digest("base64"));
  });

  test("round trip: every field of TOTP and HOTP keys survives, under a key and under a password", () => {
    const ks: PskcKey[] = [...keys(3), { id: "H1", kind: "hotp", secret: hex("00ff00ff00ff00ff00ff00ff00ff00ff"), manufacturer: "Segl & Co <test>", serial: "H-1", algorithm: "SHA256", digits: 8, counter: 42, issuer: "Broker \"A\"" }];
    for (const [protection, opts] of [
      [{ kind: "psk", key: psk, keyName: "k" }, { psk }],
      [{ kind: "password", password: "correct horse", iterations: 1000 }, { password: "correct horse" }],
    ] as const) {
      const r = importPskc(exportPskc(ks, { protection }), opts);
      assert.equal(r.keys.length, ks.length);
      r.keys.forEach((rep, i) => {
        assert.ok(rep.ok);
        const want = ks[i]!;
        assert.deepEqual({ ...rep.key, secret: Buffer.from(rep.key.secret).toString("hex") }, { ...want, secret: Buffer.from(want.secret).toString("hex") });
      });
    }
  });

  test("bad arguments are INVALID_ARGUMENT naming the field", () => {
    assert.throws(() => exportPskc(keys(1), { protection: { kind: "psk", key: new Uint8Array(15), keyName: "k" } }), (e) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.field === "protection.key");
    assert.throws(() => exportPskc([{ ...keys(1)[0]!, digits: 4 }], { protection: { kind: "psk", key: psk, keyName: "k" } }), (e) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.field === "keys[0].digits");
    assert.throws(() => exportPskc([...keys(1), ...keys(1)], { protection: { kind: "psk", key: psk, keyName: "k" } }), (e) => isSeglError(e, "INVALID_ARGUMENT") && e.details?.field === "keys");
    assert.throws(() => exportPskc(keys(1), { protection: { kind: "password", password: "pw", iterations: 10 } }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  });
});

describe("import: tampering and malformed input", () => {
  const psk = hex("000102030405060708090a0b0c0d0e0f");
  const file = () => exportPskc(keys(3), { protection: { kind: "psk", key: psk, keyName: "k" } });

  test("a tampered ValueMAC refuses that key only (MAC_MISMATCH, no secret); the others import", () => {
    const xml = file();
    let n = 0;
    const tampered = xml.replace(/<ValueMAC>([A-Za-z0-9+/])/g, (m, c: string) => (n++ === 1 ? `<ValueMAC>${c === "A" ? "B" : "A"}` : m));
    const r = importPskc(tampered, { psk });
    assert.deepEqual(r.keys.map((k) => (k.ok ? "ok" : k.reason)), ["ok", "MAC_MISMATCH", "ok"]);
    assert.equal(r.keys[1]!.id, "SGL-000001");
    assert.equal(r.keys[1]!.serial, "SGL-000001");
    assert.equal("key" in r.keys[1]!, false);
  });

  test("a tampered ciphertext fails the MAC (checked before decryption), never a padding error", () => {
    const xml = file();
    let n = 0;
    const tampered = xml.replace(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/g, (m, v: string) => {
      if (n++ !== 1) return m;
      const b = Buffer.from(v, "base64"); b[b.length - 1]! ^= 0x5a; // the last block: breaks the padding if decrypted
      return `<xenc:CipherValue>${b.toString("base64")}</xenc:CipherValue>`;
    });
    const r = importPskc(tampered, { psk });
    assert.deepEqual(r.keys.map((k) => (k.ok ? "ok" : k.reason)), ["MAC_MISMATCH", "ok", "ok"]);
  });

  test("an altered MAC key and a wrong key give the same answer (no padding oracle on the MAC key)", () => {
    const xml = file();
    const altered = xml.replace(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/, (_m, v: string) => {
      const b = Buffer.from(v, "base64"); b[20]! ^= 1; return `<xenc:CipherValue>${b.toString("base64")}</xenc:CipherValue>`;
    });
    assert.throws(() => importPskc(altered, { psk }), (e) => isSeglError(e, "PSKC_WRONG_KEY"));
    assert.throws(() => importPskc(xml, { psk: new Uint8Array(16) }), (e) => isSeglError(e, "PSKC_WRONG_KEY"));
  });

  test("a wrong key is PSKC_WRONG_KEY even when another key fails earlier for another reason", () => {
    // Find a wrong key under which the MAC key happens to decrypt (valid padding by chance): then
    // every MAC fails, and the one key refused for its algorithm must not turn this into a per-key report.
    const xml = file().replace('Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"', 'Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:pin"');
    const macKeyCipher = Buffer.from(/<xenc:CipherValue>([^<]+)</.exec(xml)![1]!, "base64");
    let wrong: Buffer | undefined;
    for (let i = 1; i < 100_000 && !wrong; i++) {
      const k = Buffer.alloc(16); k.writeUInt32BE(i, 12);
      try {
        const d = createDecipheriv("aes-128-cbc", k, macKeyCipher.subarray(0, 16));
        Buffer.concat([d.update(macKeyCipher.subarray(16)), d.final()]);
        wrong = k;
      } catch { /* bad padding: try the next */ }
    }
    assert.ok(wrong, "a key with valid padding by chance");
    assert.throws(() => importPskc(xml, { psk: wrong }), (e) => isSeglError(e, "PSKC_WRONG_KEY"));
  });

  test("a missing ValueMAC and a plaintext secret are refused per key", () => {
    const xml = file().replace(/<ValueMAC>[^<]+<\/ValueMAC>/, "");
    const r = importPskc(xml, { psk });
    assert.deepEqual(r.keys.map((k) => (k.ok ? "ok" : k.reason)), ["MAC_MISSING", "ok", "ok"]);
    const plain = `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><DeviceInfo><SerialNo>P1</SerialNo></DeviceInfo><Key Id="P1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage></KeyContainer>`;
    const refused = importPskc(plain).keys[0]!;
    assert.equal(refused.ok ? "ok" : refused.reason, "PLAINTEXT_SECRET");
    const allowed = importPskc(plain, { allowPlaintext: true }).keys[0]!;
    assert.ok(allowed.ok);
    assert.equal(Buffer.from(allowed.key.secret).toString("hex"), RFC_SECRET);
    assert.equal(allowed.key.period, 30);
  });

  test("an unsupported algorithm or encoding in one key is reported for that key", () => {
    const xml = file().replace('Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"', 'Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:pin"').replace(/Encoding="DECIMAL"(?![\s\S]*Encoding="DECIMAL"[\s\S]*Encoding)/, 'Encoding="HEXADECIMAL"');
    const r = importPskc(xml, { psk });
    assert.deepEqual(r.keys.map((k) => (k.ok ? "ok" : k.reason)), ["UNSUPPORTED", "UNSUPPORTED", "ok"]);
  });

  const malformedCases: [string, (xml: string) => string][] = [
    ["truncated", (x) => x.slice(0, Math.floor(x.length / 2))],
    ["not XML", () => "this is not xml"],
    ["empty", () => ""],
    ["a DOCTYPE with an entity (billion laughs)", (x) => x.replace("<KeyContainer", '<!DOCTYPE KeyContainer [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n<KeyContainer')],
    ["an undefined entity", (x) => x.replace("<SerialNo>SGL-000000", "<SerialNo>&xxe;")],
    ["an undeclared prefix", (x) => x.replace("<ds:KeyName>k</ds:KeyName>", "<zz:KeyName>k</zz:KeyName>")],
    ["the wrong root element", (x) => x.replace(/KeyContainer/g, "KeyBox")],
    ["the wrong namespace", (x) => x.replace('xmlns="urn:ietf:params:xml:ns:keyprov:pskc"', 'xmlns="urn:example"')],
    ["Version 2.0", (x) => x.replace('Version="1.0"', 'Version="2.0"')],
    ["a non-UTF-8 declaration", (x) => x.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')],
    ["a MAC key that is not base64", (x) => x.replace(/<xenc:CipherValue>[^<]+/, "<xenc:CipherValue>@@@@")],
  ];
  for (const [name, mutate] of malformedCases) {
    test(`malformed: ${name} → PSKC_MALFORMED`, () => {
      assert.throws(() => importPskc(mutate(file()), { psk }), (e) => isSeglError(e, "PSKC_MALFORMED"));
    });
  }

  test("size caps: a document over maxBytes and more keys than maxKeys are refused", () => {
    assert.throws(() => importPskc(file(), { psk, maxBytes: 1000 }), (e) => isSeglError(e, "PSKC_MALFORMED") && e.details?.maxBytes === 1000);
    assert.throws(() => importPskc(Buffer.from(file()), { psk, maxBytes: 1000 }), (e) => isSeglError(e, "PSKC_MALFORMED"));
    assert.throws(() => importPskc(file(), { psk, maxKeys: 2 }), (e) => isSeglError(e, "PSKC_MALFORMED") && e.details?.maxKeys === 2);
    assert.throws(() => importPskc(Uint8Array.from([0x3c, 0xff, 0xfe]), { psk }), (e) => isSeglError(e, "PSKC_MALFORMED"));
  });

  test("an unsupported encryption algorithm or a huge PBKDF2 iteration count is UNSUPPORTED", () => {
    assert.throws(() => importPskc(file().replace(/aes128-cbc/g, "aes256-cbc"), { psk }), (e) => isSeglError(e, "UNSUPPORTED"));
    const pw = exportPskc(keys(1), { protection: { kind: "password", password: "pw", iterations: 1000 } });
    assert.throws(() => importPskc(pw.replace("<IterationCount>1000<", "<IterationCount>999999999<"), { password: "pw" }), (e) => isSeglError(e, "UNSUPPORTED"));
  });
});
