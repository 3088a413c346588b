// `segl chip info|attestation|lock` against `segl sim chip` over UDP, and every command's exit
// codes and --json errors (one JSON object on stdout), as a user or a script sees them.
import { afterAll, beforeAll, describe, test } from "vitest";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBatchCertificate, createMakerCa } from "@segl/host-sdk/fido";
import { COMMANDS } from "../src/commands.js";
import { Output, SEGL, freeUdpPort, runSegl } from "./root.js";

const run = (args: string[]) => runSegl(args, dir);

/** A P-256 key as PKCS#8 PEM from its 32-byte scalar and 65-byte public point. */
function pkcs8(priv: Uint8Array, pub: Uint8Array): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  return createPrivateKey({ key: { kty: "EC", crv: "P-256", d: b64(priv), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33, 65)) }, format: "jwk" })
    .export({ format: "pem", type: "pkcs8" }).toString();
}

let dir = "";
let sim: ChildProcessWithoutNullStreams | undefined;
let device = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "segl-chip-"));
  const reply = await freeUdpPort();
  sim = spawn(process.execPath, [SEGL, "sim", "chip", "--unlocked", "--presence", "accept", "--udp-port", "0", "--reply-port", String(reply), "--serial", "CHIP-CLI-1", "--json"], { cwd: dir });
  const out = new Output(sim.stdout);
  const m = await out.waitFor(/"event":"ready".*"listenPort":(\d+)/);
  device = `udp:${m[1]}:${reply}`;
  const ca = createMakerCa();
  const batch = createBatchCertificate({ ca, aaguid: new Uint8Array(16).fill(0x5e) });
  writeFileSync(join(dir, "batch.key.pem"), pkcs8(batch.privateKey, batch.publicKey));
  writeFileSync(join(dir, "batch.der"), batch.certificateDer);
  writeFileSync(join(dir, "ca.der"), ca.certificateDer);
});
afterAll(async () => {
  if (sim) { sim.kill("SIGTERM"); await once(sim, "close"); }
  rmSync(dir, { recursive: true, force: true });
});

describe("segl chip", () => {
  test("info: service INFO and CTAP2 getInfo through the HID tunnel", async () => {
    const r = await run(["chip", "info", "--device", device, "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const o = JSON.parse(r.stdout) as { ok: boolean; info: { model: string; serial: string; state: string }; ctap2: { versions: string[]; aaguid: string } };
    assert.equal(o.ok, true);
    assert.deepEqual([o.info.model, o.info.serial, o.info.state], ["chip", "CHIP-CLI-1", "provisioned"]);
    assert.ok(o.ctap2.versions.includes("FIDO_2_0"), o.ctap2.versions.join());
    assert.match(o.ctap2.aaguid, /^[0-9a-f]{32}$/);
    const t = await run(["chip", "info", "--device", device]);
    assert.match(t.stdout, /^serial\s+CHIP-CLI-1$/m);
  });

  test("attestation: asks first (exit 2 without --yes), refuses a certificate of another key, then stores; lock: asks, locks, a second lock fails", async () => {
    const base = ["chip", "attestation", "--device", device, "--key", "batch.key.pem", "--json"];
    const asked = await run([...base, "--cert", "batch.der"]);
    assert.equal(asked.code, 2);
    assert.match(JSON.parse(asked.stdout).error.message, /--yes/);
    const wrong = await run([...base, "--cert", "ca.der", "--yes"]);
    assert.equal(wrong.code, 2);
    assert.match(JSON.parse(wrong.stdout).error.message, /not for this key/);
    const ok = await run([...base, "--cert", "batch.der", "--yes"]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, device, action: "attestation", serial: "CHIP-CLI-1", state: "provisioned" });

    const lockAsked = await run(["chip", "lock", "--device", device]);
    assert.equal(lockAsked.code, 2);
    assert.match(lockAsked.stderr, /pass --yes/);
    const locked = await run(["chip", "lock", "--device", device, "--yes", "--json"]);
    assert.equal(locked.code, 0, locked.stderr + locked.stdout);
    assert.equal(JSON.parse(locked.stdout).state, "locked");
    const again = await run(["chip", "lock", "--device", device, "--yes", "--json"]);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).error.code, "LOCKED");
    const noMore = await run([...base, "--cert", "batch.der", "--yes"]);
    assert.equal(noMore.code, 1, "a locked chip's attestation is fixed");
  });

  test("usage errors: no subcommand, no device, a serial device, a bad UDP port", async () => {
    for (const args of [["chip"], ["chip", "info"], ["chip", "info", "--device", "serial:/dev/null"], ["chip", "lock", "--device", "udp:99999"], ["chip", "attestation", "--device", device]]) {
      const r = await run([...args, "--json"]);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(JSON.parse(r.stdout).error.code, "USAGE", args.join(" "));
    }
  });
});

describe("every command: the same exit codes, --json errors as one object on stdout", () => {
  test("an unknown option is exit 2 with {ok:false, exitCode:2, error:{code:USAGE}} for every command", async () => {
    for (const c of COMMANDS) {
      const r = await run([c.name, "--no-such-option", "--json"]);
      assert.equal(r.code, 2, c.name);
      const o = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; error: { code: string; message: string } };
      assert.deepEqual([o.ok, o.exitCode, o.error.code], [false, 2, "USAGE"], c.name);
      assert.equal(r.stdout.trim().split("\n").length, 1, `${c.name}: one object`);
      const plain = await run([c.name, "--no-such-option"]);
      assert.equal(plain.code, 2, c.name);
      assert.equal(plain.stdout, "", `${c.name}: errors go to stderr without --json`);
    }
    const unknown = await run(["no-such-command", "--json"]);
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.stdout).error.code, "USAGE");
  });

  test("a failure is exit 1 with the error's code: a device that is not there", async () => {
    const r = await run(["info", "--port", join(dir, "no-such-tty"), "--json"]);
    assert.equal(r.code, 1);
    const o = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; error: { code: string } };
    assert.deepEqual([o.ok, o.exitCode], [false, 1]);
    assert.equal(o.error.code, "DEVICE_NOT_FOUND");
  });

  test("segl totp --verify: exit 0 and the offset on a match within --window, exit 1 on none (RFC 6238 vector)", async () => {
    const seed = ["--secret-hex", "3132333435363738393031323334353637383930", "--digits", "8"];
    assert.deepEqual(await run(["totp", ...seed, "--time", "59"]).then((r) => [r.code, r.stdout]), [0, "94287082\n"]);
    const m = await run(["totp", ...seed, "--time", "89", "--verify", "94287082", "--window", "1"]);
    assert.deepEqual([m.code, m.stdout], [0, "-1\n"]);
    const no = await run(["totp", ...seed, "--time", "89", "--verify", "94287082"]);
    assert.equal(no.code, 1, "outside the window");
    const j = await run(["totp", ...seed, "--time", "149", "--verify", "94287082", "--window", "2", "--json"]);
    assert.deepEqual(JSON.parse(j.stdout), { ok: false, exitCode: 1, match: false, error: { code: "NO_MATCH", message: "no match within ±2 step(s)" } });
    assert.equal(j.code, 1);
    const ok = await run(["totp", ...seed, "--time", "119", "--verify", "94287082", "--window", "2", "--json"]);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, match: true, offset: -2 });
    assert.equal((await run(["totp", ...seed, "--window", "1"])).code, 2, "--window without --verify");
    assert.equal((await run(["totp", ...seed, "--verify", "12ab"])).code, 2);
  });
});
