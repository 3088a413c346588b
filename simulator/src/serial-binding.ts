// An in-process serialport binding: `new SerialPortStream({ binding: SimBinding, path: "sim:<name>",
// baudRate })` talks to a registered simulated device, so the whole serialport stack (streams,
// parsers) runs against the real firmware with no pseudo-terminal. Follows the BindingInterface
// contract: read() resolves with at least one byte, a pending read or write rejects with
// `canceled: true` when the port closes, any other rejection is a disconnect (device removed).
import type {
  BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus, SetOptions, UpdateOptions,
} from "@serialport/bindings-interface" with { "resolution-mode": "require" }; // its "exports" lack types for import
import type { UartEndpoint, UartListener } from "./uart.js";

export const SIM_PATH_PREFIX = "sim:";

interface Registration {
  endpoint: UartEndpoint;
  ports: Set<SimPort>;
}

const registry = new Map<string, Registration>();

/** Makes `sim:<name>` openable. Throws if the name is taken by another endpoint. */
export function registerSerialDevice(name: string, endpoint: UartEndpoint): void {
  const had = registry.get(name);
  if (had && had.endpoint !== endpoint) throw new Error(`serial name sim:${name} is already registered`);
  if (!had) registry.set(name, { endpoint, ports: new Set() });
}

/** Forgets `sim:<name>`; ports open on it are disconnected. */
export function unregisterSerialDevice(name: string, endpoint?: UartEndpoint): boolean {
  const r = registry.get(name);
  if (!r || (endpoint && r.endpoint !== endpoint)) return false;
  registry.delete(name);
  for (const p of r.ports) p.disconnect(`simulated device ${name} was removed`);
  return true;
}

export function registeredSerialDevices(): string[] {
  return [...registry.keys()];
}

class BindingError extends Error {
  readonly canceled: boolean;
  constructor(message: string, canceled = false) {
    super(message);
    this.name = "SimBindingError";
    this.canceled = canceled;
  }
}

const DATA_BITS = new Set([5, 6, 7, 8]);
const STOP_BITS = new Set([1, 1.5, 2]);
const PARITY = new Set(["none", "even", "odd", "mark", "space"]);

function fullOptions(o: OpenOptions): Required<OpenOptions> {
  return {
    path: o.path,
    baudRate: o.baudRate,
    dataBits: o.dataBits ?? 8,
    lock: o.lock ?? true,
    stopBits: o.stopBits ?? 1,
    parity: o.parity ?? "none",
    rtscts: o.rtscts ?? false,
    xon: o.xon ?? false,
    xoff: o.xoff ?? false,
    xany: o.xany ?? false,
    hupcl: o.hupcl ?? true,
  };
}

function checkBaud(b: unknown): asserts b is number {
  if (typeof b !== "number" || !Number.isInteger(b) || b <= 0) throw new TypeError(`"baudRate" must be a positive integer, got ${String(b)}`);
}

/** One open port on a simulated device. */
export class SimPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  /** Set by open() when this port took the exclusive lock on its device. */
  holdsLock = false;
  private readonly queue: Uint8Array[] = [];
  private pending: { buffer: Buffer; offset: number; length: number; resolve: (r: { buffer: Buffer; bytesRead: number }) => void; reject: (e: Error) => void } | undefined;
  private gone: string | undefined;
  private readonly onUart: UartListener;
  private readonly flags: Required<SetOptions> = { brk: false, cts: false, dsr: false, dtr: true, rts: true };

  constructor(private readonly name: string, private readonly reg: Registration, options: Required<OpenOptions>) {
    this.openOptions = options;
    this.onUart = (bytes) => this.receive(bytes);
    reg.endpoint.on("uart", this.onUart);
    reg.ports.add(this);
  }

  /** Bytes the port has received and nobody has read yet. */
  get bufferedBytes(): number {
    return this.queue.reduce((n, c) => n + c.length, 0);
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!Number.isInteger(offset) || offset < 0) throw new TypeError('"offset" is not a non-negative integer');
    if (!Number.isInteger(length) || length <= 0 || offset + length > buffer.length) throw new TypeError('"length" is not a positive integer within the buffer');
    if (!this.isOpen) throw new BindingError("Port is not open", true);
    if (this.gone) throw new BindingError(this.gone);
    if (this.pending) throw new BindingError("a read is already pending");
    if (this.queue.length > 0) return { buffer, bytesRead: this.take(buffer, offset, length) };
    return new Promise((resolve, reject) => {
      this.pending = { buffer, offset, length, resolve, reject };
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!this.isOpen) throw new BindingError("Port is not open", true);
    if (this.gone) throw new BindingError(this.gone);
    const bytes = new Uint8Array(buffer); // a copy: the caller may reuse its buffer
    await Promise.resolve(); // as with a real port, the bytes leave after write() returns
    if (!this.isOpen) throw new BindingError("Port closed during write", true);
    if (this.gone) throw new BindingError(this.gone);
    if (bytes.length > 0) this.reg.endpoint.uartWrite(bytes);
  }

  async update(options: UpdateOptions): Promise<void> {
    if (typeof options !== "object" || options === null) throw new TypeError('"options" is not an object');
    checkBaud(options.baudRate);
    if (!this.isOpen) throw new BindingError("Port is not open");
    this.openOptions.baudRate = options.baudRate;
  }

  async set(options: SetOptions): Promise<void> {
    if (typeof options !== "object" || options === null) throw new TypeError('"options" is not an object');
    if (!this.isOpen) throw new BindingError("Port is not open");
    Object.assign(this.flags, { brk: false, cts: false, dsr: false, dtr: true, rts: true }, options);
  }

  async get(): Promise<PortStatus> {
    if (!this.isOpen) throw new BindingError("Port is not open");
    // The device is always there while the port is open: report it as ready.
    return { cts: true, dsr: !this.gone, dcd: !this.gone };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    if (!this.isOpen) throw new BindingError("Port is not open");
    return { baudRate: this.openOptions.baudRate };
  }

  /** Discards received bytes nobody has read. (Writes are never held back.) */
  async flush(): Promise<void> {
    if (!this.isOpen) throw new BindingError("Port is not open");
    this.queue.length = 0;
  }

  async drain(): Promise<void> {
    if (!this.isOpen) throw new BindingError("Port is not open");
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new BindingError("Port is not open");
    this.isOpen = false;
    this.detach();
    this.queue.length = 0;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new BindingError("Port closed", true));
  }

  /** The device went away: pending and later reads/writes fail (a disconnect), close() still works. */
  disconnect(reason: string): void {
    if (this.gone) return;
    this.gone = reason;
    this.detach();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new BindingError(reason));
  }

  private detach(): void {
    this.reg.endpoint.off("uart", this.onUart);
    this.reg.ports.delete(this);
    if (this.holdsLock) locks.delete(this.name);
    this.holdsLock = false;
  }

  private receive(bytes: Uint8Array): void {
    if (!this.isOpen || bytes.length === 0) return;
    this.queue.push(bytes.slice());
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      p.resolve({ buffer: p.buffer, bytesRead: this.take(p.buffer, p.offset, p.length) });
    }
  }

  private take(buffer: Buffer, offset: number, length: number): number {
    let n = 0;
    while (n < length && this.queue.length > 0) {
      const head = this.queue[0]!;
      const k = Math.min(head.length, length - n);
      buffer.set(head.subarray(0, k), offset + n);
      n += k;
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
    }
    return n;
  }
}

/** Names with a port open with `lock: true` (the default). */
const locks = new Set<string>();

export interface SimPortInfo extends PortInfo {
  path: `sim:${string}`;
}

export const SimBinding: BindingInterface<SimPort, OpenOptions, SimPortInfo> = {
  async list(): Promise<SimPortInfo[]> {
    return [...registry.keys()].map((name) => ({
      path: `${SIM_PATH_PREFIX}${name}`,
      manufacturer: "Segl simulator",
      serialNumber: name,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    }));
  },

  async open(options: OpenOptions): Promise<SimPort> {
    if (typeof options !== "object" || options === null) throw new TypeError('"options" is not an object');
    if (typeof options.path !== "string" || !options.path.startsWith(SIM_PATH_PREFIX)) {
      throw new TypeError(`"path" must be "${SIM_PATH_PREFIX}<device name>", got ${JSON.stringify(options.path)}`);
    }
    checkBaud(options.baudRate);
    const o = fullOptions(options);
    if (!DATA_BITS.has(o.dataBits)) throw new TypeError(`"dataBits" must be 5, 6, 7 or 8`);
    if (!STOP_BITS.has(o.stopBits)) throw new TypeError(`"stopBits" must be 1, 1.5 or 2`);
    if (!PARITY.has(o.parity)) throw new TypeError(`"parity" must be one of ${[...PARITY].join(", ")}`);
    const name = options.path.slice(SIM_PATH_PREFIX.length);
    const reg = registry.get(name);
    // Errno codes as the native bindings give them, so that callers (the SDK's SerialTransport)
    // tell a missing device from a busy one the same way for simulated and real ports.
    if (!reg) throw errno("ENOENT", `no simulated device at ${options.path} (have: ${registeredSerialDevices().map((n) => SIM_PATH_PREFIX + n).join(", ") || "none"})`);
    if (locks.has(name)) throw errno("EBUSY", "Port is locked cannot open");
    const port = new SimPort(name, reg, o);
    if (o.lock) { locks.add(name); port.holdsLock = true; }
    return port;
  },
};

function errno(code: "ENOENT" | "EBUSY", message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}
