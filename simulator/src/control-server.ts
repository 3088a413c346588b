// An optional HTTP JSON control API for a Simulator, on 127.0.0.1 (in the manner of Speculos's
// REST API): the control plane, separate from the data path (UART, HID). Routes:
//   GET  /devices                         [{name, state, display, led, info: {model, serial, firmware, provisioning} | null}]
//   GET  /devices/:name                   state, display, led, clocks, faults, flash counters
//   GET  /devices/:name/display.svg       the LCD as SVG
//   POST /devices/:name/button            {action: "press"|"release"|"click", id?}
//   POST /devices/:name/power             {action: "cut"|"on"|"reboot", atFlashOperation?}
//   POST /devices/:name/drift             {ppm}
//   POST /devices/:name/rng               {seed: string|null} and/or {fault: null | {kind: "stuck", value?}
//                                         | {kind: "repeat", period} | {kind: "runs", length} | {kind: "short"}
//                                         | {kind: "error", code?}}
//   POST /devices/:name/flash-faults      {failAtOperation?, mode?: "report"|"silent", wornWords?: number[],
//                                         failErases?: boolean}: write failures to inject ({} clears them)
//   GET  /devices/:name/flash             the flash content (application/octet-stream)
//   PUT  /devices/:name/flash             replaces it (a running device is power-cycled)
//   GET  /devices/:name/boot              the boot ROM: record, the last boot's choice, boot-flash operations
//   POST /devices/:name/boot              {cutAtOperation}: power cut at the nth boot-flash (slot, record) operation
//   PUT  /devices/:name/slot-a|slot-b     a signed image file (application/octet-stream) written into the slot;
//                                         ?mark=pending|active (default none), as a factory programmer would
//   GET  /devices/:name/audio             an audio reader's output since it was last cleared: a timeline of
//                                         the voice pack's clips (matched against the pack, not from the firmware)
//   GET  /devices/:name/audio.wav         the same as a WAV file (16-bit mono, 8 kHz)
//   DELETE /devices/:name/audio           clears it (starts a new recording)
//   POST /devices/:name/headset           {plugged: boolean}
//   POST /devices/:name/battery           {percent: 0..100}: the charge hal.battery_level reports
//   GET  /clock                           {unixMs, mode}
//   POST /clock/advance                   {ms}
//   POST /clock/set                       {unixMs}
// Bodies with data must be sent as application/json (or application/octet-stream for flash):
// with a Host check, that keeps web pages in a browser from driving the simulator.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Simulator } from "./fleet.js";
import type { Device } from "./device.js";
import type { FlashFaultPlan } from "./flash.js";
import { renderSvg } from "./render.js";
import { probeInfo } from "./probe.js";
import { SLOT_SIZE } from "./boot-rom.js";
import { spokenTimeline, spokenWav } from "./spoken.js";
import { SimRng, type RngFault } from "./rng.js";

export interface ControlServerOptions {
  /** TCP port (0 = any free port; default 0). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface DeviceSummary {
  name: string;
  state: string;
  display: string;
  led: boolean;
  /** GET /devices only: what the device's service INFO says (over its UART, in process: simulator/src/probe.ts); null while it is off. */
  info?: { model: string; serial: string; firmware: string; provisioning: string } | null;
}

function deviceInfo(d: Device): DeviceSummary["info"] {
  return probeInfo(d);
}

export interface DeviceDetail extends DeviceSummary {
  boots: number;
  rtcMs: number;
  uptimeMs: number | null;
  driftPpm: number;
  worldMs: number;
  faults: { kind: string; code: number; line: number; message: string }[];
  flash: { size: number; pageSize: number; pageCount: number; operations: number; writes: number; erases: number };
  image: { sha256: string };
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_JSON = 64 * 1024;

function summary(d: Device): DeviceSummary {
  return { name: d.name, state: d.state, display: d.display, led: d.led };
}

function detail(d: Device): DeviceDetail {
  const st = d.flash.stats();
  return {
    ...summary(d),
    boots: d.boots,
    rtcMs: d.rtcMs(),
    uptimeMs: d.state === "on" ? d.uptimeMs() : null,
    driftPpm: d.driftPpm,
    worldMs: d.clock.now(),
    faults: d.faults.map((f) => ({ ...f })),
    flash: {
      size: d.flash.size, pageSize: d.flash.geometry.pageSize, pageCount: d.flash.geometry.pageCount,
      operations: d.flash.operations, writes: st.writes, erases: st.erases,
    },
    image: { sha256: d.image.sha256 },
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (mediaType(req) !== "application/json") throw new HttpError(415, "send the body as application/json");
  const raw = await readBody(req, MAX_JSON);
  let v: unknown;
  try {
    v = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

function num(body: Record<string, unknown>, key: string, check: (n: number) => boolean, what: string): number {
  const v = body[key];
  if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) throw new HttpError(400, `"${key}" must be ${what}`);
  return v;
}

function action<T extends string>(body: Record<string, unknown>, allowed: readonly T[]): T {
  const a = body.action;
  if (typeof a !== "string" || !(allowed as readonly string[]).includes(a)) {
    throw new HttpError(400, `"action" must be one of ${allowed.map((x) => JSON.stringify(x)).join(", ")}`);
  }
  return a as T;
}

/** The "fault" member of POST /rng: null (healthy) or one of SimRng's faults. */
function rngFault(v: unknown): RngFault | undefined {
  if (v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, `"fault" must be null or an object with a "kind"`);
  const f = v as Record<string, unknown>;
  const opt = (k: string): number | undefined => {
    if (f[k] === undefined) return undefined;
    if (typeof f[k] !== "number") throw new HttpError(400, `"fault.${k}" must be a number`);
    return f[k] as number;
  };
  let fault: RngFault;
  if (f.kind === "stuck") { const value = opt("value"); fault = value === undefined ? { kind: "stuck" } : { kind: "stuck", value }; }
  else if (f.kind === "repeat") fault = { kind: "repeat", period: opt("period") ?? 0 };
  else if (f.kind === "runs") fault = { kind: "runs", length: opt("length") ?? 0 };
  else if (f.kind === "short") fault = { kind: "short" };
  else if (f.kind === "error") { const code = opt("code"); fault = code === undefined ? { kind: "error" } : { kind: "error", code }; }
  else throw new HttpError(400, `"fault.kind" must be "stuck", "repeat", "runs", "short" or "error"`);
  try {
    new SimRng().setFault(fault); // the same checks the device applies
  } catch (e) {
    throw new HttpError(400, e instanceof Error ? e.message : String(e));
  }
  return fault;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** Starts the control API for a simulator. Resolves once it listens. */
export async function startControlServer(sim: Simulator, opts: ControlServerOptions = {}): Promise<ControlServer> {
  const host = opts.host ?? "127.0.0.1";
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page in a browser may not reach us through DNS rebinding: only our own names are accepted.
    const hostHeader = (req.headers.host ?? "").toLowerCase();
    const okHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`];
    if (!okHosts.includes(hostHeader)) throw new HttpError(403, "unexpected Host header");
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/").filter((p) => p !== "").map((p) => decodeURIComponent(p));
    const method = req.method ?? "GET";
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) {
        res.setHeader("allow", methods.join(", "));
        throw new HttpError(405, `${method} not allowed here (use ${methods.join(" or ")})`);
      }
    };

    if (parts.length === 0) {
      allow("GET");
      send(res, 200, { name: "segl-simulator", devices: "/devices", clock: "/clock" });
      return;
    }
    if (parts[0] === "clock") {
      if (parts.length === 1) {
        allow("GET");
        send(res, 200, { unixMs: sim.clock.now(), mode: sim.clock.mode });
        return;
      }
      if (parts.length === 2 && parts[1] === "advance") {
        allow("POST");
        const ms = num(await jsonBody(req), "ms", (n) => n >= 0 && n <= 100 * 365 * 86_400_000, "a number of ms, 0 or more");
        sim.clock.advance(ms);
        send(res, 200, { unixMs: sim.clock.now(), mode: sim.clock.mode });
        return;
      }
      if (parts.length === 2 && parts[1] === "set") {
        allow("POST");
        const t = num(await jsonBody(req), "unixMs", (n) => Math.abs(n) <= 8.64e15, "a Unix time in ms");
        sim.clock.set(t);
        send(res, 200, { unixMs: sim.clock.now(), mode: sim.clock.mode });
        return;
      }
      throw new HttpError(404, "no such route");
    }
    if (parts[0] !== "devices") throw new HttpError(404, "no such route");
    if (parts.length === 1) {
      allow("GET");
      send(res, 200, sim.list().map((d) => ({ ...summary(d), info: deviceInfo(d) })));
      return;
    }
    const name = parts[1]!;
    const d = sim.get(name);
    if (!d) throw new HttpError(404, `no device named ${name}`);
    if (parts.length === 2) {
      allow("GET");
      send(res, 200, detail(d));
      return;
    }
    if (parts.length !== 3) throw new HttpError(404, "no such route");
    switch (parts[2]) {
      case "display.svg": {
        allow("GET");
        res.writeHead(200, { "content-type": "image/svg+xml; charset=utf-8", "cache-control": "no-store" });
        res.end(renderSvg(d.display));
        return;
      }
      case "audio":
      case "audio.wav": {
        if (!d.voice) throw new HttpError(404, `${d.name} has no audio output (not an audio reader)`);
        if (parts[2] === "audio.wav") {
          allow("GET");
          const wav = spokenWav(d);
          res.writeHead(200, { "content-type": "audio/wav", "content-length": String(wav.length), "cache-control": "no-store" });
          res.end(wav);
          return;
        }
        allow("GET", "DELETE");
        if (method === "DELETE") { d.audio.clear(); send(res, 200, { name: d.name, cleared: true }); return; }
        send(res, 200, { name: d.name, ...spokenTimeline(d) });
        return;
      }
      case "headset": {
        allow("POST");
        const body = await jsonBody(req);
        if (typeof body.plugged !== "boolean") throw new HttpError(400, `"plugged" must be true or false`);
        if (!d.voice) throw new HttpError(404, `${d.name} has no headset jack (not an audio reader)`);
        d.setHeadset(body.plugged);
        send(res, 200, { name: d.name, output: d.audio.output });
        return;
      }
      case "battery": {
        allow("POST");
        const body = await jsonBody(req);
        d.setBattery(num(body, "percent", (n) => Number.isInteger(n) && n >= 0 && n <= 100, "a whole percent 0..100"));
        send(res, 200, { name: d.name, battery: d.battery });
        return;
      }
      case "button": {
        allow("POST");
        const body = await jsonBody(req);
        const a = action(body, ["press", "release", "click"] as const);
        const id = body.id === undefined ? 0 : num(body, "id", (n) => Number.isInteger(n) && n >= 0 && n < 256, "a button number 0..255");
        if (a === "press") d.press(id);
        else if (a === "release") d.release(id);
        else d.click(id);
        send(res, 200, summary(d));
        return;
      }
      case "power": {
        allow("POST");
        const body = await jsonBody(req);
        const a = action(body, ["cut", "on", "reboot"] as const);
        if (body.atFlashOperation !== undefined) {
          if (a !== "cut") throw new HttpError(400, `"atFlashOperation" goes with action "cut"`);
          const n = num(body, "atFlashOperation", (x) => Number.isInteger(x) && x >= 0, "a whole number (1 = the next flash write or erase; 0 cancels)");
          d.cutPowerAtFlashOperation(n);
          send(res, 200, { ...summary(d), cutAtFlashOperation: n === 0 ? null : d.flash.operations + n });
          return;
        }
        if (a === "cut") d.cutPower();
        else if (a === "on") d.powerOn();
        else d.reboot();
        send(res, 200, summary(d));
        return;
      }
      case "drift": {
        allow("POST");
        const ppm = num(await jsonBody(req), "ppm", (n) => n > -1e6 && n < 1e6, "a number of ppm between -1e6 and 1e6");
        d.setDriftPpm(ppm);
        send(res, 200, { name: d.name, driftPpm: d.driftPpm });
        return;
      }
      case "rng": {
        allow("POST");
        const body = await jsonBody(req);
        if (body.seed === undefined && body.fault === undefined) throw new HttpError(400, `send "seed" and/or "fault"`);
        if (body.fault !== undefined) d.setRngFault(rngFault(body.fault));
        if (body.seed !== undefined) {
          const seed = body.seed;
          if (seed !== null && typeof seed !== "string") throw new HttpError(400, `"seed" must be a string, or null for the OS CSPRNG`);
          d.setRngSeed(seed ?? undefined);
        }
        send(res, 200, { name: d.name, seeded: d.rng.seeded, fault: d.rng.fault ?? null });
        return;
      }
      case "flash-faults": {
        allow("POST");
        const body = await jsonBody(req);
        const plan: FlashFaultPlan = {};
        if (body.failAtOperation !== undefined) plan.failAtOperation = num(body, "failAtOperation", (x) => Number.isInteger(x) && x >= 0, "a whole number (1 = the next flash write or erase; 0 = none)");
        if (body.mode !== undefined) {
          if (body.mode !== "report" && body.mode !== "silent") throw new HttpError(400, `"mode" must be "report" or "silent"`);
          plan.mode = body.mode;
        }
        if (body.wornWords !== undefined) {
          if (!Array.isArray(body.wornWords) || !body.wornWords.every((w) => typeof w === "number")) throw new HttpError(400, `"wornWords" must be an array of word addresses`);
          plan.wornWords = body.wornWords as number[];
        }
        if (body.failErases !== undefined) {
          if (typeof body.failErases !== "boolean") throw new HttpError(400, `"failErases" must be true or false`);
          plan.failErases = body.failErases;
        }
        try {
          d.setFlashFaults(plan);
        } catch (e) {
          throw new HttpError(400, e instanceof Error ? e.message : String(e));
        }
        send(res, 200, { name: d.name, ...plan, failAtOperation: plan.failAtOperation ? d.flash.operations + plan.failAtOperation : null });
        return;
      }
      case "flash": {
        allow("GET", "PUT");
        if (method === "GET") {
          const bytes = d.snapshotFlash();
          res.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": String(bytes.length),
            "content-disposition": `attachment; filename="${d.name.replace(/[^A-Za-z0-9._-]/g, "_")}.flash"`,
            "cache-control": "no-store",
          });
          res.end(bytes);
          return;
        }
        if (mediaType(req) !== "application/octet-stream") throw new HttpError(415, "send the flash image as application/octet-stream");
        const bytes = await readBody(req, d.flash.size);
        if (bytes.length !== d.flash.size) throw new HttpError(400, `flash image must be ${d.flash.size} bytes, got ${bytes.length}`);
        d.restoreFlash(new Uint8Array(bytes));
        send(res, 200, summary(d));
        return;
      }
      case "boot": {
        allow("GET", "POST");
        if (method === "POST") {
          const n = num(await jsonBody(req), "cutAtOperation", (x) => Number.isInteger(x) && x >= 0, "a whole number (1 = the next slot or record write or erase; 0 cancels)");
          d.cutPowerAtBootFlashOperation(n);
        }
        const c = d.lastBootChoice;
        send(res, 200, {
          name: d.name, record: d.bootRecord(), bootFlashOperations: d.bootRom.flash.operations,
          lastBoot: c ? { slot: c.slot, trial: c.trial, notes: c.notes, ...c.header } : null,
        });
        return;
      }
      case "slot-a":
      case "slot-b": {
        allow("PUT");
        if (mediaType(req) !== "application/octet-stream") throw new HttpError(415, "send the image file as application/octet-stream");
        const mark = url.searchParams.get("mark") ?? "none";
        if (mark !== "none" && mark !== "pending" && mark !== "active") throw new HttpError(400, `"mark" must be none, pending or active`);
        const bytes = await readBody(req, SLOT_SIZE);
        d.installImage(parts[2] === "slot-a" ? "A" : "B", new Uint8Array(bytes), mark);
        send(res, 200, { name: d.name, record: d.bootRecord() });
        return;
      }
      default:
        throw new HttpError(404, "no such route");
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (res.headersSent) { res.destroy(); return; }
      send(res, status, { error: message });
      // A body we refused may still be arriving: do not keep reading it.
      if (status === 413) req.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
