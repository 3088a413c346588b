// `segl devices`: every Segl device this machine can reach, with model, serial, firmware and
// state: FIDO chips on USB HID (node-hid; INFO through the CTAPHID tunnel), displays and readers
// on serial ports (serialport; those answering INFO), chips on USB with a DFU interface (usb),
// the devices of a running simulator's control API (--control URL or $SEGL_CONTROL_URL), and with
// --sim a fresh simulated set in this process. A missing native module skips its source (noted).
import { EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";
import {
  CtapHidClient, HidServiceTunnel, HidTransport, MemoryTransport, SerialTransport, ServiceClient, findDfuDevices, importOptional, isSeglError,
  type NodeHidModule, type UsbBackend,
} from "@segl/host-sdk/device";

export const help = (prog: string) => `Usage: ${prog} [--sim] [--control URL] [--all] [--timeout MS] [--json]

Lists devices: chips on USB HID and USB (DFU), displays and readers on serial ports (those that
answer the service INFO), a running simulator's devices, and with --sim a fresh simulated set.
The ID column is what --device takes in \`segl flash\` and \`segl chip\`.

Options:
  --sim           also list a fresh simulated set (a code display and a chip) made in this process
  --control URL   a running simulator's HTTP control API (segl sim … --http PORT); default $SEGL_CONTROL_URL
  --all           also list serial ports that do not answer INFO
  --timeout MS    how long each device may take to answer (default 500)
  --json          one JSON object: { devices: [{ id, transport, model, serial, firmware, state, mode? }], skipped: [...] }
`;

export interface ListedDevice {
  /** What --device takes (or, for the control API, the simulator's device name). */
  id: string;
  transport: "hid" | "serial" | "usb" | "sim";
  model: string;
  serial: string;
  firmware: string;
  /** blank | provisioned | locked | unknown (or the power state of a simulated device that is off). */
  state: string;
  /** USB: runtime or dfu. */
  mode?: string;
  note?: string;
}

/** Where devices are looked for (injectable for tests; default: the native modules). */
export interface DeviceSources {
  usb?: UsbBackend;
  hid?: NodeHidModule;
  /** Serial ports to probe (default: serialport's list()). */
  serialPorts?: () => Promise<{ path: string }[]>;
}

type Skip = { source: string; reason: string };

function reason(e: unknown): string {
  return isSeglError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

async function hidDevices(timeoutMs: number, skipped: Skip[], hidModule?: NodeHidModule): Promise<ListedDevice[]> {
  const hid = hidModule ? { hid: hidModule } : {};
  let list;
  try {
    list = await HidTransport.list(hid);
  } catch (e) {
    skipped.push({ source: "hid", reason: reason(e) });
    return [];
  }
  const out: ListedDevice[] = [];
  for (const d of list) {
    if (!d.path) continue;
    const row: ListedDevice = { id: `hid:${d.path}`, transport: "hid", model: "unknown", serial: d.serialNumber ?? "", firmware: "", state: "unknown" };
    let t: HidTransport | undefined;
    try {
      t = await HidTransport.open(d.path, { timeoutMs, ...hid });
      const ctaphid = await CtapHidClient.open(t, { timeoutMs });
      const info = await new ServiceClient(new HidServiceTunnel(ctaphid), { timeoutMs, retries: 0 }).info();
      Object.assign(row, { model: info.model, serial: info.serial || row.serial, firmware: info.firmwareVersion, state: info.state });
    } catch (e) {
      row.note = `a FIDO key without the Segl service INFO (${reason(e)}): not a Segl chip?`;
    } finally {
      await t?.close();
    }
    out.push(row);
  }
  return out;
}

async function serialDevices(timeoutMs: number, all: boolean, skipped: Skip[], list?: () => Promise<{ path: string }[]>): Promise<ListedDevice[]> {
  let ports: { path: string }[];
  try {
    if (list) ports = await list();
    else {
      const sp = await importOptional<{ SerialPort: { list(): Promise<{ path: string }[]> } }>("serialport", "listing serial ports");
      ports = await sp.SerialPort.list();
    }
  } catch (e) {
    skipped.push({ source: "serial", reason: reason(e) });
    return [];
  }
  const out: ListedDevice[] = [];
  for (const p of ports) {
    let t: SerialTransport | undefined;
    try {
      t = await SerialTransport.open(p.path, { timeoutMs });
      const info = await new ServiceClient(t, { timeoutMs, retries: 0 }).info();
      out.push({ id: `serial:${p.path}`, transport: "serial", model: info.model, serial: info.serial, firmware: info.firmwareVersion, state: info.state });
    } catch (e) {
      if (all) out.push({ id: `serial:${p.path}`, transport: "serial", model: "unknown", serial: "", firmware: "", state: "unknown", note: `no answer to INFO (${reason(e)})` });
    } finally {
      await t?.close().catch(() => {});
    }
  }
  return out;
}

async function usbDevices(usb: UsbBackend | undefined, skipped: Skip[], idPrefix = "usb:"): Promise<ListedDevice[]> {
  try {
    const found = await findDfuDevices(usb ? { usb } : {});
    return found.map((d) => ({
      id: d.serial ? `${idPrefix}${d.serial}` : d.path, transport: "usb" as const, model: "chip", serial: d.serial, firmware: d.firmwareVersion,
      state: "unknown", mode: d.mode, ...(d.serialError ? { note: `serial unreadable: ${d.serialError}` } : {}),
    }));
  } catch (e) {
    skipped.push({ source: "usb", reason: reason(e) });
    return [];
  }
}

async function controlDevices(url: string, timeoutMs: number, skipped: Skip[]): Promise<ListedDevice[]> {
  try {
    const r = await fetch(new URL("/devices", url), { signal: AbortSignal.timeout(Math.max(timeoutMs, 1000)) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const list = (await r.json()) as { name: string; state: string; info?: { model: string; serial: string; firmware: string; provisioning: string } | null }[];
    return list.map((d) => ({
      id: `sim:${d.name}`, transport: "sim" as const, model: d.info?.model ?? "unknown", serial: d.info?.serial ?? "", firmware: d.info?.firmware ?? "",
      state: d.state === "on" ? (d.info?.provisioning ?? "unknown") : d.state, note: `simulated, ${url}`,
    }));
  } catch (e) {
    skipped.push({ source: `control ${url}`, reason: reason(e) });
    return [];
  }
}

/** A fresh simulated set in this process: a code display (service INFO over its UART) and a chip on a virtual USB bus. */
async function simDevices(skipped: Skip[]): Promise<ListedDevice[]> {
  const { Device, SimClock, VirtualUsbBus, provisionChip } = await import("@segl/simulator");
  const clock = new SimClock({ startMs: Date.now() });
  const display = new Device({ clock, name: "display-1" });
  const chip = new Device({ clock, name: "chip-1" });
  try {
    provisionChip(chip, { serial: "SIM-CHIP-1", lock: false });
    const t = new MemoryTransport(display);
    const info = await new ServiceClient(t).info();
    await t.close();
    const out: ListedDevice[] = [{ id: "sim:display-1", transport: "sim", model: info.model, serial: info.serial, firmware: info.firmwareVersion, state: info.state, note: "simulated, this process" }];
    const bus = new VirtualUsbBus();
    bus.attach(chip);
    for (const d of await usbDevices(bus, skipped, "sim:")) out.push({ ...d, transport: "sim", state: "provisioned", note: "simulated, this process (virtual USB)" });
    return out;
  } finally {
    display.dispose();
    chip.dispose();
  }
}

export async function listDevices(o: { sim: boolean; control: string | undefined; all: boolean; timeoutMs: number; sources?: DeviceSources }): Promise<{ devices: ListedDevice[]; skipped: Skip[] }> {
  const skipped: Skip[] = [];
  const devices = [
    ...(await hidDevices(o.timeoutMs, skipped, o.sources?.hid)),
    ...(await serialDevices(o.timeoutMs, o.all, skipped, o.sources?.serialPorts)),
    ...(await usbDevices(o.sources?.usb, skipped)),
    ...(o.control ? await controlDevices(o.control, o.timeoutMs, skipped) : []),
    ...(o.sim ? await simDevices(skipped) : []),
  ];
  return { devices, skipped };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const v = parseOptions(args, { sim: { type: "boolean" }, control: { type: "string" }, all: { type: "boolean" }, timeout: { type: "string" }, json: { type: "boolean" } });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const timeoutMs = v.timeout === undefined ? 500 : Number(v.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError("--timeout: milliseconds > 0");
  const control = v.control ?? (ctx.env.SEGL_CONTROL_URL || undefined);
  if (control !== undefined && !/^https?:\/\//.test(control)) throw new UsageError("--control: an http:// URL (segl sim … --http PORT prints it)");
  const { devices, skipped } = await listDevices({ sim: v.sim === true, control, all: v.all === true, timeoutMs });
  if (v.json) {
    ctx.stdout.write(JSON.stringify({ ok: true, devices, skipped }) + "\n");
    return EXIT_OK;
  }
  const rows = [["ID", "MODEL", "SERIAL", "FIRMWARE", "STATE"], ...devices.map((d) => [d.id, d.model, d.serial || "-", d.firmware || "-", d.mode ? `${d.state} (${d.mode} mode)` : d.state])];
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  if (devices.length === 0) ctx.stdout.write("no devices found\n");
  else for (const r of rows) ctx.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join("  ") + "\n");
  for (const s of skipped) ctx.stderr.write(`${ctx.prog}: ${s.source} skipped: ${s.reason}\n`);
  return EXIT_OK;
}
