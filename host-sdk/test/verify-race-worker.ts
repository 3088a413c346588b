// Worker for verify-race.test.ts: one verifier process-alike with its own SQLite connection.
import { parentPort, workerData } from "node:worker_threads";
import { SqliteStore, TotpVerifier, type TokenRecord, type VerifierStore } from "../src/verify/index.js";

interface Data { path: string; key: Uint8Array; id: string; sab: SharedArrayBuffer }
interface Round { round: number; code: string; now: number }

const data = workerData as Data;
const sqlite = new SqliteStore(data.path, { secretKey: data.key });
let lostCas = 0;
// Counts lost compare-and-set races, to show the race really happens.
const store: VerifierStore = {
  get: (id) => sqlite.get(id),
  create: (rec: TokenRecord) => sqlite.create(rec),
  delete: (id) => sqlite.delete(id),
  compareAndSet: async (id, v, next) => {
    const ok = await sqlite.compareAndSet(id, v, next);
    if (!ok) lostCas++;
    return ok;
  },
};
const verifier = new TotpVerifier({ store });
const gate = new Int32Array(data.sab);

parentPort!.on("message", (m: Round | "close") => {
  if (m === "close") {
    sqlite.close();
    parentPort!.postMessage({ lostCas });
    parentPort!.close();
    return;
  }
  void (async () => {
    // Barrier: both workers start the round at the same moment.
    const target = 2 * (m.round + 1);
    Atomics.add(gate, 0, 1);
    Atomics.notify(gate, 0);
    for (let v = Atomics.load(gate, 0); v < target; v = Atomics.load(gate, 0)) Atomics.wait(gate, 0, v, 100);
    try {
      const r = await verifier.verify(data.id, m.code, { now: m.now });
      parentPort!.postMessage({ round: m.round, verified: r.verified });
    } catch (e) {
      parentPort!.postMessage({ round: m.round, error: String(e) });
    }
  })();
});
