export { Device, type DeviceOptions, type DeviceFault, type PowerState, type DeviceEvents } from "./device.js";
export { NorFlash, FlashViolation, PowerCut, DEFAULT_GEOMETRY, type FlashGeometry, type FlashStats } from "./flash.js";
export { SimClock, type ClockMode } from "./clock.js";
export { SimRng } from "./rng.js";
export { loadImage, imageFromBytes, DEFAULT_IMAGE_PATH, type FirmwareImage } from "./image.js";
