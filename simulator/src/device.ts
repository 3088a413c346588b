// One simulated device: an instance of the shared firmware module, its own flash, RTC, RNG,
// display and ports. The HAL below is the TypeScript side of docs/hal.md.
import { Emitter } from "./emitter.js";
import { NorFlash, PowerCut, FlashViolation, type FlashGeometry, type FlashFaultPlan } from "./flash.js";
import { loadImage, imageFromBytes, type FirmwareImage } from "./image.js";
import { SimClock, type ClockListener } from "./clock.js";
import { SimRng, type RngFault } from "./rng.js";
import { GuardViolation, brokenGuards } from "./guards.js";
import { BootRom, NoBootableImage, testSignedImage, SLOT_SIZE, type BootRecord, type BootChoice, type SlotName, type BootRomOptions } from "./boot-rom.js";
import { AudioOut, AUDIO_RATE, AUDIO_FRAME_MAX } from "./audio-out.js";

export type PowerState = "off" | "on" | "crashed";

export interface DeviceFault {
  /** "trap": the image trapped; "violation": it broke a flash rule; "power": a power cut;
   *  "guard": a guarded test image wrote past a static buffer; "boot": the boot ROM found no valid image. */
  kind: "trap" | "violation" | "power" | "guard" | "boot";
  code: number;
  line: number;
  message: string;
}

export interface DeviceOptions {
  /**
   * The image installed in slot A at manufacture, signed with the test maker key (default: the
   * shipping image). Ignored when `slots` is given.
   */
  image?: FirmwareImage;
  /** Signed image files (docs/image-format.md) written into the slots at manufacture; slot A boots first. */
  slots?: { A?: Uint8Array; B?: Uint8Array };
  /** Boot ROM set-up at manufacture: maker keys (default: the test maker key at index 0), revocation mask, hardware model. */
  bootRom?: Omit<BootRomOptions, "flashFile">;
  clock?: SimClock;
  flash?: NorFlash;
  flashGeometry?: Partial<FlashGeometry>;
  /** Persist flash in this file across runs. */
  flashFile?: string;
  /** Seed for reproducible randomness; omitted = OS CSPRNG. */
  rngSeed?: string | Uint8Array;
  /** RTC drift in parts per million (positive = runs fast). */
  driftPpm?: number;
  /** Initial RTC value in ms (the RTC free-runs from manufacture). */
  rtcMs?: number;
  /** Boot immediately (default true). */
  powerOn?: boolean;
  /**
   * The voice region (read-only flash holding the voice pack, docs/voice-pack.md): present on an
   * audio code reader, which is what makes the device one before it is provisioned. Omitted: no
   * audio hardware (hal.audio_write answers UNSUPPORTED, voice_size 0).
   */
  voice?: Uint8Array;
  /**
   * The watchdog (default true): an image that traps (or breaks a flash rule) is reset WATCHDOG_RESET_MS
   * of world time later, as a hardware watchdog would, so a trial image that traps is reverted by the
   * boot ROM with nobody power-cycling the device. false: a crashed device stays crashed, to inspect.
   */
  watchdog?: boolean;
  /** With a guarded test image, check its guard regions after every call (default true; benchmarks turn it off). */
  guardChecks?: boolean;
  name?: string;
}

interface FirmwareExports {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  io_size(): number;
  boot(): number;
  button(id: number, down: number): void;
  uart_rx(len: number): void;
  tick(): void;
  hid_rx?(len: number): void;
  update_begin?(len: number): number;
  update_data?(offset: number, len: number): number;
  update_finish?(): number;
  update_abort?(): void;
  [name: string]: unknown;
}

export interface DeviceEvents {
  display: [text: string];
  uart: [bytes: Uint8Array];
  hid: [report: Uint8Array];
  led: [on: boolean];
  /** Samples the image queued for the DAC (16-bit mono at AUDIO_RATE), as they are accepted. */
  audio: [samples: Int16Array];
  power: [state: PowerState];
  fault: [fault: DeviceFault];
}

let nextId = 1;

const NO_RECEIVER = "this image has no update receiver";
/** An update receiver export; an image without one (a test harness) cannot take updates. */
function receiver<F>(f: F | undefined): F {
  if (f === undefined) throw new TypeError(NO_RECEIVER);
  return f;
}

const compiled = new Map<string, FirmwareImage>();
/** The module of a slot's payload, compiled once per payload hash (many devices, many boots). */
function imageForPayload(payload: Uint8Array<ArrayBuffer>, key: string): FirmwareImage {
  let img = compiled.get(key);
  if (!img) { img = imageFromBytes(payload, `<slot ${key.slice(0, 12)}>`); compiled.set(key, img); }
  return img;
}
/** The audio reader's keys (docs/hal.md "Keys"): the id given to press/release/click. */
export const READER_KEYS = { main: 0, repeat: 1, volumeUp: 2, volumeDown: 3, speedUp: 4, speedDown: 5, language: 6 } as const;
/** The headset jack's switch, reported as a button (down = plugged in); use setHeadset. */
export const HEADSET_BUTTON = 7;

/** World time from a trap to the watchdog's reset (docs/simulator.md "Watchdog"). */
export const WATCHDOG_RESET_MS = 1000;

export class Device extends Emitter<DeviceEvents> implements ClockListener {
  readonly name: string;
  readonly clock: SimClock;
  /** The immutable bootloader: maker keys, slots, boot record (simulator/src/boot-rom.ts). */
  readonly bootRom: BootRom;
  private current: FirmwareImage;
  private lastBoot: BootChoice | undefined;
  private resetRequested = false;
  readonly flash: NorFlash;
  readonly rng: SimRng;
  private exports: FirmwareExports | undefined;
  private powerState: PowerState = "off";
  private displayText = "";
  private ledOn = false;
  private drift: number;
  // RTC = rtcAtSync + (world - worldAtSync) * (1 + ppm/1e6)
  private rtcAtSync: number;
  private worldAtSync: number;
  private rtcAtBoot = 0;
  private wakeUptime: number | undefined;
  private pendingFault: { code: number; line: number } | undefined;
  private readonly faultLog: DeviceFault[] = [];
  private bootCount = 0;
  private readonly guardChecks: boolean;
  private readonly watchdog: boolean;
  private watchdogAt: number | undefined;
  private watchdogCount = 0;
  private voiceRegion: Uint8Array | undefined;
  private batteryPercent = 100;
  /** The audio output (an audio code reader's speaker or headset): the track it played, the FIFO. */
  readonly audio: AudioOut;

  constructor(opts: DeviceOptions = {}) {
    super();
    this.name = opts.name ?? `device-${nextId++}`;
    this.current = opts.image ?? loadImage();
    this.clock = opts.clock ?? new SimClock();
    this.flash = opts.flash ?? new NorFlash(opts.flashGeometry, opts.flashFile);
    // Manufacture: the given slots, or the image (default: the shipping one) signed with the test maker key.
    this.bootRom = new BootRom({
      ...opts.bootRom,
      slots: opts.slots ?? { A: testSignedImage(this.current.bytes) },
      ...(opts.flashFile !== undefined ? { flashFile: `${opts.flashFile}.boot` } : {}),
    });
    this.rng = new SimRng(opts.rngSeed);
    this.guardChecks = opts.guardChecks ?? true;
    this.watchdog = opts.watchdog ?? true;
    this.drift = opts.driftPpm ?? 0;
    this.rtcAtSync = opts.rtcMs ?? 0;
    this.worldAtSync = this.clock.now();
    this.voiceRegion = opts.voice?.slice();
    this.audio = new AudioOut(() => Math.floor((this.rtcMs() * AUDIO_RATE) / 1000));
    this.clock.add(this);
    if (opts.powerOn ?? true) this.powerOn();
  }

  // ---------------- control plane ----------------

  get state(): PowerState {
    return this.powerState;
  }
  get display(): string {
    return this.displayText;
  }
  get led(): boolean {
    return this.ledOn;
  }
  get faults(): readonly DeviceFault[] {
    return this.faultLog;
  }
  get boots(): number {
    return this.bootCount;
  }
  /** How many times the watchdog reset the device after a trap. */
  get watchdogResets(): number {
    return this.watchdogCount;
  }

  /** The image running now (or last run): the payload of the slot the boot ROM picked. */
  get image(): FirmwareImage {
    return this.current;
  }

  /** What the boot ROM decided at the last power-on (slot, trial, header, notes). */
  get lastBootChoice(): BootChoice | undefined {
    return this.lastBoot;
  }

  /** The boot record as stored now. */
  bootRecord(): BootRecord {
    return this.bootRom.readRecord();
  }

  /**
   * Writes a signed image file into a slot as a factory programmer would (bypassing the running
   * image), optionally marking it pending (tried at the next boot) or active.
   */
  installImage(slot: SlotName, file: Uint8Array, mark: "none" | "pending" | "active" = "none"): void {
    this.bootRom.install(slot, file, mark);
  }

  /** Cuts power in the middle of the nth program/erase operation of the boot flash (slots, boot record) from now. */
  cutPowerAtBootFlashOperation(n: number): void {
    this.bootRom.cutPowerAtOperation(n);
  }

  /** Injects write failures into the boot flash (slots, boot record). */
  setBootFlashFaults(plan: FlashFaultPlan): void {
    this.bootRom.setFaults(plan);
  }

  /** The device's RTC reading now (ms). */
  rtcMs(): number {
    return this.rtcAtWorld(this.clock.now());
  }

  private rtcAtWorld(worldMs: number): number {
    return Math.floor(this.rtcAtSync + (worldMs - this.worldAtSync) * (1 + this.drift / 1e6));
  }

  uptimeMs(): number {
    return this.rtcMs() - this.rtcAtBoot;
  }

  /** RTC drift in parts per million (positive = runs fast). */
  get driftPpm(): number {
    return this.drift;
  }

  /** Changes RTC drift from now on. */
  setDriftPpm(ppm: number): void {
    if (!Number.isFinite(ppm) || ppm <= -1e6) throw new RangeError("drift must be a finite number of ppm above -1e6");
    this.resyncRtc();
    this.drift = ppm;
    this.clock.reschedule();
  }

  /** Sets the raw RTC counter (as a factory fixture or a dead battery would). */
  setRtcMs(ms: number): void {
    this.rtcAtSync = ms;
    this.worldAtSync = this.clock.now();
    this.clock.reschedule();
  }

  /** Re-seeds the device RNG (a string or bytes: reproducible from now on; undefined: OS CSPRNG). */
  setRngSeed(seed: string | Uint8Array | undefined): void {
    this.rng.reseed(seed);
  }

  /**
   * Makes the TRNG fail (stuck, repeating, short fills, HAL errors) or healthy again (undefined).
   * The firmware notices at its next draw, or at boot: its health tests latch the failure.
   */
  setRngFault(fault: RngFault | undefined): void {
    this.rng.setFault(fault);
  }

  /** Copy of the whole flash content. */
  snapshotFlash(): Uint8Array {
    return this.flash.snapshot();
  }

  /** Copy of the boot ROM's flash (slots, boot record), undefined while it is as manufactured (never written). */
  snapshotBootFlash(): Uint8Array | undefined {
    return this.bootRom.snapshot();
  }

  /** Replaces the boot ROM's flash with a snapshot; a running device is power-cycled (it boots from it). */
  restoreBootFlash(image: Uint8Array): void {
    const wasOn = this.powerState !== "off";
    if (wasOn) this.cutPower();
    this.bootRom.restore(image);
    if (wasOn) this.powerOn();
  }

  /**
   * Replaces the flash content with a snapshot. A running device is power-cycled so that its RAM
   * matches the new flash (as if the part had been swapped while off).
   */
  restoreFlash(image: Uint8Array): void {
    const wasOn = this.powerState !== "off";
    if (wasOn) this.cutPower();
    this.flash.restore(image);
    if (wasOn) this.powerOn();
  }

  /** The voice region's content (undefined: no audio hardware). */
  get voice(): Uint8Array | undefined {
    return this.voiceRegion;
  }

  /**
   * Rewrites the voice region (a factory fixture; or a damaged pack, for tests). The image checks the
   * pack at boot and each clip before playing it, so a change shows at the next boot or clip.
   */
  setVoice(bytes: Uint8Array | undefined): void {
    this.voiceRegion = bytes?.slice();
  }

  /** The battery's charge, 0..100 % (hal.battery_level; 100 until set). */
  get battery(): number {
    return this.batteryPercent;
  }

  /** Sets the battery's charge (a whole percent 0..100); the image asks hal.battery_level when it needs it. */
  setBattery(percent: number): void {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`battery: ${percent} is not a whole percent 0..100`);
    this.batteryPercent = percent;
  }

  /**
   * Plugs a headset in (true) or out (false): the speaker is muted while one is in. The image hears of
   * it as the jack's switch, button HEADSET_BUTTON (down = plugged), and can ask hal.headset_state.
   */
  setHeadset(plugged: boolean): void {
    const out = plugged ? "headset" : "speaker";
    if (this.audio.output === out) return;
    this.audio.output = out;
    this.call((e) => e.button(HEADSET_BUTTON, plugged ? 1 : 0));
  }

  powerOn(): void {
    if (this.powerState === "on") return;
    this.resetRequested = false;
    let choice: BootChoice;
    try {
      choice = this.bootRom.boot();
    } catch (err) {
      if (err instanceof PowerCut) {
        this.record({ kind: "power", code: 0, line: 0, message: err.message });
        this.setPower("off");
        return;
      }
      if (err instanceof NoBootableImage) {
        this.record({ kind: "boot", code: 0, line: 0, message: err.message });
        this.setPower("crashed");
        return;
      }
      throw err;
    }
    this.lastBoot = choice;
    try {
      this.current = imageForPayload(choice.payload, choice.payloadSha256);
    } catch (err) {
      // A signed payload that is no WebAssembly module for this HAL: as good as an image that traps at once.
      this.record({ kind: "trap", code: 0, line: 0, message: `slot ${choice.slot}: ${err instanceof Error ? err.message : String(err)}` });
      this.setPower("crashed");
      this.armWatchdog();
      return;
    }
    const instance = new WebAssembly.Instance(this.image.module, { hal: this.hal() });
    this.exports = this.guarded(instance.exports as unknown as FirmwareExports);
    this.rtcAtBoot = this.rtcMs();
    this.wakeUptime = undefined;
    this.displayText = "";
    this.ledOn = false;
    this.bootCount++;
    this.setPower("on");
    this.call((e) => e.boot());
    this.clock.reschedule();
  }

  /** Cuts power now: RAM is lost, flash keeps what was written. */
  cutPower(): void {
    this.exports = undefined;
    this.watchdogAt = undefined;
    this.bootRom.powerOff();
    this.audio.flush();
    this.wakeUptime = undefined;
    this.clock.reschedule();
    if (this.displayText !== "") { this.displayText = ""; this.emit("display", ""); }
    this.setPower("off");
  }

  /** Injects flash write failures (see FlashFaultPlan); an empty plan clears them. */
  setFlashFaults(plan: FlashFaultPlan): void {
    this.flash.setFaults(plan);
  }

  /** Cuts power in the middle of the nth flash program/erase operation from now. */
  cutPowerAtFlashOperation(n: number): void {
    this.flash.cutPowerAtOperation(n);
  }

  reboot(): void {
    this.cutPower();
    this.powerOn();
  }

  /** Removes the device from its clock (and closes a backing flash file). */
  dispose(): void {
    this.cutPower();
    this.clock.remove(this);
    this.flash.close();
  }

  press(id = 0): void {
    this.call((e) => e.button(id, 1));
  }
  release(id = 0): void {
    this.call((e) => e.button(id, 0));
  }
  /** Press and release. */
  click(id = 0): void {
    this.press(id);
    this.release(id);
  }

  // ---------------- data plane ----------------

  /** Bytes from the host into the device's UART. */
  uartWrite(bytes: Uint8Array): void {
    this.feed(bytes, (e, n) => e.uart_rx(n));
  }

  /** One HID output report from the host (64 bytes). */
  hidWrite(report: Uint8Array): void {
    this.feed(report, (e, n) => e.hid_rx?.(n));
  }

  // ---------------- the update receiver, as a USB DFU class driver drives it ----------------
  // (docs/image-format.md): the bytes go into the exchange buffer and the export runs like any
  // event (a power cut turns the device off, a trap crashes it). Each returns the export's result,
  // or undefined when the device was not on or did not survive the call.

  /** update_begin with the 128-byte header: bytes already received, or a negative UPDATE_ERR_*. */
  updateBegin(header: Uint8Array): number | undefined {
    return this.callValue((e) => { this.ioWrite(0, header); return receiver(e.update_begin)(header.length); });
  }

  /** update_data with payload bytes at `offset` (at most io_size() bytes): the new count, or an error. */
  updateData(offset: number, bytes: Uint8Array): number | undefined {
    return this.callValue((e) => { this.ioWrite(0, bytes); return receiver(e.update_data)(offset >>> 0, bytes.length); });
  }

  /** update_finish: 0 (the slot is pending) or a negative UPDATE_ERR_*. */
  updateFinish(): number | undefined {
    return this.callValue((e) => receiver(e.update_finish)());
  }

  updateAbort(): void {
    this.callValue((e) => { receiver(e.update_abort)(); return 0; });
  }

  /** Direct access to an export, for known-answer tests and benchmarks. */
  get raw(): FirmwareExports {
    if (!this.exports) throw new Error(`${this.name} is ${this.powerState}`);
    return this.exports;
  }

  /** Copies bytes into the exchange buffer at offset; returns the address. */
  ioWrite(offset: number, bytes: Uint8Array): number {
    const e = this.raw;
    const base = e.io_ptr();
    if (offset < 0 || offset + bytes.length > e.io_size()) throw new RangeError("outside the exchange buffer");
    new Uint8Array(e.memory.buffer, base + offset, bytes.length).set(bytes);
    return base + offset;
  }

  ioRead(offset: number, len: number): Uint8Array {
    const e = this.raw;
    return new Uint8Array(e.memory.buffer, e.io_ptr() + offset, len).slice();
  }

  // ---------------- clock listener ----------------

  nextWakeWorldMs(): number | undefined {
    if (this.powerState === "crashed") return this.watchdogAt;
    if (this.powerState !== "on") return undefined;
    const ready = this.audio.readyPosition();
    const audioWake = ready === undefined ? undefined : this.worldAtRtc(Math.ceil((ready * 1000) / AUDIO_RATE));
    const tickWake = this.wakeUptime === undefined ? undefined : this.worldAtRtc(this.rtcAtBoot + this.wakeUptime);
    if (audioWake === undefined || tickWake === undefined) return audioWake ?? tickWake;
    return Math.min(audioWake, tickWake);
  }

  /** The earliest world time at which the RTC reads at least rtcTarget. */
  private worldAtRtc(rtcTarget: number): number {
    const rate = 1 + this.drift / 1e6;
    let w = Math.ceil(this.worldAtSync + (rtcTarget - this.rtcAtSync) / rate);
    // Rounding must never leave the RTC a millisecond short at the world time returned: onTime
    // compares the RTC, so a short answer would make the clock call us again and again.
    const step = Math.max(1, Math.ceil(1 / rate));
    for (let i = 0; i < 1000 && this.rtcAtWorld(w) < rtcTarget; i++) w += step;
    return w;
  }

  onTime(): void {
    if (this.powerState === "crashed" && this.watchdogAt !== undefined && this.clock.now() >= this.watchdogAt) {
      this.watchdogCount++;
      this.reboot();
      return;
    }
    if (this.powerState !== "on") return;
    const ready = this.audio.readyPosition();
    let tick = false;
    if (ready !== undefined && Math.floor((this.rtcMs() * AUDIO_RATE) / 1000) >= ready) {
      this.audio.waiting = false; // the audio output has room: the image hears it as a tick
      tick = true;
    }
    if (this.wakeUptime !== undefined && this.uptimeMs() >= this.wakeUptime) {
      this.wakeUptime = undefined;
      tick = true;
    }
    if (tick) this.call((e) => e.tick());
  }

  // ---------------- internals ----------------

  private feed(bytes: Uint8Array, fn: (e: FirmwareExports, n: number) => void): void {
    if (this.powerState !== "on" || !this.exports) return; // a powered-off device hears nothing
    const size = this.exports.io_size();
    for (let off = 0; off < bytes.length && this.exports; off += size) {
      const chunk = bytes.subarray(off, off + size);
      this.ioWrite(0, chunk);
      this.call((e) => fn(e, chunk.length));
    }
  }

  private setPower(s: PowerState): void {
    if (this.powerState === s) return;
    this.powerState = s;
    this.emit("power", s);
  }

  private resyncRtc(): void {
    this.rtcAtSync = this.rtcMs();
    this.worldAtSync = this.clock.now();
  }

  /** Throws GuardViolation when a guard region of a guarded image was overwritten. */
  checkGuards(): void {
    if (this.image.guards.length === 0 || !this.exports) return;
    const bad = brokenGuards(new Uint8Array(this.exports.memory.buffer), this.image.guards);
    if (bad.length > 0) throw new GuardViolation(bad);
  }

  /** With a guarded image, every export checks the guard regions when it returns (or unwinds). */
  private guarded(raw: FirmwareExports): FirmwareExports {
    if (this.image.guards.length === 0 || !this.guardChecks) return raw;
    const wrapped: Record<string, unknown> = {};
    const mem = new Uint8Array(raw.memory.buffer); // fixed-size memory: the view stays valid
    for (const [name, v] of Object.entries(raw)) {
      if (typeof v !== "function") { wrapped[name] = v; continue; }
      const f = v as (...a: unknown[]) => unknown;
      wrapped[name] = (...a: unknown[]) => {
        try {
          return f(...a);
        } finally {
          const bad = brokenGuards(mem, this.image.guards);
          if (bad.length > 0) throw new GuardViolation(bad); // eslint-disable-line no-unsafe-finally
        }
      };
    }
    return wrapped as unknown as FirmwareExports;
  }

  /** Runs an export; a power cut turns the device off, a trap marks it crashed. */
  private call(fn: (e: FirmwareExports) => void): void {
    this.callValue((e) => { fn(e); return 0; });
  }

  /** As call, with the export's result (undefined when the device was off or did not survive). */
  private callValue<T>(fn: (e: FirmwareExports) => T): T | undefined {
    if (this.powerState !== "on" || !this.exports) return undefined;
    try {
      const r = fn(this.exports);
      if (this.resetRequested) { this.resetRequested = false; this.reboot(); }
      return r;
    } catch (err) {
      if (err instanceof GuardViolation) {
        this.record({ kind: "guard", code: 0, line: 0, message: err.message });
        this.exports = undefined;
        this.setPower("crashed");
        throw err;
      }
      if (err instanceof PowerCut) {
        this.record({ kind: "power", code: 0, line: 0, message: err.message });
        this.cutPower();
        return undefined;
      }
      // the caller's mistakes, not the image's
      if (err instanceof RangeError && err.message === "outside the exchange buffer") throw err;
      if (err instanceof TypeError && err.message === NO_RECEIVER) throw err;
      const kind = err instanceof FlashViolation ? "violation" : "trap";
      const f = this.pendingFault ?? { code: 0, line: 0 };
      this.pendingFault = undefined;
      this.record({ kind, code: f.code, line: f.line, message: err instanceof Error ? err.message : String(err) });
      this.exports = undefined;
      this.setPower("crashed");
      this.armWatchdog();
      return undefined;
    }
  }

  /** After a trap: the watchdog resets the device WATCHDOG_RESET_MS later (unless it is off). */
  private armWatchdog(): void {
    if (!this.watchdog) return;
    this.watchdogAt = this.clock.now() + WATCHDOG_RESET_MS;
    this.clock.reschedule();
  }

  private record(f: DeviceFault): void {
    this.faultLog.push(f);
    this.emit("fault", f);
  }

  private mem(): Uint8Array {
    return new Uint8Array(this.raw.memory.buffer);
  }

  private hal(): Record<string, (...args: never[]) => unknown> {
    const g = this.flash.geometry;
    const ok = 0, errRange = -1, errFlash = -2;
    const str = (ptr: number, len: number) => new TextDecoder().decode(this.mem().subarray(ptr, ptr + len));
    const hal = {
      flash_page_size: () => g.pageSize,
      flash_page_count: () => g.pageCount,
      flash_read: (addr: number, dst: number, len: number) => {
        addr >>>= 0; len >>>= 0;
        if (addr + len > this.flash.size) return errRange;
        this.mem().set(this.flash.bytes.subarray(addr, addr + len), dst >>> 0);
        return ok;
      },
      flash_write: (addr: number, src: number, len: number) => {
        addr >>>= 0; len >>>= 0;
        if (addr + len > this.flash.size) return errRange;
        return this.flash.program(addr, this.mem().slice(src >>> 0, (src >>> 0) + len)) ? ok : errFlash;
      },
      flash_erase: (page: number) => {
        if (page >>> 0 >= g.pageCount) return errRange;
        return this.flash.erase(page >>> 0) ? ok : errFlash;
      },
      slot_size: () => SLOT_SIZE,
      slot_erase: (page: number) => this.bootRom.slotErase(page >>> 0),
      slot_write: (addr: number, src: number, len: number) => {
        addr >>>= 0; len >>>= 0;
        if (addr + len > SLOT_SIZE) return errRange;
        return this.bootRom.slotWrite(addr, this.mem().slice(src >>> 0, (src >>> 0) + len));
      },
      slot_read: (addr: number, dst: number, len: number) => {
        const r = this.bootRom.slotRead(addr >>> 0, len >>> 0);
        if (typeof r === "number") return r;
        this.mem().set(r, dst >>> 0);
        return ok;
      },
      slot_pending: () => this.bootRom.markPending(),
      boot_key: (index: number, dst: number) => {
        const k = this.bootRom.key(index >>> 0);
        if (typeof k === "number") return k;
        this.mem().set(k, dst >>> 0);
        return ok;
      },
      boot_counter: () => this.bootRom.counter(),
      boot_state: () => this.bootRom.state(),
      boot_confirm: () => this.bootRom.confirm(),
      reset: () => { this.resetRequested = true; },
      rtc_ms: () => BigInt(this.rtcMs()),
      uptime_ms: () => BigInt(this.uptimeMs()),
      wake_at: (at: bigint) => {
        this.wakeUptime = at === 0n ? undefined : Number(at);
        this.clock.reschedule();
      },
      rng_fill: (dst: number, len: number) => this.rng.fillHal(this.mem().subarray(dst >>> 0, (dst >>> 0) + (len >>> 0))),
      display_text: (src: number, len: number) => {
        const text = str(src >>> 0, len >>> 0);
        if (text !== this.displayText) {
          this.displayText = text;
          this.emit("display", text);
        }
        return ok;
      },
      led_set: (on: number) => {
        const v = on !== 0;
        if (v !== this.ledOn) { this.ledOn = v; this.emit("led", v); }
        return ok;
      },
      uart_tx: (src: number, len: number) => {
        this.emit("uart", this.mem().slice(src >>> 0, (src >>> 0) + (len >>> 0)));
        return ok;
      },
      hid_tx: (src: number, len: number) => {
        this.emit("hid", this.mem().slice(src >>> 0, (src >>> 0) + (len >>> 0)));
        return ok;
      },
      audio_write: (src: number, samples: number) => {
        if (!this.voiceRegion) return -3;
        src >>>= 0; samples >>>= 0;
        if (samples === 0) {
          this.audio.flush();
          this.clock.reschedule();
          return ok;
        }
        if (samples > AUDIO_FRAME_MAX || src + samples * 2 > this.mem().length || (src & 1) !== 0) return errRange;
        const pcm = new Int16Array(this.raw.memory.buffer, src, samples);
        const n = this.audio.write(pcm);
        if (n > 0) this.emit("audio", pcm.slice(0, n));
        this.clock.reschedule();
        return n;
      },
      headset_state: () => (this.audio.output === "headset" ? 1 : 0),
      battery_level: () => this.batteryPercent,
      voice_size: () => this.voiceRegion?.length ?? 0,
      voice_read: (addr: number, dst: number, len: number) => {
        addr >>>= 0; len >>>= 0;
        const v = this.voiceRegion;
        if (!v) return -3;
        if (addr + len > v.length) return errRange;
        this.mem().set(v.subarray(addr, addr + len), dst >>> 0);
        return ok;
      },
      fault: (code: number, line: number) => {
        this.pendingFault = { code: code >>> 0, line: line >>> 0 };
      },
    };
    return hal as unknown as Record<string, (...args: never[]) => unknown>;
  }
}
