// The compare-and-set contract every VerifierStore passes (memory, SQLite, PostgreSQL).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { LOCKED_PERMANENTLY, VerifierError, type TokenRecord, type VerifierStore } from "../src/verify/index.js";

export function record(id: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id, kind: "totp", secret: Uint8Array.from(randomBytes(20)), algorithm: "SHA256", digits: 8, period: 30, t0: 0,
    driftSteps: -2, lastAcceptedStep: 56_666_667, failures: 1, lockedUntil: 0, lockouts: 0, version: 0, ...over,
  };
}
export const isCode = (code: string) => (e: unknown) => e instanceof VerifierError && e.code === code;

export async function casContract(store: VerifierStore): Promise<void> {
  const rec = record("dev-1");
  await store.create(rec);
  await assert.rejects(store.create(record("dev-1")), isCode("ALREADY_EXISTS"));
  const got = await store.get("dev-1");
  assert.deepEqual(got, rec);
  assert.equal(await store.get("missing"), undefined);

  // Wrong expected version: refused, nothing changes.
  assert.equal(await store.compareAndSet("dev-1", 1, { ...rec, failures: 9 }), false);
  assert.equal((await store.get("dev-1"))?.failures, 1);
  // Right version: applied, version bumped by the store (whatever next.version says).
  const next = { ...rec, failures: 2, lastAcceptedStep: 56_666_668, driftSteps: 3, lockedUntil: LOCKED_PERMANENTLY, lockouts: 4, version: 77 };
  assert.equal(await store.compareAndSet("dev-1", 0, next), true);
  const after = await store.get("dev-1");
  assert.deepEqual(after, { ...next, version: 1 });
  // The same expected version cannot win twice.
  assert.equal(await store.compareAndSet("dev-1", 0, next), false);
  // id, kind and secret are fixed at create.
  assert.equal(await store.compareAndSet("dev-1", 1, { ...next, kind: "hotp", secret: new Uint8Array(20) }), true);
  const fixed = await store.get("dev-1");
  assert.deepEqual(fixed?.secret, rec.secret);
  assert.equal(fixed?.kind, "totp");
  assert.equal(fixed?.version, 2);
  // Returned records are copies: mutating one does not touch the store.
  (fixed!.secret as Uint8Array)[0] ^= 0xff;
  assert.deepEqual((await store.get("dev-1"))?.secret, rec.secret);
  // CAS on a missing record, delete.
  assert.equal(await store.compareAndSet("missing", 0, record("missing")), false);
  assert.equal(await store.delete("dev-1"), true);
  assert.equal(await store.delete("dev-1"), false);
  assert.equal(await store.compareAndSet("dev-1", 2, next), false);
}
