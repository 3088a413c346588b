// Child process of verify-processes.test.ts and verify-postgres.test.ts: one broker process with its own
// SQLite connection (or PostgreSQL pool, given `pg`).
// Argument: JSON { path, keyHex, seedsHex[], first, trials, startStep }. Prints "READY", waits for a
// line on stdin, then walks the trials in order printing "A <trial>" for each code IT accepted,
// and "DONE <accepted> <refused>" (or "E <message>" on an error). With `holdAfter: n`, after n trials
// it takes SQLite's write lock and writes inside an open transaction, prints "HOLDING" and waits
// there to be killed: the worst moment for a broker to die (the others are blocked on the lock). Pipes are synchronous on Linux,
// so a line printed is a line the parent receives, even if this process is killed right after.
import { createRequire } from "node:module";
import { PostgresStore, SqliteStore, TotpVerifier } from "../src/verify/index.js";
import { referenceCode } from "./store-contract.js";

/** With `pg`, the process uses a PostgresStore on that server and table instead of the SQLite file `path`. */
interface PgArgs { host: string; port: number; user: string; database: string; table: string }
interface Args { pg?: PgArgs; path: string; keyHex: string; seedsHex: string[]; first: number; trials: number; startStep: number; holdAfter?: number }
const a = JSON.parse(process.argv[process.argv.length - 1]!) as Args;
const seeds = a.seedsHex.map((h) => Buffer.from(h, "hex"));

/** The trial's device, step and code (RFC 6238 SHA-1, 6 digits; computed here with node:crypto, not the SDK). */
export function trial(t: number, seedCount: number, startStep: number): { device: number; step: number } {
  return { device: t % seedCount, step: startStep + Math.floor(t / seedCount) };
}
const code = referenceCode;

const out = (line: string) => process.stdout.write(line + "\n");
const secretKey = Buffer.from(a.keyHex, "hex");
const store = a.pg ? new PostgresStore({ ...a.pg, secretKey, poolSize: 2 }) : new SqliteStore(a.path, { secretKey, busyTimeoutMs: 10_000 });
const verifier = new TotpVerifier({ store, maxCasRetries: 1000 });
out("READY");
process.stdin.once("data", () => {
  void (async () => {
    let accepted = 0, refused = 0;
    try {
      for (let t = a.first; t < a.first + a.trials; t++) {
        if (t - a.first === a.holdAfter && a.pg) {
          // PostgreSQL: row locks on every device inside an open transaction with uncommitted changes.
          const pg = (await import("pg")).default;
          const c = new pg.Client({ host: a.pg.host, port: a.pg.port, user: a.pg.user, database: a.pg.database });
          await c.connect();
          await c.query("BEGIN");
          await c.query(`UPDATE ${a.pg.table} SET failures = failures + 1000, version = version + 1`); // never committed
          out("HOLDING");
          await new Promise(() => { /* until SIGKILL */ });
        }
        if (t - a.first === a.holdAfter) {
          const Database = createRequire(import.meta.url)("better-sqlite3") as typeof import("better-sqlite3");
          const db = new Database(a.path, { timeout: 10_000 });
          db.exec("BEGIN IMMEDIATE");
          db.exec("UPDATE tokens SET failures = failures + 1000, version = version + 1"); // never committed
          out("HOLDING");
          await new Promise(() => { /* until SIGKILL */ });
        }
        const { device, step } = trial(t, seeds.length, a.startStep);
        const r = await verifier.verify(`dev-${device}`, code(seeds[device]!, step), { now: step * 30_000 + 5_000 });
        if (r.verified) { accepted++; out(`A ${t}`); } else refused++;
      }
      out(`DONE ${accepted} ${refused}`);
    } catch (e) {
      out(`E ${e instanceof Error ? `${(e as { code?: string }).code ?? ""} ${e.message}` : String(e)}`);
    } finally {
      await store.close();
      process.stdin.destroy();
    }
  })();
});
