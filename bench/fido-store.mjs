// FIDO assertions verified WITH the counter update, per second: FidoBroker.verifyAssertionAndUpdate on
// SqliteStore (WAL, synchronous NORMAL) and on PostgresStore (the throwaway server of the tests, Unix
// socket, fsync=off; 1 and 16 in flight), against the bare verification (FidoVerifier, cached key,
// nothing stored). Each timed call takes its challenge from the store (single use), reads the
// credential, verifies the signature and advances the counter by compare-and-set: every one accepted.
// Challenges are issued and assertions signed before each round, outside the timing.
// Run: node bench/fido-store.mjs   (after `npx tsc -b host-sdk`)
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FidoVerifier, coseEs256 } from "@segl/host-sdk";
import { FidoBroker, PostgresStore, SqliteStore } from "@segl/host-sdk/verify";
import { runTs } from "../scripts/run-ts.mjs";
import { measure, medianRate, table } from "./lib.mjs";

const RP = "segl.example";
const ORIGIN = "https://segl.example";
const CREDS = 64;
const sha256 = (b) => createHash("sha256").update(b).digest();
const creds = Array.from({ length: CREDS }, (_, i) => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  return { id: new Uint8Array(randomBytes(32)), privateKey, cose: coseEs256(Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")), counter: 0, user: Uint8Array.of(1, i) };
});

function assertion(c, challengeB64u) {
  c.counter++;
  const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: challengeB64u, origin: ORIGIN, crossOrigin: false }));
  const ctr = Buffer.alloc(4);
  ctr.writeUInt32BE(c.counter);
  const authenticatorData = Buffer.concat([sha256(RP), Buffer.of(0x01), ctr]);
  const signature = sign("sha256", Buffer.concat([authenticatorData, sha256(clientDataJSON)]), c.privateKey);
  return { credentialId: c.id, clientDataJSON, authenticatorData, signature, counter: c.counter };
}

// The bare verification: the same checks, nothing read or written.
function bareRow() {
  const verifier = new FidoVerifier({ rpId: RP, origin: ORIGIN, requireUserVerification: false });
  const pool = creds.flatMap((c) => Array.from({ length: 4 }, () => ({ c, a: assertion(c, randomBytes(32).toString("base64url")) })));
  let i = 0;
  return measure("FidoVerifier.verifyAssertion (cached key, nothing stored)", () => {
    const { c, a } = pool[i++ % pool.length];
    const r = verifier.verifyAssertion({
      authenticatorData: a.authenticatorData, clientDataJSON: a.clientDataJSON, signature: a.signature,
      expectedChallenge: JSON.parse(a.clientDataJSON).challenge, credentialId: c.id, userHandle: null,
      credential: { id: c.id, publicKey: c.cose, signCount: a.counter - 1, userHandle: c.user },
    });
    if (!r.verified) throw new Error("bare verification refused");
  });
}

async function stored(name, store, concurrency) {
  const broker = new FidoBroker({ store, rpId: RP, origin: ORIGIN, attestation: "any", requireUserVerification: false });
  for (const c of creds) {
    await store.createCredential({ credentialId: c.id, rpId: RP, userHandle: c.user, publicKey: c.cose, algorithm: -7, aaguid: "00000000-0000-0000-0000-000000000000", trust: "none", signCount: c.counter, createdAt: Date.now(), lastUsedAt: 0, version: 0 });
  }
  const round = async (ms) => {
    let n = 0, busy = 0;
    while (busy < ms) {
      // One assertion per credential, challenges issued through the broker (kept in the store).
      const batch = [];
      for (const c of creds) batch.push(assertion(c, (await broker.assertionOptions({})).challenge));
      const t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < batch.length; i = next++) {
          const r = await broker.verifyAssertionAndUpdate(batch[i]);
          if (!r.verified) throw new Error(`${name}: refused (${r.reasons.join()})`);
        }
      }));
      busy += performance.now() - t0;
      n += batch.length;
    }
    return (n * 1000) / busy;
  };
  return medianRate(name, round);
}

const rows = [bareRow()];
const dir = mkdtempSync(join(tmpdir(), "segl-bench-fido-"));
const { startPgServer } = await runTs(new URL("../host-sdk/test/pg-server.ts", import.meta.url).href);
const server = await startPgServer();
try {
  const sqlite = new SqliteStore(join(dir, "fido.sqlite"), { secretKey: randomBytes(32) });
  rows.push(await stored("FidoBroker.verifyAssertionAndUpdate + SqliteStore (WAL, NORMAL)", sqlite, 1));
  sqlite.close();
  const pg = new PostgresStore({ host: server.host, port: server.port, user: server.user, database: server.database, secretKey: randomBytes(32), poolSize: 16 });
  rows.push(await stored("FidoBroker.verifyAssertionAndUpdate + PostgresStore, 1 in flight", pg, 1));
  await pg.close();
  const pg16 = new PostgresStore({ host: server.host, port: server.port, user: server.user, database: server.database, secretKey: randomBytes(32), poolSize: 16, table: "bench16" });
  rows.push(await stored("FidoBroker.verifyAssertionAndUpdate + PostgresStore, 16 in flight (pool of 16)", pg16, 16));
  await pg16.close();
  table(`FIDO assertion verification with the counter update (${CREDS} P-256 credentials, every assertion accepted and committed)`, rows);
} finally {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
}
