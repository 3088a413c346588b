// `segl <command> [options]`: dispatch, --help, --version, errors and exit codes.
import { readFileSync } from "node:fs";
import { COMMANDS, findCommand } from "./commands.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, errorJson, wantsJson, type CliContext } from "./common.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function usage(prog: string): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `${prog}: firmware, simulator and tools for Segl authenticators`,
    "",
    `Usage: ${prog} <command> [options]`,
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     show this help (or a command's: segl <command> --help)",
    "  -V, --version  print the version",
    "",
    "Exit codes (every command): 0 ok, 1 failure (also: interrupted, not confirmed), 2 bad command line.",
    "With --json every command prints one JSON object on stdout, errors too: {\"ok\":false,\"exitCode\":N,\"error\":{\"code\",\"message\"}}.",
    "",
  ].join("\n");
}

/** Runs one command line; resolves to the exit code. Never throws. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.stderr.write(usage(ctx.prog));
    return EXIT_USAGE;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest[0] !== undefined) return runCli([rest[0], "--help"], ctx);
    ctx.stdout.write(usage(ctx.prog));
    return EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    ctx.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const cmd = findCommand(first);
  const json = wantsJson(rest);
  if (!cmd) {
    if (json) ctx.stdout.write(errorJson(new UsageError(`unknown command ${JSON.stringify(first)}`), EXIT_USAGE));
    ctx.stderr.write(`${ctx.prog}: unknown command ${JSON.stringify(first)}\n\n${usage(ctx.prog)}`);
    return EXIT_USAGE;
  }
  try {
    const mod = await cmd.load();
    return await mod.run(rest, { ...ctx, prog: `${ctx.prog} ${cmd.name}` });
  } catch (err) {
    const code = err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
    // With --json the error is one object on stdout (for programs) and a line on stderr (for people).
    if (json) ctx.stdout.write(errorJson(err, code));
    if (err instanceof UsageError) {
      ctx.stderr.write(`${ctx.prog} ${cmd.name}: ${err.message}\nTry \`${ctx.prog} ${cmd.name} --help\`.\n`);
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      const c = (err as { code?: unknown }).code;
      ctx.stderr.write(`${ctx.prog} ${cmd.name}: error${typeof c === "string" ? ` ${c}` : ""}: ${msg}\n`);
    }
    if (ctx.env.SEGL_DEBUG && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return code;
  }
}
