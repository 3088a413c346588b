// A virtual USB bus for simulated chips, with the shape of the `usb` package's (legacy, libusb)
// Device and Interface API as far as the SDK's DFU client uses it: descriptors, open/close,
// interface(n).claim/release, controlTransfer(bmRequestType, bRequest, wValue, wIndex,
// data_or_length, cb), getStringDescriptor, reset. The very same SDK code runs against
// `usb.getDeviceList()` and `bus.getDeviceList()`.
//
// A chip enumerates in runtime mode (HID interface 0 + DFU runtime interface 1, protocol 1).
// DFU DETACH (bitWillDetach) makes it re-enumerate in DFU mode (one DFU interface, protocol 2,
// another product id): a new Device object, the old one answers LIBUSB_TRANSFER_NO_DEVICE, as a
// real device re-enumerating would. After manifestation a USB reset reboots the chip (the boot
// ROM tries the new image) and it enumerates in runtime mode again. A chip is bus-powered:
// `unplug()` cuts its power, `plug()` powers it on.
import type { Device } from "../device.js";
import { chipInfo } from "../chip.js";
import { DfuFunction, type DfuSignal, type UpdateReceiver } from "./dfu.js";
import { deviceUpdateReceiver } from "./receiver.js";

/** libusb codes the `usb` package reports in `err.errno`. */
export const LIBUSB = {
  ERROR_IO: -1, ERROR_NO_DEVICE: -4, ERROR_BUSY: -6, ERROR_PIPE: -9,
  TRANSFER_ERROR: 1, TRANSFER_TIMED_OUT: 2, TRANSFER_STALL: 4, TRANSFER_NO_DEVICE: 5,
} as const;

/** An error as the `usb` package throws or passes to callbacks (LibUSBException). */
export class VirtualUsbError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
    this.name = "LibUSBException";
  }
}

/** pid.codes' open-source vendor id, and the product ids of a Segl chip (placeholders until a maker assigns its own). */
export const SEGL_USB_VENDOR_ID = 0x1209;
export const SEGL_USB_PRODUCT_ID = 0x5e61;
export const SEGL_USB_DFU_PRODUCT_ID = 0x5e62;

export interface VirtualUsbOptions {
  vendorId?: number;
  productId?: number;
  /** Product id in DFU mode. */
  dfuProductId?: number;
  /** wTransferSize (default 1024). */
  transferSize?: number;
  /** bwPollTimeout after each block, against the device's clock (default 0). */
  blockBusyMs?: number;
  /** bwPollTimeout of manifestation (default 0). */
  manifestMs?: number;
  /** The update receiver (default: the firmware's exports through the exchange buffer). */
  receiver?: UpdateReceiver;
}

type Mode = "runtime" | "dfu";

export interface VirtualInterfaceDescriptor {
  bLength: number; bDescriptorType: number; bInterfaceNumber: number; bAlternateSetting: number; bNumEndpoints: number;
  bInterfaceClass: number; bInterfaceSubClass: number; bInterfaceProtocol: number; iInterface: number;
  extra: Buffer; endpoints: never[];
}

export interface VirtualConfigDescriptor {
  bLength: number; bDescriptorType: number; wTotalLength: number; bNumInterfaces: number; bConfigurationValue: number;
  iConfiguration: number; bmAttributes: number; bMaxPower: number; extra: Buffer;
  interfaces: VirtualInterfaceDescriptor[][];
}

export interface VirtualDeviceDescriptor {
  bLength: number; bDescriptorType: number; bcdUSB: number; bDeviceClass: number; bDeviceSubClass: number; bDeviceProtocol: number;
  bMaxPacketSize0: number; idVendor: number; idProduct: number; bcdDevice: number;
  iManufacturer: number; iProduct: number; iSerialNumber: number; bNumConfigurations: number;
}

export type ControlCallback = (error: VirtualUsbError | undefined, buffer: Buffer | number | undefined) => void;

let nextAddress = 1;

/** One enumeration of a chip on the bus (a new object after each re-enumeration). */
export class VirtualUsbDevice {
  readonly busNumber = 1;
  readonly deviceAddress = nextAddress++;
  readonly portNumbers: number[];
  readonly deviceDescriptor: VirtualDeviceDescriptor;
  readonly configDescriptor: VirtualConfigDescriptor;
  readonly allConfigDescriptors: VirtualConfigDescriptor[];
  interfaces: VirtualUsbInterface[] | undefined;
  /** Milliseconds before a transfer times out (the `usb` package's property; unused here). */
  timeout = 1000;
  private opened = false;
  gone = false;

  constructor(private readonly port: VirtualUsbPort, readonly mode: Mode, private readonly strings: string[]) {
    this.portNumbers = [port.portNumber];
    const o = port.options;
    this.deviceDescriptor = {
      bLength: 18, bDescriptorType: 1, bcdUSB: 0x0200, bDeviceClass: 0, bDeviceSubClass: 0, bDeviceProtocol: 0, bMaxPacketSize0: 64,
      idVendor: o.vendorId ?? SEGL_USB_VENDOR_ID,
      idProduct: mode === "dfu" ? (o.dfuProductId ?? SEGL_USB_DFU_PRODUCT_ID) : (o.productId ?? SEGL_USB_PRODUCT_ID),
      bcdDevice: port.bcdDevice, iManufacturer: 1, iProduct: 2, iSerialNumber: 3, bNumConfigurations: 1,
    };
    const dfuIface = (n: number, protocol: number): VirtualInterfaceDescriptor => ({
      bLength: 9, bDescriptorType: 4, bInterfaceNumber: n, bAlternateSetting: 0, bNumEndpoints: 0,
      bInterfaceClass: 0xfe, bInterfaceSubClass: 0x01, bInterfaceProtocol: protocol, iInterface: 4,
      extra: Buffer.from(port.dfu.functionalDescriptor()), endpoints: [],
    });
    const interfaces = mode === "dfu"
      ? [[dfuIface(0, 2)]]
      : [[{ bLength: 9, bDescriptorType: 4, bInterfaceNumber: 0, bAlternateSetting: 0, bNumEndpoints: 2, bInterfaceClass: 0x03, bInterfaceSubClass: 0, bInterfaceProtocol: 0, iInterface: 0, extra: Buffer.alloc(0), endpoints: [] as never[] }], [dfuIface(1, 1)]];
    this.configDescriptor = {
      bLength: 9, bDescriptorType: 2, wTotalLength: 9 + interfaces.length * 18, bNumInterfaces: interfaces.length, bConfigurationValue: 1,
      iConfiguration: 0, bmAttributes: 0x80, bMaxPower: 50, extra: Buffer.alloc(0), interfaces,
    };
    this.allConfigDescriptors = [this.configDescriptor];
  }

  /** The DFU interface number of this enumeration. */
  get dfuInterface(): number {
    return this.mode === "dfu" ? 0 : 1;
  }

  open(_defaultConfig = true): void {
    this.check();
    this.opened = true;
    this.interfaces = this.configDescriptor.interfaces.map((alts) => new VirtualUsbInterface(this, alts[0]!));
  }

  close(): void {
    this.opened = false;
    this.interfaces = undefined;
  }

  interface(n: number): VirtualUsbInterface {
    const i = this.interfaces?.find((x) => x.interfaceNumber === n);
    if (!i) throw new VirtualUsbError(LIBUSB.ERROR_IO, `no interface ${n} (is the device open?)`);
    return i;
  }

  controlTransfer(bmRequestType: number, bRequest: number, wValue: number, wIndex: number, dataOrLength: number | Buffer, callback?: ControlCallback): this {
    const done = (err: VirtualUsbError | undefined, v: Buffer | number | undefined) => { if (callback) setImmediate(() => callback(err, v)); };
    if (this.gone || !this.port.present) { done(new VirtualUsbError(LIBUSB.TRANSFER_NO_DEVICE, "LIBUSB_TRANSFER_NO_DEVICE"), undefined); return this; }
    if (!this.opened) { done(new VirtualUsbError(LIBUSB.ERROR_IO, "LIBUSB_ERROR_IO: the device is not open"), undefined); return this; }
    const isIn = (bmRequestType & 0x80) !== 0;
    if (isIn !== (typeof dataOrLength === "number")) throw new TypeError(isIn ? "an IN transfer takes a length" : "an OUT transfer takes a Buffer");
    const classToInterface = (bmRequestType & 0x7f) === 0x21;
    if (!classToInterface || (wIndex & 0xff) !== this.dfuInterface || !this.interfaces?.find((i) => i.interfaceNumber === this.dfuInterface)?.claimed) {
      done(new VirtualUsbError(LIBUSB.TRANSFER_STALL, "LIBUSB_TRANSFER_STALL"), undefined);
      return this;
    }
    const r = this.port.control(bmRequestType, bRequest, wValue, isIn ? (dataOrLength as number) : 0, isIn ? undefined : new Uint8Array(dataOrLength as Buffer));
    if (r === "gone") done(new VirtualUsbError(LIBUSB.TRANSFER_NO_DEVICE, "LIBUSB_TRANSFER_NO_DEVICE"), undefined);
    else if (r.stall) done(new VirtualUsbError(LIBUSB.TRANSFER_STALL, "LIBUSB_TRANSFER_STALL"), undefined);
    else if (isIn) done(undefined, Buffer.from((r.data ?? new Uint8Array(0)).subarray(0, dataOrLength as number)));
    else done(undefined, (dataOrLength as Buffer).length);
    this.port.afterTransfer();
    return this;
  }

  getStringDescriptor(index: number, callback: (error?: VirtualUsbError, value?: string) => void): void {
    setImmediate(() => {
      if (this.gone || !this.port.present) callback(new VirtualUsbError(LIBUSB.ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE"));
      else if (index < 1 || index > this.strings.length) callback(new VirtualUsbError(LIBUSB.ERROR_PIPE, "LIBUSB_ERROR_PIPE"));
      else callback(undefined, this.strings[index - 1]);
    });
  }

  /** A USB port reset. After manifestation it reboots the chip (which re-enumerates). */
  reset(callback: (error?: VirtualUsbError) => void): void {
    if (this.gone || !this.port.present) { setImmediate(() => callback(new VirtualUsbError(LIBUSB.ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE"))); return; }
    this.port.usbReset();
    setImmediate(() => callback(this.gone ? new VirtualUsbError(LIBUSB.ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE: the device re-enumerated") : undefined));
  }

  private check(): void {
    if (this.gone || !this.port.present) throw new VirtualUsbError(LIBUSB.ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE");
  }
}

export class VirtualUsbInterface {
  readonly interfaceNumber: number;
  readonly altSetting = 0;
  claimed = false;
  constructor(private readonly dev: VirtualUsbDevice, readonly descriptor: VirtualInterfaceDescriptor) {
    this.interfaceNumber = descriptor.bInterfaceNumber;
  }
  claim(): void {
    if (this.dev.gone) throw new VirtualUsbError(LIBUSB.ERROR_NO_DEVICE, "LIBUSB_ERROR_NO_DEVICE");
    this.claimed = true;
  }
  release(callback?: (error?: VirtualUsbError) => void): void {
    this.claimed = false;
    if (callback) setImmediate(() => callback(undefined));
  }
  isKernelDriverActive(): boolean {
    return false;
  }
  detachKernelDriver(): void {}
}

/** One simulated chip plugged into the bus. */
export class VirtualUsbPort {
  readonly dfu: DfuFunction;
  bcdDevice = 0;
  private enumeration: VirtualUsbDevice | undefined;
  private pending: DfuSignal | undefined;
  private readonly onPower: (s: string) => void;

  constructor(private readonly bus: VirtualUsbBus, readonly device: Device, readonly portNumber: number, readonly options: VirtualUsbOptions) {
    this.dfu = this.makeDfu();
    // "on" is announced before the image's boot() ran: enumerate when the bus is next looked at,
    // so that the descriptors (serial, version) come from the booted image.
    this.onPower = (s) => {
      this.drop();
      this.enumerateLater = s === "on";
    };
    device.on("power", this.onPower);
    this.enumerateLater = device.state === "on";
  }

  private enumerateLater = false;

  /** The device as the bus shows it now (undefined while the chip is off). */
  get current(): VirtualUsbDevice | undefined {
    if (this.enumerateLater && this.device.state === "on") {
      this.enumerateLater = false;
      this.enumerate("runtime");
    }
    return this.enumeration;
  }

  get present(): boolean {
    return this.current !== undefined && this.device.state === "on";
  }

  /** Pulls the cable: the chip (bus-powered) loses power. */
  unplug(): void {
    this.device.cutPower();
  }

  plug(): void {
    this.device.powerOn();
  }

  control(bmRequestType: number, bRequest: number, wValue: number, length: number, data?: Uint8Array): ReturnType<DfuFunction["request"]> | "gone" {
    const r = this.dfu.request(bmRequestType, bRequest, wValue, length, data);
    return this.device.state === "on" ? r : "gone"; // a trap or power cut inside the receiver
  }

  /** Acts on what the DFU function asked for once the transfer is answered. */
  afterTransfer(): void {
    const s = this.pending;
    this.pending = undefined;
    if (s === "detach") { this.dfu.usbReset(); this.enumerate("dfu"); }
  }

  usbReset(): void {
    this.dfu.usbReset();
    const s = this.pending;
    this.pending = undefined;
    if (s === "manifested") this.device.reboot(); // the boot ROM tries the new image; power events re-enumerate
    else if (this.enumeration?.mode === "dfu" && this.dfu.state === "appIDLE") this.enumerate("runtime");
  }

  detach(): void {
    this.device.off("power", this.onPower);
    this.drop();
    this.bus.remove(this);
  }

  private makeDfu(): DfuFunction {
    const receiver = this.options.receiver ?? deviceUpdateReceiver(this.device);
    const dfu = new DfuFunction({
      receiver, now: () => this.device.clock.now(), transferSize: this.options.transferSize,
      blockBusyMs: this.options.blockBusyMs, manifestMs: this.options.manifestMs,
    });
    dfu.onSignal = (s) => { this.pending = s; };
    return dfu;
  }

  private drop(): void {
    if (this.enumeration) this.enumeration.gone = true;
    this.enumeration = undefined;
  }

  private enumerate(mode: Mode): void {
    this.drop();
    if (mode === "runtime") this.dfu.usbReset(); // back in the application
    let serial = this.device.name;
    let product = "Segl chip";
    try {
      const info = chipInfo(this.device);
      if (info.serial) serial = info.serial;
      const [maj = 0, min = 0, pat = 0] = info.firmware.split(".").map(Number);
      this.bcdDevice = ((maj & 0xff) << 8) | ((min & 0xf) << 4) | (pat & 0xf);
      product = `Segl chip ${info.firmware}`;
    } catch {
      // an image without the HID tunnel: the device name stands in for the serial
    }
    this.enumeration = new VirtualUsbDevice(this, mode, ["Segl", mode === "dfu" ? `${product} (DFU)` : product, serial, "Segl firmware update"]);
  }
}

/** Simulated chips as `usb.getDeviceList()` would show them. */
export class VirtualUsbBus {
  private readonly ports: VirtualUsbPort[] = [];
  private nextPort = 1;

  /** Plugs a simulated chip in. */
  attach(device: Device, options: VirtualUsbOptions = {}): VirtualUsbPort {
    const p = new VirtualUsbPort(this, device, this.nextPort++, options);
    this.ports.push(p);
    return p;
  }

  /** @internal */
  remove(port: VirtualUsbPort): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
  }

  /** The `usb` package's getDeviceList(): every device enumerated now. */
  getDeviceList(): VirtualUsbDevice[] {
    return this.ports.flatMap((p) => (p.current && p.present ? [p.current] : []));
  }

  get size(): number {
    return this.ports.length;
  }
}
