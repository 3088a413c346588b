// `segl flash --image FILE --device ID`: puts a signed image (docs/image-format.md) on a device.
// Chips on USB (usb:SERIAL) and the simulated chip (sim) through USB DFU 1.1; displays and readers
// on a serial port (serial:PATH) and chips over HID or UDP (hid:PATH, udp:PORT) through the service
// protocol's UPDATE commands. Asks first (--yes in scripts). Progress: a bar on a terminal, JSON
// lines with --json. Ctrl-C or a pulled cable ends it with a typed error and exit code 1; run it
// again and the device resumes (it keeps what it received for the same image) or starts over.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT_OK, UsageError, confirm, parseOptions, type CliContext } from "./common.js";
import { DEVICE_HELP, openDevice, parseDeviceId } from "./target.js";
import { parseImage, type ParsedImage } from "@segl/host-sdk/image";
import { dfuUpdate, realSleep, updateFirmware } from "@segl/host-sdk/device";

export const help = (prog: string) => `Usage: ${prog} --image FILE --device ID [--yes] [--json]

Updates a device's firmware with a signed image (\`segl image pack|sign\`). The device checks the
maker's signature before it writes anything, writes the inactive slot, and boots the new image
in trial mode; its keys, seeds, PINs and credentials are kept.

Options:
  --image FILE         the signed image file
${DEVICE_HELP}
                       usb:SERIAL and sim use USB DFU; the others the service protocol
  --yes                do not ask (needed when stdin is not a terminal)
  --timeout MS         per request, service protocol (default 3000)
  --json               JSON lines on stdout: {"event":"progress",…} while it runs, then one result
                       object (or the error object)
Simulated chip (--device sim): one chip in this process on a virtual USB bus
  --sim-flash FILE     keep its flash (and boot ROM) in FILE, so a second run sees what the first did
  --sim-maker-key FILE the maker public key (SPKI PEM) its boot ROM holds (default: the simulator's test key)
  --sim-busy MS        bwPollTimeout after each DFU block, waited in real time (default 0)
`;

interface Progress { phase: string; bytes: number; total: number }

/** Draws progress: a bar on a terminal, JSON lines with --json, a line per phase otherwise. */
function progressSink(ctx: CliContext, json: boolean): { update(p: Progress): void; end(): void } {
  const tty = !json && ctx.stderr.isTTY === true;
  let lastPhase = "";
  let drawn = false;
  return {
    update(p) {
      if (json) { ctx.stdout.write(JSON.stringify({ event: "progress", ...p }) + "\n"); return; }
      if (tty) {
        const frac = p.total > 0 ? p.bytes / p.total : 0;
        const n = Math.round(frac * 30);
        ctx.stderr.write(`\r${p.phase.padEnd(9)} [${"#".repeat(n)}${" ".repeat(30 - n)}] ${(frac * 100).toFixed(0).padStart(3)}% ${(p.bytes / 1024).toFixed(1)}/${(p.total / 1024).toFixed(1)} KiB`);
        drawn = true;
        return;
      }
      if (p.phase !== lastPhase) ctx.stderr.write(`${p.phase}…\n`);
      lastPhase = p.phase;
    },
    end() { if (drawn) ctx.stderr.write("\n"); },
  };
}

async function flashSim(file: Uint8Array, o: { flashFile?: string; makerKeyPem?: string; busyMs: number; signal: AbortSignal; onProgress: (p: Progress) => void }) {
  const { Device, SimClock, VirtualUsbBus, provisionChip, loadImage, signImageForTest, TEST_MAKER_KEY_PEM } = await import("@segl/simulator");
  const { createPublicKey } = await import("node:crypto");
  const testKey = createPublicKey(TEST_MAKER_KEY_PEM).export({ format: "pem", type: "spki" }).toString();
  // The factory image in slot A is signed with the simulator's test key; a maker key given here is key 0
  // (images signed with --key-index 0 are for it) and the test key then sits at index 1.
  const manufacture = o.makerKeyPem
    ? { bootRom: { makerKeys: [o.makerKeyPem, testKey], model: 3 }, slots: { A: signImageForTest(loadImage().bytes, { keyIndex: 1 }) } }
    : { bootRom: { makerKeys: [testKey], model: 3 } };
  const clock = new SimClock({ mode: "real" });
  const device = new Device({ clock, name: "sim-chip", ...(o.flashFile ? { flashFile: o.flashFile } : {}), ...manufacture });
  if (device.state !== "on") throw Object.assign(new Error(`the simulated chip does not boot (${device.faults.at(-1)?.message ?? device.state})`), { code: "SIM_BOOT" });
  try {
    provisionChip(device, { serial: "SIM-CHIP", lock: false });
    const bus = new VirtualUsbBus();
    bus.attach(device, { blockBusyMs: o.busyMs });
    const r = await dfuUpdate(file, { usb: bus, serial: "SIM-CHIP", signal: o.signal, sleep: realSleep, onProgress: o.onProgress });
    return { serial: r.serial, before: r.before, after: r.after ?? null, bytes: r.bytes, method: "dfu" as const };
  } finally {
    device.dispose();
    clock.stop();
  }
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const v = parseOptions(args, {
    image: { type: "string" }, device: { type: "string" }, yes: { type: "boolean" }, timeout: { type: "string" }, json: { type: "boolean" },
    "sim-flash": { type: "string" }, "sim-maker-key": { type: "string" }, "sim-busy": { type: "string" },
  });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  if (!v.image) throw new UsageError("--image FILE is required");
  const target = parseDeviceId(v.device);
  if (target.kind !== "sim" && (v["sim-flash"] || v["sim-maker-key"] || v["sim-busy"])) throw new UsageError("--sim-* options are for --device sim");
  const timeoutMs = v.timeout === undefined ? 3000 : Number(v.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError("--timeout: milliseconds > 0");
  const busyMs = v["sim-busy"] === undefined ? 0 : Number(v["sim-busy"]);
  if (!(Number.isInteger(busyMs) && busyMs >= 0 && busyMs <= 10_000)) throw new UsageError("--sim-busy: 0..10000 ms");
  let file: Uint8Array;
  try { file = new Uint8Array(readFileSync(v.image)); } catch (e) { throw new UsageError(`--image: cannot read ${v.image} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
  const parsed: ParsedImage = parseImage(file); // IMAGE_FORMAT / IMAGE_HASH: a broken file is refused before anything is sent
  if (!parsed.signed) throw Object.assign(new Error(`${v.image} is not signed (segl image sign)`), { code: "IMAGE_SIGNATURE" });
  let makerKeyPem: string | undefined;
  if (v["sim-maker-key"]) {
    try { makerKeyPem = readFileSync(v["sim-maker-key"], "utf8"); } catch (e) { throw new UsageError(`--sim-maker-key: cannot read ${v["sim-maker-key"]} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
  }
  const h = parsed.header;
  await confirm(ctx, `Flash ${v.image} (firmware ${h.versionString}, for ${h.models.join(", ")}) onto ${v.device}`, v.yes);

  const json = v.json === true;
  const sink = progressSink(ctx, json);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let result: Record<string, unknown>;
    if (target.kind === "sim") {
      result = await flashSim(file, { ...(v["sim-flash"] ? { flashFile: resolve(v["sim-flash"]) } : {}), ...(makerKeyPem ? { makerKeyPem } : {}), busyMs, signal: ac.signal, onProgress: sink.update });
    } else if (target.kind === "usb") {
      const r = await dfuUpdate(file, { serial: target.serial, signal: ac.signal, onProgress: sink.update });
      result = { serial: r.serial, before: r.before, after: r.after ?? null, bytes: r.bytes, method: "dfu" };
    } else {
      const dev = await openDevice(target, timeoutMs);
      try {
        const r = await updateFirmware(dev.service, file, {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.phase === "touch" && !json) ctx.stderr.write("\rtouch the chip to allow the update…");
            sink.update({ phase: p.phase, bytes: p.sent, total: p.total });
          },
        });
        result = { serial: r.info.serial, after: r.info.firmwareVersion, bytes: r.bytesSent, resumedFrom: r.resumedFrom, method: "service" };
      } finally {
        await dev.close();
      }
    }
    sink.end();
    if (json) ctx.stdout.write(JSON.stringify({ ok: true, device: v.device, image: v.image, version: h.versionString, ...result }) + "\n");
    else ctx.stdout.write(`${String(result.serial || v.device)}\tnow runs ${String(result.after ?? h.versionString)}\n`);
    return EXIT_OK;
  } catch (err) {
    sink.end();
    if (ac.signal.aborted && !json) ctx.stderr.write(`${ctx.prog}: interrupted; run the same command again to resume or restart the update\n`);
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
