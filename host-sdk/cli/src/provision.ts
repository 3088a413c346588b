// `segl provision`: seed, parameters, clock and lock for one display or reader, or a batch of them
// (real ones on serial ports, or simulated with --sim), and the seeds written to a PSKC file
// (RFC 6030) for the broker. Seeds never go to stdout: stdout gets serials and states only.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { EXIT_FAILURE, EXIT_OK, UsageError, confirm, parseOptions, type CliContext } from "./common.js";
import { openPort, PORT_HELP } from "./port.js";
import { PSKC_KEY_HELP, pskcSecret, type PskcSecret } from "./secrets.js";
import { provisionDevice, type ProvisionResult } from "@segl/host-sdk/provision";
import { parseAlgorithm, type OtpAlgorithm } from "@segl/host-sdk/otp";
import { exportPskc, type PskcKey } from "@segl/host-sdk/pskc";
import type { ModelName, ServiceClient } from "@segl/host-sdk/device";

export const help = (prog: string) => `Usage: ${prog} --pskc FILE (--port PATH[,PATH…] | --sim --count N) [options]

Provisions code displays or audio readers over their service ports: a fresh seed from the OS's
cryptographic RNG for each, the OTP parameters, the clock (this machine's), and a lock that ends
provisioning for good. The seeds are written to FILE as PSKC (RFC 6030): AES-128-CBC with an
HMAC-SHA256 MAC per seed, under a pre-shared key or a password (PBKDF2). The broker loads the
file with \`segl broker import FILE\`. Seeds are never printed; stdout gets the serials.

If a device fails, the seeds of those already provisioned are still written (exit code 1).

Options:
${PORT_HELP} (several: comma-separated, one device each)
  --sim               provision --count simulated code displays instead (the shipped image, in memory)
  --count N           how many devices (with --sim; with --port it must match the number of ports)
  --serial S          the serial of a single device (1..32 printable ASCII characters)
  --serial-prefix P   serials P000001, P000002, … for a batch (default SGL-)
  --first N           the first number of a batch (default 1)
  --pskc FILE         the PSKC file to write (refused if it exists, unless --force)
${PSKC_KEY_HELP}
  --iterations N      PBKDF2 iterations for --password (default 100000)
  --manufacturer M    DeviceInfo/Manufacturer in the file (default Segl)
  --model M           code-display (default) | audio-reader
  --algorithm A       SHA1 (default) | SHA256 | SHA512
  --digits N          6 (default); 7 or 8 for the audio reader
  --period S          time step in seconds (default 30)
  --lock              lock a single device afterwards (a batch, --count or several ports, is always locked)
  --force             overwrite FILE
  --yes               do not ask before locking or re-provisioning real devices (needed when stdin is
                      not a terminal); simulated devices (--sim) are never asked about
  --json              print one JSON object (serials, states, the file; no seeds)
`;

export interface BatchTarget {
  readonly serial: string;
  /** Opens the device's service client; close() when done. */
  open(): Promise<{ client: ServiceClient; close(): Promise<void> }>;
}

export interface BatchOptions {
  readonly model: ModelName;
  readonly algorithm: OtpAlgorithm;
  readonly digits: number;
  readonly period: number;
  readonly lock: boolean;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface BatchResult {
  readonly done: ProvisionResult[];
  readonly failed?: { serial: string; error: unknown };
}

/** Provisions the targets one after another; stops at the first failure, keeping what is done. */
export async function provisionBatch(targets: readonly BatchTarget[], o: BatchOptions): Promise<BatchResult> {
  const done: ProvisionResult[] = [];
  for (const t of targets) {
    try {
      const dev = await t.open();
      try {
        const r = await provisionDevice(dev.client, { model: o.model, algorithm: o.algorithm, digits: o.digits, period: o.period, serial: t.serial, timeMs: o.now(), lock: o.lock });
        done.push(r);
        o.log(`provisioned ${r.serial}: state ${r.info.state}`);
      } finally {
        await dev.close();
      }
    } catch (error) {
      return { done, failed: { serial: t.serial, error } };
    }
  }
  return { done };
}

/** The PSKC keys of provisioned devices. */
export function pskcKeys(done: readonly ProvisionResult[], manufacturer: string): PskcKey[] {
  return done.map((r) => ({
    id: r.serial, kind: "totp", secret: r.seed, manufacturer, serial: r.serial, model: r.model,
    algorithm: r.algorithm, digits: r.digits, period: r.period, t0: 0,
  }));
}

/** Writes `text` to `path` readable by its owner only, via a temporary file renamed into place. */
export function writePrivate(path: string, text: string, force: boolean): void {
  if (!force && existsSync(path)) throw new UsageError(`${path} exists (--force to overwrite)`);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function intOption(v: string | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name}: an integer ${min}..${max}`);
  return Number(v);
}

async function simTargets(serials: string[]): Promise<{ targets: BatchTarget[]; dispose(): void }> {
  const { Device, SimClock, loadImage } = await import("@segl/simulator");
  const { MemoryTransport, ServiceClient } = await import("@segl/host-sdk/device");
  const image = loadImage();
  const clock = new SimClock({ startMs: Date.now() });
  const devices: InstanceType<typeof Device>[] = [];
  const targets = serials.map((serial, i) => ({
    serial,
    async open() {
      const device = new Device({ clock, image, name: `display-${i + 1}` });
      devices.push(device);
      const transport = new MemoryTransport(device);
      return { client: new ServiceClient(transport), close: () => transport.close() };
    },
  }));
  return { targets, dispose: () => { for (const d of devices) d.dispose(); } };
}

/**
 * Real devices: locking ends provisioning for good, and provisioning a device that already holds a
 * seed replaces it (the broker's copy stops working). Both are asked about first (or --yes).
 */
async function confirmDestructive(ctx: CliContext, ports: string[], lock: boolean, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const again: string[] = [];
  for (const p of ports) {
    const dev = await openPort(p);
    try {
      const info = await dev.client.info();
      if (info.state === "provisioned") again.push(`${p} (${info.serial || "no serial"})`);
    } finally {
      await dev.close();
    }
  }
  const what = [
    ...(again.length ? [`re-provision ${again.join(", ")}: the seed${again.length > 1 ? "s" : ""} they hold will be replaced`] : []),
    ...(lock ? [`lock ${ports.length} device(s) for good`] : []),
  ];
  if (what.length) await confirm(ctx, what.join("; and "), yes);
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const v = parseOptions(args, {
    port: { type: "string" }, sim: { type: "boolean" }, count: { type: "string" }, serial: { type: "string" },
    "serial-prefix": { type: "string" }, first: { type: "string" }, pskc: { type: "string" },
    "psk-hex": { type: "string" }, "key-name": { type: "string" }, password: { type: "string" }, "password-file": { type: "string" },
    iterations: { type: "string" }, manufacturer: { type: "string" }, model: { type: "string" }, algorithm: { type: "string" },
    digits: { type: "string" }, period: { type: "string" }, lock: { type: "boolean" }, force: { type: "boolean" }, json: { type: "boolean" }, yes: { type: "boolean" },
  });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  if (!v.pskc) throw new UsageError("--pskc FILE is required: the seeds go to a PSKC file, never to the terminal");
  const secret: PskcSecret = pskcSecret(v);
  const iterations = intOption(v.iterations, 100_000, "--iterations", 1000, 10_000_000);
  const model = (v.model ?? "code-display") as ModelName;
  if (model !== "code-display" && model !== "audio-reader") throw new UsageError("--model: code-display or audio-reader");
  if (v.sim && model !== "code-display") throw new UsageError("--sim provisions code displays");
  const algorithm = parseAlgorithm(v.algorithm ?? "SHA1");
  if (!algorithm) throw new UsageError("--algorithm: SHA1, SHA256 or SHA512");
  const digits = intOption(v.digits, 6, "--digits", 6, 8);
  const period = intOption(v.period, 30, "--period", 1, 3600);
  const ports = v.port ? v.port.split(",").filter((p) => p.length > 0) : [];
  if (v.sim === (ports.length > 0)) throw new UsageError("give either --port PATH[,PATH…] or --sim");
  const count = intOption(v.count, v.sim ? 1 : ports.length, "--count", 1, 100_000);
  if (!v.sim && count !== ports.length) throw new UsageError(`--count ${count} but ${ports.length} port(s)`);
  const batch = count > 1 || v.count !== undefined;
  let serials: string[];
  if (v.serial !== undefined) {
    if (count !== 1) throw new UsageError("--serial names one device; use --serial-prefix for a batch");
    serials = [v.serial];
  } else {
    if (!batch && !v.sim) throw new UsageError("--serial is required for a single device");
    const first = intOption(v.first, 1, "--first", 0, 999_999_999);
    const prefix = v["serial-prefix"] ?? "SGL-";
    serials = Array.from({ length: count }, (_, i) => `${prefix}${String(first + i).padStart(6, "0")}`);
  }
  if (!v.force && existsSync(v.pskc)) throw new UsageError(`${v.pskc} exists (--force to overwrite)`);

  const lock = batch || v.lock === true;
  if (!v.sim) await confirmDestructive(ctx, ports, lock, v.yes);

  const sim = v.sim ? await simTargets(serials) : undefined;
  const targets: BatchTarget[] = sim?.targets ?? ports.map((p, i) => ({ serial: serials[i]!, open: () => openPort(p) }));
  let result: BatchResult;
  try {
    result = await provisionBatch(targets, { model, algorithm, digits, period, lock, now: Date.now, log: (s) => ctx.stderr.write(s + "\n") });
  } finally {
    sim?.dispose();
  }
  const { done, failed } = result;
  if (done.length > 0) {
    const protection = secret.kind === "psk" ? secret : { kind: "password" as const, password: secret.password, iterations };
    writePrivate(v.pskc, exportPskc(pskcKeys(done, v.manufacturer ?? "Segl"), { protection }), v.force === true);
  }
  if (failed) {
    const msg = failed.error instanceof Error ? failed.error.message : String(failed.error);
    ctx.stderr.write(`${ctx.prog}: error: ${failed.serial}: ${msg}; stopped after ${done.length} of ${targets.length}` + (done.length ? `, their seeds are in ${v.pskc}\n` : "\n"));
  }
  const devices = done.map((r) => ({ serial: r.serial, model: r.model, algorithm: r.algorithm, digits: r.digits, period: r.period, state: r.info.state }));
  if (v.json) {
    ctx.stdout.write(JSON.stringify({ pskc: done.length ? v.pskc : null, protection: secret.kind, count: done.length, devices, ...(failed ? { failed: failed.serial } : {}) }) + "\n");
  } else {
    for (const d of devices) ctx.stdout.write(`${d.serial}\t${d.state}\n`);
    if (done.length) ctx.stdout.write(`wrote ${done.length} seed(s) to ${v.pskc} (PSKC, ${secret.kind === "psk" ? `pre-shared key ${JSON.stringify(secret.keyName)}` : "password"})\n`);
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}
