// Mutated PSKC files: the importer answers with a SeglError or a per-key report, never a raw
// exception; and whatever it does import is exactly a key that was exported (nothing altered passes).
import { test } from "vitest";
import assert from "node:assert/strict";
import { exportPskc, importPskc, type PskcKey } from "../src/pskc/index.js";
import { SeglError } from "../src/errors.js";

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

const psk = Uint8Array.from(Buffer.from("8899aabbccddeeff0011223344556677", "hex"));
const keys: PskcKey[] = Array.from({ length: 4 }, (_, i) => ({
  id: `F-${i}`, kind: i === 3 ? "hotp" : "totp", secret: Uint8Array.from({ length: 20 }, (_, j) => i * 31 + j), manufacturer: "Segl",
  serial: `F-${i}`, algorithm: "SHA1", digits: 6, ...(i === 3 ? { counter: 5 } : { period: 30 }),
}));
/** RFC 6030's ValueMAC covers the secret only (ids, serials and parameters are not authenticated): what
 * must hold is that every imported secret is one of the exported ones, byte for byte. */
const exported = new Set(keys.map((k) => Buffer.from(k.secret).toString("hex")));

test("5,000 mutated files: only SeglErrors or per-key reports; every imported secret is one that was exported", () => {
  const base = exportPskc(keys, { protection: { kind: "psk", key: psk, keyName: "fuzz" } });
  const rnd = xorshift(0x5e91);
  const alphabet = `<>/="'&;#:xX01Aa+ \n`;
  const counts = { thrown: 0, reports: 0, imported: 0 };
  for (let n = 0; n < 5000; n++) {
    let s = base;
    const edits = 1 + (rnd() % 3);
    for (let e = 0; e < edits; e++) {
      const at = rnd() % s.length;
      switch (rnd() % 5) {
        case 0: s = s.slice(0, at) + alphabet[rnd() % alphabet.length] + s.slice(at + 1); break;
        case 1: s = s.slice(0, at) + s.slice(at + 1 + (rnd() % 40)); break;
        case 2: { const len = rnd() % 80; s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); break; }
        case 3: s = s.slice(0, at); break;
        default: { // flip a character inside a base64 value, where a MAC must catch it
          const m = [...s.matchAll(/<(?:xenc:CipherValue|ValueMAC)>([^<]+)</g)];
          const hit = m[rnd() % Math.max(1, m.length)];
          if (hit?.index !== undefined) {
            const p = hit.index + hit[0].indexOf(">") + 1 + (rnd() % hit[1]!.length);
            s = s.slice(0, p) + (s[p] === "A" ? "B" : "A") + s.slice(p + 1);
          }
        }
      }
    }
    try {
      const r = importPskc(s, { psk });
      counts.reports++;
      for (const k of r.keys) {
        if (!k.ok) continue;
        counts.imported++;
        assert.ok(exported.has(Buffer.from(k.key.secret).toString("hex")), `mutation ${n}: an imported secret differs from every exported one`);
      }
    } catch (e) {
      assert.ok(e instanceof SeglError, `mutation ${n}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      counts.thrown++;
    }
  }
  assert.ok(counts.thrown > 0 && counts.reports > 0 && counts.imported > 0, JSON.stringify(counts));
});
