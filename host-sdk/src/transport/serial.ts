// Serial-port transport (code display and audio code reader service port). `serialport` is
// loaded only when a port is opened; a serialport BindingInterface can be injected instead
// (the simulator's PTY-free binding, or @serialport/binding-mock in tests).
import { SeglError } from "../errors.js";
import { importOptional } from "./native.js";
import { ChunkQueueTransport, abortable, throwIfAborted, timeoutScope, type IoOptions } from "./transport.js";

/** The part of a Node stream (a SerialPort, a socket, a PassThrough) this transport uses. */
export interface SerialStream {
  write(data: Uint8Array, cb: (err?: Error | null) => void): boolean;
  on(ev: string, cb: (...args: never[]) => void): unknown;
  removeListener(ev: string, cb: (...args: never[]) => void): unknown;
  /** SerialPort streams: close the port. */
  close?(cb?: (err?: Error | null) => void): void;
  /** Plain streams: destroy. */
  destroy?(err?: Error): unknown;
}

/**
 * A serialport `BindingInterface` (from @serialport/bindings-interface), described structurally
 * so that its typings are not needed: `MockBinding`, the simulator's binding, or a custom one.
 */
export interface SerialBinding {
  open(options: { path: string; baudRate: number }): Promise<unknown>;
  list(): Promise<unknown[]>;
}

export interface SerialOpenOptions extends IoOptions {
  /** Default 115200 (the service port's rate; the simulator ignores it). */
  baudRate?: number;
  /**
   * A serialport binding to use instead of the native one (`@serialport/bindings-cpp`), e.g. the
   * simulator's binding for `sim:<name>` paths or `MockBinding`. The native module is then not loaded.
   */
  binding?: SerialBinding;
}

interface SerialPortCtor {
  new (opts: Record<string, unknown>): SerialStream & { open(cb: (err: Error | null) => void): void };
}

/** Maps an error from serialport (open, read, write) to a SeglError. */
export function mapSerialError(err: unknown, path: string, op: string): SeglError {
  if (err instanceof SeglError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  const details = { path, op, message: msg };
  if (/cannot lock port|port is locked|EBUSY|resource busy|resource temporarily unavailable|EAGAIN/i.test(msg) || code === "EBUSY")
    return new SeglError("DEVICE_BUSY", `${path} is in use by another process (${msg})`, { cause: err, details });
  if (/ENOENT|no such file|file not found|cannot find|does not exist/i.test(msg) || code === "ENOENT")
    return new SeglError("DEVICE_NOT_FOUND", `no serial port at ${path} (${msg})`, { cause: err, details });
  if (/EACCES|permission denied|access denied/i.test(msg) || code === "EACCES")
    return new SeglError("PERMISSION_DENIED", `no permission to open ${path} (${msg})`, { cause: err, details });
  if (/disconnected|port is not open|EIO|ENXIO|closed/i.test(msg) || (err as { disconnected?: unknown })?.disconnected === true)
    return new SeglError("DISCONNECTED", `${path} went away during ${op} (${msg})`, { cause: err, details });
  return new SeglError("TRANSPORT_ERROR", `${op} on ${path} failed: ${msg}`, { cause: err, details });
}

export class SerialTransport extends ChunkQueueTransport {
  readonly kind = "serial";
  private readonly onData = (chunk: Uint8Array) => this.deliver(new Uint8Array(chunk));
  private readonly onError = (err: Error) => this.fail(mapSerialError(err, this.path, "read"));
  private readonly onClose = () => this.fail(new SeglError("DISCONNECTED", `${this.path} was closed`, { details: { path: this.path } }));

  private constructor(private readonly stream: SerialStream, readonly path: string) {
    super();
    stream.on("data", this.onData);
    stream.on("error", this.onError);
    stream.on("close", this.onClose);
  }

  /** Opens a serial port. Rejects DEVICE_NOT_FOUND, DEVICE_BUSY, PERMISSION_DENIED, NATIVE_MODULE_MISSING, TIMEOUT, ABORTED. */
  static async open(path: string, opts: SerialOpenOptions = {}): Promise<SerialTransport> {
    if (typeof path !== "string" || path === "") throw new SeglError("INVALID_ARGUMENT", "a serial port path is required");
    throwIfAborted(opts.signal);
    const baudRate = opts.baudRate ?? 115200;
    let port: SerialStream & { open(cb: (err: Error | null) => void): void };
    try {
      if (opts.binding) {
        const mod = await importOptional<{ SerialPortStream: SerialPortCtor }>("@serialport/stream", "a serial port with a custom binding");
        port = new mod.SerialPortStream({ binding: opts.binding, path, baudRate, autoOpen: false });
      } else {
        const mod = await importOptional<{ SerialPort: SerialPortCtor }>("serialport", "opening a serial port");
        port = new mod.SerialPort({ path, baudRate, autoOpen: false });
      }
    } catch (err) {
      if (err instanceof SeglError) throw err;
      throw new SeglError("NATIVE_MODULE_MISSING", `serialport could not be set up: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    let opened = false;
    let gaveUp = false;
    await abortable<void>(
      scope.signal,
      (resolve, reject) =>
        port.open((err) => {
          if (err) { reject(mapSerialError(err, path, "open")); return; }
          opened = true;
          if (gaveUp) port.close?.(); // too late: the caller has moved on
          resolve();
        }),
      () => { scope.dispose(); if (!opened) gaveUp = true; },
    );
    return new SerialTransport(port, path);
  }

  /** Wraps an already open byte stream (a SerialPort, a PTY, a socket...). */
  static fromStream(stream: SerialStream, path = "stream"): SerialTransport {
    return new SerialTransport(stream, path);
  }

  async send(data: Uint8Array, opts: IoOptions = {}): Promise<void> {
    this.assertOpen();
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    await abortable<void>(
      scope.signal,
      (resolve, reject) => {
        try {
          this.stream.write(data.slice(), (err) => (err ? reject(mapSerialError(err, this.path, "write")) : resolve()));
        } catch (err) {
          reject(mapSerialError(err, this.path, "write"));
        }
      },
      scope.dispose,
    );
  }

  protected async doClose(): Promise<void> {
    const s = this.stream;
    s.removeListener("data", this.onData);
    s.removeListener("close", this.onClose);
    // keep an error listener: a late error must not crash the process
    s.removeListener("error", this.onError);
    s.on("error", () => {});
    if (s.close) {
      await new Promise<void>((resolve) => {
        try { s.close!(() => resolve()); } catch { resolve(); }
      });
    } else {
      s.destroy?.();
    }
  }
}
