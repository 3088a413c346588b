// segl provision --count N --pskc FILE and segl broker import FILE: seeds travel in the file only,
// the broker's store ends up holding exactly the devices' seeds, a tampered key is refused alone.
import { test, describe, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Device, PtyBridge, SimClock } from "@segl/simulator";
import { requireTools } from "../../../scripts/system-deps.mjs";
import { MemoryTransport, ServiceClient } from "@segl/host-sdk/device";
import { exportPskc, importPskc } from "@segl/host-sdk/pskc";
import { base32Encode, totp } from "@segl/host-sdk/otp";
import { HotpVerifier, MemoryStore, PostgresStore, SqliteStore, TotpVerifier } from "@segl/host-sdk/verify";
import { startPgServer } from "../../test/pg-server.js";
import { enrolKeys } from "../src/broker.js";
import { provisionBatch, pskcKeys, type BatchTarget } from "../src/provision.js";
import { SEGL as segl } from "./root.js";

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [segl, ...args], { env: { ...process.env, ...env } });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const PSK = "0f0e0d0c0b0a09080706050403020100";
const STORE_KEY = "ab".repeat(32);
let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "segl-pskc-cli-")); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** Every spelling of a seed someone might print. */
const spellings = (seed: Uint8Array) => [Buffer.from(seed).toString("hex"), Buffer.from(seed).toString("hex").toUpperCase(), Buffer.from(seed).toString("base64"), base32Encode(seed)];

function assertNoSeed(text: string, seeds: Uint8Array[], where: string): void {
  for (const s of seeds) for (const form of spellings(s)) assert.ok(!text.includes(form), `a seed appears on ${where}`);
}

describe("segl provision --sim --count N --pskc FILE, then segl broker import FILE", () => {
  test("seeds go to the file only; the broker's store holds them; a second import refuses the existing ones", async () => {
    const file = join(dir, "batch.pskc");
    const p = await run(["provision", "--sim", "--count", "3", "--serial-prefix", "T-", "--pskc", file, "--psk-hex", PSK, "--key-name", "line-7", "--json"]);
    assert.equal(p.code, 0, p.stderr);
    const out = JSON.parse(p.stdout) as { count: number; protection: string; devices: { serial: string; state: string }[] };
    assert.deepEqual(out.devices.map((d) => [d.serial, d.state]), [["T-000001", "locked"], ["T-000002", "locked"], ["T-000003", "locked"]]);
    assert.equal(statSync(file).mode & 0o777, 0o600, "the file is readable by its owner only");
    const imported = importPskc(readFileSync(file), { psk: Buffer.from(PSK, "hex") });
    assert.equal(imported.keyName, "line-7");
    const seeds = imported.keys.map((k) => { assert.ok(k.ok); return k.key.secret; });
    assert.equal(new Set(seeds.map((s) => Buffer.from(s).toString("hex"))).size, 3, "three different seeds");
    assertNoSeed(p.stdout + p.stderr, seeds, "provision's output");

    const db = join(dir, "broker.sqlite");
    const keyFile = join(dir, "store.key");
    writeFileSync(keyFile, STORE_KEY + "\n");
    const i = await run(["broker", "import", file, "--store", db, "--store-key-file", keyFile, "--psk-hex", PSK, "--json"]);
    assert.equal(i.code, 0, i.stderr);
    const rep = JSON.parse(i.stdout) as { enrolled: number; refused: number; keys: { serial: string; outcome: string }[] };
    assert.deepEqual([rep.enrolled, rep.refused], [3, 0]);
    assertNoSeed(i.stdout + i.stderr, seeds, "import's output");

    // The store holds the devices' seeds: a code computed from the file's seed is accepted once.
    const now = 1_800_000_000_000;
    const store = new SqliteStore(db, { secretKey: Buffer.from(STORE_KEY, "hex") });
    try {
      const v = new TotpVerifier({ store, clock: () => now });
      for (const [n, seed] of seeds.entries()) {
        const code = totp(seed, { time: now / 1000 });
        assert.equal((await v.verify(`T-00000${n + 1}`, code)).verified, true);
        assert.equal((await v.verify(`T-00000${n + 1}`, code)).verified, false, "replay refused");
      }
    } finally {
      store.close();
    }

    const again = await run(["broker", "import", file, "--store", db, "--psk-hex", PSK], { SEGL_STORE_KEY: STORE_KEY });
    assert.equal(again.code, 1, "nothing new enrolled: failure");
    assert.equal(again.stdout.match(/refused\tALREADY_EXISTS/g)?.length, 3);
  });

  test("a tampered key is refused alone (MAC_MISMATCH), the others are enrolled; a wrong password enrols nothing", async () => {
    const file = join(dir, "pw.pskc");
    const pwFile = join(dir, "pw.txt");
    writeFileSync(pwFile, "factory password\n");
    const p = await run(["provision", "--sim", "--count", "3", "--pskc", file, "--password-file", pwFile, "--iterations", "1000"]);
    assert.equal(p.code, 0, p.stderr);
    let n = 0;
    writeFileSync(file, readFileSync(file, "utf8").replace(/<ValueMAC>(.)/g, (m, c: string) => (n++ === 1 ? `<ValueMAC>${c === "Q" ? "R" : "Q"}` : m)));
    const db = join(dir, "pw.sqlite");
    const wrong = await run(["broker", "import", file, "--store", db, "--password", "factory passwore", "--json"], { SEGL_STORE_KEY: STORE_KEY });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not open this PSKC file/);
    const i = await run(["broker", "import", file, "--store", db, "--password-file", pwFile, "--json"], { SEGL_STORE_KEY: STORE_KEY });
    assert.equal(i.code, 1, "one key refused: exit code 1");
    const rep = JSON.parse(i.stdout) as { enrolled: number; keys: { serial: string; outcome: string; reason?: string }[] };
    assert.deepEqual(rep.keys.map((k) => [k.serial, k.outcome, k.reason ?? ""]), [["SGL-000001", "enrolled", ""], ["SGL-000002", "refused", "MAC_MISMATCH"], ["SGL-000003", "enrolled", ""]]);
    const store = new SqliteStore(db, { secretKey: Buffer.from(STORE_KEY, "hex") });
    try {
      const v = new TotpVerifier({ store });
      assert.equal(await v.status("SGL-000002"), undefined, "nothing of the tampered key was enrolled");
      assert.ok(await v.status("SGL-000001"));
    } finally {
      store.close();
    }
  });

  test("into PostgreSQL: --store postgres://… enrols the file's seeds there (the store `segl serve` shares between nodes); the URL is not printed", async () => {
    const pg = await startPgServer();
    const url = `postgresql://${pg.user}@localhost/${pg.database}?host=${encodeURIComponent(pg.host)}&port=${pg.port}`;
    try {
      const file = join(dir, "pg.pskc");
      const p = await run(["provision", "--sim", "--count", "2", "--serial-prefix", "PG-", "--pskc", file, "--psk-hex", PSK]);
      assert.equal(p.code, 0, p.stderr);
      const seeds = importPskc(readFileSync(file), { psk: Buffer.from(PSK, "hex") }).keys.map((k) => { assert.ok(k.ok); return k.key.secret; });
      const i = await run(["broker", "import", file, "--store", url, "--psk-hex", PSK, "--json"], { SEGL_STORE_KEY: STORE_KEY });
      assert.equal(i.code, 0, i.stderr);
      const rep = JSON.parse(i.stdout) as { store: string; enrolled: number };
      assert.deepEqual([rep.store, rep.enrolled], ["postgresql", 2]);
      assert.ok(!(i.stdout + i.stderr).includes(pg.host), "the URL (it may hold a password) is not printed");
      const now = 1_800_000_000_000;
      const store = new PostgresStore({ connectionString: url, secretKey: Buffer.from(STORE_KEY, "hex") });
      try {
        const v = new TotpVerifier({ store, clock: () => now });
        for (const [n, seed] of seeds.entries()) assert.equal((await v.verify(`PG-00000${n + 1}`, totp(seed, { time: now / 1000 }))).verified, true);
      } finally {
        await store.close();
      }
      const again = await run(["broker", "import", file, "--store", url, "--psk-hex", PSK], { SEGL_STORE_KEY: STORE_KEY });
      assert.equal(again.code, 1);
      assert.equal(again.stdout.match(/refused\tALREADY_EXISTS: device "PG-00000\d" already enrolled/g)?.length, 2);
    } finally {
      await pg.destroy();
    }
  });

  test("usage errors: no --pskc, two protections, no store key, an existing file", async () => {
    const file = join(dir, "u.pskc");
    for (const args of [
      ["provision", "--sim", "--count", "2", "--psk-hex", PSK],
      ["provision", "--sim", "--count", "2", "--pskc", file, "--psk-hex", PSK, "--password", "x"],
      ["provision", "--sim", "--count", "2", "--pskc", file, "--psk-hex", "abcd"],
      ["provision", "--sim", "--port", "/dev/null", "--pskc", file, "--psk-hex", PSK],
      ["broker", "import", file, "--store", join(dir, "u.sqlite"), "--psk-hex", PSK],
      ["broker", "import", "--store", join(dir, "u.sqlite"), "--psk-hex", PSK],
      ["broker", "export", file],
    ]) {
      const r = await run(args, { SEGL_STORE_KEY: "" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    }
    writeFileSync(file, "x");
    const exists = await run(["provision", "--sim", "--pskc", file, "--psk-hex", PSK]);
    assert.equal(exists.code, 2);
    assert.equal(readFileSync(file, "utf8"), "x", "not overwritten");
  });
});

test("the code a provisioned device shows is accepted by a broker that imported its PSKC file", async () => {
  const clock = new SimClock({ startMs: 1_800_000_000_000 });
  const devices = [0, 1].map((i) => new Device({ clock, name: `d${i}` }));
  try {
    const targets: BatchTarget[] = devices.map((d, i) => ({ serial: `E2E-${i}`, open: async () => { const t = new MemoryTransport(d); return { client: new ServiceClient(t), close: () => t.close() }; } }));
    const logs: string[] = [];
    const r = await provisionBatch(targets, { model: "code-display", algorithm: "SHA1", digits: 6, period: 30, lock: true, now: () => clock.now(), log: (s) => logs.push(s) });
    assert.equal(r.failed, undefined);
    assert.equal(logs.length, 2);
    const xml = exportPskc(pskcKeys(r.done, "Segl"), { protection: { kind: "password", password: "pw", iterations: 1000 } });
    const store = new MemoryStore();
    const totpV = new TotpVerifier({ store, clock: () => clock.now() });
    const outcomes = await enrolKeys(importPskc(xml, { password: "pw" }).keys, totpV, new HotpVerifier({ store }));
    assert.deepEqual(outcomes.map((o) => o.outcome), ["enrolled", "enrolled"]);
    for (const [i, d] of devices.entries()) {
      d.click();
      assert.equal((await totpV.verify(`E2E-${i}`, d.display)).verified, true, `device ${i}'s code`);
    }
  } finally {
    for (const d of devices) d.dispose();
  }
});

test("a device failing mid-batch: the seeds of those before it are kept", async () => {
  const clock = new SimClock({ startMs: 1_800_000_000_000 });
  const d = new Device({ clock, name: "ok" });
  try {
    const targets: BatchTarget[] = [
      { serial: "OK-1", open: async () => { const t = new MemoryTransport(d); return { client: new ServiceClient(t), close: () => t.close() }; } },
      { serial: "GONE-2", open: async () => { throw new Error("no such port"); } },
    ];
    const r = await provisionBatch(targets, { model: "code-display", algorithm: "SHA1", digits: 6, period: 30, lock: true, now: () => clock.now(), log: () => {} });
    assert.deepEqual(r.done.map((x) => x.serial), ["OK-1"]);
    assert.equal(r.failed?.serial, "GONE-2");
  } finally {
    d.dispose();
  }
});

test("segl provision --port A,B --count 2: two displays behind real pseudo-terminals, both locked, their codes accepted from the file", async () => {
  requireTools("socat");
  const clock = new SimClock({ mode: "real" });
  const devices = [new Device({ clock, name: "pty-a" }), new Device({ clock, name: "pty-b" })];
  const bridges: PtyBridge[] = [];
  try {
    for (const [i, d] of devices.entries()) bridges.push(await PtyBridge.open(d, { path: join(dir, `tty${i}`) }));
    const file = join(dir, "ports.pskc");
    const p = await run(["provision", "--port", bridges.map((b) => b.path).join(","), "--count", "2", "--serial-prefix", "P-", "--pskc", file, "--psk-hex", PSK, "--yes", "--json"]);
    assert.equal(p.code, 0, p.stderr);
    const out = JSON.parse(p.stdout) as { devices: { serial: string; state: string }[] };
    assert.deepEqual(out.devices.map((d) => [d.serial, d.state]), [["P-000001", "locked"], ["P-000002", "locked"]]);
    const imported = importPskc(readFileSync(file), { psk: Buffer.from(PSK, "hex") }).keys;
    assertNoSeed(p.stdout + p.stderr, imported.map((k) => { assert.ok(k.ok); return k.key.secret; }), "provision's output");
    for (const [i, d] of devices.entries()) {
      const k = imported[i]!;
      assert.ok(k.ok);
      d.click();
      const shown = d.display;
      const now = clock.now();
      // The display's code for this moment or the step before it (the click and the reading straddle no more than one step).
      assert.ok([0, 30].some((back) => totp(k.key.secret, { time: (now - back * 1000) / 1000 }) === shown), `device ${i} shows a code of its seed in the file`);
    }
  } finally {
    for (const b of bridges) await b.close();
    for (const d of devices) d.dispose();
    clock.stop?.();
  }
});
