// FIDO credentials in the broker's stores (issue 9): the credential/challenge contract on MemoryStore and
// SqliteStore, schema v1 → v2, authenticated rows, FidoBroker (registration, assertion, counter by
// compare-and-set, single-use challenges), and the decoy path answering STORE_TRANSIENT like a known id.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeglError } from "../src/errors.js";
import {
  FidoBroker, HotpVerifier, MemoryStore, SQLITE_SCHEMA_VERSION, SqliteStore, TotpVerifier,
  type CredentialStore, type FidoAuditEvent, type FidoBrokerOptions, type VerifierStore,
} from "../src/verify/index.js";
import { checkCounterRace, credential, credentialContract, isCode, record, referenceCode } from "./store-contract.js";
import { raceCounters } from "./verify-process-child.js";
import { AAGUID, ORIGIN, RP, assertWith, ca, newCred, register, type SoftCred } from "./fido-soft.js";

function tmp(): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "segl-cred-"));
  return { file: join(dir, "broker.sqlite"), done: () => rmSync(dir, { recursive: true, force: true }) };
}
const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");

describe("credential store contract", () => {
  test("MemoryStore", async () => {
    await credentialContract(new MemoryStore());
  });

  test("SqliteStore on a real file", async () => {
    const t = tmp();
    const s = new SqliteStore(t.file, { secretKey: randomBytes(32) });
    try {
      await credentialContract(s);
      assert.equal(await s.schemaVersion(), SQLITE_SCHEMA_VERSION);
      assert.equal(SQLITE_SCHEMA_VERSION, 2);
    } finally {
      s.close();
      t.done();
    }
  });

  test("SqliteStore: a version-1 file migrates to 2 by itself, its OTP rows intact; credentials then persist across reopen", async () => {
    const t = tmp();
    const key = randomBytes(32);
    try {
      // A v1 file as the previous SDK wrote it: the tokens table only, user_version 1.
      const old = new SqliteStore(t.file, { secretKey: key });
      await old.create(record("kept"));
      old.close();
      const db = new Database(t.file);
      db.exec("DROP TABLE fido_credentials; DROP TABLE fido_challenges");
      db.pragma("user_version = 1");
      db.close();
      const s = new SqliteStore(t.file, { secretKey: key });
      assert.equal((await s.get("kept"))?.id, "kept");
      assert.equal(await s.schemaVersion(), 2);
      const c = credential();
      await s.createCredential(c);
      s.close();
      const again = new SqliteStore(t.file, { secretKey: key });
      assert.deepEqual(await again.getCredential(c.credentialId), c);
      again.close();
    } finally {
      t.done();
    }
  });

  test("SqliteStore: a credential changed in the file without the key (public key, counter, user) is ROW_TAMPERED", async () => {
    const t = tmp();
    const key = randomBytes(32);
    try {
      const s = new SqliteStore(t.file, { secretKey: key });
      const c = credential({ signCount: 40 });
      await s.createCredential(c);
      const db = new Database(t.file);
      for (const [col, value] of [["public_key", randomBytes(77)], ["sign_count", 0], ["user_handle", Buffer.of(6, 6)], ["trust", "none"]] as const) {
        const before = db.prepare(`SELECT ${col} AS v FROM fido_credentials`).get() as { v: unknown };
        db.prepare(`UPDATE fido_credentials SET ${col} = ?`).run(value);
        await assert.rejects(s.getCredential(c.credentialId), isCode("ROW_TAMPERED"), col);
        db.prepare(`UPDATE fido_credentials SET ${col} = ?`).run(before.v);
      }
      assert.deepEqual(await s.getCredential(c.credentialId), c);
      // A challenge given a later expiry in the file is refused the same way.
      await s.putChallenge({ challenge: "A".repeat(43), purpose: "assertion", rpId: RP, userHandle: new Uint8Array(0), expiresAt: 5000 });
      db.prepare("UPDATE fido_challenges SET expires_at = 9999999").run();
      await assert.rejects(s.takeChallenge("A".repeat(43), 6000), isCode("ROW_TAMPERED"));
      db.close();
      s.close();
    } finally {
      t.done();
    }
  });
});

// ---------------------------------------------------------------------------------------------

const NOW = 1_800_000_000_000;
const USER = Uint8Array.of(0xa1, 0xa2, 0xa3);
const ub = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));

function broker(store: CredentialStore, over: Partial<FidoBrokerOptions> = {}, events: FidoAuditEvent[] = []): FidoBroker {
  let now = NOW;
  return new FidoBroker({
    store, rpId: RP, origin: ORIGIN, trustAnchors: [ca.certificateDer], requireUserVerification: false,
    clock: () => (now += 1), onAudit: (e) => events.push(e), ...over,
  });
}

async function enrol(b: FidoBroker, cred: SoftCred = newCred(), counter = 0): Promise<SoftCred> {
  const o = await b.registrationOptions({ userHandle: USER, name: "ann" });
  const r = register("packed-batch", { cred, counter, challenge: ub(o.challenge) });
  const res = await b.registerCredential({ clientDataJSON: r.clientDataJSON, attestationObject: r.attestationObject });
  assert.equal(res.verified, true, JSON.stringify(res));
  return cred;
}

async function signIn(b: FidoBroker, cred: SoftCred, counter: number, user: Uint8Array | undefined = USER) {
  const o = await b.assertionOptions(user ? { userHandle: user } : {});
  const a = assertWith(cred, { counter, challenge: ub(o.challenge) });
  return { options: o, input: { credentialId: cred.id, clientDataJSON: a.clientDataJSON, authenticatorData: a.authenticatorData, signature: a.signature } };
}

describe("FidoBroker", () => {
  test("registration: options kept in the store, attestation chained, credential stored with AAGUID and trust; challenge single use", async () => {
    const store = new MemoryStore();
    const events: FidoAuditEvent[] = [];
    const b = broker(store, {}, events);
    const o = await b.registrationOptions({ userHandle: USER, name: "ann", displayName: "Ann" });
    assert.equal(o.rp.id, RP);
    assert.equal(o.user.id, Buffer.from(USER).toString("base64url"));
    assert.equal(o.attestation, "direct");
    const cred = newCred();
    const r = register("packed-batch", { cred, counter: 3, challenge: ub(o.challenge) });
    const res = await b.registerCredential({ clientDataJSON: r.clientDataJSON, attestationObject: r.attestationObject });
    assert.deepEqual(res, { verified: true, credentialId: Buffer.from(cred.id).toString("base64url"), userHandle: o.user.id, aaguid: AAGUID, trust: "chained", signCount: 3 });
    const stored = await store.getCredential(cred.id);
    assert.deepEqual(stored?.publicKey, cred.cose);
    assert.equal(stored?.trust, "chained");
    assert.equal(stored?.signCount, 3);
    assert.deepEqual(stored?.userHandle, USER);
    // The same response again: its challenge is spent.
    assert.deepEqual(await b.registerCredential({ clientDataJSON: r.clientDataJSON, attestationObject: r.attestationObject }), { verified: false, reasons: ["challenge-unknown"] });
    // The next options exclude the registered credential.
    const o2 = await b.registrationOptions({ userHandle: USER, name: "ann" });
    assert.deepEqual(o2.excludeCredentials, [{ type: "public-key", id: res.verified ? res.credentialId : "" }]);
    // The same credential registered again (new challenge): credential-exists.
    const r2 = register("packed-batch", { cred, challenge: ub(o2.challenge) });
    assert.deepEqual(await b.registerCredential({ clientDataJSON: r2.clientDataJSON, attestationObject: r2.attestationObject }), { verified: false, reasons: ["credential-exists"] });
    assert.ok(events.some((e) => e.op === "register" && e.outcome === "accepted"));
  });

  test("registration fails closed: self attestation under the default policy, a challenge never issued, an expired one, an assertion's challenge", async () => {
    const store = new MemoryStore();
    let now = NOW;
    const b = broker(store, { clock: () => now, challengeTtlMs: 60_000 });
    const o = await b.registrationOptions({ userHandle: USER, name: "ann" });
    const self = register("packed-self", { challenge: ub(o.challenge) });
    const res = await b.registerCredential({ clientDataJSON: self.clientDataJSON, attestationObject: self.attestationObject });
    assert.equal(res.verified, false);
    assert.ok(!res.verified && res.reasons.includes("attestation-untrusted"));
    // …and says why for people (the page shows it), without key material.
    assert.ok(!res.verified && res.problems !== undefined && res.problems.length > 0 && res.problems.every((p) => typeof p === "string" && !p.includes("BEGIN")), JSON.stringify(res));
    assert.ok(!res.verified && res.problems!.some((p) => /attestation/i.test(p)), JSON.stringify(res));
    assert.equal(await store.getCredential(self.cred.id), undefined);
    const stranger = register("packed-batch");
    assert.deepEqual(await b.registerCredential({ clientDataJSON: stranger.clientDataJSON, attestationObject: stranger.attestationObject }), { verified: false, reasons: ["challenge-unknown"] });
    const o2 = await b.registrationOptions({ userHandle: USER, name: "ann" });
    now += 60_000;
    const late = register("packed-batch", { challenge: ub(o2.challenge) });
    assert.deepEqual(await b.registerCredential({ clientDataJSON: late.clientDataJSON, attestationObject: late.attestationObject }), { verified: false, reasons: ["challenge-unknown"] });
    const ao = await b.assertionOptions({ userHandle: USER });
    const wrong = register("packed-batch", { challenge: ub(ao.challenge) });
    assert.deepEqual(await b.registerCredential({ clientDataJSON: wrong.clientDataJSON, attestationObject: wrong.attestationObject }), { verified: false, reasons: ["challenge-unknown"] });
    const garbage = await b.registrationOptions({ userHandle: USER, name: "ann" });
    const g = register("packed-batch", { challenge: ub(garbage.challenge) });
    assert.deepEqual(await b.registerCredential({ clientDataJSON: g.clientDataJSON, attestationObject: Uint8Array.of(0xff, 1, 2) }), { verified: false, reasons: ["malformed"] });
  });

  test("assertion: verified, counter advanced and lastUsedAt set; a replayed response and a lower counter are refused (counter-regressed)", async () => {
    const store = new MemoryStore();
    const b = broker(store);
    const cred = await enrol(b, newCred(), 5);
    const { options, input } = await signIn(b, cred, 6);
    assert.deepEqual(options.allowCredentials, [{ type: "public-key", id: Buffer.from(cred.id).toString("base64url") }]);
    const ok = await b.verifyAssertionAndUpdate(input);
    assert.deepEqual(ok, { verified: true, credentialId: Buffer.from(cred.id).toString("base64url"), userHandle: Buffer.from(USER).toString("base64url"), signCount: 6, counter: "ok" });
    const rec = await store.getCredential(cred.id);
    assert.equal(rec?.signCount, 6);
    assert.ok(rec!.lastUsedAt > NOW);
    assert.deepEqual(await b.verifyAssertionAndUpdate(input), { verified: false, reasons: ["challenge-unknown"] }, "the same response twice");
    const same = await signIn(b, cred, 6);
    assert.deepEqual(await b.verifyAssertionAndUpdate(same.input), { verified: false, reasons: ["counter-regressed"] });
    const lower = await signIn(b, cred, 2);
    assert.deepEqual(await b.verifyAssertionAndUpdate(lower.input), { verified: false, reasons: ["counter-regressed"] });
    assert.equal((await store.getCredential(cred.id))?.signCount, 6, "a refused assertion changes nothing");
    // A bad signature, an unknown credential, another account's challenge.
    const bad = await signIn(b, cred, 7);
    assert.deepEqual(await b.verifyAssertionAndUpdate({ ...bad.input, signature: assertWith(newCred(), { counter: 7 }).signature }), { verified: false, reasons: ["signature-invalid"] });
    const unknown = await signIn(b, cred, 8);
    assert.deepEqual(await b.verifyAssertionAndUpdate({ ...unknown.input, credentialId: Uint8Array.of(1, 2, 3) }), { verified: false, reasons: ["unknown-credential"] });
    const otherUser = await signIn(b, cred, 9, Uint8Array.of(9));
    assert.deepEqual(await b.verifyAssertionAndUpdate(otherUser.input), { verified: false, reasons: ["unknown-credential"] });
    // Username-less: no userHandle in the options, any registered credential.
    const free = await signIn(b, cred, 10, undefined);
    assert.equal((await b.verifyAssertionAndUpdate(free.input)).verified, true);
  });

  test("two concurrent assertions with the same counter: exactly one accepted, on every store and also with a lower counter", async () => {
    const t = tmp();
    const sqlite = new SqliteStore(t.file, { secretKey: randomBytes(32) });
    try {
      for (const store of [new MemoryStore(), sqlite]) {
        // Two broker nodes on one store.
        const b1 = broker(store);
        const b2 = broker(store);
        const cred = await enrol(b1, newCred(), 1);
        for (let round = 0; round < 20; round++) {
          const n = 2 + round * 3;
          const x = await signIn(b1, cred, n);
          // Even rounds: the same counter twice; odd rounds: the other carries the counter accepted last round.
          const y = await signIn(b2, cred, round % 2 === 0 ? n : n - 3);
          const res = await Promise.all([b1.verifyAssertionAndUpdate(x.input), b2.verifyAssertionAndUpdate(y.input)]);
          assert.equal(res.filter((r) => r.verified).length, 1, JSON.stringify(res));
          const lost = res.find((r) => !r.verified);
          assert.deepEqual(lost, { verified: false, reasons: ["counter-regressed"] });
        }
      }
    } finally {
      sqlite.close();
      t.done();
    }
  });

  test("a counter that stays zero (no counter on the authenticator) is the exception: accepted each time, also concurrently", async () => {
    const store = new MemoryStore();
    const b = broker(store);
    const cred = await enrol(b, newCred(), 0);
    const x = await signIn(b, cred, 0);
    const y = await signIn(b, cred, 0);
    const res = await Promise.all([b.verifyAssertionAndUpdate(x.input), b.verifyAssertionAndUpdate(y.input)]);
    assert.deepEqual(res.map((r) => r.verified && r.counter), ["unsupported", "unsupported"]);
    // Once it counted, a zero is a regression.
    assert.equal((await b.verifyAssertionAndUpdate((await signIn(b, cred, 1)).input)).verified, true);
    assert.deepEqual(await b.verifyAssertionAndUpdate((await signIn(b, cred, 0)).input), { verified: false, reasons: ["counter-regressed"] });
  });

  test("challenges are shared by nodes on one store: options from one node, the answer verified by another", async () => {
    const t = tmp();
    const key = randomBytes(32);
    const s1 = new SqliteStore(t.file, { secretKey: key });
    const s2 = new SqliteStore(t.file, { secretKey: key });
    try {
      const b1 = broker(s1);
      const b2 = broker(s2);
      const o = await b1.registrationOptions({ userHandle: USER, name: "ann" });
      const r = register("packed-batch", { counter: 1, challenge: ub(o.challenge) });
      assert.equal((await b2.registerCredential({ clientDataJSON: r.clientDataJSON, attestationObject: r.attestationObject })).verified, true);
      const a = await signIn(b2, r.cred, 2);
      assert.equal((await b1.verifyAssertionAndUpdate(a.input)).verified, true);
      assert.equal((await b2.verifyAssertionAndUpdate(a.input)).verified, false);
    } finally {
      s1.close();
      s2.close();
      t.done();
    }
  });

  test("store failures are thrown, never an acceptance", async () => {
    const store = new MemoryStore();
    const b0 = broker(store);
    const cred = await enrol(b0, newCred(), 1);
    const failing = new Proxy(store, {
      get(target, prop, recv) {
        if (prop === "updateCredential") return async () => { throw new SeglError("STORE_TRANSIENT", "reply lost", { details: { outcomeUnknown: true } }); };
        const v = Reflect.get(target, prop, recv) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const b = broker(failing);
    const a = await signIn(b, cred, 2);
    await assert.rejects(b.verifyAssertionAndUpdate(a.input), isCode("STORE_TRANSIENT"));
  });
});

const COUNTER_PROCS = Number(process.env["SEGL_RACE_PROCS"] ?? 4);
const COUNTERS = Number(process.env["SEGL_RACE_COUNTERS"] ?? 60);

test(`${COUNTER_PROCS} processes on one SQLite file submit assertions with the same ${COUNTERS} counters at once: no counter accepted twice`, async () => {
  const t = tmp();
  const key = randomBytes(32);
  try {
    const s = new SqliteStore(t.file, { secretKey: key });
    const cred = newCred();
    await s.createCredential(credential({ credentialId: cred.id, publicKey: cred.cose, rpId: RP, signCount: 0 }));
    s.close();
    const per = await raceCounters({ path: t.file, keyHex: key.toString("hex"), credIdHex: Buffer.from(cred.id).toString("hex"), skHex: Buffer.from(cred.sk).toString("hex"), counters: COUNTERS }, COUNTER_PROCS);
    const check = new SqliteStore(t.file, { secretKey: key });
    checkCounterRace(per, (await check.getCredential(cred.id))?.signCount, COUNTERS);
    check.close();
    console.log(`SQLite counter race: ${per.map((p) => p.length).join(" + ")} acceptances of ${COUNTERS} counters`);
  } finally {
    t.done();
  }
}, 60_000);

// ---------------------------------------------------------------------------------------------

/** A store whose every call fails as a PostgreSQL outage does, or only its writes. */
function outage(inner: VerifierStore, which: "all" | "writes"): VerifierStore {
  const fail = async (): Promise<never> => { throw new SeglError("STORE_TRANSIENT", "connection refused", { details: { op: "x", outcomeUnknown: false } }); };
  return {
    get: which === "all" ? fail : (id: string) => inner.get(id),
    create: fail,
    compareAndSet: fail,
    delete: fail,
  } as VerifierStore;
}

describe("decoy path during a store outage (no enumeration hint)", () => {
  for (const which of ["all", "writes"] as const) {
    test(`${which === "all" ? "store unreachable" : "writes failing"}: an unknown id, a reserved id and a known id all answer STORE_TRANSIENT`, async () => {
      const inner = new MemoryStore();
      const setup = new TotpVerifier({ store: inner });
      await setup.enroll("known", { secret: randomBytes(20) });
      // The decoy exists already (a previous unknown id created it), as on any broker that has run a while.
      await setup.verify("someone-else", "000000", { now: NOW });
      const v = new TotpVerifier({ store: outage(inner, which) });
      const h = new HotpVerifier({ store: outage(inner, which) });
      for (const id of ["known", "unknown", "", "~segl-decoy-totp", "x".repeat(300)]) {
        await assert.rejects(v.verify(id, "123456", { now: NOW }), isCode("STORE_TRANSIENT"), JSON.stringify(id.slice(0, 20)));
      }
      await assert.rejects(h.verify("unknown", "123456"), isCode("STORE_TRANSIENT"));
    });
  }

  test("without an outage the unknown id is still refused like a wrong code (not an error)", async () => {
    const v = new TotpVerifier({ store: new MemoryStore() });
    assert.deepEqual(await v.verify("unknown", "123456", { now: NOW }), { verified: false });
    assert.deepEqual(await v.verify("", "123456", { now: NOW }), { verified: false });
  });
});

test("HOTP: a code accepted a moment ago (double click, two nodes racing) is a replay, not a failure towards the lockout", async () => {
  const store = new MemoryStore();
  const events: { reason?: string }[] = [];
  const secret = Uint8Array.from(randomBytes(20));
  const h = new HotpVerifier({ store, maxFailures: 2, onAudit: (e) => events.push(e) });
  await h.enroll("h", { secret });
  const code = (n: number) => referenceCode(secret, n);
  // Two concurrent submissions of counter 0, then late submissions of 0 and 1 after 2 was accepted.
  const both = await Promise.all([h.verify("h", code(0)), h.verify("h", code(0))]);
  assert.equal(both.filter((r) => r.verified).length, 1);
  assert.equal((await h.verify("h", code(2))).verified, true);
  for (const n of [0, 1, 2]) assert.deepEqual(await h.verify("h", code(n)), { verified: false });
  assert.equal((await h.status("h"))?.failures, 0, "replays did not count");
  assert.deepEqual(events.filter((e) => e.reason !== undefined).map((e) => e.reason), ["replay", "replay", "replay", "replay"]);
  assert.equal((await h.verify("h", code(3))).verified, true, "not locked out");
});
