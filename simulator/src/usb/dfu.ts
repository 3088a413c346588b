// The DFU 1.1 class function of a simulated chip's USB stack (docs/image-format.md, "USB DFU
// 1.1"): the state machine of the DFU specification (appIDLE … dfuERROR), fed by control
// requests, handing the downloaded bytes to the firmware's update receiver. Pure: no I/O, time
// from an injected clock (bwPollTimeout is honoured against it), so every transition is testable.

/** bRequest values (DFU 1.1 table 3.2). */
export const DFU_REQUEST = { DETACH: 0, DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, CLRSTATUS: 4, GETSTATE: 5, ABORT: 6 } as const;

/** bState values (DFU 1.1 section 6.1.2). */
export const DFU_STATE = {
  appIDLE: 0, appDETACH: 1, dfuIDLE: 2, "dfuDNLOAD-SYNC": 3, dfuDNBUSY: 4, "dfuDNLOAD-IDLE": 5,
  "dfuMANIFEST-SYNC": 6, dfuMANIFEST: 7, "dfuMANIFEST-WAIT-RESET": 8, "dfuUPLOAD-IDLE": 9, dfuERROR: 10,
} as const;
export type DfuStateName = keyof typeof DFU_STATE;

/** bStatus values (DFU 1.1 section 6.1.2). */
export const DFU_STATUS = {
  OK: 0, errTARGET: 1, errFILE: 2, errWRITE: 3, errERASE: 4, errCHECK_ERASED: 5, errPROG: 6, errVERIFY: 7,
  errADDRESS: 8, errNOTDONE: 9, errFIRMWARE: 10, errVENDOR: 11, errUSBR: 12, errPOR: 13, errUNKNOWN: 14, errSTALLEDPKT: 15,
} as const;
export type DfuStatusName = keyof typeof DFU_STATUS;

/** bmAttributes bits of the DFU functional descriptor. */
export const DFU_ATTR = { CAN_DNLOAD: 0x01, CAN_UPLOAD: 0x02, MANIFESTATION_TOLERANT: 0x04, WILL_DETACH: 0x08 } as const;

/** Request types: class request to an interface, host → device and device → host. */
export const DFU_OUT = 0x21;
export const DFU_IN = 0xa1;

/** The image header the update receiver checks first (docs/image-format.md). */
export const IMAGE_HEADER_SIZE = 128;

/** The firmware's update receiver (exports update_begin/update_data/update_finish/update_abort). */
export interface UpdateReceiver {
  /** The 128-byte header: payload bytes already received for it (resume), or a negative UPDATE_ERR_*. */
  begin(header: Uint8Array): number;
  /** Payload bytes at `offset` (= the count so far): the new count, or a negative UPDATE_ERR_*. */
  data(offset: number, bytes: Uint8Array): number;
  /** All payload bytes are in: 0, or a negative UPDATE_ERR_*. */
  finish(): number;
  abort(): void;
}

/** UPDATE_ERR_* (negated) → the DFU status the device reports (docs/image-format.md). */
export function dfuStatusForUpdateError(err: number): DfuStatusName {
  switch (err) {
    case -4: case -7: return "errVERIFY"; // SIGNATURE, HASH
    case -8: return "errWRITE"; // FLASH
    case -6: return "errNOTDONE"; // SEQUENCE
    default: return "errTARGET"; // FORMAT, MODEL, KEY, ROLLBACK, UNSUPPORTED, anything else
  }
}

export interface DfuFunctionOptions {
  receiver: UpdateReceiver;
  /** The clock bwPollTimeout is measured against (ms). */
  now: () => number;
  /** wTransferSize: the largest DNLOAD block (default 1024). */
  transferSize?: number;
  /** bwPollTimeout after a block, the time the device is busy writing it (default 0: done at once). */
  blockBusyMs?: number;
  /** bwPollTimeout of manifestation (default 0). */
  manifestMs?: number;
  /** wDetachTimeOut (default 1000). */
  detachTimeoutMs?: number;
  /** Start in DFU mode (dfuIDLE) rather than runtime mode (appIDLE). */
  dfuMode?: boolean;
}

/** What a control request did: data to return (IN), nothing (OUT), or a STALL handshake. */
export type ControlResult = { stall: false; data?: Uint8Array } | { stall: true };

const OK: ControlResult = { stall: false };
const STALL: ControlResult = { stall: true };

/** Events for the USB device around it: re-enumerate in DFU mode, or reset after manifestation. */
export type DfuSignal = "detach" | "manifested";

export class DfuFunction {
  readonly transferSize: number;
  readonly detachTimeoutMs: number;
  readonly attributes = DFU_ATTR.CAN_DNLOAD | DFU_ATTR.WILL_DETACH; // no UPLOAD, not manifestation tolerant
  private st: DfuStateName;
  private status: DfuStatusName = "OK";
  private busyUntil = 0;
  private pollTimeout = 0;
  /** The block waiting in dfuDNLOAD-SYNC, processed at the next GETSTATUS. */
  private block: Uint8Array | undefined;
  private expectedBlock = 0;
  /** Bytes of the image file received in this download (header included). */
  private fileBytes = 0;
  private readonly header = new Uint8Array(IMAGE_HEADER_SIZE);
  /** Payload bytes the receiver holds (after begin: what it already had). */
  private received = 0;
  private begun = false;
  /** The last UPDATE_ERR_* the receiver answered (0: none). */
  lastReceiverError = 0;
  /** Set by the function; the USB device acts on it (re-enumerates, resets the chip). */
  onSignal: ((s: DfuSignal) => void) | undefined;

  constructor(private readonly o: DfuFunctionOptions) {
    this.transferSize = o.transferSize ?? 1024;
    this.detachTimeoutMs = o.detachTimeoutMs ?? 1000;
    if (!(this.transferSize >= 1 && this.transferSize <= 0xffff)) throw new RangeError("transferSize: 1..65535");
    this.st = o.dfuMode ? "dfuIDLE" : "appIDLE";
  }

  get state(): DfuStateName {
    this.settle();
    return this.st;
  }

  get statusName(): DfuStatusName {
    return this.status;
  }

  /** Payload bytes the receiver holds for the current download. */
  get payloadReceived(): number {
    return this.received;
  }

  /** The 9-byte DFU functional descriptor (type 0x21). */
  functionalDescriptor(): Uint8Array {
    const d = new Uint8Array(9);
    const v = new DataView(d.buffer);
    d[0] = 9; d[1] = 0x21; d[2] = this.attributes;
    v.setUint16(3, this.detachTimeoutMs, true);
    v.setUint16(5, this.transferSize, true);
    v.setUint16(7, 0x0110, true);
    return d;
  }

  /** A USB reset from the host (or a re-enumeration): where the spec says it leads. */
  usbReset(): void {
    this.settle();
    if (this.st === "appDETACH") { this.enterDfuMode(); return; }
    if (this.st === "dfuMANIFEST-WAIT-RESET" || this.st === "dfuMANIFEST") { this.st = "appIDLE"; this.status = "OK"; this.onSignal?.("manifested"); return; }
    // A reset in DFU mode otherwise: back to the application (the spec's "firmware valid" path).
    if (this.st !== "appIDLE") { this.st = "appIDLE"; this.status = "OK"; this.block = undefined; }
  }

  /** One class request on the DFU interface. `data` is the OUT data stage; `length` the IN wLength. */
  request(bmRequestType: number, bRequest: number, wValue: number, length: number, data?: Uint8Array): ControlResult {
    this.settle();
    const isIn = bmRequestType === DFU_IN;
    if (bmRequestType !== DFU_OUT && bmRequestType !== DFU_IN) return this.fail();
    const wantIn = bRequest === DFU_REQUEST.GETSTATUS || bRequest === DFU_REQUEST.GETSTATE || bRequest === DFU_REQUEST.UPLOAD;
    if (isIn !== wantIn) return this.fail();
    const s = this.st;
    // While busy the device does not take requests: a host that does not wait bwPollTimeout stalls it.
    if (s === "dfuDNBUSY" || s === "dfuMANIFEST") return this.fail();
    // Manifested, waiting for the USB reset: it answers nothing and stays there.
    if (s === "dfuMANIFEST-WAIT-RESET") return STALL;
    switch (bRequest) {
      case DFU_REQUEST.GETSTATUS: return this.getStatus(length);
      case DFU_REQUEST.GETSTATE: return length >= 1 ? { stall: false, data: Uint8Array.of(DFU_STATE[this.st]) } : this.fail();
      case DFU_REQUEST.DETACH:
        if (s !== "appIDLE") return this.fail();
        this.st = "appDETACH";
        this.onSignal?.("detach"); // bitWillDetach: the device re-enumerates in DFU mode by itself
        return OK;
      case DFU_REQUEST.DNLOAD: return this.dnload(wValue, data ?? new Uint8Array(0));
      case DFU_REQUEST.CLRSTATUS:
        if (s !== "dfuERROR") return this.fail();
        this.forget();
        this.status = "OK";
        this.st = "dfuIDLE";
        return OK;
      case DFU_REQUEST.ABORT:
        // dfuDNLOAD-SYNC takes only GETSTATUS and GETSTATE (DFU 1.1 state table): poll first.
        if (s !== "dfuIDLE" && s !== "dfuDNLOAD-IDLE" && s !== "dfuMANIFEST-SYNC" && s !== "dfuUPLOAD-IDLE") return this.fail();
        // The transfer ends; what the receiver holds stays (the same header resumes it).
        this.resetTransfer();
        this.st = "dfuIDLE";
        return OK;
      default: // UPLOAD (refused: no firmware read-out) and anything unknown
        return this.fail();
    }
  }

  private getStatus(length: number): ControlResult {
    if (length < 6) return this.fail();
    if (this.st === "dfuDNLOAD-SYNC") {
      if (this.block) {
        const blk = this.block;
        this.block = undefined;
        const err = this.take(blk);
        if (err < 0) { this.refuse(err); return this.status6(); }
        this.pollTimeout = this.o.blockBusyMs ?? 0;
        if (this.pollTimeout > 0) {
          this.busyUntil = this.o.now() + this.pollTimeout;
          this.st = "dfuDNBUSY";
          return this.status6();
        }
      }
      this.pollTimeout = 0;
      this.st = "dfuDNLOAD-IDLE";
    } else if (this.st === "dfuMANIFEST-SYNC") {
      const err = this.finish();
      if (err < 0) { this.refuse(err); return this.status6(); }
      this.pollTimeout = this.o.manifestMs ?? 0;
      this.busyUntil = this.o.now() + this.pollTimeout;
      this.st = "dfuMANIFEST";
      const r = this.status6();
      this.settle();
      return r;
    } else {
      this.pollTimeout = 0;
    }
    return this.status6();
  }

  private status6(): ControlResult {
    const d = new Uint8Array(6);
    d[0] = DFU_STATUS[this.status];
    d[1] = this.pollTimeout & 0xff; d[2] = (this.pollTimeout >>> 8) & 0xff; d[3] = (this.pollTimeout >>> 16) & 0xff;
    d[4] = DFU_STATE[this.st];
    d[5] = 0;
    return { stall: false, data: d };
  }

  private dnload(blockNum: number, data: Uint8Array): ControlResult {
    const s = this.st;
    if (s !== "dfuIDLE" && s !== "dfuDNLOAD-IDLE") return this.fail();
    if (data.length > this.transferSize) return this.fail();
    if (data.length === 0) {
      if (s === "dfuIDLE") return this.fail(); // nothing to manifest
      this.st = "dfuMANIFEST-SYNC";
      return OK;
    }
    if (s === "dfuIDLE") this.resetTransfer();
    if ((blockNum & 0xffff) !== (this.expectedBlock & 0xffff)) return this.fail("errNOTDONE");
    this.expectedBlock++;
    this.block = data.slice();
    this.st = "dfuDNLOAD-SYNC";
    return OK;
  }

  /** Hands a block to the receiver: header bytes to begin, the rest to data (skipping what it already holds). */
  private take(blk: Uint8Array): number {
    let off = 0;
    if (this.fileBytes < IMAGE_HEADER_SIZE) {
      const n = Math.min(IMAGE_HEADER_SIZE - this.fileBytes, blk.length);
      this.header.set(blk.subarray(0, n), this.fileBytes);
      this.fileBytes += n;
      off = n;
      if (this.fileBytes === IMAGE_HEADER_SIZE) {
        const r = this.o.receiver.begin(this.header);
        if (r < 0) return r;
        this.begun = true;
        this.received = r;
      }
    }
    if (off < blk.length) {
      const payloadAt = this.fileBytes - IMAGE_HEADER_SIZE; // payload offset of blk[off]
      this.fileBytes += blk.length - off;
      const end = payloadAt + (blk.length - off);
      if (end > this.received) {
        const from = Math.max(payloadAt, this.received);
        const r = this.o.receiver.data(from, blk.subarray(off + (from - payloadAt)));
        if (r < 0) return r;
        this.received = r;
      }
    }
    return 0;
  }

  private finish(): number {
    if (!this.begun) return -6; // SEQUENCE: fewer than 128 bytes were sent
    return this.o.receiver.finish();
  }

  private refuse(err: number): void {
    this.lastReceiverError = err;
    this.status = dfuStatusForUpdateError(err);
    this.st = "dfuERROR";
    this.pollTimeout = 0;
  }

  /** A request the state does not allow: STALL, and in DFU mode the state machine goes to dfuERROR. */
  private fail(status: DfuStatusName = "errSTALLEDPKT"): ControlResult {
    if (this.st !== "appIDLE" && this.st !== "appDETACH") {
      this.st = "dfuERROR";
      this.status = status;
      this.pollTimeout = 0;
    }
    return STALL;
  }

  /** Time-driven transitions: busy → sync, manifest → wait for reset. */
  private settle(): void {
    if (this.st === "dfuDNBUSY" && this.o.now() >= this.busyUntil) this.st = "dfuDNLOAD-SYNC";
    if (this.st === "dfuMANIFEST" && this.o.now() >= this.busyUntil) this.st = "dfuMANIFEST-WAIT-RESET";
  }

  private enterDfuMode(): void {
    this.st = "dfuIDLE";
    this.status = "OK";
    this.resetTransfer();
  }

  private resetTransfer(): void {
    this.block = undefined;
    this.expectedBlock = 0;
    this.fileBytes = 0;
    this.begun = false;
    this.received = 0;
    this.pollTimeout = 0;
  }

  /** After an error: the receiver forgets the download (CLRSTATUS). */
  private forget(): void {
    if (this.begun || this.lastReceiverError !== 0) this.o.receiver.abort();
    this.lastReceiverError = 0;
    this.resetTransfer();
  }
}
