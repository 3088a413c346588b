// PSKC (RFC 6030) files: keys per second written and read by the SDK (AES-128-CBC + HMAC-SHA256,
// pre-shared key, the MAC checked before each decryption), against Debian's python3-pskc on the
// same files (its time measured inside Python, around parsing and reading every secret).
// Run: node bench/pskc.mjs   (after `npx tsc -b host-sdk`; python3-pskc for the comparison)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportPskc, importPskc } from "@segl/host-sdk/pskc";

const N = Number(process.env.BENCH_PSKC_KEYS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const psk = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
const keys = Array.from({ length: N }, (_, i) => ({
  id: `SGL-${String(i).padStart(6, "0")}`, kind: "totp", secret: Buffer.alloc(20, i & 0xff), manufacturer: "Segl",
  serial: `SGL-${String(i).padStart(6, "0")}`, model: "code-display", algorithm: "SHA1", digits: 6, period: 30,
}));
const protection = { kind: "psk", key: psk, keyName: "bench" };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn) {
  fn(); // warm-up
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) { const t = performance.now(); fn(); ms.push(performance.now() - t); }
  return median(ms);
}

let xml = "";
const exportMs = time(() => { xml = exportPskc(keys, { protection }); });
const importMs = time(() => {
  const r = importPskc(xml, { psk });
  if (r.keys.length !== N || !r.keys.every((k) => k.ok)) throw new Error("import lost keys");
});
const pwMs = time(() => importPskc(exportPskc(keys.slice(0, 1), { protection: { kind: "password", password: "pw" } }), { password: "pw" }));

const dir = mkdtempSync(join(tmpdir(), "segl-bench-pskc-"));
let py;
try {
  const file = join(dir, "bench.pskcxml");
  writeFileSync(file, xml);
  const script = `
import sys, time, pskc
best = []
for r in range(${ROUNDS}):
    t = time.perf_counter()
    p = pskc.PSKC(sys.argv[1]); p.encryption.key = bytes.fromhex(sys.argv[2])
    n = sum(1 for k in p.keys if k.secret)
    best.append((time.perf_counter() - t) * 1000)
    assert n == ${N}
q = pskc.PSKC()
for i in range(${N}):
    q.add_key(id="K%d" % i, serial="S%d" % i, secret=bytes(20), algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp", response_length=6)
q.encryption.setup_preshared_key(key=bytes.fromhex(sys.argv[2])); q.mac.setup(algorithm="hmac-sha256")
w = []
for r in range(${ROUNDS}):
    t = time.perf_counter(); q.write(sys.argv[1] + ".out"); w.append((time.perf_counter() - t) * 1000)
best.sort(); w.sort()
print(best[len(best)//2], w[len(w)//2])
`;
  for (const python of [process.env.SEGL_PYTHON, "python3", "/usr/bin/python3"].filter(Boolean)) {
    const r = spawnSync(python, ["-c", script, file, psk.toString("hex")], { encoding: "utf8", timeout: 600_000 });
    if (r.status === 0) { const [read, write] = r.stdout.trim().split(" ").map(Number); py = { read, write }; break; }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const rate = (ms) => Math.round((N * 1000) / ms).toLocaleString("en-US");
console.log(`\n## PSKC files (${N.toLocaleString("en-US")} TOTP keys, ${(xml.length / 1e6).toFixed(1)} MB, pre-shared key; median of ${ROUNDS})\n`);
console.log("| operation | SDK keys/s | python-pskc keys/s | ratio SDK / python-pskc |");
console.log("|---|---:|---:|---:|");
console.log(`| export (encrypt + MAC + XML) | ${rate(exportMs)} | ${py ? rate(py.write) : "n/a"} | ${py ? (py.write / exportMs).toFixed(2) + "×" : "n/a"} |`);
console.log(`| import (parse + MAC check + decrypt) | ${rate(importMs)} | ${py ? rate(py.read) : "n/a"} | ${py ? (py.read / importMs).toFixed(2) + "×" : "n/a"} |`);
console.log(`\nA password-protected file adds one PBKDF2 (100,000 iterations, HMAC-SHA256) on each side: export + import of one key ${pwMs.toFixed(0)} ms.`);
if (!py) console.log("(python3-pskc not found: no comparison; `apt-get install python3-pskc`)");
