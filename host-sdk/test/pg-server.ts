// A throwaway PostgreSQL server for tests: initdb in a temporary directory, listening on a Unix socket
// in that directory only (no TCP), stopped and removed afterwards. As root, the server runs as the
// `postgres` user Debian's package creates (PostgreSQL refuses to run as root).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPostgresBin, requireTools } from "../../scripts/system-deps.mjs";

export interface PgServer {
  /** The socket directory: `host` for pg. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** Stops the server (fast shutdown, or SIGKILL-like immediate when `immediate`), keeping its data. */
  stop(immediate?: boolean): Promise<void>;
  /** Starts it again on the same data and socket. */
  start(): Promise<void>;
  /** Stops it and removes the directory. */
  destroy(): Promise<void>;
}

function owner(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const u = id("-u");
  const g = id("-g");
  if (u.status !== 0 || g.status !== 0) throw new Error("running as root needs the `postgres` user (Debian's postgresql package creates it)");
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Starts a server with a database `segl`; call destroy() afterwards. */
export async function startPgServer(): Promise<PgServer> {
  requireTools("postgresql");
  const bin = findPostgresBin()!;
  const who = owner();
  const dir = mkdtempSync(join(tmpdir(), "segl-pg-"));
  if (who) chownSync(dir, who.uid, who.gid);
  const data = join(dir, "data");
  const as = who ? { uid: who.uid, gid: who.gid } : {};
  const init = spawnSync(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], { encoding: "utf8", ...as });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  let proc: ChildProcess | undefined;
  let log = "";
  const start = async (): Promise<void> => {
    // fsync off: a throwaway server; PostgresStore's correctness does not depend on it, only its crash safety.
    proc = spawn(join(bin, "postgres"), ["-D", data, "-k", dir, "-p", String(port), "-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=100"], {
      stdio: ["ignore", "ignore", "pipe"], ...as,
    });
    proc.stderr!.on("data", (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
    const sock = join(dir, `.s.PGSQL.${port}`);
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`postgres exited: ${log}`);
      if (existsSync(sock) && /ready to accept connections/.test(log)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`postgres did not start in 10 s: ${log}`);
  };
  const stop = async (immediate = false): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    log = "";
    const gone = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill(immediate ? "SIGQUIT" : "SIGINT");
    await gone;
  };
  await start();
  const psql = spawnSync(join(bin, "psql"), ["-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-qc", "CREATE DATABASE segl"], { encoding: "utf8" });
  if (psql.status !== 0) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`CREATE DATABASE failed: ${psql.stderr || psql.error?.message}`);
  }
  return {
    host: dir, port, user: "postgres", database: "segl",
    stop, start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
