// The simulator's browser page (docs/simulator.md "In a browser"): devices run here, in the tab, from
// the shipping image served next to this bundle; each one's flash is kept in IndexedDB.
import { Device, SimClock, imageFromBytes, hex, AUDIO_RATE, READER_KEYS, signImageForTest, type FirmwareImage } from "../src/browser/index.js";
import { MemoryTransport, type ByteEndpoint } from "../../host-sdk/src/transport/memory.js";
import { ServiceClient } from "../../host-sdk/src/protocols/service/client.js";
import { PageBroker, describeVerdict, type BrokerState } from "./broker.js";
import { storeView } from "./store-view.js";
import { el } from "./dom.js";
import { UartDecoder } from "./uart-log.js";
import { LogHistory } from "./log-history.js";
import { provisionDevice } from "../../host-sdk/src/provision-device.js";
import { updateFirmware } from "../../host-sdk/src/protocols/service/update.js";
import type { HidEndpoint } from "../../host-sdk/src/transport/hid-memory.js";
import { CtapHidLog } from "./ctaphid-log.js";
import { PageRelyingParty, attestAndLock, createMakerRoot, openChip, type ChipLink, type MakerRoot, type PageAccount } from "./chip-fido.js";
import { fidoPanel, touchControl, type TouchControl } from "./fido-panel.js";

type Model = "code-display" | "audio-reader" | "chip";
interface Saved {
  id: string; model: Model; serial: string; flash: Uint8Array; bootFlash?: Uint8Array; seed?: Uint8Array; driftPpm: number; rngSeed: string; broker?: BrokerState;
  /** A chip's accounts registered with the page's relying party, and the copy of its flash kept for a clone. */
  accounts?: PageAccount[]; flashCopy?: Uint8Array;
}
interface Live { saved: Saved; device: Device; root: HTMLElement; log: HTMLOListElement; lastOps: number; touch?: TouchControl; dispose(keepDevice?: boolean): void }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const clock = new SimClock({ mode: "real" });
// The SDK's TotpVerifier on a MemoryStore, on the page's clock; each device's verifier state is kept in its Saved.
const broker = new PageBroker(() => clock.now());
const live = new Map<string, Live>();
let image: FirmwareImage;
let voice: Uint8Array | undefined;
/** The next test image as served (firmware-next.wasm), and its version; signed in the page when an update is asked for. */
let next: { file: string; sha256: string; version: string } | undefined;
let nextSigned: Promise<Uint8Array> | undefined;
/** The page as relying party for its chips, and the maker roots it knows (kept in localStorage). */
let rp: PageRelyingParty | undefined;
let roots: { trusted: MakerRoot; stranger: MakerRoot } | undefined;

// ---------------------------------------------------------------- IndexedDB
const dbReady: Promise<IDBDatabase> = new Promise((resolve, reject) => {
  const r = indexedDB.open("segl-sim", 1);
  r.onupgradeneeded = () => r.result.createObjectStore("devices", { keyPath: "id" });
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});
async function tx<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await dbReady;
  return new Promise((resolve, reject) => {
    const req = f(db.transaction("devices", mode).objectStore("devices"));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
const save = (s: Saved): Promise<IDBValidKey> => tx("readwrite", (st) => st.put(s));

// ---------------------------------------------------------------- devices
const MODEL_LABEL: Record<Model, string> = { "code-display": "Code display", "audio-reader": "Audio code reader", chip: "FIDO chip" };

/** State kept per device across rebuilds of its view, made on first use. */
function perDevice<T>(make: () => T): (d: Device) => T {
  const m = new WeakMap<Device, T>();
  return (d) => {
    let x = m.get(d);
    if (x === undefined) m.set(d, (x = make()));
    return x;
  };
}

// The view shows the newest lines; each device's whole log (up to 10,000 lines) is kept for "Save".
const SHOWN_LOG_LINES = 200;
const historyOf = perDevice(() => new LogHistory());
function logLine(l: Live, text: string): void {
  const line = `${new Date(clock.now()).toISOString().slice(11, 23)} ${text}`;
  historyOf(l.device).add(line);
  l.log.prepend(el("li", {}, line));
  while (l.log.childElementCount > SHOWN_LOG_LINES) l.log.lastElementChild!.remove();
}
/** Downloads the device's whole kept log as a text file. */
function saveLog(serial: string, device: Device): void {
  const url = URL.createObjectURL(new Blob([historyOf(device).text(serial)], { type: "text/plain" }));
  const a = el("a", { href: url, download: `${serial}-event-log.txt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Each device's UART, both directions, read as service frames (kept across a rebuild of its view).
const decoders = perDevice(() => ({ toHost: new UartDecoder("←"), toDevice: new UartDecoder("→") }));
/** The device's UART for the page's host side: what the host sends is logged as frames before the device reads it. */
function loggedUart(id: string, d: Device): ByteEndpoint {
  return {
    uartWrite(b) {
      const l = live.get(id);
      const lines = decoders(d).toDevice.push(b);
      if (l) for (const line of lines) logLine(l, line);
      d.uartWrite(b);
    },
    on: (ev, cb) => d.on(ev, cb),
    off: (ev, cb) => d.off(ev, cb),
  };
}

// Each chip's CTAPHID reports, both directions, read as messages (kept across a rebuild of its view).
const hidLog = perDevice(() => new CtapHidLog());
/** The chip's HID for the page's host side: what the host sends is logged as messages before the chip reads it. */
function loggedHid(id: string, d: Device): HidEndpoint {
  return {
    hidWrite(r) {
      const l = live.get(id);
      const lines = hidLog(d).fromHost(r);
      if (l) for (const line of lines) logLine(l, line);
      d.hidWrite(r);
    },
    on: (ev, cb) => d.on(ev, cb),
    off: (ev, cb) => d.off(ev, cb),
  };
}

let audioCtx: AudioContext | undefined;
let playAt = 0;
function play(samples: Int16Array): void {
  audioCtx ??= new AudioContext();
  const buf = audioCtx.createBuffer(1, samples.length, AUDIO_RATE);
  const ch = buf.getChannelData(0);
  for (let i = 0; i < samples.length; i++) ch[i] = samples[i]! / 32768;
  const src = audioCtx.createBufferSource();
  src.buffer = buf;
  src.connect(audioCtx.destination);
  // The DAC's chunks one after another, not on top of each other.
  playAt = Math.max(playAt, audioCtx.currentTime);
  src.start(playAt);
  playAt += buf.duration;
}

function drawFlash(l: Live, box: HTMLElement): void {
  const f = l.device.flash;
  const { pageSize } = f.geometry;
  const stats = f.stats();
  const pages = storeView(f.bytes, pageSize);
  if (box.childElementCount !== pages.length) box.replaceChildren(...pages.map(() => el("div", { className: "page", role: "listitem" })));
  for (const p of pages) {
    const pct = (n: number) => Math.round((n * 100) / pageSize);
    const cell = box.children[p.page] as HTMLElement;
    const head = p.state === "active" ? `active, log position ${p.seq}` : p.state;
    // The store's own erase count (page header) when it has one; else the erases seen since the page loaded.
    const erases = p.eraseCount ?? stats.eraseCounts[p.page]!;
    const text = `page ${p.page}: ${head}; ${p.live} bytes live, ${p.dead} bytes dead; erase count ${erases}`;
    if (cell.getAttribute("aria-label") === text) continue;
    cell.setAttribute("aria-label", text);
    cell.dataset.state = p.state;
    cell.replaceChildren(
      el("div", { className: "bar", "aria-hidden": "true" }, el("span", { className: "live", style: `width:${pct(p.live)}%` } as Record<string, unknown>), el("span", { className: "dead", style: `width:${pct(p.dead)}%` } as Record<string, unknown>)),
      el("span", { "aria-hidden": "true" }, `p${p.page} ${p.state === "active" ? `#${p.seq}` : p.state}`), el("br"),
      el("span", { "aria-hidden": "true" }, `L${p.live} D${p.dead} e${erases}`));
  }
}

/** The page's broker for one enrolled display or reader: type a code (or take the LCD's) and verify it. */
function brokerView(saved: Saved, lcd: HTMLElement): HTMLElement {
  const seed = saved.seed!;
  const code = el("input", { type: "text", inputMode: "numeric", autocomplete: "off", id: `${saved.id}-code` } as Record<string, unknown>);
  const verdict = el("output", { className: "verdict", role: "status", "data-testid": "verdict" });
  const ready = broker.enroll(saved.id, seed, saved.broker);
  const check = async (): Promise<void> => {
    await ready;
    const v = await broker.verify(saved.id, code.value.trim());
    saved.broker = await broker.state(saved.id);
    void save(saved);
    verdict.textContent = `${code.value.trim() || "(empty)"}: ${describeVerdict(v)}`;
  };
  return el("fieldset", {}, el("legend", {}, "Broker (in this page)"),
    el("p", {}, "Enrolled seed (hex) ", el("code", { "data-testid": "seed" }, hex(seed))),
    el("div", { className: "row" },
      el("label", { for: code.id }, "Code to verify"), code,
      el("button", { type: "button", onclick: () => void check(), "data-testid": "verify" } as Record<string, unknown>, "Verify"),
      el("button", { type: "button", onclick: () => { code.value = (lcd.textContent ?? "").trim(); void check(); }, "data-testid": "verify-lcd" } as Record<string, unknown>, "Verify the code on the LCD"),
      verdict));
}

function addDeviceView(saved: Saved, device: Device, keptLog?: HTMLOListElement): Live {
  const id = saved.id;
  const lcd = el("output", { className: "lcd", "aria-live": "polite", "aria-label": `${saved.serial} LCD`, "data-testid": "lcd" }, device.display || " ");
  const power = el("span", { "data-testid": "power" }, `power: ${device.state}`);
  const log = keptLog ?? el("ol", { className: "log", "aria-label": `${saved.serial} event log`, "aria-live": "polite", tabIndex: 0 } as Record<string, unknown>);
  const flashBox = el("div", { className: "flash", role: "list", "aria-label": `${saved.serial} flash pages` });
  const flashSummary = el("p", { "data-testid": "flash-summary" });
  const btn = (label: string, fn: () => void, testid?: string) => el("button", { type: "button", onclick: fn, ...(testid ? { "data-testid": testid } : {}) } as Record<string, unknown>, label);
  const field = (label: string, input: HTMLInputElement) => { input.id = `${id}-${label.replace(/\W+/g, "-")}`; return [el("label", { for: input.id }, label), input]; };
  const drift = el("input", { type: "number", value: String(saved.driftPpm), step: "1" });
  const cutN = el("input", { type: "number", value: "1", min: "1", step: "1" });
  const seed = el("input", { type: "text", value: saved.rngSeed });
  const rtcSkew = el("input", { type: "number", value: "0", step: "1" });
  const controls: HTMLElement[] = [];
  if (saved.model === "code-display") controls.push(btn("Press button", () => device.click(), "press"));
  if (saved.model === "audio-reader") controls.push(btn("Press main key (speak)", () => device.click(READER_KEYS.main), "press"), btn("Repeat", () => device.click(READER_KEYS.repeat)),
    btn("Volume up", () => device.click(READER_KEYS.volumeUp)), btn("Volume down", () => device.click(READER_KEYS.volumeDown)),
    btn("Faster", () => device.click(READER_KEYS.speedUp), "speed-up"), btn("Slower", () => device.click(READER_KEYS.speedDown)), btn("Language", () => device.click(READER_KEYS.language)));
  if (next) {
    const to = next;
    controls.push(btn(`Update to ${to.version}`, () => void update(l, to), "update"));
  }
  const touch = saved.model === "chip" ? touchControl(id, () => device.click(), (line) => logLine(l, line)) : undefined;
  if (saved.model === "chip") {
    controls.push(btn("Touch", () => { logLine(l, "touched"); device.click(); }, "press"), btn("CTAP2 getInfo over CTAPHID", () => void (async () => {
      let link: ChipLink | undefined;
      try {
        link = await openChip(loggedHid(id, device));
        const i = await link.ctap.getInfo();
        logLine(l, `getInfo answered: versions ${i.versions.join(", ")}, AAGUID ${hex(i.aaguid)}`);
      } catch (e) {
        logLine(l, `getInfo failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        await link?.close();
      }
    })(), "get-info"));
  }
  const running = el("span", { "data-testid": "running" });
  const led = el("span", { className: "led", "data-on": String(device.led), "aria-live": "polite" }, `LED ${device.led ? "on" : "off"}`);
  const view = el("article", { className: "device", "aria-labelledby": `${id}-h`, "data-device": id },
    el("h3", { id: `${id}-h` }, `${MODEL_LABEL[saved.model]} ${saved.serial}`),
    el("div", { className: "row" }, ...(saved.model === "chip" ? [led] : [lcd]), ...controls, ...(touch ? [touch.element] : []), power, running),
    el("fieldset", {}, el("legend", {}, "Control plane"),
      el("div", { className: "row" },
        ...field("Drift (ppm)", drift), btn("Set drift", () => { device.setDriftPpm(Number(drift.value)); saved.driftPpm = Number(drift.value); void save(saved); }),
        ...field("RTC skew (s)", rtcSkew), btn("Set RTC", () => device.setRtcMs(clock.now() + Number(rtcSkew.value) * 1000))),
      el("div", { className: "row" },
        btn("Reboot", () => device.reboot(), "reboot"), btn("Power cut now", () => device.cutPower(), "cut-now"), btn("Power on", () => device.powerOn(), "power-on"),
        ...field("Cut at flash write N", cutN), btn("Arm power cut", () => { device.cutPowerAtFlashOperation(Number(cutN.value)); logLine(l, `power cut armed at flash operation ${cutN.value}`); }, "arm-cut")),
      el("div", { className: "row" },
        ...field("RNG seed", seed), btn("Set RNG seed", () => { device.setRngSeed(seed.value || undefined); saved.rngSeed = seed.value; void save(saved); }),
        btn("Remove device", () => void remove(id), "remove"))),
    el("details", {}, el("summary", {}, "Flash"), flashSummary,
      el("p", {}, "Each page: state (active with its log position, free, blank, torn), L bytes of live records (solid bar), D bytes of dead records (striped bar), e erase count."), flashBox),
    el("details", { open: true }, el("summary", {}, "Event log"),
      el("p", {}, `Newest first; the newest ${SHOWN_LOG_LINES} lines are shown. `, btn("Save the event log", () => saveLog(saved.serial, device), "save-log"),
        " downloads all of it (up to 10,000 lines) as a text file, oldest first."),
      log),
    ...(saved.seed ? [brokerView(saved, lcd)] : []),
    ...(touch && rp && roots ? [fidoPanel({
      id, rp, trustedName: roots.trusted.name, strangerName: roots.stranger.name, accounts: (saved.accounts ??= []),
      openLink: () => openChip(loggedHid(id, device)),
      copyFlash: () => { saved.flashCopy = device.snapshotFlash(); void save(saved); },
      restoreFlash: () => { if (!saved.flashCopy) return false; device.restoreFlash(saved.flashCopy); return true; },
      saveAccounts: () => void save(saved), log: (line) => logLine(l, line),
    }, touch)] : []),
  );
  $("devices").append(view);
  const l: Live = { saved, device, root: view, log, lastOps: 0, ...(touch ? { touch } : {}), dispose: () => undefined };
  const onDisplay = (t: string) => { lcd.textContent = t || " "; lcd.dataset.rtc = String(device.rtcMs()); logLine(l, `display "${t}"`); };
  const onUart = (b: Uint8Array) => { for (const line of decoders(device).toHost.push(b)) logLine(l, line); };
  const onHid = (b: Uint8Array) => { for (const line of hidLog(device).fromDevice(b)) logLine(l, line); };
  const onLed = (on: boolean) => { led.dataset.on = String(on); led.textContent = `LED ${on ? "on" : "off"}`; logLine(l, `LED ${on ? "on" : "off"}`); };
  // Audio: every chunk is played at once; the log gets one line per burst (a pause of 300 ms ends it).
  let heard = 0, burst = 0, burstTimer: ReturnType<typeof setTimeout> | undefined;
  const onAudio = (s: Int16Array) => {
    heard += s.length; burst += s.length;
    view.dataset.audioSamples = String(heard);
    play(s);
    clearTimeout(burstTimer);
    burstTimer = setTimeout(() => { logLine(l, `audio out: ${burst} samples, ${(burst / AUDIO_RATE).toFixed(2)} s at ${AUDIO_RATE} Hz`); burst = 0; }, 300);
  };
  const showRunning = (): void => {
    const b = device.lastBootChoice, r = device.bootRecord();
    const v = b ? `${b.header.version >> 16}.${(b.header.version >> 8) & 0xff}.${b.header.version & 0xff}` : "none";
    running.textContent = `running: image ${v} from slot ${b?.slot ?? "-"}; boot record #${r.seq}: active ${r.active}${r.pending ? `, pending ${r.pending}` : ""}${r.trial ? ", on trial" : ""}, counter ${r.counter}`;
  };
  showRunning();
  const onPower = (s: string) => { power.textContent = `power: ${s}`; logLine(l, `power ${s}`); showRunning(); };
  const onFault = (f: { kind: string; message: string }) => logLine(l, `fault ${f.kind}: ${f.message}`);
  device.on("display", onDisplay); device.on("uart", onUart); device.on("hid", onHid); device.on("led", onLed);
  device.on("audio", onAudio); device.on("power", onPower); device.on("fault", onFault);
  const flashDetails = flashBox.parentElement as HTMLDetailsElement;
  flashDetails.addEventListener("toggle", () => { if (flashDetails.open) drawFlash(l, flashBox); });
  const timer = setInterval(() => {
    const st = device.flash.stats();
    const ops = st.writes + st.erases + device.bootRom.operations();
    flashSummary.textContent = `Since this page loaded: ${st.writes} writes, ${st.erases} erases, ${st.bytesWritten} bytes written.`;
    if (flashDetails.open) drawFlash(l, flashBox);
    if (ops !== l.lastOps) { l.lastOps = ops; keep(saved, device); void save(saved); showRunning(); }
  }, 250);
  l.dispose = (keepDevice = false) => { clearInterval(timer); device.removeAllListeners(); if (!keepDevice) device.dispose(); view.remove(); };
  live.set(id, l);
  $("no-devices").hidden = live.size > 0;
  return l;
}

function makeDevice(saved: Saved, fresh: boolean): Device {
  const d = new Device({
    image, clock, name: saved.id, rtcMs: clock.now(), driftPpm: saved.driftPpm, powerOn: false,
    ...(saved.rngSeed ? { rngSeed: saved.rngSeed } : {}), ...(saved.model === "audio-reader" && voice ? { voice } : {}),
  });
  if (!fresh) d.flash.restore(saved.flash);
  if (!fresh && saved.bootFlash) d.restoreBootFlash(saved.bootFlash);
  d.powerOn();
  return d;
}

/** Both flashes into the record kept in IndexedDB (the boot flash once it was ever written: an update). */
function keep(saved: Saved, d: Device): void {
  saved.flash = d.snapshotFlash();
  const boot = d.snapshotBootFlash();
  if (boot) saved.bootFlash = boot;
}

/**
 * Updates a device to the next test image with the SDK's updateFirmware: a display or reader over its UART,
 * a chip over its HID tunnel (a new download waits for a touch of the chip); the frames or reports and the
 * progress go to its log.
 */
async function update(l: Live, to: { file: string; sha256: string; version: string }): Promise<void> {
  nextSigned ??= (async () => {
    const bytes = new Uint8Array(await (await fetch(to.file)).arrayBuffer());
    const digest = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    if (digest !== to.sha256) throw new Error(`${to.file} SHA-256 ${digest} does not match the announced ${to.sha256}`);
    const [major, minor, patch] = to.version.split(".").map(Number) as [number, number, number];
    return signImageForTest(bytes, { version: (major << 16) | (minor << 8) | patch, securityCounter: 1 });
  })();
  const id = l.saved.id, device = l.device;
  const chip = l.saved.model === "chip";
  let link: ChipLink | undefined;
  const t = chip ? undefined : new MemoryTransport(loggedUart(id, device));
  let lastPhase = "";
  try {
    const file = await nextSigned;
    logLine(l, `update to ${to.version}: image of ${file.length} bytes signed with the simulator's test maker key`);
    if (chip) link = await openChip(loggedHid(id, device));
    const r = await updateFirmware(link ? link.service : new ServiceClient(t!), file, {
      onProgress: (p) => {
        if (p.phase === "touch") { l.touch?.waiting("update"); return; }
        if (p.phase === "data") l.touch?.done();
        if (p.phase === "data" && p.sent < p.total && p.sent % (16 * 1016) !== 0) return; // a progress line every 16 chunks
        if (p.phase === lastPhase && p.phase !== "data") return;
        lastPhase = p.phase;
        logLine(live.get(id) ?? l, `update ${p.phase}: ${p.sent} / ${p.total} B`);
      },
    });
    logLine(live.get(id) ?? l, `updated: INFO reports firmware ${r.info.firmwareVersion} after the trial boot`);
  } catch (e) {
    logLine(live.get(id) ?? l, `update failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    l.touch?.done();
    await t?.close();
    await link?.close();
  }
  keep(l.saved, device);
  await save(l.saved);
}

let counter = 0;
async function add(model: Model): Promise<void> {
  const n = Date.now().toString(36) + (counter++).toString(36);
  const saved: Saved = { id: `dev-${n}`, model, serial: `SIM-${model === "chip" ? "CHIP" : model === "audio-reader" ? "READ" : "DISP"}-${n.slice(-6).toUpperCase()}`, flash: new Uint8Array(0), driftPpm: 0, rngSeed: "" };
  const device = makeDevice(saved, true);
  const l = addDeviceView(saved, device);
  if (model === "chip") {
    // As it leaves the factory: a chip, with a batch attestation issued by the page's maker root, locked.
    // Everything over CTAPHID with the SDK: PROVISION through the service tunnel, then the attestation and LOCK.
    const link = await openChip(loggedHid(saved.id, device));
    try {
      await provisionDevice(link.service, { model: "chip", serial: saved.serial, timeMs: clock.now(), lock: false });
      await attestAndLock(link, roots!.trusted, clock.now());
    } finally {
      await link.close();
    }
    logLine(live.get(saved.id)!, `provisioned as a chip and locked: serial ${saved.serial}, batch attestation issued by “${roots!.trusted.name}”`);
  } else {
    const t = new MemoryTransport(loggedUart(saved.id, device));
    try {
      const p = await provisionDevice(new ServiceClient(t), { model, algorithm: "SHA1", digits: 6, period: 30, serial: saved.serial, timeMs: clock.now(), lock: true });
      saved.seed = p.seed;
    } finally {
      await t.close();
    }
    l.dispose(true); live.delete(saved.id);
    saved.flash = device.snapshotFlash();
    // The view rebuilt with the broker panel (the same device: one Wasm instance per device).
    logLine(addDeviceView(saved, device, l.log), `provisioned over the UART and locked: serial ${saved.serial}, seed enrolled in the page's broker`);
  }
  keep(saved, live.get(saved.id)!.device);
  await save(saved);
  $("image-status").dataset.ready = String(live.size);
}

/** The page's maker root (it attests the chips added here) and another maker's, made once and kept in localStorage. */
function makerRoots(): { trusted: MakerRoot; stranger: MakerRoot } {
  const KEY = "segl-sim-maker-roots";
  type Kept = { name: string; ca: { certificateDer: number[]; certificatePem: string; privateKey: number[]; publicKey: number[] } };
  const revive = (k: Kept): MakerRoot => ({ name: k.name, ca: { certificateDer: Uint8Array.from(k.ca.certificateDer), certificatePem: k.ca.certificatePem, privateKey: Uint8Array.from(k.ca.privateKey), publicKey: Uint8Array.from(k.ca.publicKey) } });
  const kept = localStorage.getItem(KEY);
  if (kept) {
    const k = JSON.parse(kept) as { trusted: Kept; stranger: Kept };
    return { trusted: revive(k.trusted), stranger: revive(k.stranger) };
  }
  const made = { trusted: createMakerRoot("Segl simulator maker root", "Segl simulator"), stranger: createMakerRoot("Another maker's root", "Another maker") };
  const flat = (r: MakerRoot): Kept => ({ name: r.name, ca: { certificateDer: [...r.ca.certificateDer], certificatePem: r.ca.certificatePem, privateKey: [...r.ca.privateKey], publicKey: [...r.ca.publicKey] } });
  localStorage.setItem(KEY, JSON.stringify({ trusted: flat(made.trusted), stranger: flat(made.stranger) }));
  return made;
}

async function remove(id: string): Promise<void> {
  live.get(id)?.dispose();
  live.delete(id);
  $("no-devices").hidden = live.size > 0;
  await broker.remove(id);
  await tx("readwrite", (s) => s.delete(id));
}

async function start(): Promise<void> {
  const t0 = performance.now();
  const manifest = await (await fetch("manifest.json")).json() as { image: { file: string; sha256: string }; voice: { file: string; sha256: string }; next?: { file: string; sha256: string; version: string } };
  next = manifest.next;
  const bytes = new Uint8Array(await (await fetch(manifest.image.file)).arrayBuffer());
  const digest = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  const status = $("image-status");
  if (digest !== manifest.image.sha256) {
    status.textContent = `Image SHA-256 ${digest} does NOT match the announced ${manifest.image.sha256}: not running it.`;
    return;
  }
  image = imageFromBytes(bytes, manifest.image.file);
  voice = new Uint8Array(await (await fetch(manifest.voice.file)).arrayBuffer());
  const stored = await tx("readonly", (s) => s.getAll() as IDBRequest<Saved[]>);
  roots = makerRoots();
  rp = new PageRelyingParty({ rpId: location.hostname, origin: location.origin, ...roots });
  await rp.restore(stored.flatMap((s) => s.accounts ?? []));
  for (const s of stored) addDeviceView(s, makeDevice(s, false));
  status.replaceChildren(`Image ${manifest.image.file}, ${bytes.length} bytes, SHA-256 `, el("code", { "data-testid": "image-sha" }, digest), " (matches the server's). Ready in ", el("span", { "data-testid": "ready-ms" }, (performance.now() - t0).toFixed(0)), " ms.");
  status.dataset.ready = String(live.size);
  status.dataset.readyAt = performance.now().toFixed(1); // ms since navigation start (bench/web.mjs)
  for (const [b, m] of [["add-display", "code-display"], ["add-reader", "audio-reader"], ["add-chip", "chip"]] as const) $(b).addEventListener("click", () => {
    add(m).catch((e: unknown) => { $("add-error").textContent = `Could not add the device: ${e instanceof Error ? e.message : String(e)}`; });
  });
}

/** For bench/web.mjs: the median time (ms) of n boots of a fresh code display from the image in this tab. */
(globalThis as unknown as { seglBench: unknown }).seglBench = {
  boot(n: number): number {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const d = new Device({ image, clock: new SimClock(), name: `bench-${i}` });
      times.push(performance.now() - t0);
      d.dispose();
    }
    return times.sort((a, b) => a - b)[n >> 1]!;
  },
  /** Adds a code display through the page's own path (boot, provision over the UART, IndexedDB). */
  add: () => add("code-display"),
  /** Frames per second over `ms` while every device on the page is pressed once per frame (and redrawn). */
  fps(ms: number): Promise<number> {
    return new Promise((resolve) => {
      let frames = 0;
      const t0 = performance.now();
      const step = (): void => {
        for (const l of live.values()) l.device.click();
        frames++;
        const t = performance.now() - t0;
        if (t < ms) requestAnimationFrame(step);
        else resolve(frames / (t / 1000));
      };
      requestAnimationFrame(step);
    });
  },
};

void start();
