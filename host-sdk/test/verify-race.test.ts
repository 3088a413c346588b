import { test } from "vitest";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import { SqliteStore, TotpVerifier } from "../src/verify/index.js";

interface Answer { round: number; verified?: boolean; error?: string }

test("two worker threads with their own SQLite connections race to verify the same code 50 times: exactly one acceptance each time", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "segl-race-"));
  const path = join(dir, "tokens.sqlite");
  const key = randomBytes(32);
  const secret = randomBytes(20);
  const totp = new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(secret).buffer }) });
  const setup = new SqliteStore(path, { secretKey: key });
  await new TotpVerifier({ store: setup }).enroll("shared", { secret });
  setup.close();

  const sab = new SharedArrayBuffer(4);
  const workers = [0, 1].map(
    // scripts/run-ts.mjs runs the worker's TypeScript source (tsx), like the tests themselves
    () => new Worker(new URL("../../scripts/run-ts.mjs", import.meta.url), {
      workerData: { path, key, id: "shared", sab, tsEntry: new URL("./verify-race-worker.ts", import.meta.url).href },
    }),
  );
  const inbox: Answer[][] = [[], []];
  const waiters: (() => void)[] = [];
  workers.forEach((w, i) => w.on("message", (m: Answer) => { inbox[i]!.push(m); waiters.shift()?.(); }));
  const next = async (i: number): Promise<Answer> => {
    while (inbox[i]!.length === 0) await new Promise<void>((r) => waiters.push(r));
    return inbox[i]!.shift()!;
  };
  try {
    const base = 1_700_000_010_000;
    for (let round = 0; round < 50; round++) {
      const now = base + round * 30_000;
      const code = totp.generate({ timestamp: now });
      for (const w of workers) w.postMessage({ round, code, now });
      const answers = [await next(0), await next(1)];
      for (const a of answers) assert.equal(a.error, undefined, a.error);
      assert.equal(answers.filter((a) => a.verified).length, 1, `round ${round}: ${JSON.stringify(answers)}`);
    }
    const lost: number[] = [];
    for (let i = 0; i < 2; i++) {
      workers[i]!.postMessage("close");
      lost.push(((await next(i)) as unknown as { lostCas: number }).lostCas);
    }
    console.log(`compare-and-set races lost (then re-read and refused as replays): ${lost.join(" + ")}`);
    const check = new SqliteStore(path, { secretKey: key });
    const rec = await check.get("shared");
    check.close();
    assert.equal(rec?.lastAcceptedStep, Math.floor((base + 49 * 30_000) / 30_000));
    assert.ok((rec?.failures ?? 99) <= 1, "each round adds at most one failure and the next success clears it");
  } finally {
    await Promise.all(workers.map(async (w) => { await w.terminate(); }));
    rmSync(dir, { recursive: true, force: true });
  }
});
