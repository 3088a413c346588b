// The service INFO of a simulated device, in process over its UART (the device answers while
// the bytes are fed, so no waiting), for listings such as the control API's GET /devices. The
// UART is used rather than the CTAPHID tunnel because HID traffic makes a blank device act as a
// chip. A host speaking on the device's PTY at that very moment could see its frame disturbed:
// the probe is for listings, not for a device in the middle of a transaction.
import type { Device } from "./device.js";
import { crc32 } from "./crc32.js";
import { decodeInfo } from "./chip.js";

const MODEL_NAMES = ["none", "code-display", "audio-reader", "chip"];

export interface ProbedInfo {
  model: string;
  serial: string;
  firmware: string;
  provisioning: string;
}

/** INFO over the UART, or null when the device is off or does not answer. */
export function probeInfo(device: Device): ProbedInfo | null {
  if (device.state !== "on") return null;
  const f = new Uint8Array(10);
  const v = new DataView(f.buffer);
  f.set([0x53, 0x47, 0x01, 0xa5, 0, 0]);
  v.setUint32(6, crc32(f.subarray(2, 6)));
  const got: Uint8Array[] = [];
  const on = (b: Uint8Array) => got.push(b);
  device.on("uart", on);
  try {
    device.uartWrite(f);
  } finally {
    device.off("uart", on);
  }
  const r = Buffer.concat(got);
  const at = r.indexOf(Buffer.from([0x53, 0x47, 0x81, 0xa5]));
  if (at < 0 || r.length < at + 6) return null;
  const d = r.subarray(at + 6, at + 6 + r.readUInt16BE(at + 4));
  const info = d[0] === 0 ? decodeInfo(d.subarray(1)) : undefined;
  if (!info) return null;
  return { model: MODEL_NAMES[info.model] ?? `model ${info.model}`, serial: info.serial, firmware: info.firmware, provisioning: info.state };
}
