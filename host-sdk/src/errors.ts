// Typed errors of the SDK. Codes are public API (docs/sdk-errors.md): match on `err.code`,
// never on the message text.

/** Every error code the SDK throws. Stable strings; new codes may be added, none renamed. */
export type ErrorCode =
  /** No answer within the timeout (after any retries). */
  | "TIMEOUT"
  /** The caller's AbortSignal fired. `name` is "AbortError". */
  | "ABORTED"
  /** The device went away (port closed, unplugged, transport closed during I/O). */
  | "DISCONNECTED"
  /** The transport was already closed when the call was made. */
  | "CLOSED"
  /** Another process holds the port (EBUSY, "Cannot lock port"). */
  | "DEVICE_BUSY"
  /** No such device or port (ENOENT). */
  | "DEVICE_NOT_FOUND"
  /** The OS refused access to the port (EACCES). */
  | "PERMISSION_DENIED"
  /** An optional native module (serialport, node-hid, usb) is not installed or failed to load. */
  | "NATIVE_MODULE_MISSING"
  /** Any other I/O failure in a transport. */
  | "TRANSPORT_ERROR"
  /** The device answered, but the answer does not follow the protocol. */
  | "BAD_RESPONSE"
  /** Bytes that cannot be a frame of the protocol (encoding side: payload too long...). */
  | "FRAME_ERROR"
  /** The device answered with a non-OK status; details: `{ status, statusName, command }`. */
  | "DEVICE_STATUS"
  /** The device answered OK but does not hold what was sent (provisioning check). */
  | "VERIFY_MISMATCH"
  /** A caller-supplied value is out of range or malformed. */
  | "INVALID_ARGUMENT"
  /** The operation is not supported by this device, transport or platform. */
  | "UNSUPPORTED"
  // PSKC (RFC 6030) files; a failure of one key is reported per key, never thrown.
  /** A PSKC document is not well-formed, too large, declares a DOCTYPE, or lacks a required element; details: `{ line?, column?, … }`. */
  | "PSKC_MALFORMED"
  /** The pre-shared key or password does not open a PSKC document: its MAC key does not decrypt or no key's MAC verifies. Nothing is imported. */
  | "PSKC_WRONG_KEY"
  /** A CTAP2 authenticator answered with a non-zero status byte; details: `{ ctapStatus, ctapName, command }` (+ `retries` for PIN errors). */
  | "CTAP_ERROR"
  /** The CTAPHID layer answered CTAPHID_ERROR; details: `{ ctaphidError, ctaphidName, command }`. */
  | "CTAPHID_ERROR"
  /** A U2F (CTAP1) APDU answered with a status word other than 0x9000; details: `{ sw, swName, instruction }`. */
  | "U2F_ERROR"
  // Broker verification (verifiers and their stores); never thrown for a wrong code.
  /** Enrolling an id that a store already holds; details: `{ id }`. */
  | "ALREADY_EXISTS"
  /** An administrator call (unlock) named a device the store does not hold; details: `{ id, kind }`. */
  | "NOT_FOUND"
  /** An administrator call kept losing compare-and-set races against other verifiers; details: `{ id, attempts }`. */
  | "CONTENTION"
  /** A stored seed cannot be unsealed: the key it was sealed with is not configured (wrong key); details: `{ id }`. */
  | "SECRET_UNREADABLE"
  /** A stored row failed authentication or holds an out-of-range value: someone without the key changed it; details: `{ id }`. */
  | "ROW_TAMPERED"
  /** A stored row of the old format (only its id authenticated): migrate it explicitly or re-enroll; details: `{ id }`. */
  | "LEGACY_ROW"
  /** Another process held the store's lock for longer than the store waits; details: `{ path, timeoutMs }`. */
  | "STORE_BUSY"
  /** The store cannot be opened: its directory is missing, the file is not a database, no permission; details: `{ path }`. */
  | "STORE_UNAVAILABLE"
  /** The store failed in a way the SDK does not know (the database's own error is the `cause`); details: `{ path }`. */
  | "STORE_ERROR"
  /**
   * The store's server could not be reached or the connection dropped (PostgreSQL restarted, network cut,
   * too many connections). Retry later: the store reconnects by itself on the next call. When
   * `details.outcomeUnknown` is true the statement may or may not have been applied (it was sent, the reply
   * was lost); a verification that ends so is never reported as accepted. details: `{ op, outcomeUnknown }`.
   */
  | "STORE_TRANSIENT"
  // Firmware images (docs/image-format.md) and updates.
  /** An image file breaks the format: magic, version, flags, reserved bytes, key index, revoke mask, lengths (truncated or trailing bytes); details: `{ field, value? }`. */
  | "IMAGE_FORMAT"
  /** An image's payload does not match the SHA-256 in its header. */
  | "IMAGE_HASH"
  /** An image's signature does not verify with the maker key of its index (or the image is unsigned); details: `{ keyIndex }`. */
  | "IMAGE_SIGNATURE"
  /** A key file is not a P-256 PEM key of the right kind, or no public key was given for the image's key index; details: `{ keyIndex? }`. */
  | "IMAGE_KEY"
  /** The device's update receiver refused the image; details: `{ reason, detail, command }` (reason: FORMAT, MODEL, KEY, SIGNATURE, ROLLBACK, SEQUENCE, HASH, FLASH, UNSUPPORTED). */
  | "UPDATE_REFUSED"
  /** After REBOOT the device does not run the new image (its boot ROM refused it or it did not confirm); details: `{ expected, running }`. */
  | "UPDATE_NOT_APPLIED";

export interface SeglErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SeglError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: SeglErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.details !== undefined) this.details = opts.details;
    // Code that already handles DOM-style aborts and timeouts keeps working.
    this.name = code === "ABORTED" ? "AbortError" : code === "TIMEOUT" ? "TimeoutError" : "SeglError";
  }
}

/** True when `err` is a SeglError (optionally with one of the given codes). */
export function isSeglError(err: unknown, ...codes: ErrorCode[]): err is SeglError {
  return err instanceof SeglError && (codes.length === 0 || codes.includes(err.code));
}

/** Raises INVALID_ARGUMENT unless `ok`. */
export function argCheck(ok: boolean, message: string, details?: Record<string, unknown>): asserts ok {
  if (!ok) throw new SeglError("INVALID_ARGUMENT", message, details === undefined ? {} : { details });
}
