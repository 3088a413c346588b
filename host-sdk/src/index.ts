export const SDK_VERSION = "0.1.0";
export * from "./verify/index.js";

// Errors
export { SeglError, isSeglError, type ErrorCode, type SeglErrorOptions } from "./errors.js";

// Transports
export {
  type Transport, type TransportKind, type IoOptions, type TimeoutScope, Mutex, transportMutex, withTimeout, timeoutScope, abortError, throwIfAborted,
  abortable, ChunkQueueTransport,
} from "./transport/transport.js";
export { importOptional } from "./transport/native.js";
export { MemoryTransport, type ByteEndpoint } from "./transport/memory.js";
export { SerialTransport, mapSerialError, type SerialOpenOptions, type SerialStream, type SerialBinding } from "./transport/serial.js";

// UART service protocol
export {
  encodeFrame, encodeRequest, encodeResponse, FrameParser, type Frame, type FrameParserOptions, type FrameParserStats,
  SYNC0, SYNC1, HEADER_SIZE, CRC_SIZE, MAX_PAYLOAD, MAX_FRAME, INTER_BYTE_TIMEOUT_MS, RESPONSE_BIT,
} from "./protocols/service/frame.js";
export { crc32 } from "./protocols/service/crc32.js";
export {
  ServiceClient, Command, DeviceStatusCode, deviceStatusName, MODEL_CODES, ALGORITHM_CODES, validateProvisionParams,
  encodeProvisionPayload, parseInfo, parseStatus,
  type CommandName, type DeviceStatusName, type ModelName, type DeviceStateName, type DeviceInfo, type DeviceStatus,
  type ProvisionParams, type ServiceCallOptions, type RawRequestOptions, type ServiceClientOptions, type RawResponse, type ServiceTunnel,
} from "./protocols/service/client.js";
export { HidServiceTunnel, CTAPHID_VENDOR_SERVICE } from "./protocols/service/hid-tunnel.js";
export { CTAP_STATUS_NAMES, CTAP_STATUS_MEANINGS, ctapStatusName } from "./ctap-status.js";

// OTP math (pure)
export {
  type OtpAlgorithm, OTP_ALGORITHMS, parseAlgorithm, hotp, totp, totpStep, truncate, counterBytes, type HotpOptions,
  type TotpOptions, ocra, parseOcraSuite, type OcraSuite, type OcraInputs, base32Encode, base32Decode, otpauthUri,
  parseOtpauthUri, type OtpauthParams, type ParsedOtpauth,
} from "./otp/index.js";

// Provisioning
export { generateSeed, provisionDevice, type ProvisionDeviceOptions, type ProvisionResult } from "./provision.js";
export * from "./fido/index.js";
export { cborEncode, cborDecode, type CborValue } from "./cbor.js";
export * from "./protocols/fido-client.js";
