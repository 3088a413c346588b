#!/usr/bin/env node
// Long fuzzing runs of the firmware's input parsers and the SDK's verification (images built by
// `node scripts/bootstrap.mjs test`). Each target is a vitest test file run with a larger iteration count (and a seed).
//   node scripts/fuzz.mjs <target> [iterations] [seed]
// targets: uart (service frames), ctaphid (HID reports), ctap2 (CTAP2 requests), pin (clientPIN),
//          u2f (APDUs), u2f-kh (authenticate with chip-minted key handles), cbor (the CBOR decoder), auth (past the MAC: setPIN, changePIN, tokens,
//          hmac-secret salts, credentialManagement; `auth:<setpin|pin|hmac|cm>` for one), verify (the SDK's FIDO
//          verification: assertions, registrations, CBOR, COSE, certificates; host-sdk/test/fido-fuzz.ts),
//          update (the update receiver past the signature: headers signed with the test maker keys), all
// Exits non-zero on any trap, unexpected status or failed invariant (the test's own checks).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VITEST = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));

const TARGETS = {
  uart: { file: "uart-fuzz.test.ts", count: "SEGL_FUZZ_FRAMES" },
  ctaphid: { file: "ctaphid.test.ts", count: "SEGL_FUZZ_REPORTS", only: "CTAPHID fuzzer" },
  ctap2: { file: "ctap2-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED" },
  pin: { file: "pin-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED" },
  u2f: { file: "u2f-apdu.test.ts", count: "SEGL_FUZZ_ITERATIONS", only: "U2F fuzz" },
  "u2f-kh": { file: "u2f-apdu.test.ts", count: "SEGL_FUZZ_ITERATIONS", only: "U2F key-handle fuzz" },
  cbor: { file: "cbor-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED" },
  auth: { file: "auth-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED" },
  verify: { file: "fido-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED", dir: "host-sdk" },
  update: { file: "update-fuzz.test.ts", count: "SEGL_FUZZ_ITERATIONS", seed: "SEGL_FUZZ_SEED" },
};
for (const t of ["setpin", "pin", "hmac", "cm"]) TARGETS[`auth:${t}`] = { ...TARGETS.auth, target: t };
const [target = "", iterations = "1000000", seed = String(Math.floor(Math.random() * 2 ** 31))] = process.argv.slice(2);
const chosen = target === "all" ? Object.keys(TARGETS).filter((t) => !t.includes(":")) : [target];
if (!chosen.every((t) => t in TARGETS)) {
  console.error(`usage: node scripts/fuzz.mjs <${Object.keys(TARGETS).join("|")}|all> [iterations] [seed]`);
  process.exit(2);
}
let failed = 0;
for (const t of chosen) {
  const spec = TARGETS[t];
  const env = { ...process.env, [spec.count]: iterations };
  if (spec.seed) env[spec.seed] = seed;
  if (spec.target) env.SEGL_FUZZ_TARGET = spec.target;
  const dir = spec.dir ?? "firmware";
  const args = [VITEST, "run", "--project", dir, `${dir}/test/${spec.file}`, ...(spec.only ? ["-t", spec.only] : [])];
  console.error(`fuzz ${t}: ${iterations} inputs${spec.seed ? `, seed ${seed}` : ""}`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
