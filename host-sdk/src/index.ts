// `@segl/host-sdk`: everything at once. Each part is also a subpath of its own, which loads only
// that part: /device, /otp, /fido, /verify, /pskc, /provision, /errors, /image (see host-sdk/README.md).
export const SDK_VERSION = "0.1.0";
export { SeglError, isSeglError, type ErrorCode, type SeglErrorOptions } from "./errors.js";
export * from "./device.js";
export * from "./otp/index.js";
export * from "./verify/index.js";
export * from "./fido/index.js";
export * from "./pskc/index.js";
export { generateSeed, provisionDevice, type ProvisionDeviceOptions, type ProvisionResult } from "./provision.js";
export * from "./image/index.js";
