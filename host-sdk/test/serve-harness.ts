// Real `segl serve` processes for the resilience tests and the bench: start one on a store, read its
// address and log lines, and a client that spreads requests over several instances and retries
// elsewhere when an instance is gone (refused, reset, 503).
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";

const SEGL = fileURLToPath(new URL("../../scripts/segl.mjs", import.meta.url));

export interface ServeProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Parsed JSON lines of its stderr (audit, access, error, shutdown). */
  readonly log: Record<string, unknown>[];
  readonly stdout: string[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `segl serve` (from source) on `store` with one API token; resolves once it listens. */
export async function startServe(store: string, keyHex: string, token: string, extra: string[] = []): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [SEGL, "serve", "--store", store, "--port", "0", "--rate-token", "1000000/60", "--rate-client", "1000000/60", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SEGL_CLI_FROM_SOURCE: "1", SEGL_STORE_KEY: keyHex, SEGL_API_TOKENS: token },
  });
  const log: Record<string, unknown>[] = [];
  const stdout: string[] = [];
  let err = "";
  let out = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    for (let i = err.indexOf("\n"); i >= 0; i = err.indexOf("\n")) {
      const line = err.slice(0, i);
      err = err.slice(i + 1);
      try { log.push(JSON.parse(line) as Record<string, unknown>); } catch { log.push({ type: "text", line }); }
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => proc.on("exit", (code, signal) => res({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`segl serve did not start: ${JSON.stringify(log.slice(-5))}`)), 30_000);
    proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n")) { stdout.push(out.slice(0, i)); out = out.slice(i + 1); }
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout.join("\n"));
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    void exit.then((e) => { clearTimeout(timer); reject(new Error(`segl serve exited (${e.code ?? e.signal}): ${JSON.stringify(log.slice(-5))}`)); });
  });
  return { proc, port, log, stdout, exit };
}

export type Attempt =
  | { readonly port: number; readonly kind: "answer"; readonly status: number; readonly body: Record<string, unknown> }
  /** No answer: refused (nothing sent), or reset / hung up after the request was written (outcome unknown). */
  | { readonly port: number; readonly kind: "lost"; readonly error: string };

/** A client of several instances, each over its own keep-alive connection pool. */
export class SpreadingClient {
  private readonly agents = new Map<number, Agent>();
  private next = 0;
  /** Ports currently tried (an instance that refused connections is skipped until `revive`). */
  readonly ports: number[];

  constructor(ports: readonly number[], private readonly token: string) {
    this.ports = [...ports];
    for (const p of ports) this.agents.set(p, new Agent({ keepAlive: true, maxSockets: 64 }));
  }

  /** One POST to one instance. */
  send(port: number, path: string, body: unknown): Promise<Attempt> {
    const data = JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request({
        host: "127.0.0.1", port, path, method: "POST", agent: this.agents.get(port),
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => { text += d; }).on("end", () => {
          let parsed: Record<string, unknown>;
          try { parsed = JSON.parse(text) as Record<string, unknown>; } catch { parsed = { raw: text }; }
          resolve({ port, kind: "answer", status: res.statusCode ?? 0, body: parsed });
        }).on("error", (e) => resolve({ port, kind: "lost", error: (e as NodeJS.ErrnoException).code ?? e.message }));
      });
      req.on("error", (e) => resolve({ port, kind: "lost", error: (e as NodeJS.ErrnoException).code ?? e.message }));
      req.end(data);
    });
  }

  /**
   * Sends until an instance gives a definitive answer (2xx or 4xx), moving to the next instance after a
   * refused or lost connection or a 503; resolves every attempt made, the definitive one last.
   */
  async submit(path: string, body: unknown, maxAttempts = 50): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    for (let i = 0; i < maxAttempts; i++) {
      const port = this.ports[this.next++ % this.ports.length]!;
      const a = await this.send(port, path, body);
      attempts.push(a);
      if (a.kind === "answer" && a.status !== 503) return attempts;
      if (a.kind === "lost" && a.error === "ECONNREFUSED") this.drop(port);
      await new Promise((r) => setTimeout(r, a.kind === "answer" ? 20 : 5));
    }
    return attempts;
  }

  private drop(port: number): void {
    const i = this.ports.indexOf(port);
    if (i >= 0 && this.ports.length > 1) this.ports.splice(i, 1);
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
  }
}
