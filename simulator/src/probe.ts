// The service INFO of a simulated device, in process over its UART (the device answers while
// the bytes are fed, so no waiting), for listings such as the control API's GET /devices. The
// UART is used rather than the CTAPHID tunnel because HID traffic makes a blank device act as a
// chip. A host speaking on the device's PTY at that very moment could see its frame disturbed:
// the probe is for listings, not for a device in the middle of a transaction.
import { crc32 } from "node:zlib";
import type { Device } from "./device.js";

const MODEL_NAMES = ["none", "code-display", "audio-reader", "chip"];
const STATE_NAMES = ["blank", "provisioned", "locked"];

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
  const len = r.readUInt16BE(at + 4);
  const d = r.subarray(at + 6, at + 6 + len);
  if (d.length < 13 || d[0] !== 0) return null;
  const n = d[12]!;
  return {
    model: MODEL_NAMES[d[5]!] ?? `model ${d[5]}`,
    serial: d.subarray(13, 13 + n).toString("latin1"),
    firmware: `${d[2]}.${d[3]}.${d[4]}`,
    provisioning: STATE_NAMES[d[6]!] ?? `state ${d[6]}`,
  };
}
