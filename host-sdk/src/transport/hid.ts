// USB HID transport for a real chip (FIDO usage page 0xF1D0) over node-hid's HIDAsync, which
// is loaded only when a device is listed or opened. `receive()` hands out one 64-byte input
// report; `send()` writes one output report, prefixed with report ID 0 as hidapi wants.
import { SeglError, argCheck } from "../errors.js";
import { padReport } from "./hid-memory.js";
import { importOptional } from "./native.js";
import { ChunkQueueTransport, abortable, throwIfAborted, timeoutScope, type IoOptions } from "./transport.js";

export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

/** A HID device as node-hid lists it. */
export interface HidDeviceInfo {
  path?: string | undefined;
  vendorId: number;
  productId: number;
  product?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
  interface?: number | undefined;
  release?: number | undefined;
}

/** The part of node-hid's `HIDAsync` this transport uses. */
export interface HidAsyncDevice {
  write(values: number[] | Buffer): Promise<number>;
  close(): Promise<void>;
  /** "data" (a Buffer: one input report) and "error" (an Error). */
  on(ev: string, cb: (...args: unknown[]) => void): unknown;
  removeListener(ev: string, cb: (...args: unknown[]) => void): unknown;
}

/** The part of the node-hid module this transport uses (injectable for tests). */
export interface NodeHidModule {
  devicesAsync(): Promise<HidDeviceInfo[]>;
  HIDAsync: {
    open(path: string, options?: { nonExclusive?: boolean }): Promise<HidAsyncDevice>;
    open(vid: number, pid: number, options?: { nonExclusive?: boolean }): Promise<HidAsyncDevice>;
  };
}

export interface HidListOptions {
  vendorId?: number;
  productId?: number;
  /** List every HID device, not only FIDO ones (usage page 0xF1D0). */
  all?: boolean;
  /** A node-hid module to use instead of importing "node-hid". */
  hid?: NodeHidModule;
}

export interface HidOpenOptions extends IoOptions {
  nonExclusive?: boolean;
  hid?: NodeHidModule;
}

export type HidTarget = string | { vendorId: number; productId: number } | HidDeviceInfo;

async function loadNodeHid(injected?: NodeHidModule): Promise<NodeHidModule> {
  if (injected) return injected;
  const mod = await importOptional<NodeHidModule & { default?: NodeHidModule }>("node-hid", "talking to a USB HID security key");
  const m = mod.HIDAsync ? mod : mod.default;
  if (!m || typeof m.devicesAsync !== "function" || !m.HIDAsync)
    throw new SeglError("NATIVE_MODULE_MISSING", "node-hid loaded but offers no HIDAsync (node-hid >= 3 is needed)", { details: { module: "node-hid" } });
  return m;
}

/** Maps an error from node-hid (open, read, write) to a SeglError. */
export function mapHidError(err: unknown, where: string, op: string): SeglError {
  if (err instanceof SeglError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const details = { path: where, op, message: msg };
  if (/shared object|\.so\b|\.dll|\.dylib|dlopen|did not self-register|NODE_MODULE_VERSION|Cannot find module/i.test(msg))
    return new SeglError("NATIVE_MODULE_MISSING", `node-hid could not load its native library (${msg})`, { cause: err, details: { ...details, module: "node-hid" } });
  if (/permission|access denied|EACCES|not permitted/i.test(msg))
    return new SeglError("PERMISSION_DENIED", `no permission to open ${where} (${msg}; on Linux add a udev rule for hidraw)`, { cause: err, details });
  if (/busy|exclusive|in use/i.test(msg)) return new SeglError("DEVICE_BUSY", `${where} is in use (${msg})`, { cause: err, details });
  if (op === "open" && /cannot open|could not open|not found|no such|unable to open/i.test(msg))
    return new SeglError("DEVICE_NOT_FOUND", `no HID device at ${where} (${msg})`, { cause: err, details });
  if (/could not read|could not write|disconnect|\bnot open|closed|ENODEV|EIO/i.test(msg))
    return new SeglError("DISCONNECTED", `${where} went away during ${op} (${msg})`, { cause: err, details });
  return new SeglError("TRANSPORT_ERROR", `HID ${op} on ${where} failed: ${msg}`, { cause: err, details });
}

export class HidTransport extends ChunkQueueTransport {
  readonly kind = "hid";
  private readonly onData = (...args: unknown[]) => {
    if (args[0] instanceof Uint8Array) this.deliver(new Uint8Array(args[0]));
  };
  private readonly onError = (...args: unknown[]) => this.fail(mapHidError(args[0], this.path, "read"));

  private constructor(private readonly dev: HidAsyncDevice, readonly path: string) {
    super();
    dev.on("data", this.onData);
    dev.on("error", this.onError);
  }

  /** FIDO HID devices (usage page 0xF1D0), optionally of one vendor/product. */
  static async list(opts: HidListOptions = {}): Promise<HidDeviceInfo[]> {
    const hid = await loadNodeHid(opts.hid);
    let devs: HidDeviceInfo[];
    try {
      devs = await hid.devicesAsync();
    } catch (err) {
      throw mapHidError(err, "HID bus", "list");
    }
    return devs.filter(
      (d) =>
        (opts.all || d.usagePage === FIDO_USAGE_PAGE) &&
        (opts.vendorId === undefined || d.vendorId === opts.vendorId) &&
        (opts.productId === undefined || d.productId === opts.productId),
    );
  }

  /**
   * Opens a device by path, by listing entry, or as the first FIDO interface of a vendor/product.
   * Rejects DEVICE_NOT_FOUND, PERMISSION_DENIED, DEVICE_BUSY, NATIVE_MODULE_MISSING, TIMEOUT, ABORTED.
   */
  static async open(target: HidTarget, opts: HidOpenOptions = {}): Promise<HidTransport> {
    throwIfAborted(opts.signal);
    const hid = await loadNodeHid(opts.hid);
    let path: string;
    if (typeof target === "string") {
      argCheck(target !== "", "a HID device path is required");
      path = target;
    } else {
      argCheck(typeof target === "object" && target !== null && Number.isInteger(target.vendorId) && Number.isInteger(target.productId),
        "open() takes a path or { vendorId, productId }");
      if ("path" in target && typeof target.path === "string" && target.path !== "") path = target.path;
      else {
        // vid/pid alone would open whichever interface hidapi finds first: pick the FIDO one.
        const hits = await HidTransport.list({ vendorId: target.vendorId, productId: target.productId, hid });
        const hex = (n: number) => n.toString(16).padStart(4, "0");
        if (hits.length === 0 || !hits[0]!.path)
          throw new SeglError("DEVICE_NOT_FOUND", `no FIDO HID interface for ${hex(target.vendorId)}:${hex(target.productId)}`, {
            details: { vendorId: target.vendorId, productId: target.productId },
          });
        path = hits[0]!.path;
      }
    }
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    let gaveUp = false;
    const dev = await abortable<HidAsyncDevice>(
      scope.signal,
      (resolve, reject) => {
        hid.HIDAsync.open(path, opts.nonExclusive === undefined ? undefined : { nonExclusive: opts.nonExclusive }).then(
          (d) => {
            if (gaveUp) void d.close().catch(() => {}); // too late: the caller has moved on
            resolve(d);
          },
          (err: unknown) => reject(mapHidError(err, path, "open")),
        );
      },
      () => { scope.dispose(); gaveUp = true; },
    );
    return new HidTransport(dev, path);
  }

  /** Wraps an already open HIDAsync device. */
  static fromDevice(dev: HidAsyncDevice, path = "hid"): HidTransport {
    return new HidTransport(dev, path);
  }

  /** Writes one report: report ID 0 ‖ the report padded to 64 bytes (65 bytes on the wire to hidapi). */
  async send(report: Uint8Array, opts: IoOptions = {}): Promise<void> {
    this.assertOpen();
    const r = padReport(report);
    const out = Buffer.alloc(65);
    out.set(r, 1);
    const scope = timeoutScope(opts.signal, opts.timeoutMs);
    await abortable<void>(
      scope.signal,
      (resolve, reject) => {
        this.dev.write(out).then(
          (n) => (n < 0 ? reject(new SeglError("TRANSPORT_ERROR", `HID write to ${this.path} returned ${n}`)) : resolve()),
          (err: unknown) => reject(mapHidError(err, this.path, "write")),
        );
      },
      () => scope.dispose(),
    );
  }

  protected async doClose(): Promise<void> {
    this.dev.removeListener("data", this.onData);
    try {
      await this.dev.close();
    } catch {
      /* already gone */
    } finally {
      this.dev.removeListener("error", this.onError);
    }
  }
}
