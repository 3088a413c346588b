// Child process of the FIDO counter tests: one broker node (its own SqliteStore or PostgresStore) that
// walks counters 1..N of one credential, for each: asks for assertion options (a challenge kept in the
// shared store), signs an assertion with that counter and submits it. Several such processes walk the
// same counters at once; each prints "A <counter>" for every assertion IT had accepted, then
// "DONE <accepted> <refused>" ("E <message>" on an error). Argument: JSON { pg?, path?, keyHex, credIdHex, skHex, counters }.
import { FidoBroker, PostgresStore, SqliteStore } from "../src/verify/index.js";
import { ORIGIN, RP, assertWith } from "./fido-soft.js";
import { coseEs256 } from "../src/fido/index.js";
import { p256 } from "@noble/curves/nist.js";

interface Args { pg?: { host: string; port: number; user: string; database: string; table: string }; path?: string; keyHex: string; credIdHex: string; skHex: string; counters: number }
const a = JSON.parse(process.argv[process.argv.length - 1]!) as Args;
const out = (line: string) => process.stdout.write(line + "\n");
const secretKey = Buffer.from(a.keyHex, "hex");
const store = a.pg ? new PostgresStore({ ...a.pg, secretKey, poolSize: 2 }) : new SqliteStore(a.path!, { secretKey, busyTimeoutMs: 10_000 });
const broker = new FidoBroker({ store, rpId: RP, origin: ORIGIN, attestation: "any", requireUserVerification: false, maxCasRetries: 1000 });
const sk = new Uint8Array(Buffer.from(a.skHex, "hex"));
const cred = { id: new Uint8Array(Buffer.from(a.credIdHex, "hex")), sk, cose: coseEs256(p256.getPublicKey(sk, false)), kind: "p256" as const };
out("READY");
process.stdin.once("data", () => {
  void (async () => {
    let accepted = 0, refused = 0;
    try {
      for (let n = 1; n <= a.counters; n++) {
        const o = await broker.assertionOptions({});
        const s = assertWith(cred, { counter: n, challenge: new Uint8Array(Buffer.from(o.challenge, "base64url")) });
        const r = await broker.verifyAssertionAndUpdate({ credentialId: cred.id, clientDataJSON: s.clientDataJSON, authenticatorData: s.authenticatorData, signature: s.signature });
        if (r.verified) { accepted++; out(`A ${n}`); } else if (r.reasons.join() === "counter-regressed") refused++; else throw new Error(`refused for ${r.reasons.join()}`);
      }
      out(`DONE ${accepted} ${refused}`);
    } catch (e) {
      out(`E ${e instanceof Error ? `${(e as { code?: string }).code ?? ""} ${e.message}` : String(e)}`);
    } finally {
      if (store instanceof SqliteStore) store.close(); else await store.close();
      process.stdin.destroy();
    }
  })();
});
