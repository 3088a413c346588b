// `segl broker import FILE`: loads the seeds of a PSKC file (RFC 6030) into a broker's store (SQLite or PostgreSQL)
// through the verifiers' public enrol API. Each key gets a line (serial, outcome); seeds are never printed.
import { readFileSync, statSync } from "node:fs";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, parseOptionsAndArgs, type CliContext } from "./common.js";
import { PSKC_KEY_HELP, pskcSecret, storeKey } from "./secrets.js";
import { importPskc, type PskcKey } from "@segl/host-sdk/pskc";
import { HotpVerifier, TotpVerifier } from "@segl/host-sdk/verify";
import { openBrokerStore } from "./store.js";
import { isSeglError } from "@segl/host-sdk/errors";

export const help = (prog: string) => `Usage: ${prog} import FILE --store DB (--psk-hex HEX | --password-file F | --password PW) [options]

Reads a PSKC file (RFC 6030) and enrols every key whose MAC verifies into the broker's store
(the one \`segl serve\` uses: a SQLite file or a PostgreSQL database) (TOTP or HOTP, enrolled under the device serial). A key that fails (altered MAC, unsupported
parameters, already enrolled) is reported and skipped; the others are enrolled. Exit code 0 when
every key was enrolled, 1 otherwise. Seeds are never printed.

Options:
  --store DB          the broker's SQLite file (created if missing; its directory must exist), or a
                      PostgreSQL URL (postgres://… or postgresql://…; the schema is made if missing)
  --store-key-file F  the store's 32-byte seal key as 64 hex digits (default: $SEGL_STORE_KEY)
${PSKC_KEY_HELP}
  --allow-plaintext   accept keys whose secret is not encrypted (refused by default)
  --json              print one JSON object: { file, enrolled, refused, keys: [{ id, serial, outcome, reason? }] }
`;

export type ImportOutcome = { id: string; serial: string; outcome: "enrolled" } | { id: string; serial: string; outcome: "refused"; reason: string; message: string };

/** Enrols the imported keys; one key's failure does not stop the others. */
export async function enrolKeys(reports: ReturnType<typeof importPskc>["keys"], totp: TotpVerifier, hotp: HotpVerifier): Promise<ImportOutcome[]> {
  const out: ImportOutcome[] = [];
  for (const r of reports) {
    if (!r.ok) { out.push({ id: r.id, serial: r.serial, outcome: "refused", reason: r.reason, message: r.message }); continue; }
    const k: PskcKey = r.key;
    try {
      if (k.kind === "totp") {
        await totp.enroll(k.serial, { secret: k.secret, algorithm: k.algorithm, digits: k.digits, period: k.period ?? 30, t0: k.t0 ?? 0, driftSteps: k.driftSteps ?? 0 });
      } else {
        await hotp.enroll(k.serial, { secret: k.secret, algorithm: k.algorithm, digits: k.digits, counter: k.counter ?? 0 });
      }
      out.push({ id: k.id, serial: k.serial, outcome: "enrolled" });
    } catch (e) {
      if (!isSeglError(e, "ALREADY_EXISTS", "INVALID_ARGUMENT")) throw e;
      out.push({ id: k.id, serial: k.serial, outcome: "refused", reason: e.code, message: e.message });
    }
  }
  return out;
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "-h" || sub === "--help" || sub === undefined) {
    (sub === undefined ? ctx.stderr : ctx.stdout).write(help(ctx.prog));
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (sub !== "import") throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (import)`);
  const { values: v, positionals } = parseOptionsAndArgs(rest, {
    store: { type: "string" }, "store-key-file": { type: "string" }, "psk-hex": { type: "string" }, "key-name": { type: "string" },
    password: { type: "string" }, "password-file": { type: "string" }, "allow-plaintext": { type: "boolean" }, json: { type: "boolean" },
  });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  if (positionals.length !== 1) throw new UsageError("give exactly one FILE to import");
  const file = positionals[0]!;
  if (!v.store) throw new UsageError("--store DB is required");
  const secret = pskcSecret(v);
  const key = storeKey(v["store-key-file"], ctx.env);
  let bytes: Buffer;
  try {
    if (statSync(file).size > 64 * 1024 * 1024) throw new Error("larger than 64 MiB");
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const started = performance.now();
  const result = importPskc(bytes, { ...(secret.kind === "psk" ? { psk: secret.key } : { password: secret.password }), allowPlaintext: v["allow-plaintext"] === true, maxBytes: 64 * 1024 * 1024 });
  const { store, name } = openBrokerStore(v.store, { secretKey: key });
  let outcomes: ImportOutcome[];
  try {
    outcomes = await enrolKeys(result.keys, new TotpVerifier({ store }), new HotpVerifier({ store }));
  } finally {
    await store.close();
  }
  const ms = performance.now() - started;
  const enrolled = outcomes.filter((o) => o.outcome === "enrolled").length;
  const refused = outcomes.length - enrolled;
  if (v.json) {
    ctx.stdout.write(JSON.stringify({ file, store: name, enrolled, refused, keys: outcomes }) + "\n");
  } else {
    for (const o of outcomes) ctx.stdout.write(o.outcome === "enrolled" ? `${o.serial}\tenrolled\n` : `${o.serial || o.id}\trefused\t${o.reason}: ${o.message}\n`);
    ctx.stdout.write(`${enrolled} enrolled, ${refused} refused, from ${file} into ${name}\n`);
  }
  ctx.stderr.write(`${ctx.prog}: ${outcomes.length} key(s) in ${ms.toFixed(0)} ms\n`);
  return refused === 0 && outcomes.length > 0 ? EXIT_OK : EXIT_FAILURE;
}

