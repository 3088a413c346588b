export { Device, type DeviceOptions, type DeviceFault, type PowerState, type DeviceEvents } from "./device.js";
export { NorFlash, FlashViolation, PowerCut, DEFAULT_GEOMETRY, type FlashGeometry, type FlashStats, type FlashFaultPlan } from "./flash.js";
export { SimClock, type ClockMode, type ClockListener, type SimClockOptions } from "./clock.js";
export { SimRng, type RngFault } from "./rng.js";
export { GuardViolation, GUARD_CANARY, GUARD_LEN, findGuards, brokenGuards } from "./guards.js";
export { loadImage, imageFromBytes, DEFAULT_IMAGE_PATH, type FirmwareImage } from "./image.js";
export { Simulator, type SimulatorOptions, type AddDeviceOptions, type SimulatorEvents } from "./fleet.js";
export type { UartEndpoint, UartListener } from "./uart.js";
export {
  SimBinding, SimPort, SIM_PATH_PREFIX, registerSerialDevice, unregisterSerialDevice, registeredSerialDevices, type SimPortInfo,
} from "./serial-binding.js";
export { PtyBridge, PtyBridgeError, type PtyBridgeOptions, type PtyBridgeEvents } from "./pty.js";
export {
  renderTerminal, renderSvg, segmentsFor, canShow, SEG, LCD_DIGITS,
  type SegmentName, type TerminalRenderOptions, type SvgRenderOptions,
} from "./render.js";
export { startControlServer, type ControlServer, type ControlServerOptions, type DeviceSummary, type DeviceDetail } from "./control-server.js";
export {
  UdpBridge, UdpBridgeError, UDP_DEFAULT_LISTEN_PORT, UDP_DEFAULT_REPLY_PORT,
  type UdpBridgeOptions, type UdpBridgeStats, type UdpBridgeEvents,
} from "./udp-bridge.js";
export {
  UserPresence, attachPresence,
  type PresencePolicy, type PresenceScript, type PresenceDecision, type PresenceRequest, type PresenceKind,
  type PresenceOptions, type PresenceEvents,
} from "./presence.js";
export {
  hidCall, hidOpenChannel, chipInfo, provisionChip, ChipError, HID_VENDOR_SERVICE,
  type ChipInfo, type ProvisionChipOptions,
} from "./chip.js";
export {
  BootRom, NoBootableImage, TEST_MAKER_KEY_PEM, SLOT_SIZE, SLOT_PAGES, BOOT_PAGE_SIZE, IMAGE_HEADER_SIZE, MAX_MAKER_KEYS,
  signImageForTest, testSignedImage, rawPublicKey as makerKeyRaw,
  type BootRecord, type BootChoice, type SlotName, type SlotVerdict, type BootRomReason, type BootRomOptions, type ImageHeaderFields,
} from "./boot-rom.js";
