import { parseArgs } from "node:util";
// The table of `segl` subcommands. Each is loaded only when it runs, so `segl verify …` never
// pulls in the simulator and `segl --help` loads nothing. To add a command: write
// `cli/<name>.ts` exporting `run(args, ctx)` (and optionally `help`), then add a row below.

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

export interface CommandModule {
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

export interface CommandEntry {
  name: string;
  /** One line for `segl --help`. */
  summary: string;
  load(): Promise<CommandModule>;
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

export const COMMANDS: CommandEntry[] = [
  { name: "sim", summary: "run a simulated device in this terminal (PTY, HTTP control API)", load: () => import("./sim.js") },
  { name: "demo", summary: "boot a simulated code display, provision it, press, show the LCD, verify the code", load: () => import("./demo.js") },
  { name: "info", summary: "show a display's or reader's identity and status (--port PATH)", load: () => import("./info.js") },
  { name: "provision", summary: "seed, configure, set the clock of and lock a display or reader (--port PATH)", load: () => import("./provision.js") },
  { name: "totp", summary: "compute the TOTP code of a seed (pure math)", load: () => import("./totp.js") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
