// The SDK's FIDO client side in one entry: HID report transports (node-hid, UDP, in-process),
// CTAPHID, CTAP2 (+ clientPIN, credential management) and U2F. See docs/ctap-client.md.
export {
  HidTransport, mapHidError, FIDO_USAGE_PAGE, FIDO_USAGE,
  type HidDeviceInfo, type HidAsyncDevice, type NodeHidModule, type HidListOptions, type HidOpenOptions, type HidTarget,
} from "../transport/hid.js";
export { UdpTransport, type UdpOpenOptions } from "../transport/udp.js";
export { HidMemoryTransport, padReport, type HidEndpoint } from "../transport/hid-memory.js";

export {
  HID_REPORT_SIZE, INIT_DATA_SIZE, CONT_DATA_SIZE, MAX_MESSAGE_SIZE, BROADCAST_CID, CtapHidCommand, CTAPHID_ERROR_NAMES, KeepaliveStatusCode,
  ctapHidErrorName, ctapHidCommandName, encodeCtapHidMessage, parseCtapHidPacket, CtapHidAssembler,
  type CtapHidPacket, type CtapHidMessage,
} from "./ctaphid/frame.js";
export {
  CtapHidClient,
  type KeepaliveStatus, type CtapHidCallOptions, type CtapHidClientOptions, type CtapHidOpenOptions, type CtapHidCapabilities,
  type CtapHidDeviceInfo, type CtapCborResponse, type CtapCborChannel,
} from "./ctaphid/client.js";

export {
  Ctap2Client, Ctap2Command, ctap2CommandName, ctapError,
  type Ctap2CallOptions, type PinUvAuthToken, type Ctap2Info, type PubKeyCredParam, type Extensions as Ctap2Extensions,
  type MakeCredentialParams, type Ctap2Attestation, type GetAssertionParams, type Ctap2Assertion,
} from "./ctap2/client.js";
export {
  type CredentialDescriptor as CtapCredentialDescriptor, type UserEntity as CtapUserEntity, type RpEntity as CtapRpEntity,
} from "./ctap2/decode.js";
export {
  PinProtocolV1, PinProtocolV2, pinProtocol, coseKeyToPoint, pointToCoseKey, type PinUvAuthProtocol, type CoseKey as CtapCoseKey,
} from "./ctap2/pin-protocol.js";
export { ClientPin, PinPermission, ClientPinSubCommand, paddedPin, pinHash, type PinRetries } from "./ctap2/client-pin.js";
export {
  CredentialManagement, CredMgmtSubCommand, type CredsMetadata, type CredMgmtRp, type CredMgmtCredential,
} from "./ctap2/credential-management.js";

export {
  U2fClient, U2fInstruction, U2fStatusWord, u2fStatusName, encodeU2fApdu,
  type U2fAuthenticateMode, type U2fCallOptions, type U2fRegistration, type U2fAuthentication,
} from "./u2f/client.js";
export { CTAP_STATUS_NAMES, CTAP_STATUS_MEANINGS, ctapStatusName } from "../ctap-status.js";
