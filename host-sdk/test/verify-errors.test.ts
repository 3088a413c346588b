// Every error the verifiers and their stores throw for a reason they know is a SeglError with a
// stable code and the details docs/sdk-errors.md promises: bad options, bad seeds, a store that
// cannot be opened (missing directory, not a database, a foreign table), duplicates, unknown ids.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { SeglError } from "../src/errors.js";
import { HotpVerifier, MemoryStore, SqliteStore, TotpVerifier, VerifierError, type VerifierStore } from "../src/verify/index.js";

const KEY = new Uint8Array(32).fill(9);
const SEED = new Uint8Array(20).fill(3);

/** A predicate for assert.throws/rejects: a SeglError with this code and these details. */
function seglError(code: string, details: Record<string, unknown> = {}) {
  return (e: unknown) => {
    assert.ok(e instanceof SeglError, `not a SeglError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(details)) assert.deepEqual(e.details?.[k], v, `details.${k} of ${e.message}`);
    return true;
  };
}

function withDir(f: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "segl-verr-"));
    try { await f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  };
}

describe("SqliteStore set-up errors", () => {
  test("a missing directory is STORE_UNAVAILABLE at construction, naming path and directory", withDir((dir) => {
    const path = join(dir, "no", "such", "dir", "broker.sqlite");
    assert.throws(() => new SqliteStore(path, { secretKey: KEY }), seglError("STORE_UNAVAILABLE", { path, directory: join(dir, "no", "such", "dir") }));
  }));

  test("a file that is not a database is STORE_UNAVAILABLE on first use, with SQLite's error as cause", withDir(async (dir) => {
    const path = join(dir, "junk.sqlite");
    writeFileSync(path, "this is not an SQLite database, only some text long enough to have a header".repeat(20));
    const store = new SqliteStore(path, { secretKey: KEY });
    await assert.rejects(store.get("x"), (e) => seglError("STORE_UNAVAILABLE", { path })(e) && (e as SeglError).cause instanceof Error);
    store.close();
  }));

  test("a database whose tokens table has another shape is STORE_UNAVAILABLE", withDir(async (dir) => {
    const path = join(dir, "other.sqlite");
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(path);
    db.exec("CREATE TABLE tokens (name TEXT)");
    db.close();
    const store = new SqliteStore(path, { secretKey: KEY });
    await assert.rejects(store.get("x"), seglError("STORE_UNAVAILABLE", { path }));
    store.close();
  }));

  test("bad options are INVALID_ARGUMENT naming the field", withDir((dir) => {
    const path = join(dir, "a.sqlite");
    assert.throws(() => new SqliteStore("", { secretKey: KEY }), seglError("INVALID_ARGUMENT", { field: "path" }));
    assert.throws(() => new SqliteStore(path, undefined as never), seglError("INVALID_ARGUMENT", { field: "options" }));
    assert.throws(() => new SqliteStore(path, { secretKey: new Uint8Array(16) }), seglError("INVALID_ARGUMENT", { field: "secretKey" }));
    assert.throws(() => new SqliteStore(path, { secretKey: "k".repeat(32) as never }), seglError("INVALID_ARGUMENT", { field: "secretKey" }));
    assert.throws(() => new SqliteStore(path, { secretKey: KEY, busyTimeoutMs: -1 }), seglError("INVALID_ARGUMENT", { field: "busyTimeoutMs", busyTimeoutMs: -1 }));
  }));

  test("enrolling an id twice is ALREADY_EXISTS with the id, on both stores", withDir(async (dir) => {
    const sqlite = new SqliteStore(join(dir, "b.sqlite"), { secretKey: KEY });
    for (const store of [new MemoryStore(), sqlite] as VerifierStore[]) {
      const v = new TotpVerifier({ store });
      await v.enroll("dev-1", { secret: SEED });
      await assert.rejects(v.enroll("dev-1", { secret: SEED }), seglError("ALREADY_EXISTS", { id: "dev-1" }));
    }
    sqlite.close();
  }));
});

describe("verifier set-up errors", () => {
  const store = new MemoryStore();

  test("bad options are INVALID_ARGUMENT naming the field", () => {
    assert.throws(() => new TotpVerifier(undefined as never), seglError("INVALID_ARGUMENT", { field: "options" }));
    assert.throws(() => new TotpVerifier({} as never), seglError("INVALID_ARGUMENT", { field: "store" }));
    assert.throws(() => new TotpVerifier({ store: { get: () => undefined } as never }), seglError("INVALID_ARGUMENT", { field: "store" }));
    assert.throws(() => new TotpVerifier({ store, maxFailures: 0 }), seglError("INVALID_ARGUMENT", { field: "maxFailures", maxFailures: 0 }));
    assert.throws(() => new TotpVerifier({ store, lockoutMs: 1.5 }), seglError("INVALID_ARGUMENT", { field: "lockoutMs", lockoutMs: 1.5 }));
    assert.throws(() => new TotpVerifier({ store, window: { past: 5000 } }), seglError("INVALID_ARGUMENT", { field: "window" }));
    assert.throws(() => new TotpVerifier({ store, resyncWindow: 200_000 }), seglError("INVALID_ARGUMENT", { field: "resyncWindow" }));
    assert.throws(() => new TotpVerifier({ store, clock: 5 as never }), seglError("INVALID_ARGUMENT", { field: "clock" }));
    assert.throws(() => new TotpVerifier({ store, onAudit: "log" as never }), seglError("INVALID_ARGUMENT", { field: "onAudit" }));
    assert.throws(() => new HotpVerifier({ store, window: 20_000 }), seglError("INVALID_ARGUMENT", { field: "window", window: 20_000 }));
  });

  test("bad seeds and enrolment data are INVALID_ARGUMENT naming the field", async () => {
    const v = new TotpVerifier({ store });
    const h = new HotpVerifier({ store });
    await assert.rejects(v.enroll("a", undefined as never), seglError("INVALID_ARGUMENT", { field: "enrollment" }));
    // A base32 or hex string is not bytes: copying it would enroll a seed of zeros.
    await assert.rejects(v.enroll("a", { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" as never }), seglError("INVALID_ARGUMENT", { field: "secret", type: "string" }));
    await assert.rejects(h.enroll("a", { secret: [1, 2, 3] as never }), seglError("INVALID_ARGUMENT", { field: "secret", type: "object" }));
    await assert.rejects(v.enroll("a", { secret: new Uint8Array(8) }), seglError("INVALID_ARGUMENT", { field: "secret", length: 8 }));
    await assert.rejects(v.enroll("a", { secret: SEED, digits: 5 }), seglError("INVALID_ARGUMENT", { field: "digits", digits: 5 }));
    await assert.rejects(v.enroll("a", { secret: SEED, algorithm: "MD5" as never }), seglError("INVALID_ARGUMENT", { field: "algorithm", algorithm: "MD5" }));
    await assert.rejects(v.enroll("a", { secret: SEED, period: 0 }), seglError("INVALID_ARGUMENT", { field: "period", period: 0 }));
    await assert.rejects(v.enroll("", { secret: SEED }), seglError("INVALID_ARGUMENT", { field: "id" }));
    await assert.rejects(h.enroll("a", { secret: SEED, counter: -1 }), seglError("INVALID_ARGUMENT", { field: "counter", counter: -1 }));
    assert.equal(await store.get("a"), undefined, "nothing was stored");
    await assert.rejects(v.verify("a", "123456", { now: Number.NaN }), seglError("INVALID_ARGUMENT", { field: "now" }));
  });

  test("unlocking an unknown device is NOT_FOUND with id and kind", async () => {
    await assert.rejects(new HotpVerifier({ store }).unlock("nobody"), seglError("NOT_FOUND", { id: "nobody", kind: "hotp" }));
  });

  test("VerifierError is kept as another name of SeglError", () => {
    assert.equal(VerifierError, SeglError);
    assert.ok(new VerifierError("STORE_BUSY", "x") instanceof SeglError);
  });
});
