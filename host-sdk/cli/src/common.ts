// What every `segl` command shares: exit codes, the context it runs in, the usage error and
// option parsing. The commands import this file; the table of commands (commands.ts) imports them.
import { parseArgs } from "node:util";

export const EXIT_OK = 0;
/** The command ran and failed (device error, file missing, verification failed…). */
export const EXIT_FAILURE = 1;
/** The command line was wrong. */
export const EXIT_USAGE = 2;

export interface CliContext {
  /** Program name for messages ("segl"). */
  readonly prog: string;
  readonly stdin: NodeJS.ReadStream;
  /** Data goes here. */
  readonly stdout: NodeJS.WriteStream;
  /** Logs, progress and errors go here. */
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

/** A bad command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;
export type OptionValues<O extends OptionSpec> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string } & { help?: boolean };

/** Parses a command's options (and -h/--help); a bad command line becomes a UsageError. */
export function parseOptions<const O extends OptionSpec>(args: string[], options: O): OptionValues<O> {
  try {
    return parseArgs({ args, strict: true, options: { ...options, help: { type: "boolean", short: "h" } } }).values as OptionValues<O>;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** As parseOptions, also accepting positional arguments (`segl broker import FILE`). */
export function parseOptionsAndArgs<const O extends OptionSpec>(args: string[], options: O): { values: OptionValues<O>; positionals: string[] } {
  try {
    const r = parseArgs({ args, strict: true, allowPositionals: true, options: { ...options, help: { type: "boolean", short: "h" } } });
    return { values: r.values as OptionValues<O>, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** The user said no at a confirmation prompt: exit code 1, nothing was done. */
export class DeclinedError extends Error {
  override readonly name = "DeclinedError";
  readonly code = "DECLINED";
}

/**
 * Asks before a destructive step (lock, re-provision, attestation, flash). `--yes` skips the
 * question; on a terminal the user answers y/N on stderr; with stdin not a terminal and no
 * `--yes` it is a usage error (exit 2), so scripts never block on a prompt nor go ahead silently.
 */
export async function confirm(ctx: CliContext, what: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!ctx.stdin.isTTY) throw new UsageError(`${what}: this cannot be undone; pass --yes to confirm (stdin is not a terminal, so nobody can be asked)`);
  ctx.stderr.write(`${what}. This cannot be undone. Continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    const onData = (d: Buffer | string) => { cleanup(); resolve(String(d)); };
    const onEnd = () => { cleanup(); resolve(""); };
    const cleanup = () => { ctx.stdin.off("data", onData); ctx.stdin.off("end", onEnd); ctx.stdin.pause(); };
    ctx.stdin.on("data", onData);
    ctx.stdin.on("end", onEnd);
    ctx.stdin.resume();
  });
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new DeclinedError("not confirmed: nothing was done");
}

/** True when the command line asks for JSON output (so errors are JSON too). */
export function wantsJson(args: readonly string[]): boolean {
  return args.includes("--json");
}

/** The one JSON object an error becomes with --json (written to stdout). */
export function errorJson(err: unknown, exitCode: number): string {
  const e = err as { code?: unknown; cliCode?: unknown; details?: unknown } | undefined;
  const code = err instanceof UsageError ? "USAGE" : typeof e?.code === "string" ? e.code : typeof e?.cliCode === "string" ? e.cliCode : "FAILURE";
  const message = err instanceof Error ? err.message : String(err);
  const details = e && typeof e.details === "object" && e.details !== null ? { details: e.details } : {};
  return JSON.stringify({ ok: false, exitCode, error: { code, message, ...details } }) + "\n";
}
