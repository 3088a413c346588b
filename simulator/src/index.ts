export { Device, READER_KEYS, HEADSET_BUTTON, WATCHDOG_RESET_MS, type DeviceOptions, type DeviceFault, type PowerState, type DeviceEvents } from "./device.js";
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
export {
  IMA_STEP_TABLE, IMA_INDEX_TABLE, IMA_MAX_INDEX, decodeNibble, decodeAdpcm, encodeAdpcm,
  type AdpcmState, type EncodedAdpcm, type EncodeOptions,
} from "./audio/adpcm.js";
export { writeWav, readWav, WavError, type Wav } from "./audio/wav.js";
export {
  VoicePack, VoicePackError, parseVoicePack, buildVoicePack, voiceCrc32, CLIP, CLIP_NAMES, CLIP_COUNT_V1, SHARED_CLIPS,
  VOICE_PACK_MAGIC, VOICE_PACK_VERSION, CODEC_IMA_ADPCM, HEADER_SIZE as VOICE_PACK_HEADER_SIZE, ENTRY_SIZE as VOICE_PACK_ENTRY_SIZE,
  MAX_PACK_BYTES as VOICE_PACK_MAX_BYTES, ENTRY_FLAG_SHARED,
  type ClipName, type ClipEntry, type VoicePackHeader, type VoicePackErrorCode, type ParseOptions as VoicePackParseOptions, type BuildPackInput,
} from "./audio/voice-pack.js";
export { changeSpeed, stretchedLength, speedFrame, DEFAULT_SPEEDS_Q8, MIN_SPEED_Q8, MAX_SPEED_Q8 } from "./audio/speed.js";
export {
  matchClips, clipSequence, pausesMs, describeTimeline,
  type MatchOptions, type ClipMatch, type SilenceSpan, type UnknownSpan, type TimelineItem, type Timeline,
} from "./audio/clip-matcher.js";
export { AudioOut, AUDIO_RATE, AUDIO_FIFO, AUDIO_LOW_WATER, AUDIO_FRAME_MAX, type AudioOutput } from "./audio-out.js";
export { loadVoicePackFile, DEFAULT_VOICE_PACK_PATH } from "./voice-file.js";
export { spokenTimeline, spokenWav, devicePack, type Spoken, type SpokenItem } from "./spoken.js";
export {
  DfuFunction, DFU_REQUEST, DFU_STATE, DFU_STATUS, DFU_ATTR, DFU_IN, DFU_OUT, dfuStatusForUpdateError,
  type DfuStateName, type DfuStatusName, type UpdateReceiver, type DfuFunctionOptions, type ControlResult, type DfuSignal,
} from "./usb/dfu.js";
export {
  VirtualUsbBus, VirtualUsbPort, VirtualUsbDevice, VirtualUsbInterface, VirtualUsbError, LIBUSB,
  SEGL_USB_VENDOR_ID, SEGL_USB_PRODUCT_ID, SEGL_USB_DFU_PRODUCT_ID, type VirtualUsbOptions,
} from "./usb/virtual-device.js";
export { deviceUpdateReceiver } from "./usb/receiver.js";
export { probeInfo, type ProbedInfo } from "./probe.js";
