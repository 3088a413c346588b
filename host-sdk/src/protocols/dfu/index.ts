export * from "./client.js";
export { nativeUsb, mapUsbError, type UsbBackend, type UsbDeviceLike, type UsbInterfaceDescriptorLike } from "./usb.js";
