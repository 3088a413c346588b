// CTAPHID reports over UDP, one 64-byte report per datagram: the convention of existing FIDO
// simulators (the device receives on 8111 and replies to 7112), so this client binds 7112 and
// sends to 8111 by default. Used for a simulator in another process.
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { SeglError, argCheck } from "../errors.js";
import { padReport } from "./hid-memory.js";
import { ChunkQueueTransport, abortable, throwIfAborted, timeoutScope, type IoOptions } from "./transport.js";

export interface UdpOpenOptions extends IoOptions {
  /** Where the device is (default 127.0.0.1). */
  host?: string;
  /** The device's port (default 8111). */
  devicePort?: number;
  /** Our port, where the device replies (default 7112; 0 = any free port). */
  hostPort?: number;
  /** Local address to bind (default: 127.0.0.1 for a loopback host, all interfaces otherwise). */
  bindAddress?: string;
}

function mapUdpError(err: unknown, op: string, where: string): SeglError {
  if (err instanceof SeglError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  const details = { op, where, message: msg, code };
  if (code === "EADDRINUSE") return new SeglError("DEVICE_BUSY", `UDP port ${where} is already in use (another client or bridge?)`, { cause: err, details });
  if (code === "EACCES" || code === "EPERM") return new SeglError("PERMISSION_DENIED", `no permission to use UDP ${where} (${msg})`, { cause: err, details });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new SeglError("DEVICE_NOT_FOUND", `cannot resolve ${where} (${msg})`, { cause: err, details });
  return new SeglError("TRANSPORT_ERROR", `UDP ${op} ${where} failed: ${msg}`, { cause: err, details });
}

const isPort = (p: number, allowZero: boolean) => Number.isInteger(p) && p >= (allowZero ? 0 : 1) && p <= 65535;

export class UdpTransport extends ChunkQueueTransport {
  readonly kind = "udp";
  readonly host: string;
  readonly devicePort: number;
  private readonly onMessage = (msg: Buffer) => this.deliver(new Uint8Array(msg));
  private readonly onError = (err: Error) => this.fail(mapUdpError(err, "receive", `${this.host}:${this.devicePort}`));

  private constructor(private readonly socket: Socket, host: string, devicePort: number) {
    super();
    this.host = host;
    this.devicePort = devicePort;
    socket.on("message", this.onMessage);
    socket.on("error", this.onError);
  }

  /** Binds `hostPort` and talks to `host:devicePort`. Rejects DEVICE_BUSY when the port is taken. */
  static async open(opts: UdpOpenOptions = {}): Promise<UdpTransport> {
    const host = opts.host ?? "127.0.0.1";
    const devicePort = opts.devicePort ?? 8111;
    const hostPort = opts.hostPort ?? 7112;
    argCheck(typeof host === "string" && host !== "", "host must be a host name or address");
    argCheck(isPort(devicePort, false), "devicePort must be 1..65535", { devicePort });
    argCheck(isPort(hostPort, true), "hostPort must be 0..65535", { hostPort });
    throwIfAborted(opts.signal);
    const v6 = isIP(host) === 6;
    const loopback = host === "localhost" || host === "::1" || host.startsWith("127.");
    const bindAddress = opts.bindAddress ?? (loopback ? (v6 ? "::1" : "127.0.0.1") : undefined);
    const socket = createSocket(v6 ? "udp6" : "udp4");
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    let onErr: ((e: Error) => void) | undefined;
    try {
      await abortable<void>(
        scope.signal,
        (resolve, reject) => {
          onErr = (e) => reject(mapUdpError(e, "bind", `${bindAddress ?? "*"}:${hostPort}`));
          socket.once("error", onErr);
          socket.bind({ port: hostPort, address: bindAddress, exclusive: true }, () => resolve());
        },
        () => {
          scope.dispose();
          if (onErr) socket.removeListener("error", onErr);
        },
      );
    } catch (err) {
      try { socket.close(); } catch { /* never bound */ }
      throw err;
    }
    return new UdpTransport(socket, host, devicePort);
  }

  /** The local port the device must reply to. */
  get localPort(): number {
    return this.socket.address().port;
  }

  /** Sends one report (padded to 64 bytes) as one datagram. */
  async send(report: Uint8Array, opts: IoOptions = {}): Promise<void> {
    this.assertOpen();
    const r = padReport(report);
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    await abortable<void>(
      scope.signal,
      (resolve, reject) => {
        try {
          this.socket.send(r, this.devicePort, this.host, (err) => (err ? reject(mapUdpError(err, "send", `${this.host}:${this.devicePort}`)) : resolve()));
        } catch (err) {
          reject(mapUdpError(err, "send", `${this.host}:${this.devicePort}`));
        }
      },
      () => scope.dispose(),
    );
  }

  protected async doClose(): Promise<void> {
    this.socket.removeListener("message", this.onMessage);
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    this.socket.removeListener("error", this.onError);
  }
}
