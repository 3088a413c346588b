#!/usr/bin/env node
// Hand-made mutants of the firmware's security paths: each is a textual patch of firmware/assembly
// that a real bug could look like. For each one this script patches a temporary copy of the
// repository, rebuilds the images the relevant tests load, runs those tests (vitest) and reports
// whether they noticed (caught) or not (survived). Not part of `npm test`: `npm run mutation:firmware`.
//
//   node scripts/firmware-mutants.mjs              all mutants
//   node scripts/firmware-mutants.mjs --list       the mutants, no run
//   node scripts/firmware-mutants.mjs pin-         only mutants whose id contains "pin-"
//
// The firmware changes often: every patch names a small snippet that must occur exactly once in its
// file. When it does not, the mutant is reported as "pattern not found" (or "pattern ambiguous") and
// the run exits 1 — never counted as caught. Results: stdout and reports/firmware-mutants.json.
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync, symlinkSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const A = "firmware/assembly/";

const PIN_TESTS = ["firmware/test/pin-retries", "firmware/test/pin-protocol", "firmware/test/ctap2-pin", "firmware/test/ctap2-powercut-pin-reset", "host-sdk/test/ctap-device"];
const HID_TESTS = ["firmware/test/ctaphid", "firmware/test/chip-up", "firmware/test/u2f-interop", "host-sdk/test/ctap-device"];
const STORE_TESTS = ["firmware/test/storage-", "firmware/test/powercut", "firmware/test/ctap2-powercut"];
const SERVICE_TESTS = ["firmware/test/service", "firmware/test/powercut", "host-sdk/test/service-device", "hardware-tests/test/code-display"];
const SIG_TESTS = ["firmware/test/p256-ecdsa", "firmware/test/ctap2-attestation", "firmware/test/ctap2-core", "firmware/test/u2f-apdu", "host-sdk/test/ctap-device", "hardware-tests/test/chip-broker"];
const UPDATE_TESTS = ["firmware/test/update", "host-sdk/test/update-firmware"];
const COUNTER_TESTS = ["firmware/test/ctap2-core", "firmware/test/ctap2-powercut", "firmware/test/u2f-apdu", "firmware/test/u2f-interop", "hardware-tests/test/chip-broker"];

/**
 * id, what the bug would be, the images to rebuild (firmware = the shipped image, others = harnesses),
 * the tests (vitest path filters), and the patches: [file, exact snippet, replacement].
 */
export const MUTANTS = [
  {
    id: "pin-decrement-after-compare", area: "PIN retries",
    why: "the retry counter is decremented only after a wrong PIN is seen: a power cut at the right moment gives unlimited guesses",
    images: ["firmware", "pin", "ctap2"], tests: PIN_TESTS,
    patches: [
      [A + "fido/pin.ts", "  if (saveState(true, retries - 1, PIN_HASH) != STORE_OK) return CTAP1_ERR_OTHER;\n", ""],
      [A + "fido/pin.ts", "  if (!same) {\n    kaInvalidate(p);", "  if (!same) {\n    if (saveState(true, retries - 1, PIN_HASH) != STORE_OK) return CTAP1_ERR_OTHER;\n    kaInvalidate(p);"],
    ],
  },
  {
    id: "pin-no-decrement", area: "PIN retries", why: "a wrong PIN costs no retry",
    images: ["firmware", "pin", "ctap2"], tests: PIN_TESTS,
    patches: [[A + "fido/pin.ts", "saveState(true, retries - 1, PIN_HASH)", "saveState(true, retries, PIN_HASH)"]],
  },
  {
    id: "pin-blocked-ignored", area: "PIN retries", why: "a PIN with no retries left is still checked",
    images: ["firmware", "pin", "ctap2"], tests: PIN_TESTS,
    patches: [[A + "fido/pin.ts", "  if (retries == 0) return CTAP2_ERR_PIN_BLOCKED;\n  if (mismatches >= PIN_MAX_MISMATCHES) return CTAP2_ERR_PIN_AUTH_BLOCKED;\n  if (!shared(p))", "  if (mismatches >= PIN_MAX_MISMATCHES) return CTAP2_ERR_PIN_AUTH_BLOCKED;\n  if (!shared(p))"]],
  },
  {
    id: "pin-right-keeps-count", area: "PIN retries", why: "a right PIN does not restore the retries (getPinToken)",
    images: ["firmware", "pin", "ctap2"], tests: PIN_TESTS,
    patches: [[A + "fido/pin.ts", "if (saveState(true, PIN_MAX_RETRIES, PIN_HASH) != STORE_OK) return fail(out, CTAP1_ERR_OTHER);", "if (saveState(true, retries, PIN_HASH) != STORE_OK) return fail(out, CTAP1_ERR_OTHER);"]],
  },
  {
    id: "credprotect-3-without-uv", area: "credProtect", why: "a userVerificationRequired credential is used without UV",
    images: ["firmware", "ctap2"], tests: ["firmware/test/ctap2-core", "firmware/test/ctap2-pin", "host-sdk/test/ctap2"],
    patches: [[A + "fido/getassert.ts", "  if (level == 3) return uv;", "  if (level == 3) return true;"]],
  },
  {
    id: "credprotect-2-discoverable", area: "credProtect", why: "a userVerificationOptionalWithCredentialIDList credential is found without UV or an allowList",
    images: ["firmware", "ctap2"], tests: ["firmware/test/ctap2-core", "firmware/test/ctap2-pin", "host-sdk/test/ctap2"],
    patches: [[A + "fido/getassert.ts", "  if (level == 2) return uv || fromList;", "  if (level == 2) return true;"]],
  },
  {
    id: "ctaphid-seq-unchecked", area: "CTAPHID sequencing", why: "continuation packets out of order are assembled anyway",
    images: ["firmware"], tests: HID_TESTS,
    patches: [[A + "fido/ctaphid.ts", "    if (<u32>b4 != rxSeq) { rxBusy = false; sendError(cid, CTAP1_ERR_INVALID_SEQ); return; }\n", ""]],
  },
  {
    id: "ctaphid-interleave", area: "CTAPHID sequencing", why: "a new message on another channel is accepted while one is being received",
    images: ["firmware"], tests: HID_TESTS,
    patches: [[A + "fido/ctaphid.ts", "    if (rxBusy && now - rxLast <= INTER_PACKET_TIMEOUT_MS) {", "    if (false) {"]],
  },
  {
    id: "ctaphid-lock-ignored", area: "CTAPHID sequencing", why: "CTAPHID_LOCK does not keep other channels out",
    images: ["firmware"], tests: HID_TESTS,
    patches: [[A + "fido/ctaphid.ts", "    if (lockCid != 0 && now < lockUntil && cid != lockCid) { sendError(cid, CTAP1_ERR_CHANNEL_BUSY); return; }\n", ""]],
  },
  {
    id: "store-end-on-every-record", area: "store commit", why: "every record of a transaction is marked as its end: a torn transaction is half applied",
    images: ["firmware", "store", "ctap2"], tests: STORE_TESTS,
    patches: [[A + "storage/store.ts", "    if (n == stageCount - 1) store<u8>(r, load<u8>(r, 4) | <u8>F_END, 4);", "    store<u8>(r, load<u8>(r, 4) | <u8>F_END, 4);"]],
  },
  {
    id: "store-torn-not-reported", area: "store commit", why: "a transaction cut by a power loss is dropped silently (recovered flag not set)",
    images: ["firmware", "store", "ctap2"], tests: STORE_TESTS,
    patches: [[A + "storage/store.ts", "  if (open) recovered = true; // the last transaction never committed\n", ""]],
  },
  {
    id: "lock-provision-allowed", area: "LOCK", why: "a locked device accepts PROVISION (its seed can be replaced)",
    images: ["firmware"], tests: SERVICE_TESTS,
    patches: [[A + "service/protocol.ts", "function provision(p: usize, len: u32): u8 {\n  if (locked) return ST_LOCKED;\n", "function provision(p: usize, len: u32): u8 {\n"]],
  },
  {
    id: "lock-set-time-allowed", area: "LOCK", why: "a locked device accepts SET_TIME (its codes can be moved in time)",
    images: ["firmware"], tests: SERVICE_TESTS,
    patches: [[A + "service/protocol.ts", "function setTime(p: usize, len: u32): u8 {\n  if (locked) return ST_LOCKED;\n", "function setTime(p: usize, len: u32): u8 {\n"]],
  },
  {
    id: "lock-without-time", area: "LOCK", why: "a device can be locked before its clock is set (and then never set)",
    images: ["firmware"], tests: SERVICE_TESTS,
    patches: [[A + "service/protocol.ts", "  if (!provisioned || !timeSet) return ST_BAD_STATE;", "  if (!provisioned) return ST_BAD_STATE;"]],
  },
  {
    id: "low-s-missing", area: "low-S", why: "ECDSA signatures are not normalised to s ≤ (n−1)/2",
    images: ["firmware", "p256", "ctap2", "u2f"], tests: SIG_TESTS,
    patches: [[A + "crypto/p256/ecdsa.ts", "          limbsCmov(SL, T3, limbsLtMask(SC_HALF_N, SL)); // s > (n−1)/2 ⇒ n − s\n", ""]],
  },
  {
    id: "sign-counter-not-incremented", area: "signature counter", why: "the signature counter does not move",
    images: ["firmware", "ctap2", "u2f"], tests: COUNTER_TESTS,
    patches: [[A + "fido/credential.ts", "  if (v != 0xffffffff) v++; // saturates: never wraps back", "  // (mutant: no increment)"]],
  },
  {
    id: "sign-counter-wraps", area: "signature counter", why: "the signature counter wraps from 2^32−1 back to 0",
    images: ["firmware", "ctap2", "u2f"], tests: COUNTER_TESTS,
    patches: [[A + "fido/credential.ts", "  if (v != 0xffffffff) v++; // saturates: never wraps back", "  v++;"]],
  },
  {
    id: "sign-counter-write-ignored", area: "signature counter", why: "a failed counter write is ignored: the signature leaves with a counter that was never stored",
    images: ["firmware", "ctap2", "u2f"], tests: COUNTER_TESTS,
    patches: [[A + "fido/credential.ts", "  if (storePut(key, CBUF, 4) != STORE_OK) return -1;", "  storePut(key, CBUF, 4);"]],
  },
  {
    id: "update-signature-skipped", area: "firmware update", why: "the update receiver takes a header without checking its signature",
    images: ["firmware", "firmware-next"], tests: UPDATE_TESTS,
    patches: [[A + "update/receiver.ts", "  return p256Verify(KEY, DIG, h + 64) == 1 ? 0 : UPDATE_ERR_SIGNATURE;", "  return 0;"]],
  },
  {
    id: "update-rollback-unchecked", area: "firmware update", why: "the receiver takes an image whose security counter is below the stored one",
    images: ["firmware", "firmware-next"], tests: UPDATE_TESTS,
    patches: [[A + "update/receiver.ts", "  if (load<u32>(h + 16) < boot_counter()) return UPDATE_ERR_ROLLBACK;\n", ""]],
  },
  {
    id: "update-hash-unchecked", area: "firmware update", why: "finish marks the slot pending without comparing the payload read back with the header's hash",
    images: ["firmware", "firmware-next"], tests: UPDATE_TESTS,
    patches: [[A + "update/receiver.ts", "  if (!ctEqual(DIG, HDR + 24, 32)) return UPDATE_ERR_HASH;\n", ""]],
  },
  {
    id: "update-offset-unchecked", area: "firmware update", why: "update_data writes at whatever offset it is given",
    images: ["firmware", "firmware-next"], tests: UPDATE_TESTS,
    patches: [[A + "update/receiver.ts", "if (!active || offset != received || ", "if (!active || "]],
  },
  {
    id: "update-never-confirms", area: "firmware update", why: "a trial image never confirms itself: every update is reverted at the next power-on",
    images: ["firmware", "firmware-next"], tests: UPDATE_TESTS,
    patches: [[A + "update/receiver.ts", "&& boot_confirm() == 0) return;", "&& false) return;"]],
  },
  {
    id: "update-trial-p256-broken", area: "firmware update", why: "the new image's P-256 verify is broken (u1 and u2 swapped) and, with no P-256 known-answer test, it confirms itself anyway",
    images: ["firmware-next"], tests: ["firmware/test/update"],
    patches: [[A + "crypto/p256/ecdsa.ts", "  limbsToBytes(UB, T1);\n  limbsToBytes(UB + 32, T2);", "  limbsToBytes(UB, T2);\n  limbsToBytes(UB + 32, T1);"]],
  },
];

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));
const chosen = MUTANTS.filter((m) => filters.length === 0 || filters.some((f) => m.id.includes(f)));
if (args.includes("--list")) {
  for (const m of chosen) console.log(`${m.id.padEnd(30)} ${m.area.padEnd(18)} ${m.why}`);
  process.exit(0);
}
if (chosen.length === 0) { console.error(`no mutant matches ${filters.join(" ")}`); process.exit(2); }

/** A copy of the repository (tracked and untracked-but-not-ignored files, plus the built images). */
function makeCopy() {
  const dir = mkdtempSync(join(tmpdir(), "segl-mutants-"));
  const r = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  for (const f of r.stdout.split("\0").filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  cpSync(join(ROOT, "firmware/build"), join(dir, "firmware/build"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

function sh(cmd, argv, cwd, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", env: { ...process.env, ...extraEnv }, maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, s: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The images to rebuild: the firmware tests load the guarded test build of the image, the SDK's the shipping one. */
const imagesOf = (m) => m.images.flatMap((i) => (i === "firmware" ? ["firmware", "firmware-guarded"] : [i]));
const count = (hay, needle) => hay.split(needle).length - 1;
const runTests = (dir, tests) => sh(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--reporter=dot", ...tests], dir, { SEGL_TEST_FILTER: "" });

const dir = makeCopy();
const results = [];
try {
  // The tests must pass on the unmutated image first, or every mutant would look caught.
  const allTests = [...new Set(chosen.flatMap((m) => m.tests))];
  const allImages = [...new Set(chosen.flatMap(imagesOf))];
  const b0 = sh(process.execPath, ["scripts/build-firmware.mjs", "--force", `--only=${allImages.join(",")}`], dir);
  if (!b0.ok) throw new Error(`baseline build failed:\n${b0.out}`);
  const base = runTests(dir, allTests);
  if (!base.ok) throw new Error(`the tests fail without any mutant; fix that first:\n${base.out.slice(-4000)}`);
  console.log(`baseline: ${allTests.length} test filters pass on the unmutated image (${base.s.toFixed(0)} s)\n`);

  for (const m of chosen) {
    const originals = new Map();
    let problem = null;
    for (const [file, find, replace] of m.patches) {
      const text = originals.get(file) ?? readFileSync(join(dir, file), "utf8");
      if (!originals.has(file)) originals.set(file, text);
      const current = readFileSync(join(dir, file), "utf8");
      const n = count(current, find);
      if (n !== 1) { problem = `${n === 0 ? "pattern not found" : "pattern ambiguous"} in ${file}: ${JSON.stringify(find.slice(0, 80))}`; break; }
      writeFileSync(join(dir, file), current.replace(find, replace));
    }
    let result;
    if (problem) result = { id: m.id, area: m.area, status: problem.startsWith("pattern not") ? "pattern not found" : "pattern ambiguous", detail: problem };
    else {
      const b = sh(process.execPath, ["scripts/build-firmware.mjs", "--force", `--only=${imagesOf(m).join(",")}`], dir);
      if (!b.ok) result = { id: m.id, area: m.area, status: "build failed", detail: b.out.split("\n").filter((l) => /ERROR|error/.test(l)).slice(0, 3).join(" | ") };
      else {
        const t = runTests(dir, m.tests);
        const failed = [...t.out.matchAll(/(?:FAIL|×)\s+(.+?)(?:\n|$)/g)].map((x) => x[1].replace(/\x1b\[[0-9;]*m/g, "").trim()).slice(0, 3);
        result = { id: m.id, area: m.area, status: t.ok ? "SURVIVED" : "caught", seconds: Math.round(b.s + t.s), detail: t.ok ? m.why : failed.join(" | ") };
      }
    }
    for (const [file, text] of originals) writeFileSync(join(dir, file), text);
    results.push(result);
    console.log(`${result.status.padEnd(18)} ${m.id.padEnd(30)} ${result.seconds !== undefined ? `${result.seconds}s`.padStart(5) : ""}  ${result.detail}`);
  }
  // leave the copy's images as they were (the next run rebuilds anyway)
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const caught = results.filter((r) => r.status === "caught").length;
const survived = results.filter((r) => r.status === "SURVIVED");
const broken = results.filter((r) => r.status !== "caught" && r.status !== "SURVIVED");
mkdirSync(join(ROOT, "reports"), { recursive: true });
writeFileSync(join(ROOT, "reports/firmware-mutants.json"), JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + "\n");
console.log(`\nfirmware mutants: ${caught} caught, ${survived.length} survived${broken.length ? `, ${broken.length} not run (${broken.map((b) => `${b.id}: ${b.status}`).join("; ")})` : ""} of ${results.length}`);
if (survived.length) console.log(`survivors: ${survived.map((s) => s.id).join(", ")}`);
process.exit(broken.length ? 1 : 0);
