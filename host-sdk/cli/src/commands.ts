// The table of `segl` subcommands. Each is loaded only when it runs, so `segl totp …` never
// pulls in the simulator and `segl --help` loads nothing. To add a command: write
// `src/<name>.ts` exporting `run(args, ctx)` (and optionally `help`), then add a row below.
import type { CliContext } from "./common.js";

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

export const COMMANDS: CommandEntry[] = [
  { name: "sim", summary: "run a simulated device in this terminal (PTY, HTTP control API)", load: () => import("./sim.js") },
  { name: "demo", summary: "boot a simulated code display, provision it, press, show the LCD, verify the code", load: () => import("./demo.js") },
  { name: "info", summary: "show a display's or reader's identity and status (--port PATH)", load: () => import("./info.js") },
  { name: "provision", summary: "seed, set the clock of and lock displays (--port PATH… or --sim --count N), seeds to a PSKC file", load: () => import("./provision.js") },
  { name: "broker", summary: "broker tools: import FILE loads a PSKC file's seeds into the SQLite store", load: () => import("./broker.js") },
  { name: "serve", summary: "the broker's verification service: OTP and FIDO over HTTP/JSON (SQLite or PostgreSQL)", load: () => import("./serve.js") },
  { name: "image", summary: "signed firmware images: keygen, pack, sign, verify, inspect", load: () => import("./image.js") },
  { name: "totp", summary: "compute the TOTP code of a seed (pure math)", load: () => import("./totp.js") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
