// `@segl/host-sdk/otp`: pure OTP math (HOTP, TOTP, OCRA, base32, otpauth URIs). No state, no I/O. See host-sdk/docs/otp.md.
export { type OtpAlgorithm, OTP_ALGORITHMS, parseAlgorithm } from "./types.js";
export { hotp, totp, totpStep, truncate, counterBytes, type HotpOptions, type TotpOptions } from "./hotp.js";
export { ocra, parseOcraSuite, type OcraSuite, type OcraInputs } from "./ocra.js";
export { base32Encode, base32Decode } from "./base32.js";
export { otpauthUri, parseOtpauthUri, type OtpauthParams, type ParsedOtpauth } from "./uri.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
