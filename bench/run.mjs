#!/usr/bin/env node
// Runs every benchmark in its own process (so one's JIT state does not colour another's).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
const only = process.argv[2];
for (const b of ["totp.mjs", "web.mjs", "p256.mjs", "ctap.mjs", "fido-verify.mjs", "otp-verify.mjs", "pg-verify.mjs", "fido-store.mjs", "serve-http.mjs", "pskc.mjs", "fuzz.mjs", "crc.mjs", "update.mjs", "update-dfu.mjs", "voice-pack.mjs", "audio.mjs"]) {
  if (only && !b.startsWith(only)) continue;
  const path = new URL(b, import.meta.url);
  if (!existsSync(path)) continue;
  const r = spawnSync(process.execPath, ["--expose-gc", path.pathname], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
