// Client of the service protocol (docs/serial-protocol.md) over any byte Transport (UART frames)
// or a ServiceTunnel (the chip's CTAPHID vendor command): one transaction at a time, SEQ matching,
// stale answers ignored, retries for idempotent commands, typed results and typed errors.
import { SeglError, argCheck } from "../../errors.js";
import { hex } from "../../platform/encoding.js";
import type { OtpAlgorithm } from "../../otp/types.js";
import { Mutex, transportMutex, timeoutScope, abortError, type Transport } from "../../transport/transport.js";
import { FrameParser, encodeRequest, MAX_PAYLOAD, RESPONSE_BIT, type Frame, type FrameParserStats } from "./frame.js";

export const Command = {
  INFO: 0x01,
  PROVISION: 0x02,
  SET_TIME: 0x03,
  STATUS: 0x04,
  LOCK: 0x05,
  PING: 0x06,
  ATTESTATION: 0x07,
  UPDATE_BEGIN: 0x08,
  UPDATE_DATA: 0x09,
  UPDATE_FINISH: 0x0a,
  UPDATE_ABORT: 0x0b,
  REBOOT: 0x0c,
} as const;
export type CommandName = keyof typeof Command;

export const DeviceStatusCode = {
  OK: 0x00,
  UNKNOWN_COMMAND: 0x01,
  BAD_LENGTH: 0x02,
  BAD_PARAMETER: 0x03,
  BAD_STATE: 0x04,
  LOCKED: 0x05,
  STORAGE_FAILURE: 0x06,
  /** The device's TRNG failed its health tests this power cycle (PROVISION, ATTESTATION refused). */
  ENTROPY_FAILURE: 0x07,
  /** Over the chip's HID tunnel: the chip already holds a credential or a PIN (PROVISION, ATTESTATION refused). */
  IN_USE: 0x08,
  /** The update receiver refused (UPDATE_BEGIN/DATA/FINISH); one detail byte follows (UPDATE_REFUSED_REASONS). */
  UPDATE_REFUSED: 0x09,
  /** Over the chip's HID tunnel: UPDATE_BEGIN of a new image needs a touch of the chip first. */
  PRESENCE_REQUIRED: 0x0a,
} as const;

/** The detail byte of UPDATE_REFUSED (the firmware's UPDATE_ERR_* negated; docs/image-format.md). */
export const UPDATE_REFUSED_REASONS = {
  1: "FORMAT", 2: "MODEL", 3: "KEY", 4: "SIGNATURE", 5: "ROLLBACK", 6: "SEQUENCE", 7: "HASH", 8: "FLASH", 9: "UNSUPPORTED",
} as const;
export type UpdateRefusedReason = (typeof UPDATE_REFUSED_REASONS)[keyof typeof UPDATE_REFUSED_REASONS];
export type DeviceStatusName = keyof typeof DeviceStatusCode;

/** Stable name of a device status byte ("UNKNOWN_0x2A" for codes this SDK does not know). */
export function deviceStatusName(status: number): DeviceStatusName | `UNKNOWN_0x${string}` {
  for (const [k, v] of Object.entries(DeviceStatusCode)) if (v === status) return k as DeviceStatusName;
  return `UNKNOWN_0x${status.toString(16).padStart(2, "0").toUpperCase()}`;
}

/** Name of a service command byte ("0x2a" for codes this SDK does not know). */
export function commandName(cmd: number): string {
  for (const [k, v] of Object.entries(Command)) if (v === cmd) return k;
  return `0x${cmd.toString(16).padStart(2, "0")}`;
}

export type ModelName = "code-display" | "audio-reader" | "chip";
export const MODEL_CODES: Readonly<Record<ModelName, number>> = { "code-display": 1, "audio-reader": 2, chip: 3 };
export const ALGORITHM_CODES: Readonly<Record<OtpAlgorithm, number>> = { SHA1: 1, SHA256: 2, SHA512: 3 };
export type DeviceStateName = "blank" | "provisioned" | "locked";

export interface DeviceInfo {
  protocolVersion: number;
  /** "major.minor.patch" */
  firmwareVersion: string;
  firmware: { major: number; minor: number; patch: number };
  model: ModelName | "none" | "unknown";
  modelCode: number;
  state: DeviceStateName | "unknown";
  stateCode: number;
  flags: {
    clockSet: boolean;
    storageRecovered: boolean;
    /** The TRNG failed its health tests this power cycle: the device makes no keys. */
    entropyFailed: boolean;
    /** The store found a rotten record among valid ones: the device behaves as locked. */
    storageDamaged: boolean;
    raw: number;
  };
  /** null when blank (or an algorithm this SDK does not know: see algorithmCode). */
  algorithm: OtpAlgorithm | null;
  algorithmCode: number;
  digits: number;
  period: number;
  serial: string;
}

export interface DeviceStatus {
  /** Device time, Unix ms; null when its clock is not set. */
  timeMs: number | null;
  uptimeMs: number;
  displayOn: boolean;
  storeFreeBytes: number;
  storeMaxEraseCount: number;
  flashWriteErrors: number;
  /** 0, or why the TRNG failed (1 HAL error, 2 short fill, 3 repetition count, 4 adaptive proportion,
   *  5 DRBG); null from firmware that does not report it. */
  entropyFailure: number | null;
}

export interface ProvisionParams {
  model: ModelName;
  algorithm: OtpAlgorithm;
  /** 6, 7 or 8 */
  digits: number;
  /** 10..300 s */
  period: number;
  /** 1..32 printable ASCII characters */
  serial: string;
  /** 16..64 bytes */
  seed: Uint8Array;
}

export interface ServiceCallOptions {
  signal?: AbortSignal;
  /** Per attempt; default: the client's (2000 ms). */
  timeoutMs?: number;
}

export interface RawRequestOptions extends ServiceCallOptions {
  /** Retry once (new SEQ) on timeout. Default false. */
  retry?: boolean;
}

export interface ServiceClientOptions {
  /** Default per-attempt timeout, ms (2000). */
  timeoutMs?: number;
  /** Extra attempts, each with a new SEQ, after a timeout of a retry-safe command (default 1). */
  retries?: number;
  /** First SEQ (default random). */
  firstSeq?: number;
}

export interface RawResponse {
  status: number;
  statusName: string;
  /** Payload after the status byte. */
  data: Uint8Array;
}

const SERIAL_RE = /^[\x21-\x7e]{1,32}$/;
const MIN_TIME_MS = Date.UTC(2020, 0, 1);
const MAX_TIME_MS = Date.UTC(2200, 0, 1);

/** Checks the rules of PROVISION (docs/serial-protocol.md); throws INVALID_ARGUMENT. */
export function validateProvisionParams(p: ProvisionParams): void {
  argCheck(typeof p === "object" && p !== null, "provisioning parameters are required");
  argCheck(p.model in MODEL_CODES, `model must be one of ${Object.keys(MODEL_CODES).join(", ")}`, { model: p.model });
  argCheck(p.algorithm in ALGORITHM_CODES, "algorithm must be SHA1, SHA256 or SHA512", { algorithm: p.algorithm });
  argCheck(p.digits === 6 || p.digits === 7 || p.digits === 8, "digits must be 6, 7 or 8", { digits: p.digits });
  // the code display's LCD has six digits: the device refuses 7 and 8 for it (BAD_PARAMETER)
  argCheck(p.model !== "code-display" || p.digits === 6, "the code display shows 6 digits: digits must be 6 for it", { model: p.model, digits: p.digits });
  argCheck(Number.isInteger(p.period) && p.period >= 10 && p.period <= 300, "period must be an integer 10..300 s", { period: p.period });
  argCheck(typeof p.serial === "string" && SERIAL_RE.test(p.serial), "serial must be 1..32 printable ASCII characters (0x21..0x7E)", { serial: p.serial });
  argCheck(p.seed instanceof Uint8Array && p.seed.length >= 16 && p.seed.length <= 64, "seed must be 16..64 bytes", {
    seedLength: p.seed instanceof Uint8Array ? p.seed.length : undefined,
  });
}

/**
 * The PROVISION payload, without checking the protocol's rules (conformance tests send bad
 * values on purpose); throws INVALID_ARGUMENT only for what cannot be encoded at all.
 */
export function encodeProvisionPayload(p: {
  model: ModelName | number;
  algorithm: OtpAlgorithm | number;
  digits: number;
  period: number;
  serial: string | Uint8Array;
  seed: Uint8Array;
}): Uint8Array {
  const model = typeof p.model === "number" ? p.model : MODEL_CODES[p.model];
  const alg = typeof p.algorithm === "number" ? p.algorithm : ALGORITHM_CODES[p.algorithm];
  const serial = typeof p.serial === "string" ? new TextEncoder().encode(p.serial) : p.serial;
  const byte = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xff;
  argCheck(byte(model) && byte(alg) && byte(p.digits), "model, algorithm and digits must each fit in a byte");
  argCheck(Number.isInteger(p.period) && p.period >= 0 && p.period <= 0xffff, "period must fit in 16 bits");
  argCheck(serial.length <= 0xff && p.seed.length <= 0xff, "serial and seed must each be at most 255 bytes");
  const out = new Uint8Array(5 + 1 + serial.length + 1 + p.seed.length);
  argCheck(out.length <= MAX_PAYLOAD, "provisioning payload exceeds 1024 bytes");
  let o = 0;
  out[o++] = model!;
  out[o++] = alg!;
  out[o++] = p.digits;
  out[o++] = p.period >>> 8;
  out[o++] = p.period & 0xff;
  out[o++] = serial.length;
  out.set(serial, o);
  o += serial.length;
  out[o++] = p.seed.length;
  out.set(p.seed, o);
  return out;
}

/** 8-byte big-endian Unix ms. */
function u64be(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v));
  return b;
}

/** Largest UPDATE_DATA chunk (docs/image-format.md). */
export const UPDATE_CHUNK_MAX = 1016;

function u32le(command: number, d: Uint8Array): number {
  if (d.length < 4) throw badResponse(command, `answer is ${d.length} bytes, a u32 expected`, d);
  return new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true);
}

const MODEL_NAMES: Record<number, ModelName | "none"> = { 0: "none", 1: "code-display", 2: "audio-reader", 3: "chip" };
const STATE_NAMES: Record<number, DeviceStateName> = { 0: "blank", 1: "provisioned", 2: "locked" };
const ALG_NAMES: Record<number, OtpAlgorithm> = { 1: "SHA1", 2: "SHA256", 3: "SHA512" };

function badResponse(command: number, why: string, data?: Uint8Array): SeglError {
  return new SeglError("BAD_RESPONSE", `${commandName(command)}: ${why}`, {
    details: { command: commandName(command), ...(data ? { data: hex(data) } : {}) },
  });
}

/** Parses an INFO response body (after the status byte). */
export function parseInfo(d: Uint8Array): DeviceInfo {
  if (d.length < 12) throw badResponse(Command.INFO, `INFO answer is ${d.length} bytes, at least 12 expected`, d);
  const n = d[11]!;
  if (n > 32 || d.length < 12 + n) throw badResponse(Command.INFO, `INFO serial length ${n} does not fit the answer`, d);
  const serialBytes = d.subarray(12, 12 + n);
  if (serialBytes.some((c) => c < 0x21 || c > 0x7e)) throw badResponse(Command.INFO, "INFO serial is not printable ASCII", d);
  const major = d[1]!, minor = d[2]!, patch = d[3]!;
  return {
    protocolVersion: d[0]!,
    firmwareVersion: `${major}.${minor}.${patch}`,
    firmware: { major, minor, patch },
    model: MODEL_NAMES[d[4]!] ?? "unknown",
    modelCode: d[4]!,
    state: STATE_NAMES[d[5]!] ?? "unknown",
    stateCode: d[5]!,
    flags: {
      clockSet: (d[6]! & 1) !== 0, storageRecovered: (d[6]! & 2) !== 0, entropyFailed: (d[6]! & 4) !== 0,
      storageDamaged: (d[6]! & 8) !== 0, raw: d[6]!,
    },
    algorithm: ALG_NAMES[d[7]!] ?? null,
    algorithmCode: d[7]!,
    digits: d[8]!,
    period: (d[9]! << 8) | d[10]!,
    serial: String.fromCharCode(...serialBytes),
  };
}

/** Parses a STATUS response body (after the status byte). */
export function parseStatus(d: Uint8Array): DeviceStatus {
  if (d.length < 29) throw badResponse(Command.STATUS, `STATUS answer is ${d.length} bytes, 29 expected`, d);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const time = v.getBigUint64(0);
  const up = v.getBigUint64(8);
  if (time > BigInt(Number.MAX_SAFE_INTEGER) || up > BigInt(Number.MAX_SAFE_INTEGER))
    throw badResponse(Command.STATUS, "STATUS time out of range", d);
  return {
    timeMs: time === 0n ? null : Number(time),
    uptimeMs: Number(up),
    displayOn: d[16] !== 0,
    storeFreeBytes: v.getUint32(17),
    storeMaxEraseCount: v.getUint32(21),
    flashWriteErrors: v.getUint32(25),
    entropyFailure: d.length > 29 ? d[29]! : null,
  };
}

/**
 * Carries one service request and returns its answer (status ‖ data) by some other means than
 * UART frames: the chip has no UART and tunnels the protocol through CTAPHID (HidServiceTunnel).
 */
export interface ServiceTunnel {
  exchange(command: number, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
}

function isTunnel(x: Transport | ServiceTunnel): x is ServiceTunnel {
  return typeof (x as ServiceTunnel).exchange === "function";
}

export class ServiceClient {
  /** The byte transport (undefined for a tunnelled client). */
  readonly transport: Transport | undefined;
  private readonly tunnel: ServiceTunnel | undefined;
  private readonly tunnelLock = new Mutex();
  private readonly parser = new FrameParser();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private seq: number;

  constructor(via: Transport | ServiceTunnel, opts: ServiceClientOptions = {}) {
    if (isTunnel(via)) this.tunnel = via;
    else this.transport = via;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.retries = opts.retries ?? 1;
    argCheck(this.timeoutMs > 0, "timeoutMs must be positive");
    argCheck(Number.isInteger(this.retries) && this.retries >= 0, "retries must be a non-negative integer");
    this.seq = opts.firstSeq ?? Math.floor(Math.random() * 256);
  }

  /** Resync counters of the response parser (garbage, false syncs, CRC errors). */
  get parserStats(): Readonly<FrameParserStats> {
    return this.parser.stats;
  }

  /** Public identity and state. Retried on timeout. */
  async info(opts: ServiceCallOptions = {}): Promise<DeviceInfo> {
    return parseInfo(await this.call(Command.INFO, () => new Uint8Array(0), opts, true));
  }

  /** Live state. Retried on timeout. */
  async status(opts: ServiceCallOptions = {}): Promise<DeviceStatus> {
    return parseStatus(await this.call(Command.STATUS, () => new Uint8Array(0), opts, true));
  }

  /**
   * Writes seed, OTP parameters, model and serial. Checked against the protocol's rules first
   * (INVALID_ARGUMENT). Not retried: a seed crosses the wire once per call.
   */
  async provision(p: ProvisionParams, opts: ServiceCallOptions = {}): Promise<void> {
    validateProvisionParams(p);
    const payload = encodeProvisionPayload(p);
    await this.call(Command.PROVISION, () => payload, opts, false);
  }

  /**
   * Sets the device clock. Retried on timeout; a retry sends the given time advanced by the
   * time elapsed since the call, so the device ends up with the time the caller meant.
   */
  async setTime(unixMs: number | Date, opts: ServiceCallOptions = {}): Promise<void> {
    const t = unixMs instanceof Date ? unixMs.getTime() : unixMs;
    argCheck(Number.isInteger(t) && t > MIN_TIME_MS && t < MAX_TIME_MS, "time must be integer Unix ms after 2020-01-01 and before 2200-01-01", { unixMs: t });
    const started = Date.now();
    await this.call(Command.SET_TIME, () => u64be(t + Math.max(0, Date.now() - started)), opts, true);
  }

  /** Locks the device for good (idempotent on the device, so retried on timeout). */
  async lock(opts: ServiceCallOptions = {}): Promise<void> {
    await this.call(Command.LOCK, () => new TextEncoder().encode("LOCK"), opts, true);
  }

  /**
   * Stores the chip's batch attestation key (32 bytes) and certificate (DER) for packed
   * attestation. The device checks the key belongs to the certificate. Not retried.
   */
  async provisionAttestation(privateKey: Uint8Array, certificateDer: Uint8Array, opts: ServiceCallOptions = {}): Promise<void> {
    argCheck(privateKey instanceof Uint8Array && privateKey.length === 32, "the batch key is 32 bytes");
    argCheck(certificateDer instanceof Uint8Array && certificateDer.length >= 16 && certificateDer.length <= 1024, "the certificate is 16..1024 bytes of DER");
    const payload = new Uint8Array(32 + certificateDer.length);
    payload.set(privateKey);
    payload.set(certificateDer, 32);
    await this.call(Command.ATTESTATION, () => payload, opts, false);
  }

  /** Echo; resolves with the bytes the device sent back (checked equal). */
  async ping(bytes: Uint8Array = new Uint8Array(0), opts: ServiceCallOptions = {}): Promise<Uint8Array> {
    argCheck(bytes instanceof Uint8Array && bytes.length <= MAX_PAYLOAD - 1, "ping takes at most 1023 bytes");
    const copy = bytes.slice();
    const echo = await this.call(Command.PING, () => copy, opts, true);
    if (echo.length !== copy.length || echo.some((b, i) => b !== copy[i])) throw badResponse(Command.PING, "echo differs from what was sent", echo);
    return echo;
  }

  /**
   * UPDATE_BEGIN with the 128-byte image header: resolves the payload bytes the device already
   * holds for this very header (resume), 0 for a new download. UPDATE_REFUSED with the reason;
   * DEVICE_STATUS PRESENCE_REQUIRED over the chip's tunnel until the chip was touched.
   */
  async updateBegin(header: Uint8Array, opts: ServiceCallOptions = {}): Promise<number> {
    argCheck(header instanceof Uint8Array && header.length === 128, "an image header is 128 bytes");
    return u32le(Command.UPDATE_BEGIN, await this.call(Command.UPDATE_BEGIN, () => header, opts, true));
  }

  /** UPDATE_DATA: payload bytes at `offset` (≤ 1016, a multiple of 4 except the last chunk); resolves the new count. */
  async updateData(offset: number, bytes: Uint8Array, opts: ServiceCallOptions = {}): Promise<number> {
    argCheck(Number.isInteger(offset) && offset >= 0 && offset <= 0xffffffff, "offset must be a u32", { offset });
    argCheck(bytes instanceof Uint8Array && bytes.length >= 1 && bytes.length <= UPDATE_CHUNK_MAX, `a chunk is 1..${UPDATE_CHUNK_MAX} bytes`, { length: bytes.length });
    const payload = new Uint8Array(4 + bytes.length);
    new DataView(payload.buffer).setUint32(0, offset, true);
    payload.set(bytes, 4);
    return u32le(Command.UPDATE_DATA, await this.call(Command.UPDATE_DATA, () => payload, opts, false));
  }

  /** UPDATE_FINISH: the device reads the slot back, checks the hash and marks it pending. */
  async updateFinish(opts: ServiceCallOptions = {}): Promise<void> {
    await this.call(Command.UPDATE_FINISH, () => new Uint8Array(0), opts, false);
  }

  /** UPDATE_ABORT: the device forgets the download. */
  async updateAbort(opts: ServiceCallOptions = {}): Promise<void> {
    await this.call(Command.UPDATE_ABORT, () => new Uint8Array(0), opts, true);
  }

  /** REBOOT: the device answers, then power-cycles (its boot ROM tries a pending image). */
  async reboot(opts: ServiceCallOptions = {}): Promise<void> {
    await this.call(Command.REBOOT, () => new Uint8Array(0), opts, false);
  }

  /** Any command, any payload; resolves with the device's status and data without judging them. */
  async request(command: number, payload: Uint8Array = new Uint8Array(0), opts: RawRequestOptions = {}): Promise<RawResponse> {
    const f = await this.transaction(command, () => payload, opts, opts.retry ?? false);
    return { status: f.payload[0]!, statusName: deviceStatusName(f.payload[0]!), data: f.payload.subarray(1) };
  }

  // ------------------------------------------------------------------ internals

  /** A transaction that must answer OK; resolves with the data after the status. */
  private async call(command: number, payload: (attempt: number) => Uint8Array, opts: ServiceCallOptions, retry: boolean): Promise<Uint8Array> {
    const f = await this.transaction(command, payload, opts, retry);
    const status = f.payload[0]!;
    if (status === DeviceStatusCode.UPDATE_REFUSED && f.payload.length >= 2) {
      const detail = f.payload[1]!;
      const reason = UPDATE_REFUSED_REASONS[detail as keyof typeof UPDATE_REFUSED_REASONS] ?? `UNKNOWN_${detail}`;
      throw new SeglError("UPDATE_REFUSED", `${commandName(command)}: the device refused the image: ${reason}`, {
        details: { reason, detail, command: commandName(command) },
      });
    }
    if (status !== DeviceStatusCode.OK) {
      const statusName = deviceStatusName(status);
      throw new SeglError("DEVICE_STATUS", `${commandName(command)} refused by the device: ${statusName}`, {
        details: { status, statusName, command: commandName(command) },
      });
    }
    return f.payload.subarray(1);
  }

  private async transaction(command: number, payload: (attempt: number) => Uint8Array, opts: ServiceCallOptions, retry: boolean): Promise<Frame> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    argCheck(timeoutMs > 0, "timeoutMs must be positive");
    const release = await (this.transport ? transportMutex(this.transport) : this.tunnelLock).acquire(opts.signal);
    try {
      const attempts = retry ? 1 + this.retries : 1;
      for (let attempt = 0; ; attempt++) {
        const scope = timeoutScope(opts.signal, timeoutMs);
        try {
          return await this.exchange(command, payload(attempt), scope.signal!);
        } catch (err) {
          if (opts.signal?.aborted) throw abortError(opts.signal);
          if (err instanceof SeglError && err.code === "TIMEOUT") {
            if (attempt + 1 < attempts) continue;
            throw new SeglError("TIMEOUT", `${commandName(command)}: no answer within ${timeoutMs} ms (${attempts} attempt${attempts > 1 ? "s" : ""})`, {
              details: { command: commandName(command), timeoutMs, attempts },
              cause: err,
            });
          }
          throw err;
        } finally {
          scope.dispose();
        }
      }
    } finally {
      release();
    }
  }

  private async exchange(command: number, payload: Uint8Array, signal: AbortSignal): Promise<Frame> {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xff;
    if (this.tunnel) {
      const answer = await this.tunnel.exchange(command, payload, signal);
      if (answer.length < 1) throw badResponse(command, "answer without a status byte");
      return { type: (command | RESPONSE_BIT) & 0xff, seq, payload: answer };
    }
    if (!this.transport) throw new SeglError("CLOSED", "no transport");
    // Nothing received before this request can be its answer.
    this.parser.reset();
    await this.transport.send(encodeRequest(command, seq, payload), { signal });
    const want = (command | RESPONSE_BIT) & 0xff;
    for (;;) {
      const chunk = await this.transport.receive({ signal });
      for (const f of this.parser.push(chunk)) {
        if (f.type < RESPONSE_BIT || f.seq !== seq) continue; // our request echoed, noise, or a stale answer
        if (f.type !== want) throw badResponse(command, `answer with SEQ ${seq} has TYPE 0x${f.type.toString(16)}, expected 0x${want.toString(16)}`);
        if (f.payload.length < 1) throw badResponse(command, "answer without a status byte");
        return f;
      }
    }
  }
}
