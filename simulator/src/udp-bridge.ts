// CTAPHID over UDP: the convention of existing FIDO simulators (raw 64-byte HID reports in UDP
// datagrams; the device listens on 8111 and answers to 7112 on the same host), so that clients
// written by others (python-fido2 with a small UDP connection class, libfido2 test rigs, …) can
// talk to a simulated chip.
import { createSocket, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import type { Device } from "./device.js";

export const UDP_DEFAULT_LISTEN_PORT = 8111;
export const UDP_DEFAULT_REPLY_PORT = 7112;
const REPORT_SIZE = 64;

export interface UdpBridgeOptions {
  /** Interface to listen on and host to answer to (default 127.0.0.1). */
  host?: string;
  /** UDP port the device's reports are received on (default 8111; 0 = any free port). */
  listenPort?: number;
  /** UDP port on `replyHost` every device report is sent to (default 7112). */
  replyPort?: number;
  /** Host the device reports go to (default: `host`). */
  replyHost?: string;
}

export interface UdpBridgeStats {
  /** Host reports handed to the device. */
  received: number;
  /** Device reports sent to the reply port. */
  sent: number;
  /** Datagrams that were not a 64-byte report (nor 65 with a report-ID byte) and were dropped. */
  dropped: number;
}

export interface UdpBridgeEvents {
  /** A datagram of the wrong size was dropped (its length). */
  dropped: [length: number];
  /** Sending to the reply port failed (e.g. ICMP port unreachable surfaced as an error). Not fatal. */
  warning: [error: Error];
}

export class UdpBridgeError extends Error {
  constructor(readonly code: "PORT_IN_USE" | "BIND_FAILED" | "BAD_OPTIONS", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UdpBridgeError";
  }
}

function checkPort(name: string, v: number, allowZero: boolean): void {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1) || v > 65535) {
    throw new UdpBridgeError("BAD_OPTIONS", `${name} must be a UDP port ${allowZero ? 0 : 1}..65535, got ${String(v)}`);
  }
}

/** Bridges one simulated device's HID reports to UDP. Open with UdpBridge.open(). */
export class UdpBridge extends EventEmitter<UdpBridgeEvents> {
  readonly host: string;
  readonly replyHost: string;
  readonly replyPort: number;
  private readonly counters: UdpBridgeStats = { received: 0, sent: 0, dropped: 0 };
  private closed = false;
  private readonly onHid = (report: Uint8Array) => this.sendReport(report);

  private constructor(
    readonly device: Device,
    private readonly socket: Socket,
    readonly listenPort: number,
    opts: { host: string; replyHost: string; replyPort: number },
  ) {
    super();
    this.host = opts.host;
    this.replyHost = opts.replyHost;
    this.replyPort = opts.replyPort;
    socket.on("message", (msg) => this.onDatagram(msg));
    // After binding, socket errors are about sending (nobody listening on the reply port, …).
    socket.on("error", (err) => { if (this.listenerCount("warning") > 0) this.emit("warning", err); });
    device.on("hid", this.onHid);
  }

  /**
   * Binds the listen port and starts forwarding. Rejects with UdpBridgeError code PORT_IN_USE
   * when the port is taken (another simulator, or a stale one).
   */
  static async open(device: Device, opts: UdpBridgeOptions = {}): Promise<UdpBridge> {
    const host = opts.host ?? "127.0.0.1";
    const listenPort = opts.listenPort ?? UDP_DEFAULT_LISTEN_PORT;
    const replyPort = opts.replyPort ?? UDP_DEFAULT_REPLY_PORT;
    checkPort("listenPort", listenPort, true);
    checkPort("replyPort", replyPort, false);
    const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4", reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) => {
        socket.close();
        if (err.code === "EADDRINUSE") {
          reject(new UdpBridgeError("PORT_IN_USE", `UDP port ${listenPort} on ${host} is already in use (another simulator running?); choose another port`, { cause: err }));
        } else {
          reject(new UdpBridgeError("BIND_FAILED", `cannot listen on UDP ${host}:${listenPort}: ${err.message}`, { cause: err }));
        }
      };
      socket.once("error", fail);
      socket.bind({ port: listenPort, address: host, exclusive: true }, () => {
        socket.off("error", fail);
        resolve();
      });
    });
    const bound = socket.address().port;
    return new UdpBridge(device, socket, bound, { host, replyHost: opts.replyHost ?? host, replyPort });
  }

  get stats(): UdpBridgeStats {
    return { ...this.counters };
  }

  /** "udp://127.0.0.1:8111 -> 127.0.0.1:7112" */
  describe(): string {
    const h = (x: string) => (x.includes(":") ? `[${x}]` : x);
    return `udp://${h(this.host)}:${this.listenPort} -> ${h(this.replyHost)}:${this.replyPort}`;
  }

  /** Stops forwarding and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.device.off("hid", this.onHid);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onDatagram(msg: Buffer): void {
    if (this.closed) return;
    let report: Uint8Array;
    if (msg.length === REPORT_SIZE) report = msg;
    else if (msg.length === REPORT_SIZE + 1) report = msg.subarray(1); // leading report-ID byte
    else {
      this.counters.dropped++;
      this.emit("dropped", msg.length);
      return;
    }
    this.counters.received++;
    this.device.hidWrite(new Uint8Array(report));
  }

  private sendReport(report: Uint8Array): void {
    if (this.closed) return;
    this.counters.sent++;
    this.socket.send(report, this.replyPort, this.replyHost, (err) => {
      if (err && !this.closed && this.listenerCount("warning") > 0) this.emit("warning", err);
    });
  }
}
