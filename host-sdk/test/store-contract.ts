// The compare-and-set contract every VerifierStore passes (memory, SQLite, PostgreSQL).
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { LOCKED_PERMANENTLY, VerifierError, type ChallengeRecord, type CredentialRecord, type CredentialStore, type TokenRecord, type VerifierStore } from "../src/verify/index.js";

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
  await assert.rejects(store.create(record("dev-1")), (e: unknown) => isCode("ALREADY_EXISTS")(e) && (e as Error).message === 'device "dev-1" already enrolled');
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

// ---------------------------------------------------------------------------------------------
// FIDO credentials and challenges: the same contract on every store.

export function credential(over: Partial<CredentialRecord> = {}): CredentialRecord {
  return {
    credentialId: Uint8Array.from(randomBytes(32)), rpId: "segl.example", userHandle: Uint8Array.of(1, 2, 3, 4),
    publicKey: Uint8Array.from(randomBytes(77)), algorithm: -7, aaguid: "5e61c0de-0000-4000-8000-00000000c41d", trust: "chained",
    signCount: 5, createdAt: 1_700_000_000_000, lastUsedAt: 0, version: 0, ...over,
  };
}

export async function credentialContract(store: CredentialStore): Promise<void> {
  const a = credential();
  await store.createCredential(a);
  // The same code on every store, and a message that names a credential (not an OTP device).
  await assert.rejects(store.createCredential({ ...credential(), credentialId: a.credentialId }), (e: unknown) => isCode("ALREADY_EXISTS")(e) && /^credential \S+ already registered$/.test((e as Error).message));
  await assert.rejects(store.createCredential(credential({ signCount: 2 ** 32 })), isCode("INVALID_ARGUMENT"));
  assert.deepEqual(await store.getCredential(a.credentialId), a);
  assert.equal(await store.getCredential(Uint8Array.of(9, 9, 9)), undefined);
  // Listing: one account at one RP, oldest first.
  const b = credential({ createdAt: a.createdAt - 1 });
  const other = credential({ userHandle: Uint8Array.of(7) });
  const otherRp = credential({ rpId: "elsewhere.example" });
  for (const c of [b, other, otherRp]) await store.createCredential(c);
  assert.deepEqual((await store.listCredentials("segl.example", a.userHandle)).map((c) => Buffer.from(c.credentialId).toString("hex")),
    [b, a].map((c) => Buffer.from(c.credentialId).toString("hex")));
  assert.deepEqual(await store.listCredentials("segl.example", Uint8Array.of(42)), []);
  // Compare-and-set of the counter: the version read must still be the stored one.
  assert.equal(await store.updateCredential(a, { signCount: 6, lastUsedAt: 1_700_000_001_000 }), true);
  const a1 = await store.getCredential(a.credentialId);
  assert.deepEqual(a1, { ...a, signCount: 6, lastUsedAt: 1_700_000_001_000, version: 1 });
  assert.equal(await store.updateCredential(a, { signCount: 9, lastUsedAt: 1 }), false, "a stale version never writes");
  assert.equal((await store.getCredential(a.credentialId))?.signCount, 6);
  await assert.rejects(store.updateCredential(a1!, { signCount: 2 ** 32, lastUsedAt: 1 }), isCode("INVALID_ARGUMENT"));
  // Two writers that read the same version: exactly one wins.
  const wins = await Promise.all([store.updateCredential(a1!, { signCount: 7, lastUsedAt: 2 }), store.updateCredential(a1!, { signCount: 7, lastUsedAt: 3 })]);
  assert.deepEqual(wins.filter(Boolean).length, 1);
  assert.equal((await store.getCredential(a.credentialId))?.version, 2);
  // Returned records are copies.
  const copy = await store.getCredential(a.credentialId);
  (copy!.publicKey as Uint8Array)[0] ^= 0xff;
  assert.deepEqual((await store.getCredential(a.credentialId))?.publicKey, a.publicKey);
  assert.equal(await store.deleteCredential(a.credentialId), true);
  assert.equal(await store.deleteCredential(a.credentialId), false);
  assert.equal(await store.updateCredential(a1!, { signCount: 8, lastUsedAt: 4 }), false);

  // Challenges: single use, expiry, authenticated.
  const now = 1_700_000_000_000;
  const ch = (over: Partial<ChallengeRecord> = {}): ChallengeRecord => ({
    challenge: randomBytes(32).toString("base64url"), purpose: "assertion", rpId: "segl.example", userHandle: Uint8Array.of(1), expiresAt: now + 60_000, ...over,
  });
  const c1 = ch();
  await store.putChallenge(c1);
  await assert.rejects(store.putChallenge(c1), (e: unknown) => isCode("ALREADY_EXISTS")(e) && (e as Error).message === "challenge already pending");
  await assert.rejects(store.putChallenge(ch({ challenge: "short" })), isCode("INVALID_ARGUMENT"));
  const [t1, t2] = await Promise.all([store.takeChallenge(c1.challenge, now), store.takeChallenge(c1.challenge, now)]);
  assert.equal([t1, t2].filter((t) => t !== undefined).length, 1, "of two concurrent takes one gets the challenge");
  assert.deepEqual(t1 ?? t2, c1);
  assert.equal(await store.takeChallenge(c1.challenge, now), undefined, "single use");
  const c2 = ch({ purpose: "registration", userHandle: new Uint8Array(0) });
  await store.putChallenge(c2);
  assert.equal(await store.takeChallenge(c2.challenge, c2.expiresAt), undefined, "expired at expiresAt");
  assert.equal(await store.takeChallenge(c2.challenge, now), undefined, "an expired challenge is gone, not kept for later");
  // Expired challenges are swept by a later take.
  const c3 = ch({ expiresAt: now + 10 });
  const c4 = ch({ expiresAt: now + 1_000_000 });
  await store.putChallenge(c3);
  await store.putChallenge(c4);
  assert.equal(await store.takeChallenge("nothing-like-this-was-issued", now + 100), undefined);
  assert.equal(await store.takeChallenge(c3.challenge, now), undefined, "swept by the take above");
  assert.deepEqual(await store.takeChallenge(c4.challenge, now), c4);
}

/**
 * What the FIDO counter race must show: no counter accepted twice (across all processes), each
 * process's acceptances strictly increasing, and the store's counter at the highest accepted one.
 */
export function checkCounterRace(perProcess: number[][], stored: number | undefined, counters: number): void {
  const all = perProcess.flat();
  assert.equal(new Set(all).size, all.length, `a counter accepted twice: ${all.sort((x, y) => x - y).join(",")}`);
  for (const p of perProcess) for (let i = 1; i < p.length; i++) assert.ok(p[i]! > p[i - 1]!);
  assert.ok(all.length >= 1 && all.length <= counters);
  assert.equal(stored, Math.max(...all));
}

/** RFC 4226 HOTP / RFC 6238 TOTP value of `counter` (SHA-1, 6 digits), with node:crypto rather than the SDK. */
export function referenceCode(seed: Uint8Array, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", seed).update(msg).digest();
  const off = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}
