// PSKC files checked both ways with an independent implementation: Debian's python3-pskc.
import { test, describe, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportPskc, importPskc, type PskcKey } from "../src/pskc/index.js";
import { findPython, requireTools } from "../../scripts/system-deps.mjs";

let dir = "";
let python = "";
beforeAll(() => {
  requireTools("python3-pskc");
  python = findPython(["pskc"])!.python;
  dir = mkdtempSync(join(tmpdir(), "segl-pskc-"));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function py(script: string, args: string[]): string {
  const r = spawnSync(python, ["-c", script, ...args], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `python-pskc failed: ${r.stderr}`);
  return r.stdout;
}

/** python-pskc reads a file (with a hex key or a password) and prints what it found, as JSON. */
const READ = `
import json, sys, pskc
p = pskc.PSKC(sys.argv[1])
if sys.argv[2] == "psk": p.encryption.key = bytes.fromhex(sys.argv[3])
else: p.encryption.derive_key(sys.argv[3])
print(json.dumps([dict(id=k.id, serial=k.serial, manufacturer=k.manufacturer, model=k.model, algorithm=k.algorithm,
  suite=k.algorithm_suite, digits=k.response_length, encoding=k.response_encoding, secret=k.secret.hex(), counter=k.counter,
  period=k.time_interval, t0=k.time_offset, drift=k.time_drift, mac=p.mac.algorithm, enc=p.encryption.algorithm) for k in p.keys]))
`;

/** python-pskc writes a file: a TOTP and a HOTP key, under a hex key (MAC hmac-sha256) or a password. */
const WRITE = `
import sys, pskc
p = pskc.PSKC()
p.add_key(id="PY-T1", serial="PY-0001", manufacturer="Python", model="code-display", secret=bytes.fromhex("3132333435363738393031323334353637383930"),
  algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp", response_length=6, response_encoding="DECIMAL", time_interval=30, time_drift=-1, algorithm_suite="HMAC-SHA1")
p.add_key(id="PY-H1", serial="PY-0002", manufacturer="Python", secret=bytes(range(32)),
  algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp", response_length=8, response_encoding="DECIMAL", counter=7, algorithm_suite="HMAC-SHA256")
if sys.argv[2] == "psk":
  p.encryption.setup_preshared_key(key=bytes.fromhex(sys.argv[3]), key_name="factory")
  p.mac.setup(algorithm="hmac-sha256")
else:
  p.encryption.setup_pbkdf2(sys.argv[3], iterations=2000)
p.write(sys.argv[1])
`;

const PSK = "000102030405060708090a0b0c0d0e0f";
const ours: PskcKey[] = [
  { id: "SGL-000001", kind: "totp", secret: Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i), manufacturer: "Segl", serial: "SGL-000001", model: "code-display", algorithm: "SHA1", digits: 6, period: 30, driftSteps: 2 },
  { id: "SGL-000002", kind: "totp", secret: Uint8Array.from({ length: 32 }, (_, i) => i * 3), manufacturer: "Segl", serial: "SGL-000002", algorithm: "SHA256", digits: 8, period: 60 },
  { id: "SGL-H-1", kind: "hotp", secret: Uint8Array.from({ length: 20 }, (_, i) => 255 - i), manufacturer: "Segl", serial: "SGL-H-1", algorithm: "SHA1", digits: 6, counter: 99 },
];

describe("python-pskc reads our files", () => {
  for (const [mode, protection, secret] of [
    ["psk", { kind: "psk", key: Buffer.from(PSK, "hex"), keyName: "factory-2026" }, PSK],
    ["password", { kind: "password", password: "correct horse battery", iterations: 2000 }, "correct horse battery"],
  ] as const) {
    test(`${mode}: every secret, serial and parameter as we wrote them; MAC hmac-sha256, AES-128-CBC`, () => {
      const file = join(dir, `ours-${mode}.pskcxml`);
      writeFileSync(file, exportPskc(ours, { protection }));
      const got = JSON.parse(py(READ, [file, mode, secret])) as Record<string, unknown>[];
      assert.deepEqual(got, ours.map((k) => ({
        id: k.id, serial: k.serial, manufacturer: k.manufacturer, model: k.model ?? null,
        algorithm: `urn:ietf:params:xml:ns:keyprov:pskc:${k.kind}`, suite: `HMAC-${k.algorithm}`, digits: k.digits, encoding: "DECIMAL",
        secret: Buffer.from(k.secret).toString("hex"), counter: k.kind === "hotp" ? k.counter : null,
        period: k.period ?? null, t0: null, drift: k.driftSteps ?? null,
        mac: "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256", enc: "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
      })));
    });
  }

  test("python-pskc refuses our file with a tampered ValueMAC (it checks the MAC too)", () => {
    const file = join(dir, "ours-tampered.pskcxml");
    writeFileSync(file, exportPskc(ours.slice(0, 1), { protection: { kind: "psk", key: Buffer.from(PSK, "hex"), keyName: "k" } }).replace(/<ValueMAC>./, (m) => `<ValueMAC>${m.endsWith("A") ? "B" : "A"}`));
    const r = spawnSync(python, ["-c", READ, file, "psk", PSK], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /DecryptionError|MAC/);
  });
});

describe("we read python-pskc's files", () => {
  const expectKeys = (r: ReturnType<typeof importPskc>) => {
    assert.deepEqual(r.keys.map((k) => (k.ok ? { ...k.key, secret: Buffer.from(k.key.secret).toString("hex") } : k.reason)), [
      { id: "PY-T1", kind: "totp", secret: "3132333435363738393031323334353637383930", manufacturer: "Python", serial: "PY-0001", model: "code-display", algorithm: "SHA1", digits: 6, period: 30, driftSteps: -1 },
      { id: "PY-H1", kind: "hotp", secret: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("hex"), manufacturer: "Python", serial: "PY-0002", algorithm: "SHA256", digits: 8, counter: 7 },
    ]);
  };

  test("pre-shared key, MAC hmac-sha256", () => {
    const file = join(dir, "py-psk.pskcxml");
    py(WRITE, [file, "psk", PSK]);
    const r = importPskc(readFileSync(file), { psk: Buffer.from(PSK, "hex") });
    assert.equal(r.protection, "psk");
    assert.equal(r.keyName, "factory");
    expectKeys(r);
  });

  test("PBKDF2 password (python-pskc's defaults: PRF HMAC-SHA1, MAC hmac-sha1)", () => {
    const file = join(dir, "py-pbkdf2.pskcxml");
    py(WRITE, [file, "password", "qwerty"]);
    const r = importPskc(readFileSync(file, "utf8"), { password: "qwerty" });
    assert.equal(r.protection, "password");
    expectKeys(r);
    assert.throws(() => importPskc(readFileSync(file), { password: "qwertz" }), (e: unknown) => (e as { code?: string }).code === "PSKC_WRONG_KEY");
  });
});
