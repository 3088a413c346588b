// USB DFU 1.1 host side (the chip's firmware update, docs/image-format.md and host-sdk/docs/dfu.md):
// finds DFU-capable devices, detaches a device in runtime mode into DFU mode, downloads an
// image block by block with GETSTATUS polling (bwPollTimeout honoured), manifests it and resets
// the device. Runs on the `usb` package or on the simulator's virtual USB bus alike.
import { SeglError, type DfuStatusErrorCode } from "../../errors.js";
import { throwIfAborted, abortable } from "../../transport/transport.js";
import { mapUsbError, nativeUsb, type UsbBackend, type UsbDeviceLike } from "./usb.js";

export const DFU_REQUEST = { DETACH: 0, DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, CLRSTATUS: 4, GETSTATE: 5, ABORT: 6 } as const;

export const DFU_STATE_NAMES = [
  "appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
  "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR",
] as const;
export type DfuStateName = (typeof DFU_STATE_NAMES)[number];

export const DFU_STATUS_NAMES = [
  "OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED", "errPROG", "errVERIFY",
  "errADDRESS", "errNOTDONE", "errFIRMWARE", "errVENDOR", "errUSBR", "errPOR", "errUNKNOWN", "errSTALLEDPKT",
] as const;
export type DfuStatusName = (typeof DFU_STATUS_NAMES)[number];

const OUT = 0x21;
const IN = 0xa1;

/** The name of a bState (`state 0x2a` for values outside DFU 1.1). */
export function dfuStateName(s: number): DfuStateName | `state 0x${string}` {
  return DFU_STATE_NAMES[s] ?? `state 0x${s.toString(16)}`;
}

/** The name of a bStatus. */
export function dfuStatusName(s: number): DfuStatusName | `status 0x${string}` {
  return DFU_STATUS_NAMES[s] ?? `status 0x${s.toString(16)}`;
}

/** The SDK error for a device in dfuERROR: DFU_ERR_VERIFY for errVERIFY, and so on. */
export function dfuStatusError(status: number, state: number, what = "the download"): SeglError {
  const name = dfuStatusName(status);
  const code = (status >= 1 && status <= 15 ? `DFU_ERR_${name.slice(3)}` : "DFU_ERR_UNKNOWN") as DfuStatusErrorCode;
  return new SeglError(code, `the device refused ${what}: ${name} (${DFU_STATUS_MEANINGS[status] ?? "unknown status"})`, {
    details: { dfuStatus: name, dfuStatusCode: status, state: dfuStateName(state) },
  });
}

const DFU_STATUS_MEANINGS: Record<number, string> = {
  1: "the file is not for this device (model, key, rollback or format)", 2: "the file fails a vendor check", 3: "the device cannot write its memory",
  4: "memory erase failed", 5: "memory erase check failed", 6: "program memory failed", 7: "the image's signature or hash does not verify",
  8: "address out of range", 9: "the download ended early (sequence)", 10: "the firmware is corrupt", 11: "vendor error",
  12: "unexpected USB reset", 13: "unexpected power-on reset", 14: "unknown error", 15: "the device stalled an unexpected request",
};

export interface DfuAttributes {
  canDownload: boolean;
  canUpload: boolean;
  manifestationTolerant: boolean;
  willDetach: boolean;
}

/** A DFU-capable USB device as found on the bus. */
export interface DfuDeviceInfo {
  readonly usb: UsbDeviceLike;
  /** "usb:BUS-ADDRESS" (changes when the device re-enumerates; the serial does not). */
  readonly path: string;
  readonly vendorId: number;
  readonly productId: number;
  /** runtime: the application with a DFU runtime interface (protocol 1); dfu: DFU mode (protocol 2). */
  readonly mode: "runtime" | "dfu";
  readonly interfaceNumber: number;
  readonly transferSize: number;
  readonly detachTimeoutMs: number;
  readonly attributes: DfuAttributes;
  /** bcdDevice as "major.minor.patch" (Segl chips: major << 8 | minor << 4 | patch). */
  readonly firmwareVersion: string;
  /** The serial number string ("" when it could not be read, e.g. no permission). */
  serial: string;
  /** Why the serial could not be read. */
  serialError?: string;
}

/** Parses the DFU functional descriptor (type 0x21) out of class-specific descriptor bytes. */
export function parseFunctionalDescriptor(extra: Uint8Array): { attributes: DfuAttributes; detachTimeoutMs: number; transferSize: number; version: number } | undefined {
  for (let i = 0; i + 2 <= extra.length; ) {
    const len = extra[i]!;
    if (len < 2) return undefined;
    if (extra[i + 1] === 0x21 && len >= 7 && i + len <= extra.length) {
      const a = extra[i + 2]!;
      const u16 = (o: number) => extra[i + o]! | (extra[i + o + 1]! << 8);
      return {
        attributes: { canDownload: (a & 1) !== 0, canUpload: (a & 2) !== 0, manifestationTolerant: (a & 4) !== 0, willDetach: (a & 8) !== 0 },
        detachTimeoutMs: u16(3), transferSize: u16(5), version: len >= 9 ? u16(7) : 0x0100,
      };
    }
    i += len;
  }
  return undefined;
}

/** The DFU interface of a USB device, or undefined when it has none. */
export function dfuInterfaceOf(dev: UsbDeviceLike): Omit<DfuDeviceInfo, "serial"> | undefined {
  let config: UsbDeviceLike["configDescriptor"];
  try {
    config = dev.configDescriptor;
  } catch {
    return undefined; // no access to the descriptors: not ours to judge
  }
  for (const alts of config?.interfaces ?? []) {
    for (const d of alts) {
      if (d.bInterfaceClass !== 0xfe || d.bInterfaceSubClass !== 0x01) continue;
      const fd = parseFunctionalDescriptor(d.extra) ?? (config?.extra ? parseFunctionalDescriptor(config.extra) : undefined);
      if (!fd) continue;
      const bcd = dev.deviceDescriptor.bcdDevice;
      return {
        usb: dev, path: `usb:${dev.busNumber}-${dev.deviceAddress}`,
        vendorId: dev.deviceDescriptor.idVendor, productId: dev.deviceDescriptor.idProduct,
        mode: d.bInterfaceProtocol === 2 ? "dfu" : "runtime", interfaceNumber: d.bInterfaceNumber,
        transferSize: fd.transferSize, detachTimeoutMs: fd.detachTimeoutMs, attributes: fd.attributes,
        firmwareVersion: `${bcd >> 8}.${(bcd >> 4) & 0xf}.${bcd & 0xf}`,
      };
    }
  }
  return undefined;
}

function stringDescriptor(dev: UsbDeviceLike, index: number): Promise<string> {
  return new Promise((resolve, reject) => dev.getStringDescriptor(index, (err, v) => (err ? reject(mapUsbError(err, "reading a string descriptor")) : resolve(v ?? ""))));
}

export interface FindDfuOptions {
  /** The bus (default: the `usb` package). */
  usb?: UsbBackend;
}

/** Every DFU-capable device on the bus, with its serial (the device is opened briefly to read it). */
export async function findDfuDevices(opts: FindDfuOptions = {}): Promise<DfuDeviceInfo[]> {
  const bus = opts.usb ?? (await nativeUsb());
  const out: DfuDeviceInfo[] = [];
  for (const dev of bus.getDeviceList()) {
    const info = dfuInterfaceOf(dev);
    if (!info) continue;
    const found: DfuDeviceInfo = { ...info, serial: "" };
    if (dev.deviceDescriptor.iSerialNumber) {
      try {
        dev.open();
        try {
          found.serial = await stringDescriptor(dev, dev.deviceDescriptor.iSerialNumber);
        } finally {
          dev.close();
        }
      } catch (e) {
        found.serialError = e instanceof Error ? e.message : String(e);
      }
    }
    out.push(found);
  }
  return out;
}

/** What GETSTATUS answers. */
export interface DfuStatus {
  status: number;
  statusName: DfuStatusName | `status 0x${string}`;
  pollTimeoutMs: number;
  state: number;
  stateName: DfuStateName | `state 0x${string}`;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The timer and clock a sleep uses (tests pass ones that misbehave on purpose). */
export interface SleepTimer {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const hostTimer: SleepTimer = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A sleep of at least `ms` by `timer.now()`, which an AbortSignal ends early (ABORTED). Timers
 *  count whole milliseconds and may fire a fraction early; a poll that reaches a device still in
 *  dfuDNBUSY makes it stall, so the wait re-arms until the time has really passed. */
export function sleepAtLeast(timer: SleepTimer = hostTimer): Sleep {
  return (ms, signal) => {
    let handle: unknown;
    const until = timer.now() + ms;
    return abortable<void>(signal, (resolve) => {
      const wait = (): void => {
        const left = until - timer.now();
        if (left <= 0) resolve();
        else handle = timer.setTimer(wait, Math.ceil(left));
      };
      wait();
    }, () => { if (handle !== undefined) timer.clearTimer(handle); });
  };
}

/** At least `ms` of real time (bwPollTimeout), ended early by an AbortSignal (ABORTED). */
export const realSleep: Sleep = sleepAtLeast();

/** An open DFU interface: one request at a time. */
export class DfuSession {
  private closed = false;
  private constructor(readonly info: DfuDeviceInfo, private readonly dev: UsbDeviceLike) {}

  /** Opens the device and claims its DFU interface. */
  static open(info: DfuDeviceInfo): DfuSession {
    const dev = info.usb;
    try {
      dev.open();
      dev.interface(info.interfaceNumber).claim();
    } catch (e) {
      try { dev.close(); } catch { /* already closed */ }
      throw mapUsbError(e, "opening the DFU interface");
    }
    return new DfuSession(info, dev);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      try {
        this.dev.interface(this.info.interfaceNumber).release(() => resolve());
      } catch {
        resolve();
      }
    });
    try { this.dev.close(); } catch { /* gone already */ }
  }

  private control(bmRequestType: number, bRequest: number, wValue: number, dataOrLength: number | Uint8Array, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    throwIfAborted(signal);
    if (this.closed) return Promise.reject(new SeglError("CLOSED", "the DFU session is closed"));
    const arg = typeof dataOrLength === "number" ? dataOrLength : Buffer.from(dataOrLength.buffer, dataOrLength.byteOffset, dataOrLength.byteLength);
    return abortable<Uint8Array>(signal, (resolve, reject) => {
      try {
        this.dev.controlTransfer(bmRequestType, bRequest, wValue, this.info.interfaceNumber, arg, (err, buf) => {
          if (err) reject(mapUsbError(err, what));
          else resolve(typeof buf === "number" || buf === undefined ? new Uint8Array(0) : new Uint8Array(buf));
        });
      } catch (e) {
        reject(mapUsbError(e, what));
      }
    });
  }

  async getStatus(signal?: AbortSignal): Promise<DfuStatus> {
    const d = await this.control(IN, DFU_REQUEST.GETSTATUS, 0, 6, "GETSTATUS", signal);
    if (d.length < 6) throw new SeglError("BAD_RESPONSE", `GETSTATUS answered ${d.length} bytes, not 6`, { details: { length: d.length } });
    const pollTimeoutMs = d[1]! | (d[2]! << 8) | (d[3]! << 16);
    return { status: d[0]!, statusName: dfuStatusName(d[0]!), pollTimeoutMs, state: d[4]!, stateName: dfuStateName(d[4]!) };
  }

  async getState(signal?: AbortSignal): Promise<DfuStateName | `state 0x${string}`> {
    const d = await this.control(IN, DFU_REQUEST.GETSTATE, 0, 1, "GETSTATE", signal);
    if (d.length < 1) throw new SeglError("BAD_RESPONSE", "GETSTATE answered no byte");
    return dfuStateName(d[0]!);
  }

  async clearStatus(signal?: AbortSignal): Promise<void> {
    await this.control(OUT, DFU_REQUEST.CLRSTATUS, 0, new Uint8Array(0), "CLRSTATUS", signal);
  }

  async abort(signal?: AbortSignal): Promise<void> {
    await this.control(OUT, DFU_REQUEST.ABORT, 0, new Uint8Array(0), "ABORT", signal);
  }

  async detach(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.control(OUT, DFU_REQUEST.DETACH, Math.min(0xffff, timeoutMs), new Uint8Array(0), "DETACH", signal);
  }

  async dnload(blockNum: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.control(OUT, DFU_REQUEST.DNLOAD, blockNum & 0xffff, data, `DNLOAD block ${blockNum}`, signal);
  }

  /** UPLOAD (Segl devices refuse it with a STALL: no firmware read-out). */
  async upload(blockNum: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.control(IN, DFU_REQUEST.UPLOAD, blockNum & 0xffff, length, "UPLOAD", signal);
  }

  /** A USB reset (after manifestation: the device boots the new image). A device that re-enumerates may report it gone. */
  async reset(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      try {
        this.dev.reset((err) => {
          const e = err ? mapUsbError(err, "USB reset") : undefined;
          if (e && e.code !== "DISCONNECTED" && e.code !== "DEVICE_NOT_FOUND") reject(e);
          else resolve();
        });
      } catch (e) {
        reject(mapUsbError(e, "USB reset"));
      }
    });
  }

  /**
   * Brings the interface to dfuIDLE: waits out a busy block (bwPollTimeout), CLRSTATUS after an
   * error, ABORT in the middle of a transfer (which keeps what the device received: the same
   * image resumes).
   */
  async toIdle(signal?: AbortSignal, sleep: Sleep = realSleep): Promise<void> {
    let s = await this.getStatus(signal);
    for (let polls = 0; s.stateName === "dfuDNBUSY" && polls < 1000; polls++) {
      await sleep(s.pollTimeoutMs, signal);
      s = await this.getStatus(signal);
    }
    if (s.stateName === "dfuERROR") { await this.clearStatus(signal); s = await this.getStatus(signal); }
    if (s.stateName === "dfuDNLOAD-IDLE" || s.stateName === "dfuMANIFEST-SYNC" || s.stateName === "dfuUPLOAD-IDLE") {
      await this.abort(signal);
      s = await this.getStatus(signal);
    }
    if (s.stateName !== "dfuIDLE") throw new SeglError("DFU_BAD_STATE", `the device is in ${s.stateName}, not dfuIDLE`, { details: { state: s.stateName, expected: "dfuIDLE" } });
  }
}

export type DfuPhase = "detach" | "download" | "manifest" | "reset" | "done";

export interface DfuProgress {
  phase: DfuPhase;
  /** Bytes of the file sent and acknowledged so far. */
  bytes: number;
  total: number;
}

export interface DfuDownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DfuProgress) => void;
  /** How the client waits bwPollTimeout (default: setTimeout). Tests pass one that advances a simulated clock. */
  sleep?: Sleep;
}

/**
 * Downloads `file` into the device's DFU interface (dfuIDLE first: after an error CLRSTATUS, in a
 * transfer ABORT), manifests it, and resets the device so that it boots the new image. A
 * refused image: DFU_ERR_* with the device's status (errVERIFY for a bad signature or hash); an
 * abort: ABORT is sent so that the device is in dfuIDLE for the next attempt, then ABORTED.
 */
export async function dfuDownload(session: DfuSession, file: Uint8Array, opts: DfuDownloadOptions = {}): Promise<{ bytes: number; blocks: number }> {
  const { signal, onProgress } = opts;
  const sleep = opts.sleep ?? realSleep;
  const size = session.info.transferSize;
  if (!(size > 0)) throw new SeglError("BAD_RESPONSE", "the DFU functional descriptor gives wTransferSize 0");
  if (file.length === 0) throw new SeglError("INVALID_ARGUMENT", "the image is empty");
  await session.toIdle(signal, sleep);
  const total = file.length;
  let block = 0;
  const waitIdle = async (until: (s: DfuStatus) => boolean, what: string): Promise<DfuStatus> => {
    for (let polls = 0; ; polls++) {
      const s = await session.getStatus();
      if (s.stateName === "dfuERROR") throw dfuStatusError(s.status, s.state, what);
      if (until(s)) return s;
      if (polls > 10_000) throw new SeglError("DFU_BAD_STATE", `the device stays in ${s.stateName} during ${what}`, { details: { state: s.stateName } });
      await sleep(s.pollTimeoutMs, signal);
    }
  };
  try {
    for (let off = 0; off < total; off += size, block++) {
      throwIfAborted(signal);
      await session.dnload(block, file.subarray(off, off + size));
      await waitIdle((s) => s.stateName === "dfuDNLOAD-IDLE", `block ${block}`);
      onProgress?.({ phase: "download", bytes: Math.min(total, off + size), total });
    }
    throwIfAborted(signal);
    await session.dnload(block, new Uint8Array(0));
    onProgress?.({ phase: "manifest", bytes: total, total });
    const tolerant = session.info.attributes.manifestationTolerant;
    const s = await waitIdle((st) => st.stateName === "dfuIDLE" || st.stateName === "dfuMANIFEST" || st.stateName === "dfuMANIFEST-WAIT-RESET", "manifestation");
    if (!tolerant || s.stateName !== "dfuIDLE") await sleep(s.pollTimeoutMs, signal);
  } catch (err) {
    // Interrupted: leave the device in dfuIDLE (a busy block waited out first), holding what it received.
    if (isSignalError(err, signal)) await session.toIdle(undefined, sleep).catch(() => {});
    throw err;
  }
  onProgress?.({ phase: "reset", bytes: total, total });
  await session.reset();
  return { bytes: total, blocks: block };
}

function isSignalError(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && err instanceof SeglError && (err.code === "ABORTED" || err.code === "TIMEOUT");
}

export interface DfuUpdateOptions extends DfuDownloadOptions {
  usb?: UsbBackend;
  /** The device's serial; required when more than one DFU device is present. */
  serial?: string;
  /** How long to wait for the device to re-enumerate after DETACH or reset (ms, default 5000). */
  enumerateTimeoutMs?: number;
  /** Wait for the device to come back in runtime mode after the reset and report its firmware (default true). */
  waitForRuntime?: boolean;
}

export interface DfuUpdateResult {
  serial: string;
  bytes: number;
  blocks: number;
  /** Firmware version before and after (bcdDevice), when known. */
  before: string;
  after: string | undefined;
}

/**
 * The version in a Segl image header (docs/image-format.md: "SGFW", version u32 LE at 12), when it
 * fits bcdDevice (minor and patch below 16); undefined for other files.
 */
function imageVersion(file: Uint8Array): string | undefined {
  if (file.length < 16 || file[0] !== 0x53 || file[1] !== 0x47 || file[2] !== 0x46 || file[3] !== 0x57) return undefined;
  const major = file[14]!, minor = file[13]!, patch = file[12]!;
  if (file[15] !== 0 || minor > 15 || patch > 15) return undefined;
  return `${major}.${minor}.${patch}`;
}

async function waitFor(bus: UsbBackend, serial: string, mode: "runtime" | "dfu", timeoutMs: number, sleep: Sleep, signal?: AbortSignal): Promise<DfuDeviceInfo> {
  for (let waited = 0; ; waited += 50) {
    const hit = (await findDfuDevices({ usb: bus })).find((d) => d.serial === serial && d.mode === mode);
    if (hit) return hit;
    if (waited >= timeoutMs) throw new SeglError("DEVICE_NOT_FOUND", `${serial} did not come back in ${mode} mode within ${timeoutMs} ms`, { details: { serial, mode } });
    await sleep(50, signal);
  }
}

/**
 * Finds the device (by serial), detaches it into DFU mode if needed, downloads, manifests, resets,
 * and waits for it to come back: a Segl image whose version the chip does not report afterwards
 * (its boot ROM refused it, or the trial did not confirm) rejects UPDATE_NOT_APPLIED.
 */
export async function dfuUpdate(file: Uint8Array, opts: DfuUpdateOptions = {}): Promise<DfuUpdateResult> {
  const bus = opts.usb ?? (await nativeUsb());
  const sleep = opts.sleep ?? realSleep;
  const timeout = opts.enumerateTimeoutMs ?? 5000;
  const all = (await findDfuDevices({ usb: bus })).filter((d) => opts.serial === undefined || d.serial === opts.serial);
  if (all.length === 0) throw new SeglError("DEVICE_NOT_FOUND", opts.serial ? `no DFU device with serial ${opts.serial}` : "no DFU device found", { details: { serial: opts.serial } });
  if (all.length > 1) throw new SeglError("INVALID_ARGUMENT", `${all.length} DFU devices found: name one by its serial`, { details: { serials: all.map((d) => d.serial) } });
  let target = all[0]!;
  const serial = target.serial;
  const before = target.firmwareVersion;
  if (!target.attributes.canDownload) throw new SeglError("UNSUPPORTED", `${serial} does not accept DFU downloads`);
  if (target.mode === "runtime") {
    opts.onProgress?.({ phase: "detach", bytes: 0, total: file.length });
    const s = DfuSession.open(target);
    try {
      await s.detach(target.detachTimeoutMs, opts.signal);
      if (!target.attributes.willDetach) await s.reset();
    } finally {
      await s.close();
    }
    if (!serial) throw new SeglError("DEVICE_NOT_FOUND", "the device has no readable serial: it cannot be found again after DETACH");
    target = await waitFor(bus, serial, "dfu", timeout, sleep, opts.signal);
  }
  const session = DfuSession.open(target);
  let r: { bytes: number; blocks: number };
  try {
    r = await dfuDownload(session, file, opts);
  } finally {
    await session.close();
  }
  let after: string | undefined;
  if ((opts.waitForRuntime ?? true) && serial) {
    after = (await waitFor(bus, serial, "runtime", timeout, sleep, opts.signal)).firmwareVersion;
    const expected = imageVersion(file);
    if (expected !== undefined && after !== expected) {
      throw new SeglError("UPDATE_NOT_APPLIED", `${serial} runs ${after} after the reset, not ${expected}: its boot ROM refused the image or the image did not confirm itself`, {
        details: { expected, running: after },
      });
    }
  }
  opts.onProgress?.({ phase: "done", bytes: file.length, total: file.length });
  return { serial, ...r, before, after };
}
