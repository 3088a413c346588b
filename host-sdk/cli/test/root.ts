// What the CLI tests share: the repository root and its `segl` launcher (found by walking up from
// this file, so the tests run the same from their TypeScript sources and from their compiled
// copies in dist/), and a reader of a child process's output.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, "scripts", "segl.mjs")) && existsSync(join(d, "host-sdk", "cli"))) return d;
    if (dirname(d) === d) throw new Error(`no Segl repository above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** `node SEGL …` runs the program as `npx segl …` does. */
export const SEGL = join(ROOT, "scripts", "segl.mjs");

/** Collects a stream's text; `waitFor` resolves with the first match after `from`. */
export class Output {
  text = "";
  private waiters: (() => void)[] = [];
  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding("utf8");
    stream.on("data", (s: string) => { this.text += s; for (const w of this.waiters.splice(0)) w(); });
  }
  /** Resolves with the first match of re in the output after `from`. */
  async waitFor(re: RegExp, from = 0, ms = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text.slice(from));
      if (m) { m.index += from; return m; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output so far:\n${this.text}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export interface SeglRun { code: number; stdout: string; stderr: string }

/**
 * Runs `segl ARGS` in `cwd` with stdin closed (not a terminal, as in a script); resolves when it
 * exits. `onStdout` sees the output so far and may signal the process (Ctrl-C in a test).
 */
export function runSegl(args: string[], cwd: string, onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<SeglRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [SEGL, ...args], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    p.stdin.end();
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => { stdout += d; onStdout?.(stdout, (s) => p.kill(s)); });
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
