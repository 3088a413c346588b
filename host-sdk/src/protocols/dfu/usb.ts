// What the DFU client needs of a USB device: the shape of the `usb` package's (legacy libusb)
// Device, which the simulator's virtual USB bus has too. `usb` is an optional peer dependency,
// loaded on first use.
import { SeglError, type ErrorCode } from "../../errors.js";
import { importOptional } from "../../transport/native.js";

export interface UsbInterfaceDescriptorLike {
  bInterfaceNumber: number;
  bAlternateSetting: number;
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
  /** Class-specific descriptors that follow the interface descriptor (the DFU functional descriptor). */
  extra: Uint8Array;
}

export interface UsbDeviceLike {
  readonly deviceDescriptor: { idVendor: number; idProduct: number; bcdDevice: number; iSerialNumber: number; iProduct: number };
  readonly configDescriptor?: { interfaces: UsbInterfaceDescriptorLike[][]; extra?: Uint8Array } | undefined;
  readonly busNumber: number;
  readonly deviceAddress: number;
  open(defaultConfig?: boolean): void;
  close(): void;
  interface(n: number): { claim(): void; release(callback?: (error?: unknown) => void): void };
  controlTransfer(
    bmRequestType: number, bRequest: number, wValue: number, wIndex: number, dataOrLength: number | Buffer,
    callback?: (error: unknown, buffer: Buffer | number | undefined) => void,
  ): unknown;
  getStringDescriptor(index: number, callback: (error?: unknown, value?: string) => void): void;
  reset(callback: (error?: unknown) => void): void;
}

/** `usb.getDeviceList()`, or the simulator's VirtualUsbBus. */
export interface UsbBackend {
  getDeviceList(): UsbDeviceLike[];
}

/** The `usb` package (optional peer dependency): NATIVE_MODULE_MISSING when it is not installed. */
export async function nativeUsb(): Promise<UsbBackend> {
  const m = await importOptional<{ getDeviceList?: () => unknown[]; default?: { getDeviceList?: () => unknown[] } }>("usb", "USB DFU");
  const list = m.getDeviceList ?? m.default?.getDeviceList;
  if (!list) throw new SeglError("NATIVE_MODULE_MISSING", "the installed `usb` package has no getDeviceList() (the SDK needs usb@2, the libusb API)", { details: { module: "usb", install: "npm install usb@2" } });
  return { getDeviceList: () => list() as UsbDeviceLike[] };
}

/** libusb codes → SDK error codes (errno of the `usb` package's LibUSBException). */
export function mapUsbError(err: unknown, what: string): SeglError {
  if (err instanceof SeglError) return err;
  const errno = (err as { errno?: unknown } | undefined)?.errno;
  const msg = err instanceof Error ? err.message : String(err);
  let code: ErrorCode = "TRANSPORT_ERROR";
  if (errno === 4 || errno === -9) code = "DFU_STALL"; // LIBUSB_TRANSFER_STALL, LIBUSB_ERROR_PIPE
  else if (errno === 5 || errno === -4) code = "DISCONNECTED"; // LIBUSB_TRANSFER_NO_DEVICE, LIBUSB_ERROR_NO_DEVICE
  else if (errno === 2 || errno === -7) code = "TIMEOUT";
  else if (errno === -3) code = "PERMISSION_DENIED";
  else if (errno === -6) code = "DEVICE_BUSY";
  else if (errno === -5) code = "DEVICE_NOT_FOUND";
  else if (errno === -12) code = "UNSUPPORTED";
  const text = code === "DFU_STALL" ? `the device refused ${what} (STALL)` : code === "DISCONNECTED" ? `the device went away during ${what}` : `${what}: ${msg}`;
  return new SeglError(code, text, { cause: err, details: { errno, operation: what } });
}
