// Starting the broker processes of verify-process-worker.ts and reading their lines (SQLite and PostgreSQL tests).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const RUN_TS = fileURLToPath(new URL("../../scripts/run-ts.mjs", import.meta.url));
const WORKER = new URL("./verify-process-worker.ts", import.meta.url).href;

export interface Child { proc: ChildProcess; lines: string[]; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; line: (p: (l: string) => boolean) => Promise<void> }

/** Starts verify-process-worker.ts (or another worker of this directory) with `args` as JSON. */
export function start(args: object, worker: string = WORKER): Child {
  const proc = spawn(process.execPath, [
    "--input-type=module", "-e", "const { runTs } = await import(process.argv[1]); await runTs(process.argv[2]);",
    RUN_TS, worker, JSON.stringify(args),
  ], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = "";
  let err = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) lines.push(`E exit ${code}: ${err.slice(-2000)}`);
    res({ code, signal });
    for (const w of waiters.splice(0)) w();
  }));
  const line = async (p: (l: string) => boolean) => {
    while (!lines.some(p)) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`child ended without the line: ${lines.slice(-5).join(" | ")} ${err.slice(-2000)}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { proc, lines, exit, line };
}

export const accepted = (c: Child) => c.lines.filter((l) => l.startsWith("A ")).map((l) => Number(l.slice(2)));

export const FIDO_COUNTER_WORKER = new URL("./fido-counter-worker.ts", import.meta.url).href;

/**
 * Starts `procs` FIDO broker processes (fido-counter-worker.ts) on one store, all submitting assertions
 * with counters 1..counters of one credential at once; resolves the counters each accepted.
 */
export async function raceCounters(args: object, procs: number): Promise<number[][]> {
  const children = Array.from({ length: procs }, () => start(args, FIDO_COUNTER_WORKER));
  try {
    await Promise.all(children.map((c) => c.line((l) => l === "READY")));
    for (const c of children) c.proc.stdin!.write("go\n");
    await Promise.all(children.map((c) => c.exit));
    for (const c of children) {
      const errors = c.lines.filter((l) => l.startsWith("E "));
      if (errors.length > 0) throw new Error(errors.join(" | "));
    }
    return children.map(accepted);
  } finally {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  }
}
