// The device's UART as a real pseudo-terminal, so that any program (serialport, screen, minicom,
// pyserial) can open it by path. socat owns the pty: its PTY side creates /dev/pts/N and a
// symlink at the path asked for; its STDIO side is a pair of pipes to this process. socat keeps
// the slave side open itself, so clients may open and close the port as often as they like; if
// socat dies anyway it is restarted (same link path, maybe a new /dev/pts/N).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync, lstatSync, readlinkSync, unlinkSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import type { UartEndpoint, UartListener } from "./uart.js";

export interface PtyBridgeOptions {
  /** Where the symlink to the pty goes, e.g. /tmp/segl-display. */
  path: string;
  /** socat binary (default "socat" from PATH). */
  socatPath?: string;
  /** Restart socat when it exits on its own (default true; at most 5 times a minute). */
  restart?: boolean;
  /** Replace an existing symlink at `path` even when its target still exists. */
  force?: boolean;
  /** How long to wait for socat to make the pty (default 5000 ms). */
  startTimeoutMs?: number;
}

export interface PtyBridgeEvents {
  /** socat was restarted; the link now points to this pts. */
  restart: [ptsPath: string];
  /** The bridge stopped for good without close() (socat kept dying). */
  stopped: [reason: Error];
  close: [];
}

export class PtyBridgeError extends Error {
  override readonly name = "PtyBridgeError";
  constructor(message: string, readonly code: "SOCAT_MISSING" | "SOCAT_FAILED" | "PATH_IN_USE" | "TIMEOUT") {
    super(message);
  }
}

const RESTARTS_PER_MINUTE = 5;

export class PtyBridge extends EventEmitter<PtyBridgeEvents> {
  readonly path: string;
  private readonly opts: Required<Omit<PtyBridgeOptions, "path">>;
  private child: ChildProcessWithoutNullStreams | undefined;
  private pts: string | undefined;
  private closing = false;
  private closed = false;
  private restarts: number[] = [];
  private readonly onUart: UartListener;

  private constructor(private readonly endpoint: UartEndpoint, opts: PtyBridgeOptions) {
    super();
    this.path = resolvePath(opts.path);
    this.opts = {
      socatPath: opts.socatPath ?? "socat",
      restart: opts.restart ?? true,
      force: opts.force ?? false,
      startTimeoutMs: opts.startTimeoutMs ?? 5000,
    };
    this.onUart = (bytes) => {
      const c = this.child;
      if (c && !c.stdin.destroyed) c.stdin.write(bytes);
    };
  }

  /** Starts socat and wires it to the endpoint (a Device, or anything with uartWrite + 'uart'). */
  static async open(endpoint: UartEndpoint, opts: PtyBridgeOptions): Promise<PtyBridge> {
    const b = new PtyBridge(endpoint, opts);
    b.clearStaleLink();
    await b.start();
    endpoint.on("uart", b.onUart);
    return b;
  }

  /** The pts device the link points to now. */
  get ptsPath(): string | undefined {
    return this.pts;
  }

  get running(): boolean {
    return this.child !== undefined && !this.closed;
  }

  /** socat's process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.endpoint.off("uart", this.onUart);
    const c = this.child;
    if (c) await stopChild(c);
    this.child = undefined;
    this.removeOwnLink();
    this.closed = true;
    this.emit("close");
  }

  // ---------------- internals ----------------

  private clearStaleLink(): void {
    let st;
    try {
      st = lstatSync(this.path);
    } catch {
      return; // nothing there
    }
    if (!st.isSymbolicLink()) throw new PtyBridgeError(`${this.path} exists and is not a symlink; choose another --pty path`, "PATH_IN_USE");
    const target = readlinkSync(this.path);
    if (existsSync(target) && !this.opts.force) {
      throw new PtyBridgeError(`${this.path} already points to ${target}, which exists: another simulator may own it (force: true replaces it)`, "PATH_IN_USE");
    }
    unlinkSync(this.path);
  }

  private removeOwnLink(): void {
    try {
      if (this.pts && lstatSync(this.path).isSymbolicLink() && readlinkSync(this.path) === this.pts) unlinkSync(this.path);
    } catch {
      /* already gone: socat removes it on exit */
    }
  }

  private start(): Promise<void> {
    const args = ["-d", "-d", `PTY,link=${this.path},rawer,echo=0`, "STDIO"];
    const child = spawn(this.opts.socatPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    child.stdin.on("error", () => { /* socat went away; the exit handler deals with it */ });
    child.stdout.on("data", (chunk: Buffer) => {
      if (this.child === child && !this.closing) this.endpoint.uartWrite(new Uint8Array(chunk));
    });
    let log = "";
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        child.kill("SIGKILL");
        reject(err);
      };
      const timer = setTimeout(() => fail(new PtyBridgeError(`socat made no pty within ${this.opts.startTimeoutMs} ms: ${log.trim()}`, "TIMEOUT")), this.opts.startTimeoutMs);
      child.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") {
          fail(new PtyBridgeError(`socat not found (tried ${JSON.stringify(this.opts.socatPath)}): the PTY bridge needs it; install it with \`apt-get install socat\` (Debian/Ubuntu) or \`brew install socat\` (macOS)`, "SOCAT_MISSING"));
        } else fail(new PtyBridgeError(`cannot start socat: ${err.message}`, "SOCAT_FAILED"));
      });
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (s: string) => {
        log = (log + s).slice(-4000);
        if (settled) return;
        const m = /PTY is (\S+)/.exec(log);
        if (m && this.linkReady(m[1]!)) {
          this.pts = m[1]!;
          settled = true;
          clearTimeout(timer);
          resolve();
        } else if (m) {
          // The notice can come before the symlink: poll briefly.
          const pts = m[1]!;
          const poll = setInterval(() => {
            if (settled) { clearInterval(poll); return; }
            if (this.linkReady(pts)) {
              clearInterval(poll);
              this.pts = pts;
              settled = true;
              clearTimeout(timer);
              resolve();
            }
          }, 10);
        }
      });
      child.on("exit", (code, signal) => {
        if (!settled) {
          fail(new PtyBridgeError(`socat exited (${signal ?? code}) before the pty was ready: ${log.trim()}`, "SOCAT_FAILED"));
          return;
        }
        if (this.child === child) this.child = undefined;
        if (!this.closing) this.onUnexpectedExit(`socat exited (${signal ?? code}): ${log.trim().split("\n").slice(-2).join(" | ")}`);
      });
    });
  }

  private linkReady(pts: string): boolean {
    try {
      return readlinkSync(this.path) === pts;
    } catch {
      return false;
    }
  }

  private onUnexpectedExit(reason: string): void {
    if (this.closing || this.closed) return;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    if (!this.opts.restart || this.restarts.length >= RESTARTS_PER_MINUTE) {
      this.endpoint.off("uart", this.onUart);
      this.closed = true;
      this.emit("stopped", new PtyBridgeError(reason, "SOCAT_FAILED"));
      return;
    }
    this.restarts.push(now);
    try {
      this.clearStaleLinkForce();
    } catch { /* start() reports it */ }
    this.start().then(
      () => { if (this.closing) void this.close(); else this.emit("restart", this.pts!); },
      (err: Error) => this.onUnexpectedExit(err.message),
    );
  }

  private clearStaleLinkForce(): void {
    try {
      if (lstatSync(this.path).isSymbolicLink() && readlinkSync(this.path) === this.pts) unlinkSync(this.path);
    } catch { /* nothing there */ }
  }
}

function stopChild(c: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    const kill = setTimeout(() => c.kill("SIGKILL"), 2000);
    c.once("exit", () => { clearTimeout(kill); resolve(); });
    c.stdin.end();
    c.kill("SIGTERM");
  });
}
