// CTAPHID client (CTAP 2.1 §11.2) over any report Transport (node-hid, UDP, in-process):
// channel allocation with INIT, message framing and reassembly, KEEPALIVE reported to the
// caller, CHANNEL_BUSY retried, CANCEL on abort, typed errors. One transaction per device at a
// time (transportMutex), every call abortable and bounded in time.
import { randomBytes } from "../../platform/crypto.js";
import { hex } from "../../platform/encoding.js";
import { SeglError, argCheck, isSeglError } from "../../errors.js";
import { abortError, abortable, throwIfAborted, timeoutScope, transportMutex, type Transport } from "../../transport/transport.js";
import { cborEncode, type CborValue } from "../../cbor.js";
import { ctapStatusName } from "../../ctap-status.js";
import {
  BROADCAST_CID, CtapHidAssembler, CtapHidCommand, HID_REPORT_SIZE, KeepaliveStatusCode, MAX_MESSAGE_SIZE, ctapHidCommandName,
  ctapHidErrorName, encodeCtapHidMessage, readCid, writeCid, type CtapHidMessage,
} from "./frame.js";

/** What a KEEPALIVE says: the device is busy, or it waits for a touch. */
export type KeepaliveStatus = "processing" | "up-needed" | "unknown";

export interface CtapHidCallOptions {
  signal?: AbortSignal;
  /**
   * Bound on the whole call, ms. Default: the client's `timeoutMs` (5000), or its
   * `userTimeoutMs` (30 000) for CBOR and MSG, which may wait for a touch.
   */
  timeoutMs?: number;
  /** Fails with TIMEOUT when the device sends nothing at all (not even KEEPALIVE) for this long. Default: the client's (3000 ms). */
  idleTimeoutMs?: number;
  /** Called when the KEEPALIVE status changes (e.g. "up-needed": ask the user to touch the key). */
  onStatus?: (status: KeepaliveStatus, code: number) => void;
}

export interface CtapHidClientOptions {
  /** Default bound of calls that do not wait for the user, ms (5000). */
  timeoutMs?: number;
  /** Default bound of CBOR and MSG calls, ms (30 000: a touch takes time). */
  userTimeoutMs?: number;
  /** Default idle timeout, ms (3000). */
  idleTimeoutMs?: number;
  /** How long to wait for the answer to a CANCEL (CTAP2_ERR_KEEPALIVE_CANCEL) after an abort, ms (250). */
  cancelWaitMs?: number;
  /** Delay between retries after CHANNEL_BUSY, ms (100). */
  busyRetryMs?: number;
}

export interface CtapHidOpenOptions extends CtapHidClientOptions {
  signal?: AbortSignal;
  /** Bound on the INIT exchange, ms (default: timeoutMs, 5000). */
  initTimeoutMs?: number;
  /** The 8-byte INIT nonce (default random; for tests). */
  nonce?: Uint8Array;
}

export interface CtapHidCapabilities {
  wink: boolean;
  cbor: boolean;
  /** The device does NOT implement CTAPHID_MSG (no U2F). */
  nmsg: boolean;
  raw: number;
}

export interface CtapHidDeviceInfo {
  cid: number;
  protocolVersion: number;
  deviceVersion: { major: number; minor: number; build: number };
  capabilities: CtapHidCapabilities;
}

export interface CtapCborResponse {
  /** CTAP status byte (0 = CTAP2_OK). */
  status: number;
  statusName: string;
  /** The bytes after the status byte (a CBOR map, or nothing). */
  data: Uint8Array;
}

/** The one thing a CTAP2 client needs from a transport binding (HID here; NFC/BLE could offer the same). */
export interface CtapCborChannel {
  cbor(command: number, params: CborValue | undefined, opts?: CtapHidCallOptions): Promise<CtapCborResponse>;
}

const CAP_WINK = 0x01;
const CAP_CBOR = 0x04;
const CAP_NMSG = 0x08;
const ERR_CHANNEL_BUSY = 0x06;
const ERR_INVALID_CHANNEL = 0x0b;

function keepaliveStatus(code: number): KeepaliveStatus {
  return code === KeepaliveStatusCode.PROCESSING ? "processing" : code === KeepaliveStatusCode.UPNEEDED ? "up-needed" : "unknown";
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return abortable<void>(signal, (resolve) => { timer = setTimeout(resolve, ms); }, () => clearTimeout(timer));
}

function bad(command: number, why: string, data?: Uint8Array): SeglError {
  return new SeglError("BAD_RESPONSE", `CTAPHID ${ctapHidCommandName(command)}: ${why}`, {
    details: { command: ctapHidCommandName(command), ...(data ? { data: hex(data) } : {}) },
  });
}

export class CtapHidClient implements CtapCborChannel {
  readonly transport: Transport;
  private channel = BROADCAST_CID;
  private devInfo: CtapHidDeviceInfo | undefined;
  private readonly timeoutMs: number;
  private readonly userTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly cancelWaitMs: number;
  private readonly busyRetryMs: number;

  private constructor(transport: Transport, opts: CtapHidClientOptions) {
    this.transport = transport;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.userTimeoutMs = opts.userTimeoutMs ?? 30_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 3000;
    this.cancelWaitMs = opts.cancelWaitMs ?? 250;
    this.busyRetryMs = opts.busyRetryMs ?? 100;
    for (const [k, v] of Object.entries({ timeoutMs: this.timeoutMs, userTimeoutMs: this.userTimeoutMs, idleTimeoutMs: this.idleTimeoutMs }))
      argCheck(typeof v === "number" && v > 0, `${k} must be positive`, { [k]: v });
    argCheck(this.cancelWaitMs >= 0 && this.busyRetryMs >= 0, "cancelWaitMs and busyRetryMs must be non-negative");
  }

  /** Allocates a channel with INIT on the broadcast CID and returns a client bound to it. */
  static async open(transport: Transport, opts: CtapHidOpenOptions = {}): Promise<CtapHidClient> {
    const c = new CtapHidClient(transport, opts);
    await c.init({ signal: opts.signal, timeoutMs: opts.initTimeoutMs ?? c.timeoutMs, nonce: opts.nonce });
    return c;
  }

  /** The channel id in use. */
  get cid(): number {
    return this.channel;
  }

  /** What INIT reported. */
  get info(): CtapHidDeviceInfo {
    if (!this.devInfo) throw new SeglError("INVALID_ARGUMENT", "the CTAPHID channel is not initialised");
    return this.devInfo;
  }

  /** (Re-)allocates a channel: INIT on the broadcast CID with a random nonce. */
  async init(opts: { signal?: AbortSignal; timeoutMs?: number; nonce?: Uint8Array } = {}): Promise<CtapHidDeviceInfo> {
    const release = await transportMutex(this.transport).acquire(opts.signal);
    const scope = timeoutScope(opts.signal, opts.timeoutMs ?? this.timeoutMs);
    try {
      return await this.doInit(scope.signal, opts.nonce);
    } catch (err) {
      throw scope.signal?.aborted ? abortError(scope.signal) : err;
    } finally {
      scope.dispose();
      release();
    }
  }

  /**
   * Sends one message on our channel and resolves with the answer's payload. CTAPHID_ERROR
   * answers reject CTAPHID_ERROR (CHANNEL_BUSY is retried every `busyRetryMs` until the call's
   * time is up; INVALID_CHANNEL re-INITs once and retries). Aborting or timing out a CBOR call
   * sends CANCEL and waits briefly for the device's answer to it.
   */
  async call(cmd: number, payload: Uint8Array = new Uint8Array(0), opts: CtapHidCallOptions = {}): Promise<Uint8Array> {
    argCheck(Number.isInteger(cmd) && cmd >= 0 && cmd <= 0x7f, "CTAPHID command must be 0..0x7f", { cmd });
    argCheck(payload instanceof Uint8Array && payload.length <= MAX_MESSAGE_SIZE, `a CTAPHID message holds at most ${MAX_MESSAGE_SIZE} bytes`, {
      length: payload?.length,
    });
    argCheck(cmd !== CtapHidCommand.INIT && cmd !== CtapHidCommand.CANCEL, "use init() / an AbortSignal for INIT and CANCEL");
    const release = await transportMutex(this.transport).acquire(opts.signal);
    try {
      return await this.transact(cmd, payload, opts);
    } finally {
      release();
    }
  }

  /** CTAPHID_PING: resolves with the echo (checked equal to what was sent). */
  async ping(data: Uint8Array = new Uint8Array(0), opts: CtapHidCallOptions = {}): Promise<Uint8Array> {
    const copy = data.slice();
    const echo = await this.call(CtapHidCommand.PING, copy, opts);
    if (echo.length !== copy.length || echo.some((b, i) => b !== copy[i])) throw bad(CtapHidCommand.PING, "echo differs from what was sent");
    return echo;
  }

  /** CTAPHID_WINK: the device shows that it is the one being talked to. UNSUPPORTED without the WINK capability. */
  async wink(opts: CtapHidCallOptions = {}): Promise<void> {
    if (this.devInfo && !this.devInfo.capabilities.wink) throw new SeglError("UNSUPPORTED", "the device does not offer CTAPHID_WINK");
    await this.call(CtapHidCommand.WINK, new Uint8Array(0), opts);
  }

  /** CTAPHID_LOCK: keeps other channels out for 1..10 s; 0 releases the lock. */
  async lock(seconds: number, opts: CtapHidCallOptions = {}): Promise<void> {
    argCheck(Number.isInteger(seconds) && seconds >= 0 && seconds <= 10, "lock time must be 0..10 s", { seconds });
    await this.call(CtapHidCommand.LOCK, Uint8Array.of(seconds), opts);
  }

  /**
   * CTAPHID_CBOR: command byte ‖ canonical CBOR of `params` (nothing when undefined). Resolves
   * with the status and the rest of the answer, whatever the status (Ctap2Client judges it).
   */
  async cbor(command: number, params?: CborValue, opts: CtapHidCallOptions = {}): Promise<CtapCborResponse> {
    argCheck(Number.isInteger(command) && command >= 0 && command <= 0xff, "CTAP command must be a byte", { command });
    if (this.devInfo && !this.devInfo.capabilities.cbor) throw new SeglError("UNSUPPORTED", "the device does not offer CTAPHID_CBOR (CTAP1/U2F only)");
    const body = params === undefined ? new Uint8Array(0) : cborEncode(params);
    const payload = new Uint8Array(1 + body.length);
    payload[0] = command;
    payload.set(body, 1);
    const r = await this.call(CtapHidCommand.CBOR, payload, opts);
    if (r.length < 1) throw bad(CtapHidCommand.CBOR, "answer without a status byte");
    return { status: r[0]!, statusName: ctapStatusName(r[0]!), data: r.subarray(1) };
  }

  /** CTAPHID_MSG: one ISO 7816-4 APDU (U2F); resolves with response data ‖ SW1 SW2. */
  async msg(apdu: Uint8Array, opts: CtapHidCallOptions = {}): Promise<Uint8Array> {
    if (this.devInfo?.capabilities.nmsg) throw new SeglError("UNSUPPORTED", "the device does not offer CTAPHID_MSG (no U2F)");
    const r = await this.call(CtapHidCommand.MSG, apdu, opts);
    if (r.length < 2) throw bad(CtapHidCommand.MSG, "answer shorter than a status word", r);
    return r;
  }

  // ------------------------------------------------------------------ internals

  private async doInit(signal: AbortSignal | undefined, nonce?: Uint8Array): Promise<CtapHidDeviceInfo> {
    const n = nonce ?? randomBytes(8);
    argCheck(n instanceof Uint8Array && n.length === 8, "the INIT nonce is 8 bytes");
    await this.drain();
    for (const r of encodeCtapHidMessage(BROADCAST_CID, CtapHidCommand.INIT, n)) await this.transport.send(r, { signal });
    const asm = new CtapHidAssembler(BROADCAST_CID);
    for (;;) {
      const report = await this.transport.receive({ signal });
      let m: CtapHidMessage | null;
      try {
        m = asm.push(report);
      } catch {
        asm.reset();
        continue; // another host's traffic on the broadcast channel
      }
      if (!m || m.cmd !== CtapHidCommand.INIT || m.payload.length < 17) continue;
      if (!m.payload.subarray(0, 8).every((b, i) => b === n[i])) continue; // an answer to someone else's INIT
      const p = m.payload;
      const cid = readCid(p.subarray(8, 12));
      if (cid === 0 || cid === BROADCAST_CID) throw bad(CtapHidCommand.INIT, `the device assigned the reserved CID 0x${cid.toString(16)}`, p);
      const caps = p[16]!;
      this.channel = cid;
      this.devInfo = {
        cid,
        protocolVersion: p[12]!,
        deviceVersion: { major: p[13]!, minor: p[14]!, build: p[15]! },
        capabilities: { wink: (caps & CAP_WINK) !== 0, cbor: (caps & CAP_CBOR) !== 0, nmsg: (caps & CAP_NMSG) !== 0, raw: caps },
      };
      return this.devInfo;
    }
  }

  private async transact(cmd: number, payload: Uint8Array, opts: CtapHidCallOptions): Promise<Uint8Array> {
    const userCall = cmd === CtapHidCommand.CBOR || cmd === CtapHidCommand.MSG;
    const total = opts.timeoutMs ?? (userCall ? this.userTimeoutMs : this.timeoutMs);
    const idle = opts.idleTimeoutMs ?? this.idleTimeoutMs;
    argCheck(idle > 0, "idleTimeoutMs must be positive", { idleTimeoutMs: idle });
    const scope = timeoutScope(opts.signal, total);
    const signal = scope.signal;
    let sent = false;
    let reinit = false;
    try {
      await this.drain();
      for (;;) {
        throwIfAborted(signal);
        sent = true;
        for (const r of encodeCtapHidMessage(this.channel, cmd, payload)) await this.transport.send(r, { signal });
        const m = await this.readAnswer(cmd, signal, idle, opts.onStatus);
        if (m.cmd === CtapHidCommand.ERROR) {
          if (m.payload.length < 1) throw bad(cmd, "CTAPHID_ERROR without an error code");
          const code = m.payload[0]!;
          if (code === ERR_CHANNEL_BUSY) {
            await sleep(this.busyRetryMs, signal);
            continue;
          }
          if (code === ERR_INVALID_CHANNEL && !reinit) {
            reinit = true; // the device lost our channel (rebooted?): allocate a new one once
            await this.doInit(signal);
            continue;
          }
          const name = ctapHidErrorName(code);
          throw new SeglError("CTAPHID_ERROR", `CTAPHID ${ctapHidCommandName(cmd)} failed: ${name}`, {
            details: { ctaphidError: code, ctaphidName: name, command: ctapHidCommandName(cmd) },
          });
        }
        if (m.cmd !== cmd) throw bad(cmd, `answer has command ${ctapHidCommandName(m.cmd)}`, m.payload);
        return m.payload;
      }
    } catch (err) {
      const e = signal?.aborted ? abortError(signal) : err;
      if (cmd === CtapHidCommand.CBOR && sent && isSeglError(e, "ABORTED", "TIMEOUT")) await this.cancelPending();
      if (opts.signal?.aborted) throw abortError(opts.signal);
      throw e;
    } finally {
      scope.dispose();
    }
  }

  /** Reads reports until a whole message on our channel other than KEEPALIVE has arrived. */
  private async readAnswer(cmd: number, signal: AbortSignal | undefined, idleMs: number, onStatus: CtapHidCallOptions["onStatus"]): Promise<CtapHidMessage> {
    const asm = new CtapHidAssembler(this.channel);
    let lastOurs = Date.now();
    let lastStatus = -1;
    for (;;) {
      const remaining = idleMs - (Date.now() - lastOurs);
      if (remaining <= 0) {
        throw new SeglError("TIMEOUT", `CTAPHID ${ctapHidCommandName(cmd)}: the device was silent for ${idleMs} ms`, {
          details: { command: ctapHidCommandName(cmd), idleTimeoutMs: idleMs },
        });
      }
      let report: Uint8Array;
      try {
        report = await this.transport.receive({ signal, timeoutMs: remaining });
      } catch (err) {
        if (isSeglError(err, "TIMEOUT") && !signal?.aborted) continue; // idle: the loop head decides
        throw err;
      }
      if (report.length >= 4 && readCid(report) === this.channel) lastOurs = Date.now();
      let m: CtapHidMessage | null;
      try {
        m = asm.push(report);
      } catch (err) {
        if (err instanceof SeglError) throw bad(cmd, err.message.replace(/^CTAPHID: /, ""), report);
        throw err;
      }
      if (!m) continue;
      if (m.cmd === CtapHidCommand.KEEPALIVE) {
        const code = m.payload[0] ?? 0;
        if (code !== lastStatus) {
          lastStatus = code;
          try {
            onStatus?.(keepaliveStatus(code), code);
          } catch {
            /* a failing status callback must not break the protocol */
          }
        }
        continue;
      }
      return m;
    }
  }

  /** Sends CANCEL on our channel and waits up to cancelWaitMs for the cancelled request's answer. */
  private async cancelPending(): Promise<void> {
    const report = new Uint8Array(HID_REPORT_SIZE);
    writeCid(report, this.channel);
    report[4] = 0x80 | CtapHidCommand.CANCEL;
    try {
      await this.transport.send(report, { timeoutMs: Math.max(this.cancelWaitMs, 50) });
    } catch {
      return;
    }
    const scope = timeoutScope(undefined, this.cancelWaitMs);
    const asm = new CtapHidAssembler(this.channel);
    try {
      for (;;) {
        const r = await this.transport.receive({ signal: scope.signal });
        let m: CtapHidMessage | null = null;
        try {
          m = asm.push(r);
        } catch {
          asm.reset();
        }
        if (m && m.cmd !== CtapHidCommand.KEEPALIVE) return;
      }
    } catch {
      /* no answer in time, or the transport went away: nothing more to do */
    } finally {
      scope.dispose();
    }
  }

  /** Drops reports that arrived between transactions (late answers, other hosts' traffic). */
  private async drain(): Promise<void> {
    // Transports that queue what arrived can be emptied without a timer (a 0 ms timeout costs
    // an event-loop turn, about 1 ms, on every call).
    if (this.transport.takeQueued) {
      while (this.transport.takeQueued() !== undefined) { /* discard */ }
      return;
    }
    for (let i = 0; i < 10_000; i++) {
      try {
        await this.transport.receive({ timeoutMs: 0 });
      } catch (err) {
        if (isSeglError(err, "TIMEOUT")) return;
        throw err;
      }
    }
  }
}
