// Real processes on one SQLite file (issue 9): several broker processes verify the same codes at
// the same time, every code is accepted exactly once; two more are killed with SIGKILL in the middle
// (one while it holds SQLite's write lock inside an open transaction, one wherever it is) and leave
// nothing for a person to clean up: the others carry on and a new process works at once.
// SEGL_RACE_PROCS (default 4) processes, SEGL_RACE_TRIALS (default 300) trials each; the full
// figure by hand: SEGL_RACE_PROCS=8 SEGL_RACE_TRIALS=10000 npx vitest run host-sdk/test/verify-processes
import { test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore, TotpVerifier } from "../src/verify/index.js";
import { accepted, start, type Child } from "./verify-process-child.js";

const PROCS = Number(process.env["SEGL_RACE_PROCS"] ?? 4);
const TRIALS = Number(process.env["SEGL_RACE_TRIALS"] ?? 300);
const DEVICES = 8;
const START_STEP = 56_666_667;

test(`${PROCS} processes verify the same ${TRIALS} codes on one SQLite file; two more are SIGKILLed, one holding the write lock mid-transaction: every code accepted once, nothing to clean up`, async () => {
  const dir = mkdtempSync(join(tmpdir(), "segl-procs-"));
  const path = join(dir, "tokens.sqlite");
  const key = randomBytes(32);
  const seeds = Array.from({ length: DEVICES }, () => randomBytes(20));
  const children: Child[] = [];
  try {
    const setup = new SqliteStore(path, { secretKey: key });
    const v = new TotpVerifier({ store: setup });
    for (let d = 0; d < DEVICES; d++) await v.enroll(`dev-${d}`, { secret: seeds[d]! });
    setup.close();
    const args = { path, keyHex: key.toString("hex"), seedsHex: seeds.map((s) => s.toString("hex")), first: 0, trials: TRIALS, startStep: START_STEP };

    // The victim runs the same trials as the others; after 10 it dies holding SQLite's write lock
    // in an open transaction with uncommitted changes (every row's failures + 1000).
    for (let i = 0; i < PROCS; i++) children.push(start(args));
    children.push(start({ ...args, holdAfter: 10 }));
    // A second victim is killed at whatever point it has reached once it has accepted a code or
    // refused a few (inside the verifier, inside SQLite, or between).
    children.push(start(args));
    const victim = children[PROCS]!;
    const victim2 = children[PROCS + 1]!;
    await Promise.all(children.map((c) => c.line((l) => l === "READY")));
    for (const c of children) c.proc.stdin!.write("go\n");
    await victim.line((l) => l === "HOLDING");
    victim.proc.kill("SIGKILL");
    const victimExit = await victim.exit;
    await victim2.line((l) => l.startsWith("A ") || l.startsWith("DONE"));
    victim2.proc.kill("SIGKILL");
    await victim2.exit;
    for (const c of children.slice(0, PROCS)) await c.exit;

    for (const c of children) assert.deepEqual(c.lines.filter((l) => l.startsWith("E ")), [], "no process saw an error (no STORE_BUSY)");
    assert.equal(victimExit.signal, "SIGKILL", "the victim was killed, not finished");
    assert.ok(!victim.lines.some((l) => l.startsWith("DONE")), "killed in the middle of its run");
    const count = new Map<number, number>();
    for (const c of children) for (const t of accepted(c)) count.set(t, (count.get(t) ?? 0) + 1);
    const twice = [...count].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], "no code accepted twice");
    // Every trial was accepted by someone. The first victim reported its acceptances before it took
    // the lock; the second may have committed one acceptance and died before printing it (then the
    // others were refused it as a replay): at most one, and only if it was killed before DONE.
    const missing = Array.from({ length: TRIALS }, (_, t) => t).filter((t) => !count.has(t));
    const victim2Done = victim2.lines.some((l) => l.startsWith("DONE"));
    assert.ok(missing.length <= (victim2Done ? 0 : 1), `trials accepted by nobody: ${missing.slice(0, 10).join(", ")}`);
    for (const c of children.slice(0, PROCS)) {
      const done = c.lines.find((l) => l.startsWith("DONE"))!.split(" ").map(Number);
      assert.equal(done[1]! + done[2]!, TRIALS);
    }

    // Nothing left to clean up: only SQLite's own files, no lock directory; a new process (and a new
    // store in this one) opens the file at once and carries on where the others stopped.
    assert.deepEqual(readdirSync(dir).filter((f) => !/^tokens\.sqlite(-wal|-shm)?$/.test(f)), []);
    const after = start({ ...args, first: TRIALS, trials: DEVICES * 3 });
    await after.line((l) => l === "READY");
    after.proc.stdin!.write("go\n");
    await after.exit;
    assert.equal(after.lines.at(-1), `DONE ${DEVICES * 3} 0`, after.lines.slice(-3).join(" | "));
    const check = new SqliteStore(path, { secretKey: key, busyTimeoutMs: 0 });
    for (let d = 0; d < DEVICES; d++) {
      const rec = await check.get(`dev-${d}`);
      const total = TRIALS + DEVICES * 3;
      const lastTrial = total - 1 - ((total - 1 - d) % DEVICES); // the device's last trial
      assert.equal(rec?.lastAcceptedStep, START_STEP + Math.floor(lastTrial / DEVICES));
      assert.equal(rec?.failures, 0, "refused replays did not count as failures; the killed transaction left nothing");
    }
    check.close();
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    db.close();
    console.log(`${PROCS} processes × ${TRIALS} trials (+2 killed): ${children.map((c) => accepted(c).length).join(" + ")} acceptances`);
  } finally {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
