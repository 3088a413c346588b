// The CTAP status tables of the firmware and the SDK are generated from one transcription of the
// spec's table, and the values that hobby firmware often gets wrong are right.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CTAP_STATUS_NAMES, ctapStatusName } from "../src/ctap-status.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("generated status tables are in sync with docs/ctap-status-codes.md", () => {
  const r = spawnSync(process.execPath, ["scripts/gen-ctap-status.mjs", "--check"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("status values from the CTAP 2.1 table", () => {
  const expect: Record<number, string> = {
    0x00: "CTAP2_OK", 0x12: "CTAP2_ERR_INVALID_CBOR", 0x14: "CTAP2_ERR_MISSING_PARAMETER", 0x19: "CTAP2_ERR_CREDENTIAL_EXCLUDED",
    0x26: "CTAP2_ERR_UNSUPPORTED_ALGORITHM", 0x27: "CTAP2_ERR_OPERATION_DENIED", 0x2b: "CTAP2_ERR_UNSUPPORTED_OPTION",
    0x2c: "CTAP2_ERR_INVALID_OPTION", 0x2d: "CTAP2_ERR_KEEPALIVE_CANCEL", 0x2e: "CTAP2_ERR_NO_CREDENTIALS",
    0x2f: "CTAP2_ERR_USER_ACTION_TIMEOUT", 0x30: "CTAP2_ERR_NOT_ALLOWED", 0x31: "CTAP2_ERR_PIN_INVALID", 0x32: "CTAP2_ERR_PIN_BLOCKED",
    0x33: "CTAP2_ERR_PIN_AUTH_INVALID", 0x34: "CTAP2_ERR_PIN_AUTH_BLOCKED", 0x35: "CTAP2_ERR_PIN_NOT_SET", 0x36: "CTAP2_ERR_PUAT_REQUIRED",
    0x37: "CTAP2_ERR_PIN_POLICY_VIOLATION", 0x39: "CTAP2_ERR_REQUEST_TOO_LARGE", 0x3a: "CTAP2_ERR_ACTION_TIMEOUT", 0x3b: "CTAP2_ERR_UP_REQUIRED",
    0x3e: "CTAP2_ERR_INVALID_SUBCOMMAND", 0x40: "CTAP2_ERR_UNAUTHORIZED_PERMISSION", 0x7f: "CTAP1_ERR_OTHER",
  };
  for (const [code, name] of Object.entries(expect)) assert.equal(CTAP_STATUS_NAMES[Number(code)], name, `0x${Number(code).toString(16)}`);
  assert.equal(ctapStatusName(0xee), "CTAP_STATUS_0xee");
  // The firmware's constants carry the same values.
  const fw = readFileSync(`${root}firmware/assembly/fido/status.ts`, "utf8");
  for (const [code, name] of Object.entries(CTAP_STATUS_NAMES)) {
    assert.match(fw, new RegExp(`export const ${name}: u8 = 0x${Number(code).toString(16).padStart(2, "0")};`));
  }
});
