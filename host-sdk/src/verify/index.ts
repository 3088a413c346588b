// `@segl/host-sdk/verify`: stateful TOTP/HOTP verification for brokers and its stores. See host-sdk/docs/verify.md.
export * from "./types.js";
export * from "./verifier.js";
export { MemoryStore } from "./memory-store.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
