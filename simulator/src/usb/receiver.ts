// The firmware's update receiver (docs/image-format.md) as the DFU function calls it: the
// device's update* methods (the exchange buffer, and the event path: a trap crashes the device, a
// power cut turns it off; the caller then sees the device gone). Payload blocks larger than the
// exchange buffer are handed over in pieces.
import type { Device } from "../device.js";
import type { UpdateReceiver } from "./dfu.js";

/** UPDATE_ERR_FLASH (-8): the call did not return (trap or power cut). */
const FAILED = -8;

export function deviceUpdateReceiver(device: Device): UpdateReceiver {
  return {
    begin: (header) => device.updateBegin(header) ?? FAILED,
    data(offset, bytes) {
      if (device.state !== "on") return FAILED;
      const size = device.raw.io_size();
      let count = offset;
      for (let at = 0; at < bytes.length; ) {
        const chunk = bytes.subarray(at, at + size);
        const r = device.updateData(count, chunk) ?? FAILED;
        if (r < 0) return r;
        at += chunk.length;
        count = r;
      }
      return count;
    },
    finish: () => device.updateFinish() ?? FAILED,
    abort: () => device.updateAbort(),
  };
}
