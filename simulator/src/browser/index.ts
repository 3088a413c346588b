// The simulator core that runs in a browser as well as in Node: devices, flash, clock, RNG, boot ROM,
// image, audio output and the LCD rendering. Nothing here reaches files, sockets or PTYs (those stay
// in the Node-only modules: pty, udp-bridge, control-server, serial-binding, voice-file, host.ts);
// the browser bundle swaps ./host.js for ./browser/host.js (scripts/build-web.mjs).
export { Device, READER_KEYS, HEADSET_BUTTON, type DeviceOptions, type DeviceFault, type PowerState, type DeviceEvents } from "../device.js";
export { NorFlash, PowerCut, DEFAULT_GEOMETRY, type FlashGeometry, type FlashStats } from "../flash.js";
export { SimClock } from "../clock.js";
export { imageFromBytes, hex, type FirmwareImage } from "../image.js";
export { AUDIO_RATE } from "../audio-out.js";
export { segmentsFor, LCD_DIGITS } from "../render.js";
export { hidCall, chipInfo, provisionChip, ChipError, type ChipInfo } from "../chip.js";
export { signImageForTest } from "../boot-rom.js";
