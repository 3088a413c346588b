// Many devices in one process: one compiled module, one instance and one flash per device, one
// shared world clock. Devices are found by name (and registered for the in-process serialport
// binding as "sim:<name>").
import { Emitter } from "./emitter.js";
import { Device, type DeviceOptions } from "./device.js";
import { SimClock, type ClockMode } from "./clock.js";
import { loadImage, type FirmwareImage } from "./image.js";
import { registerSerialDevice, unregisterSerialDevice } from "./serial-binding.js";

export interface SimulatorOptions {
  /** Share an existing clock; otherwise one is made from mode/startMs/keepAlive. */
  clock?: SimClock;
  mode?: ClockMode;
  startMs?: number;
  keepAlive?: boolean;
  /** The image every device runs (default: loadImage() of the built firmware). */
  image?: FirmwareImage;
  /** Register each device for `new SerialPortStream({ binding: SimBinding, path: "sim:<name>" })`. Default true. */
  serialBinding?: boolean;
}

export interface AddDeviceOptions extends Omit<DeviceOptions, "clock" | "name"> {
  name: string;
}

export interface SimulatorEvents {
  add: [device: Device];
  remove: [device: Device];
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class Simulator extends Emitter<SimulatorEvents> {
  readonly clock: SimClock;
  readonly image: FirmwareImage;
  private readonly devices = new Map<string, Device>();
  private readonly serialBinding: boolean;
  private closed = false;

  constructor(opts: SimulatorOptions = {}) {
    super();
    this.clock = opts.clock ?? new SimClock({ mode: opts.mode ?? "manual", startMs: opts.startMs, keepAlive: opts.keepAlive });
    this.image = opts.image ?? loadImage();
    this.serialBinding = opts.serialBinding ?? true;
  }

  /** Creates (and by default powers on) a device. Names: letters, digits, '.', '_', '-'; unique. */
  add(opts: AddDeviceOptions): Device {
    if (this.closed) throw new Error("simulator is closed");
    if (!NAME_RE.test(opts.name)) throw new RangeError(`bad device name ${JSON.stringify(opts.name)}: use letters, digits, '.', '_', '-' (at most 64)`);
    if (this.devices.has(opts.name)) throw new Error(`a device named ${opts.name} already exists`);
    const device = new Device({ ...opts, image: opts.image ?? this.image, clock: this.clock });
    if (this.serialBinding) {
      try {
        registerSerialDevice(opts.name, device);
      } catch (err) {
        device.dispose();
        throw err;
      }
    }
    this.devices.set(opts.name, device);
    this.emit("add", device);
    return device;
  }

  get(name: string): Device | undefined {
    return this.devices.get(name);
  }

  /** Like get(), but throws when there is no such device. */
  device(name: string): Device {
    const d = this.devices.get(name);
    if (!d) throw new Error(`no simulated device named ${name}`);
    return d;
  }

  has(name: string): boolean {
    return this.devices.has(name);
  }

  list(): Device[] {
    return [...this.devices.values()];
  }

  get size(): number {
    return this.devices.size;
  }

  /** Powers the device off for good, closes its flash file, forgets it. */
  remove(name: string): boolean {
    const d = this.devices.get(name);
    if (!d) return false;
    this.devices.delete(name);
    if (this.serialBinding) unregisterSerialDevice(name, d);
    d.dispose();
    this.emit("remove", d);
    return true;
  }

  /** Removes every device. The clock stops driving (it has nothing left to run). */
  close(): void {
    for (const name of [...this.devices.keys()]) this.remove(name);
    this.closed = true;
    this.clock.stop();
  }
}
