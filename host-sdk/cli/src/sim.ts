// `segl sim <model>`: one simulated device in real time in this terminal. Enter presses the
// button, the LCD redraws in place; the UART can be offered as a pseudo-terminal (--pty) and the
// control plane as HTTP on 127.0.0.1 (--http). A chip is provisioned as one on first start and
// speaks CTAPHID over UDP (--udp-port/--reply-port) to outside FIDO clients; who touches it
// when it asks is the --presence policy.
import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  Simulator, PtyBridge, UdpBridge, UdpBridgeError, ChipError, attachPresence, provisionChip, startControlServer, renderTerminal,
  loadImage, imageFromBytes, DEFAULT_IMAGE_PATH, UDP_DEFAULT_LISTEN_PORT, UDP_DEFAULT_REPLY_PORT,
  loadVoicePackFile, DEFAULT_VOICE_PACK_PATH, READER_KEYS, AUDIO_RATE,
  type ControlServer, type Device, type FirmwareImage, type UserPresence,
} from "@segl/simulator";
import { loadPublicKey, verifyImage, MAX_MAKER_KEYS } from "@segl/host-sdk/image";
import { EXIT_OK, UsageError, type CliContext } from "./common.js";
import { READER_KEY_NAMES, parseKeys, isBlank, provisionReader, runReaderOnce, type ReaderKey } from "./sim-reader.js";
import { findPlayer, noPlayerMessage, startRawPlayer } from "./player.js";
import type { ChildProcess } from "node:child_process";

export const help = (prog: string) => `Usage: ${prog} <model> [options]

Runs one simulated device from the firmware image, in real time.

Models:
  web            serve the browser page instead (\`${prog} sim web --help\`): devices run in the browser
  code-display   button, 6-digit LCD, UART service port
  chip           button (user presence), LED, CTAPHID over UDP (FIDO2/U2F)
  audio-reader   keys, LCD, speaker/headset (the code spoken in Danish or English), UART service port

Options:
  --name N        device name (default "display", or "chip"); also its serial path sim:N in-process
  --flash FILE    keep the device's flash in FILE (created if missing), so it survives restarts
  --pty PATH      offer the UART as a pseudo-terminal at PATH (needs socat), for serialport & co.
                  (code-display only)
  --http PORT     serve the HTTP control API on 127.0.0.1:PORT (0 = any free port)
  --rng-seed S    seed the device's random generator (reproducible runs)
  --drift PPM     RTC drift in parts per million (positive = runs fast)
  --image FILE    firmware image (default: ${DEFAULT_IMAGE_PATH}); with --maker-key, a signed image
                  file (\`segl image pack --key\`) by one of those keys: the factory image in slot A
  --maker-key PUB maker public key (SPKI PEM) the boot ROM holds, at index 0, 1, … in the order given
                  (repeat, at most 4; default: the simulator's test key at 0, which then is not held)
  --revoked MASK  maker keys revoked at manufacture (bit i = key i, 0..15; with --maker-key)
  --plain         no in-place redraw: print each LCD change (default when stdout is not a terminal)
  --json          JSON lines on stdout: {"event":"ready",…} once running, then {"event":"state",…} on each
                  change, {"event":"log",…} and {"event":"stopped"} (audio reader with --out: see below)
  -h, --help      show this help

Chip options:
  --udp-port P    receive CTAPHID reports (64-byte UDP datagrams) on 127.0.0.1:P (default ${UDP_DEFAULT_LISTEN_PORT}; 0 = any free port)
  --reply-port P  send the chip's reports to 127.0.0.1:P (default ${UDP_DEFAULT_REPLY_PORT})
  --presence X    who touches the chip when it asks: manual (default: you, with Enter), accept
                  (at once), deny (never: CTAP2 requests time out after 30 s, U2F polls forever)
  --serial S      serial given when a blank chip is provisioned (default SIM-<name>)
  --unlocked      leave a chip provisioned here unlocked (default: locked, as a chip leaves the factory)

Audio reader options:
  --out FILE      press the keys (--keys), let it speak, write what it said to FILE (WAV, 8 kHz 16-bit
                  mono), print the clips heard in it (matched against the voice pack), and quit
  --play          play what it says: with --out, the file once written; else live, as it speaks
                  (needs aplay, paplay or ffplay)
  --keys K,...    keys pressed by --out, in order (default main): ${READER_KEY_NAMES.join(", ")}
  --json          with --out: the timeline as JSON on stdout; otherwise JSON lines as for every model
  --voice FILE    voice pack for the voice region (default: ${DEFAULT_VOICE_PACK_PATH})
  --blank         leave a blank reader blank (default: provisioned, clock set and locked on first start)

Keys: Enter presses the button, r reboots, q or Ctrl-C quits.
Audio reader keys: Enter or space main, a repeat (again), + louder, - softer, f faster, s slower,
l language, h plug/unplug a headset.
With stdin not a terminal, each newline presses the button and "q" quits; at end of input the
simulator quits, unless a chip, --pty or --http keeps it serving (then stop it with SIGINT/SIGTERM).
`;

const MODELS = ["code-display", "chip", "audio-reader"] as const;

/** Keyboard keys of the interactive audio reader (Enter and space are the main key too). */
const READER_KEY_CHARS: Record<string, ReaderKey | "headset"> = {
  a: "repeat", "+": "volumeUp", "=": "volumeUp", "-": "volumeDown", f: "speedUp", s: "speedDown", l: "language", h: "headset",
};

type PresenceName = "accept" | "deny" | "manual";
const PRESENCE: readonly PresenceName[] = ["accept", "deny", "manual"];

interface ChipArgs {
  udpPort: number;
  replyPort: number;
  presence: PresenceName;
  serial: string;
  unlocked: boolean;
}

interface ReaderArgs {
  out: string | undefined;
  play: boolean;
  keys: ReaderKey[];
  json: boolean;
  voice: string | undefined;
  blank: boolean;
  serial: string;
}

interface SimArgs {
  model: "code-display" | "chip" | "audio-reader";
  chip: ChipArgs | undefined;
  reader: ReaderArgs | undefined;
  name: string;
  flash: string | undefined;
  pty: string | undefined;
  http: number | undefined;
  rngSeed: string | undefined;
  drift: number | undefined;
  image: string | undefined;
  /** Maker public keys (SPKI PEM) and revocation mask set at manufacture; undefined = the test key. */
  makerKeys: string[] | undefined;
  revoked: number;
  plain: boolean;
  json: boolean;
}

function parse(args: string[], ctx: CliContext): SimArgs | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: "string" },
        flash: { type: "string" },
        pty: { type: "string" },
        http: { type: "string" },
        "rng-seed": { type: "string" },
        drift: { type: "string" },
        image: { type: "string" },
        "maker-key": { type: "string", multiple: true },
        revoked: { type: "string" },
        plain: { type: "boolean" },
        "udp-port": { type: "string" },
        "reply-port": { type: "string" },
        presence: { type: "string" },
        serial: { type: "string" },
        unlocked: { type: "boolean" },
        out: { type: "string" },
        play: { type: "boolean" },
        keys: { type: "string" },
        json: { type: "boolean" },
        voice: { type: "string" },
        blank: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return "help";
  const [model, ...extra] = parsed.positionals;
  if (model === undefined) throw new UsageError(`which model? one of: ${MODELS.join(", ")}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (!(MODELS as readonly string[]).includes(model)) throw new UsageError(`unknown model ${JSON.stringify(model)}; one of: ${MODELS.join(", ")}`);
  void ctx;
  const port = (flag: string, text: string | undefined, dflt: number, min: number): number => {
    if (text === undefined) return dflt;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > 65535) throw new UsageError(`${flag} takes a UDP port ${min}..65535, got ${JSON.stringify(text)}`);
    return n;
  };
  let chip: ChipArgs | undefined;
  if (model === "chip") {
    if (v.pty !== undefined) throw new UsageError("--pty is for code-display: a chip talks USB HID (here: --udp-port)");
    const presence = v.presence ?? "manual";
    if (!(PRESENCE as readonly string[]).includes(presence)) throw new UsageError(`--presence takes one of ${PRESENCE.join(", ")}, got ${JSON.stringify(presence)}`);
    chip = {
      udpPort: port("--udp-port", v["udp-port"], UDP_DEFAULT_LISTEN_PORT, 0),
      replyPort: port("--reply-port", v["reply-port"], UDP_DEFAULT_REPLY_PORT, 1),
      presence: presence as PresenceName,
      serial: v.serial ?? `SIM-${v.name ?? "chip"}`,
      unlocked: v.unlocked ?? false,
    };
    if (!/^[\x21-\x7e]{1,32}$/.test(chip.serial)) throw new UsageError("--serial: 1..32 printable ASCII characters");
  } else {
    for (const f of ["udp-port", "reply-port", "presence", "unlocked"] as const) {
      if (v[f] !== undefined) throw new UsageError(`--${f} is for the chip`);
    }
    if (v.serial !== undefined && model !== "audio-reader") throw new UsageError("--serial is for the chip and the audio reader");
  }
  let reader: ReaderArgs | undefined;
  if (model === "audio-reader") {
    if (v.keys !== undefined && v.out === undefined) throw new UsageError("--keys goes with --out");
    const serial = v.serial ?? `SIM-${v.name ?? "reader"}`;
    if (!/^[\x21-\x7e]{1,32}$/.test(serial)) throw new UsageError("--serial: 1..32 printable ASCII characters");
    reader = { out: v.out, play: v.play ?? false, keys: v.keys !== undefined ? parseKeys(v.keys) : ["main"], json: v.json ?? false, voice: v.voice, blank: v.blank ?? false, serial };
  } else {
    for (const f of ["out", "play", "keys", "voice", "blank"] as const) {
      if (v[f] !== undefined) throw new UsageError(`--${f} is for the audio reader`);
    }
  }
  let http: number | undefined;
  if (v.http !== undefined) {
    http = Number(v.http);
    if (!/^\d+$/.test(v.http) || http > 65535) throw new UsageError(`--http takes a TCP port 0..65535, got ${JSON.stringify(v.http)}`);
  }
  let drift: number | undefined;
  if (v.drift !== undefined) {
    drift = Number(v.drift);
    if (v.drift.trim() === "" || !Number.isFinite(drift) || Math.abs(drift) >= 1e6) throw new UsageError(`--drift takes a number of ppm, got ${JSON.stringify(v.drift)}`);
  }
  const name = v.name ?? (model === "chip" ? "chip" : model === "audio-reader" ? "reader" : "display");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`--name: use letters, digits, '.', '_', '-'`);
  const { makerKeys, revoked } = parseMakerKeys(v["maker-key"], v.revoked, v.image);
  return {
    model: model as SimArgs["model"], chip, reader, name, http, drift, makerKeys, revoked,
    flash: v.flash, pty: v.pty, rngSeed: v["rng-seed"], image: v.image,
    plain: v.json === true || (v.plain ?? !ctx.stdout.isTTY),
    json: v.json === true,
  };
}

/** --maker-key (repeatable, SPKI PEM files) and --revoked MASK: the boot ROM's manufacture page. */
function parseMakerKeys(files: string[] | undefined, revokedText: string | undefined, image: string | undefined): { makerKeys: string[] | undefined; revoked: number } {
  if (files === undefined) {
    if (revokedText !== undefined) throw new UsageError("--revoked goes with --maker-key");
    return { makerKeys: undefined, revoked: 0 };
  }
  if (files.length > MAX_MAKER_KEYS) throw new UsageError(`--maker-key: at most ${MAX_MAKER_KEYS} keys`);
  if (image === undefined) throw new UsageError("--maker-key needs --image: a factory image signed by one of the keys (segl image pack --key)");
  const makerKeys = files.map((f) => {
    let pem: string;
    try { pem = readFileSync(f, "utf8"); } catch (e) { throw new UsageError(`--maker-key: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
    try { loadPublicKey(pem); } catch { throw new UsageError(`--maker-key: ${f} is not a P-256 public key (SPKI PEM)`); }
    return pem;
  });
  let revoked = 0;
  if (revokedText !== undefined) {
    revoked = Number(revokedText);
    if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(revokedText) || revoked > 15) throw new UsageError(`--revoked takes a mask 0..15 (bit i = key i), got ${JSON.stringify(revokedText)}`);
  }
  return { makerKeys, revoked };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  if (args[0] === "web") return (await import("./sim-web.js")).run(args.slice(1), ctx);
  const a = parse(args, ctx);
  if (a === "help") {
    ctx.stdout.write(help(ctx.prog));
    return EXIT_OK;
  }

  const imagePath = a.image !== undefined ? resolve(a.image) : DEFAULT_IMAGE_PATH;
  if (!existsSync(imagePath)) throw Object.assign(new Error(`no firmware image at ${imagePath}; build it with \`npm run build:firmware\``), { code: "IMAGE_MISSING" });
  // With maker keys the factory image is a signed file (checked here against the keys: a clear error
  // rather than a device whose boot ROM finds nothing to boot); its payload is what runs.
  let factory: Uint8Array | undefined;
  let image: FirmwareImage;
  if (a.makerKeys) {
    factory = new Uint8Array(readFileSync(imagePath));
    const parsed = verifyImage(factory, a.makerKeys);
    if ((a.revoked >> parsed.header.keyIndex) & 1) throw new UsageError(`--image is signed with maker key ${parsed.header.keyIndex}, which --revoked revokes`);
    image = imageFromBytes(parsed.payload.slice(), imagePath);
  } else image = loadImage(imagePath);
  let chipSerial = "";
  let voice: Uint8Array | undefined;
  if (a.reader) {
    const voicePath = a.reader.voice !== undefined ? resolve(a.reader.voice) : DEFAULT_VOICE_PACK_PATH;
    if (!existsSync(voicePath)) throw Object.assign(new Error(`no voice pack at ${voicePath}`), { code: "VOICE_MISSING" });
    voice = loadVoicePackFile(voicePath);
  }
  const once = a.reader?.out !== undefined;
  if (once && a.reader!.play && !findPlayer(ctx.env)) throw Object.assign(new Error(noPlayerMessage(ctx.prog)), { code: "NO_PLAYER" });
  // --out runs on a manual clock: the speech is rendered at once, not in real time. The clock starts
  // 1 s into the current 30 s step, so the code is heard whole (not followed by "new code").
  const sim = new Simulator(once ? { mode: "manual", startMs: Math.floor(Date.now() / 30_000) * 30_000 + 1000, image } : { mode: "real", image });
  let bridge: PtyBridge | undefined;
  let udp: UdpBridge | undefined;
  let presence: UserPresence | undefined;
  let server: ControlServer | undefined;
  const cleanup = async () => {
    presence?.detach();
    await udp?.close().catch(() => {});
    await bridge?.close().catch(() => {});
    await server?.close().catch(() => {});
    sim.close();
  };
  let device: Device;
  try {
    device = sim.add({
      name: a.name,
      flashFile: a.flash !== undefined ? resolve(a.flash) : undefined,
      rngSeed: a.rngSeed,
      driftPpm: a.drift,
      voice,
      ...(a.makerKeys ? { bootRom: { makerKeys: a.makerKeys, revoked: a.revoked }, slots: { A: factory! } } : {}),
    });
    if (a.reader && !a.reader.blank && (await isBlank(device))) {
      await provisionReader(device, a.reader.serial, sim.clock.now());
    }
    if (once) {
      try {
        return await runReaderOnce(sim, device, { out: resolve(a.reader!.out!), play: a.reader!.play, keys: a.reader!.keys, json: a.reader!.json }, ctx);
      } finally {
        await cleanup();
      }
    }
    if (a.chip) {
      const info = provisionChip(device, { serial: a.chip.serial, lock: !a.chip.unlocked });
      chipSerial = info.serial;
      udp = await UdpBridge.open(device, { listenPort: a.chip.udpPort, replyPort: a.chip.replyPort });
      presence = attachPresence(device, a.chip.presence);
    }
    if (a.pty !== undefined) bridge = await PtyBridge.open(device, { path: a.pty });
    if (a.http !== undefined) server = await startControlServer(sim, { port: a.http });
  } catch (err) {
    await cleanup();
    if (err instanceof UdpBridgeError || err instanceof ChipError) throw Object.assign(new Error(err.message), { code: "SIM_START" });
    throw err;
  }

  const err = ctx.stderr;
  err.write(`${ctx.prog}: ${a.name} (${a.chip ? "chip" : a.reader ? "audio reader" : "code display"}) running image ${image.sha256.slice(0, 12)}… in real time\n`);
  if (a.flash !== undefined) err.write(`  flash:       ${resolve(a.flash)}\n`);
  if (a.chip) err.write(`  chip serial: ${chipSerial}\n`);
  if (udp) err.write(`  CTAPHID/UDP: listening on 127.0.0.1:${udp.listenPort}, replying to ${udp.replyHost}:${udp.replyPort}\n`);
  if (a.chip) err.write(`  presence:    ${a.chip.presence}${a.chip.presence === "manual" ? " (press Enter when the LED asks for a touch)" : ""}\n`);
  if (bridge) err.write(`  serial port: ${bridge.path} (-> ${bridge.ptsPath})\n`);
  if (server) err.write(`  control API: ${server.url}/devices/${a.name}\n`);
  if (a.reader) err.write(`  keys:        Enter/space main · a repeat · + - volume · f s speed · l language · h headset · r reboot · q quit\n`);
  else err.write(`  keys:        Enter ${a.chip ? "touch" : "press"} · r reboot · q quit\n`);
  if (a.json) {
    ctx.stdout.write(JSON.stringify({
      event: "ready", name: a.name, model: a.model, image: image.sha256, serial: a.chip ? chipSerial : a.reader ? a.reader.serial : null,
      udp: udp ? { listenPort: udp.listenPort, replyPort: udp.replyPort } : null, pty: bridge?.path ?? null, control: server ? server.url : null,
    }) + "\n");
  }
  let live: ChildProcess | undefined;
  if (a.reader?.play) {
    const player = findPlayer(ctx.env);
    if (!player) {
      await cleanup();
      throw Object.assign(new Error(noPlayerMessage(ctx.prog)), { code: "NO_PLAYER" });
    }
    live = startRawPlayer(player, AUDIO_RATE, ctx.env);
    const feed = (pcm: Int16Array) => { live?.stdin?.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)); };
    device.on("audio", feed);
    err.write(`  audio:       playing live through ${player.name}\n`);
  }

  const screen = new Screen(ctx.stdout, !a.plain);
  const frame = () => {
    if (a.json) return JSON.stringify({ event: "state", power: device.state, display: device.display, led: device.led }) + "\n";
    if (a.chip) {
      const led = device.led ? "● on " : "○ off";
      const ask = presence?.waiting ? (a.chip.presence === "manual" ? " · touch needed: press Enter" : " · touch needed") : "";
      return a.plain ? `led: ${device.led ? "on" : "off"}\n` : `${a.name} · power ${device.state} · LED ${led}${ask}\n`;
    }
    const lcd = renderTerminal(device.display, { frame: !a.plain });
    const status = a.reader
      ? `${a.name} · power ${device.state} · ${device.audio.output}`
      : `${a.name} · power ${device.state} · LED ${device.led ? "on" : "off"}`;
    return a.plain ? `display: ${JSON.stringify(device.display)}\n${lcd}\n` : `${lcd}\n${status}\n`;
  };
  let stopping = false;
  const log = (msg: string) => {
    if (stopping) return;
    if (a.json) ctx.stdout.write(JSON.stringify({ event: "log", message: msg.trimEnd() }) + "\n");
    else screen.around(() => err.write(msg.endsWith("\n") ? msg : msg + "\n"));
  };
  const redraw = () => { if (!stopping) screen.draw(frame()); };
  redraw();
  device.on("display", redraw);
  device.on("led", () => { if (!a.plain || a.chip) redraw(); });
  presence?.on("request", (r) => {
    if (a.plain) log(`touch requested (${r.kind}, channel ${r.cid.toString(16).padStart(8, "0")})${a.chip?.presence === "manual" ? ": press Enter" : ""}`);
    else redraw();
  });
  presence?.on("press", (r) => log(`touched (${r.kind}) by the ${a.chip?.presence} policy`));
  presence?.on("decision", (r, d) => { if (d === "deny") log(`touch refused (${r.kind}) by the deny policy`); });
  device.on("power", (s) => { if (a.plain) log(`power: ${s}`); else redraw(); });
  device.on("fault", (f) => log(`fault: ${f.kind} code ${f.code} line ${f.line}: ${f.message}`));
  bridge?.on("restart", (pts) => log(`serial port: socat restarted (-> ${pts})`));
  bridge?.on("stopped", (e) => log(`serial port stopped: ${e.message}`));

  const serving = bridge !== undefined || server !== undefined || udp !== undefined;
  const stdin = ctx.stdin;
  const raw = stdin.isTTY === true && !a.plain;
  let code: number = EXIT_OK;
  const cleanups: (() => void)[] = [];
  await new Promise<void>((done) => {
    let finished = false;
    const quit = (c: number = EXIT_OK) => {
      if (finished) return;
      finished = true;
      code = c;
      done();
    };
    const onKey = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === "string" ? chunk : chunk.toString("latin1")) {
        const readerKey = a.reader ? READER_KEY_CHARS[ch] : undefined;
        if (readerKey !== undefined) {
          if (readerKey === "headset") device.setHeadset(device.audio.output !== "headset");
          else device.click(READER_KEYS[readerKey]);
        } else if (ch === (raw ? "\r" : "\n") || (raw && ch === " ")) device.click();
        else if (ch === "q" || ch === "Q" || ch === "\x03" || ch === "\x04") { quit(); return; }
        else if (ch === "r" || ch === "R") device.reboot();
      }
    };
    const onEnd = () => { if (!serving) quit(); };
    const onSignal = () => quit();
    if (raw) stdin.setRawMode(true);
    stdin.on("data", onKey);
    stdin.on("end", onEnd);
    stdin.resume();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    cleanups.push(() => {
      stdin.off("data", onKey);
      stdin.off("end", onEnd);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    });
  });
  stopping = true;
  for (const c of cleanups.splice(0)) c();
  screen.end();
  live?.stdin?.end();
  live?.kill();
  await cleanup();
  err.write(`${ctx.prog}: stopped\n`);
  if (a.json) ctx.stdout.write(JSON.stringify({ event: "stopped" }) + "\n");
  return code;
}

/** Draws a block of lines, redrawing it in place on a terminal (or appending when plain). */
class Screen {
  private lines = 0;
  private lastText: string | undefined;
  constructor(private readonly out: NodeJS.WriteStream, private readonly inPlace: boolean) {
    if (inPlace) out.write("\x1b[?25l"); // hide the cursor while we own the screen
  }

  draw(text: string): void {
    this.lastText = text;
    if (this.inPlace) {
      this.erase();
      this.lines = text.split("\n").length - 1;
    }
    this.out.write(text);
  }

  /** Writes something else (a log line) without breaking the in-place block. */
  around(write: () => void): void {
    if (!this.inPlace) { write(); return; }
    const last = this.lastText;
    this.erase();
    this.lines = 0;
    write();
    if (last !== undefined) this.draw(last);
  }

  end(): void {
    if (this.inPlace) this.out.write("\x1b[?25h");
  }

  private erase(): void {
    if (this.lines > 0) this.out.write(`\x1b[${this.lines}F\x1b[J`);
  }
}
