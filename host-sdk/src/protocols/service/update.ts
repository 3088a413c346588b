// Firmware update over the service protocol (serial port, or the chip's HID tunnel):
// UPDATE_BEGIN (resume from what the device already holds), UPDATE_DATA chunks, UPDATE_FINISH,
// REBOOT, then INFO must report the new version (docs/image-format.md).
import { SeglError, argCheck, isSeglError } from "../../errors.js";
import { abortError } from "../../transport/transport.js";
import { parseImage, IMAGE_HEADER_SIZE } from "../../image/format.js";
import { UPDATE_CHUNK_MAX, type ServiceClient, type DeviceInfo } from "./client.js";

export type UpdatePhase = "begin" | "touch" | "data" | "finish" | "reboot" | "verify" | "done";

export interface UpdateProgress {
  phase: UpdatePhase;
  /** Payload bytes the device holds. */
  sent: number;
  /** Payload bytes in all. */
  total: number;
  /** Where the download started (bytes the device already had: a resumed download). */
  resumedFrom: number;
}

export interface UpdateFirmwareOptions {
  onProgress?: (p: UpdateProgress) => void;
  signal?: AbortSignal;
  /** Bytes per UPDATE_DATA (default and maximum 1016; rounded down to a multiple of 4). */
  chunkSize?: number;
  /** How long to wait for a touch when the chip asks for one (default 30,000 ms). */
  presenceTimeoutMs?: number;
  /** How long the device may take to answer INFO after REBOOT (default 10,000 ms). */
  rebootTimeoutMs?: number;
  /** Waits between polls (injectable for tests; default setTimeout). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for the timeouts above (default Date.now). */
  now?: () => number;
}

export interface UpdateResult {
  /** INFO after the reboot. */
  info: DeviceInfo;
  /** Payload bytes sent in this call (less than the payload when resumed). */
  bytesSent: number;
  resumedFrom: number;
}

const POLL_MS = 250;

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(abortError(signal)); return; }
    const t = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(abortError(signal!)); };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sends a signed image to a device and boots it. Checks the file first (IMAGE_FORMAT, IMAGE_HASH:
 * nothing is sent for a broken file); a device refusal is UPDATE_REFUSED with the reason; safe to
 * call again after an interruption (it resumes where the device is); ends with REBOOT and INFO,
 * which must report the image's version (UPDATE_NOT_APPLIED otherwise).
 */
export async function updateFirmware(client: ServiceClient, image: Uint8Array, opts: UpdateFirmwareOptions = {}): Promise<UpdateResult> {
  const { header, headerBytes, payload } = parseImage(image);
  const chunk = Math.floor(Math.min(opts.chunkSize ?? UPDATE_CHUNK_MAX, UPDATE_CHUNK_MAX) / 4) * 4;
  argCheck(chunk >= 4, "chunkSize must be at least 4", { chunkSize: opts.chunkSize });
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const signal = opts.signal;
  const total = payload.length;
  const call = { ...(signal ? { signal } : {}) };
  let resumedFrom = 0;
  const progress = (phase: UpdatePhase, sent: number): void => opts.onProgress?.({ phase, sent, total, resumedFrom });

  // BEGIN: the header is checked on the device (signature included) before anything is written.
  progress("begin", 0);
  const touchDeadline = now() + (opts.presenceTimeoutMs ?? 30_000);
  let offset: number;
  for (;;) {
    try {
      offset = await client.updateBegin(headerBytes.slice(0, IMAGE_HEADER_SIZE), call);
      break;
    } catch (err) {
      if (!(isSeglError(err, "DEVICE_STATUS") && err.details?.statusName === "PRESENCE_REQUIRED")) throw err;
      if (now() >= touchDeadline) throw new SeglError("TIMEOUT", "the chip was not touched: the update was not started", { details: { command: "UPDATE_BEGIN", timeoutMs: opts.presenceTimeoutMs ?? 30_000 } });
      progress("touch", 0);
      await sleep(POLL_MS, signal);
    }
  }
  if (offset > total) throw new SeglError("BAD_RESPONSE", `UPDATE_BEGIN: the device claims ${offset} of ${total} bytes`, { details: { command: "UPDATE_BEGIN" } });
  resumedFrom = offset;
  progress("data", offset);
  while (offset < total) {
    if (signal?.aborted) throw abortError(signal);
    const piece = payload.subarray(offset, Math.min(total, offset + chunk));
    const got = await client.updateData(offset, piece, call);
    if (got !== offset + piece.length) throw new SeglError("BAD_RESPONSE", `UPDATE_DATA: the device counts ${got}, ${offset + piece.length} expected`, { details: { command: "UPDATE_DATA" } });
    offset = got;
    progress("data", offset);
  }
  progress("finish", total);
  await client.updateFinish(call);
  progress("reboot", total);
  await client.reboot(call);
  progress("verify", total);
  const deadline = now() + (opts.rebootTimeoutMs ?? 10_000);
  let info: DeviceInfo;
  for (;;) {
    try {
      info = await client.info(call);
      break;
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (!isSeglError(err, "TIMEOUT", "BAD_RESPONSE", "DISCONNECTED") || now() >= deadline) throw err;
      await sleep(POLL_MS, signal);
    }
  }
  if (info.firmwareVersion !== header.versionString) {
    throw new SeglError("UPDATE_NOT_APPLIED", `the device runs ${info.firmwareVersion} after the reboot, not ${header.versionString}: its boot ROM refused the image or it did not confirm itself`, {
      details: { expected: header.versionString, running: info.firmwareVersion },
    });
  }
  progress("done", total);
  return { info, bytesSent: total - resumedFrom, resumedFrom };
}
