// What every `segl` command shares: exit codes, the context it runs in, the usage error and
// option parsing. The commands import this file; the table of commands (commands.ts) imports them.
import { parseArgs } from "node:util";

export const EXIT_OK = 0;
/** The command ran and failed (device error, file missing, verification failed…). */
export const EXIT_FAILURE = 1;
/** The command line was wrong. */
export const EXIT_USAGE = 2;
/** Interrupted by a signal (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

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
