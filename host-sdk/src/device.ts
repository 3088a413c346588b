// `@segl/host-sdk/device`: talking to devices. One Transport interface and its backends
// (serial port, USB HID, UDP, in-process), the UART service protocol of displays and readers,
// and the FIDO client side of chips (CTAPHID, CTAP2 with clientPIN and credential management,
// U2F). Native modules (serialport, node-hid) load on first use. See host-sdk/docs/device.md.
export {
  type Transport, type TransportKind, type IoOptions, type TimeoutScope, Mutex, transportMutex, withTimeout, timeoutScope, abortError, throwIfAborted,
  abortable, ChunkQueueTransport,
} from "./transport/transport.js";
export { importOptional } from "./transport/native.js";
export { MemoryTransport, type ByteEndpoint } from "./transport/memory.js";
export { SerialTransport, mapSerialError, type SerialOpenOptions, type SerialStream, type SerialBinding } from "./transport/serial.js";

// UART service protocol (code display, audio code reader)
export {
  encodeFrame, encodeRequest, encodeResponse, FrameParser, type Frame, type FrameParserOptions, type FrameParserStats,
  SYNC0, SYNC1, HEADER_SIZE, CRC_SIZE, MAX_PAYLOAD, MAX_FRAME, INTER_BYTE_TIMEOUT_MS, RESPONSE_BIT,
} from "./protocols/service/frame.js";
export { crc32 } from "./protocols/service/crc32.js";
export {
  ServiceClient, Command, DeviceStatusCode, deviceStatusName, MODEL_CODES, ALGORITHM_CODES, validateProvisionParams,
  encodeProvisionPayload, parseInfo, parseStatus, UPDATE_REFUSED_REASONS, UPDATE_CHUNK_MAX,
  type UpdateRefusedReason, type CommandName, type DeviceStatusName, type ModelName, type DeviceStateName, type DeviceInfo, type DeviceStatus,
  type ProvisionParams, type ServiceCallOptions, type RawRequestOptions, type ServiceClientOptions, type RawResponse, type ServiceTunnel,
} from "./protocols/service/client.js";
export { HidServiceTunnel, CTAPHID_VENDOR_SERVICE } from "./protocols/service/hid-tunnel.js";
export {
  updateFirmware, type UpdateFirmwareOptions, type UpdateProgress, type UpdatePhase, type UpdateResult,
} from "./protocols/service/update.js";

// FIDO client side (chip): HID transports, CTAPHID, CTAP2, U2F, CTAP status names
export * from "./protocols/fido-client.js";
export { CTAP_STATUS_NAMES, CTAP_STATUS_MEANINGS, ctapStatusName } from "./ctap-status.js";
export { cborEncode, cborDecode, type CborValue } from "./cbor.js";

export { SeglError, isSeglError, type ErrorCode, type SeglErrorOptions } from "./errors.js";

// USB DFU 1.1 (the chip's firmware update; the `usb` package loads on first use)
export {
  findDfuDevices, dfuInterfaceOf, parseFunctionalDescriptor, DfuSession, dfuDownload, dfuUpdate, dfuStatusError, dfuStateName, dfuStatusName, realSleep, sleepAtLeast, type SleepTimer,
  DFU_REQUEST, DFU_STATE_NAMES, DFU_STATUS_NAMES, nativeUsb, mapUsbError,
  type DfuDeviceInfo, type DfuAttributes, type DfuStatus, type DfuProgress, type DfuPhase, type DfuDownloadOptions, type DfuUpdateOptions,
  type DfuUpdateResult, type FindDfuOptions, type Sleep, type UsbBackend, type UsbDeviceLike, type UsbInterfaceDescriptorLike,
  type DfuStateName, type DfuStatusName,
} from "./protocols/dfu/index.js";
