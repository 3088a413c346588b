// `segl serve`: the broker's HTTP server (createBrokerServer from @segl/host-sdk/serve) on a SQLite file
// or a PostgreSQL database, until SIGTERM/SIGINT, then a graceful stop and exit 0.
import { readFileSync } from "node:fs";
import { EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";
import { storeKey } from "./secrets.js";
import { createBrokerServer } from "@segl/host-sdk/serve";
import { openBrokerStore } from "./store.js";
import { isSeglError } from "@segl/host-sdk/errors";

export const help = (prog: string) => `Usage: ${prog} [options]

OTP (TOTP/HOTP) and FIDO2 verification over HTTP with JSON (docs/broker.md): enrol, verify, resync,
unlock; FIDO registration and assertion. Listens on 127.0.0.1 unless told otherwise. Stops on
SIGTERM or SIGINT: no longer ready, finishes the requests in flight, closes the store, exits 0.

Options:
  --store S              a SQLite file (default $SEGL_STORE or segl-broker.sqlite), or a PostgreSQL URL
                         (postgres://… or postgresql://…; default from $SEGL_STORE too)
  --store-key-file F     the store's 32-byte seal key as 64 hex digits (default: $SEGL_STORE_KEY)
  --token-file F         API tokens, one a line (# comments); default: $SEGL_API_TOKENS (comma-separated)
  --host H               address to listen on (default 127.0.0.1)
  --port N               port (default 8480; 0 = any free port)
  --rp-id ID             FIDO relying party id (e.g. login.example); with --origin, enables /v1/fido
  --origin URL           origin(s) of the login pages, comma-separated (https://login.example)
  --trust-anchor F[,F…]  maker roots (PEM or DER files) that FIDO attestations must chain to
  --attestation any      accept registrations without a chained attestation (default: chained)
  --allow-no-uv          accept FIDO ceremonies without user verification (default: required)
  --synchronous FULL     SQLite: fsync every commit (survives power loss; default NORMAL)
  --pool N               PostgreSQL connections of this instance (default 10)
  --rate-token N/S       per-token limit, N requests per S seconds (default 6000/60)
  --rate-client N/S      per-client-address limit (default 600/60)
  --trust-proxy          take the client address from X-Forwarded-For (behind a load balancer)
  --quiet                no access log lines (audit lines are always written)
  --json                 stdout in JSON lines: {"event":"listening","url","store","rpId"} then {"event":"stopped"}
                         (logs are JSON lines on stderr either way; errors: one JSON object on stdout)

Logs: one JSON object a line on stderr ({"type":"audit"|"access"|"error",…}); never a token, seed or code.
`;

/** Tokens from a file (one a line) or $SEGL_API_TOKENS (comma-separated). */
export function readTokens(file: string | undefined, env: NodeJS.ProcessEnv): string[] {
  let list: string[];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`--token-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
    list = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith("#"));
  } else {
    list = (env.SEGL_API_TOKENS ?? "").split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  }
  if (list.length === 0) throw new UsageError("API tokens are required: --token-file FILE or $SEGL_API_TOKENS");
  if (!list.every((t) => t.length >= 16 && t.length <= 512 && /^[\x21-\x7e]+$/.test(t))) throw new UsageError("each API token is 16..512 printable characters without spaces");
  return list;
}

function rate(v: string | undefined, dflt: string, flag: string): { max: number; windowMs: number } {
  const m = /^(\d{1,9})\/(\d{1,6})$/.exec(v ?? dflt);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`${flag} is N/SECONDS, e.g. ${dflt}`);
  return { max: Number(m[1]), windowMs: Number(m[2]) * 1000 };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const v = parseOptions(args, {
    store: { type: "string" }, "store-key-file": { type: "string" }, "token-file": { type: "string" }, host: { type: "string" }, port: { type: "string" },
    "rp-id": { type: "string" }, origin: { type: "string" }, "trust-anchor": { type: "string" },
    attestation: { type: "string" }, "allow-no-uv": { type: "boolean" }, synchronous: { type: "string" }, pool: { type: "string" },
    "rate-token": { type: "string" }, "rate-client": { type: "string" }, "trust-proxy": { type: "boolean" }, quiet: { type: "boolean" }, json: { type: "boolean" },
  });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const tokens = readTokens(v["token-file"], ctx.env);
  const secretKey = storeKey(v["store-key-file"], ctx.env);
  const port = Number(v.port ?? 8480);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port is 0..65535");
  if ((v["rp-id"] === undefined) !== (v.origin === undefined)) throw new UsageError("--rp-id and --origin go together");
  if (v.attestation !== undefined && v.attestation !== "any" && v.attestation !== "chained") throw new UsageError("--attestation is any or chained");
  const anchors = (v["trust-anchor"] ?? "").split(",").filter((f) => f.length > 0).map((f) => {
    try { return readFileSync(f); } catch (e) { throw new UsageError(`--trust-anchor: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
  });
  const attestation = v.attestation === "any" ? "any" : "chained";
  if (v["rp-id"] !== undefined && attestation === "chained" && anchors.length === 0) throw new UsageError("FIDO with chained attestation needs --trust-anchor FILE (or --attestation any)");
  if (v.synchronous !== undefined && v.synchronous !== "NORMAL" && v.synchronous !== "FULL") throw new UsageError("--synchronous is NORMAL or FULL");

  const where = v.store ?? ctx.env.SEGL_STORE ?? "segl-broker.sqlite";
  const pool = v.pool === undefined ? undefined : Number(v.pool);
  const { store, name: storeName } = openBrokerStore(where, {
    secretKey, ...(pool !== undefined ? { pool } : {}), ...(v.synchronous ? { synchronous: v.synchronous as "NORMAL" | "FULL" } : {}),
  });
  const quiet = v.quiet === true;
  const server = await createBrokerServer({
    store, tokens,
    rateLimit: { perToken: rate(v["rate-token"], "6000/60", "--rate-token"), perClient: rate(v["rate-client"], "600/60", "--rate-client") },
    trustProxy: v["trust-proxy"] === true,
    log: (line) => { if (!(quiet && line["type"] === "access")) ctx.stderr.write(JSON.stringify(line) + "\n"); },
    ...(v["rp-id"] !== undefined ? {
      fido: {
        rpId: v["rp-id"], origin: v.origin!.split(",").map((o) => o.trim()).filter(Boolean), attestation,
        ...(anchors.length > 0 ? { trustAnchors: anchors } : {}), ...(v["allow-no-uv"] ? { requireUserVerification: false } : {}),
      },
    } : {}),
  });
  // Opens the store (and migrates it) before listening: a store that cannot be used (schema newer than
  // this SDK, not a database) stops here; one that is only unreachable for now (STORE_TRANSIENT) does not:
  // the server starts not ready (/readyz 503) and the store reconnects by itself.
  try {
    await store.get("~segl-decoy-startup");
  } catch (e) {
    if (!isSeglError(e, "STORE_TRANSIENT", "STORE_BUSY")) {
      await store.close?.();
      throw e;
    }
    ctx.stderr.write(JSON.stringify({ type: "error", code: e.code, message: "store not reachable at startup; serving, not ready until it is" }) + "\n");
  }
  const { url } = await server.listen({ host: v.host ?? "127.0.0.1", port });
  if (v.json) ctx.stdout.write(JSON.stringify({ event: "listening", url, store: storeName, rpId: v["rp-id"] ?? null }) + "\n");
  else ctx.stdout.write(`${ctx.prog}: listening on ${url} (store ${storeName}${v["rp-id"] ? `, FIDO rp ${v["rp-id"]}` : ""})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      ctx.stderr.write(JSON.stringify({ type: "shutdown", signal }) + "\n");
      void server.close().finally(resolve);
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
  ctx.stdout.write(v.json ? JSON.stringify({ event: "stopped" }) + "\n" : `${ctx.prog}: stopped\n`);
  return EXIT_OK;
}
