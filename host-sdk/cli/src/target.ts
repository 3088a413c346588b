// Naming a device on the command line (--device ID) and opening it: the service protocol for
// every kind (UART for displays and readers, the CTAPHID tunnel for chips) and CTAP2 for chips.
//   serial:PATH, or a path       a display or reader on a serial port (or a simulator PTY)
//   hid:PATH                     a chip on USB HID (node-hid path, as `segl devices` lists it)
//   udp:PORT[:REPLY]             a simulated chip behind `segl sim chip` (CTAPHID over UDP; default reply port 7112)
//   usb:SERIAL                   a chip on USB by its serial, for DFU (`segl flash`)
//   sim                          a simulated chip in this process on a virtual USB bus (`segl flash`; --sim-flash keeps its flash)
import { UsageError } from "./common.js";
import { CtapHidClient, Ctap2Client, HidServiceTunnel, HidTransport, SerialTransport, ServiceClient, UdpTransport, type Transport } from "@segl/host-sdk/device";

export type DeviceTarget =
  | { kind: "serial"; path: string }
  | { kind: "hid"; path: string }
  | { kind: "udp"; port: number; replyPort: number }
  | { kind: "usb"; serial: string }
  | { kind: "sim" };

export const DEVICE_HELP = `  --device ID     serial:PATH (or a path) · hid:PATH · udp:PORT[:REPLY] (segl sim chip) · usb:SERIAL · sim`;

export function parseDeviceId(id: string | undefined): DeviceTarget {
  if (!id) throw new UsageError("--device ID is required (see `segl devices`)");
  const m = /^([a-z]+):(.*)$/.exec(id);
  const scheme = m?.[1];
  const rest = m?.[2] ?? "";
  if (id === "sim") return { kind: "sim" };
  if (scheme === "serial") { if (!rest) throw new UsageError("serial:PATH needs a path"); return { kind: "serial", path: rest }; }
  if (scheme === "hid") { if (!rest) throw new UsageError("hid:PATH needs a path"); return { kind: "hid", path: rest }; }
  if (scheme === "usb") { if (!rest) throw new UsageError("usb:SERIAL needs a serial"); return { kind: "usb", serial: rest }; }
  if (scheme === "udp") {
    const [p, r] = rest.split(":");
    const port = Number(p), replyPort = r === undefined ? 7112 : Number(r);
    if (!/^\d+$/.test(p ?? "") || port < 1 || port > 65535 || !(replyPort >= 1 && replyPort <= 65535 && Number.isInteger(replyPort))) throw new UsageError("udp:PORT[:REPLY] takes UDP ports 1..65535");
    return { kind: "udp", port, replyPort };
  }
  if (scheme && scheme.length > 1) throw new UsageError(`unknown device kind ${JSON.stringify(scheme)} in ${JSON.stringify(id)}`);
  return { kind: "serial", path: id };
}

export interface OpenedDevice {
  readonly service: ServiceClient;
  /** CTAP2 (chips only). */
  readonly ctap2: Ctap2Client | undefined;
  close(): Promise<void>;
}

/** Opens the service protocol (and CTAP2 for a chip) of a serial, HID or UDP target. */
export async function openDevice(t: DeviceTarget, timeoutMs = 3000): Promise<OpenedDevice> {
  if (t.kind === "serial") {
    const transport = await SerialTransport.open(t.path, { timeoutMs });
    return { service: new ServiceClient(transport, { timeoutMs }), ctap2: undefined, close: () => transport.close() };
  }
  if (t.kind === "usb" || t.kind === "sim") throw new UsageError(`--device ${t.kind === "sim" ? "sim" : `usb:${t.serial}`} is for \`segl flash\` (USB DFU); name the chip's HID interface (hid:PATH) or UDP port here`);
  const transport: Transport = t.kind === "hid"
    ? await HidTransport.open(t.path, { timeoutMs })
    : await UdpTransport.open({ devicePort: t.port, hostPort: t.replyPort, timeoutMs });
  try {
    const hid = await CtapHidClient.open(transport, { timeoutMs });
    return { service: new ServiceClient(new HidServiceTunnel(hid), { timeoutMs }), ctap2: new Ctap2Client(hid), close: () => transport.close() };
  } catch (e) {
    await transport.close();
    throw e;
  }
}
