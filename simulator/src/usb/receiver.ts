// The firmware's update receiver (docs/image-format.md) as the DFU function calls it: bytes go
// through the exchange buffer, each export runs as an event does (a trap marks the device
// crashed, a power cut turns it off; the caller then sees the device gone).
import type { Device } from "../device.js";
import type { UpdateReceiver } from "./dfu.js";

type Exports = { update_begin?(len: number): number; update_data?(offset: number, len: number): number; update_finish?(): number; update_abort?(): void };

/** UPDATE_ERR_UNSUPPORTED (-9): an image without an update receiver. */
const UNSUPPORTED = -9;
/** UPDATE_ERR_FLASH (-8): the call did not return (trap or power cut). */
const FAILED = -8;

export function deviceUpdateReceiver(device: Device): UpdateReceiver {
  const run = (fn: (e: Exports) => number | undefined): number => {
    if (device.state !== "on") return FAILED;
    const r = device.invoke((e) => fn(e as unknown as Exports));
    return r === undefined ? FAILED : r;
  };
  return {
    begin(header) {
      return run((e) => { if (!e.update_begin) return UNSUPPORTED; device.ioWrite(0, header); return e.update_begin(header.length); });
    },
    data(offset, bytes) {
      const size = device.state === "on" ? (device.raw.io_size() as number) : 0;
      if (size === 0) return FAILED;
      let count = offset;
      for (let at = 0; at < bytes.length; ) {
        const chunk = bytes.subarray(at, at + size);
        const r = run((e) => { if (!e.update_data) return UNSUPPORTED; device.ioWrite(0, chunk); return e.update_data(count, chunk.length); });
        if (r < 0) return r;
        at += chunk.length;
        count = r;
      }
      return count;
    },
    finish() {
      return run((e) => (e.update_finish ? e.update_finish() : UNSUPPORTED));
    },
    abort() {
      run((e) => { e.update_abort?.(); return 0; });
    },
  };
}
