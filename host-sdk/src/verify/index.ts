// `@segl/host-sdk/verify`: stateful TOTP/HOTP verification for brokers and its stores. See host-sdk/docs/verify.md.
export * from "./types.js";
export * from "./verifier.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export {
  sealRow, openRow, nextRow, needsReseal, keyIdOf, validateFields,
  type SealKeys, type SealKeyRing, type SealedRow, type RowFields,
} from "./seal.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
export { PostgresStore, POSTGRES_SCHEMA_VERSION, type PostgresStoreOptions } from "./postgres-store.js";
export { SQLITE_SCHEMA_VERSION } from "./sqlite-store.js";
export {
  validateCredential, validateChallenge,
  type CredentialRecord, type CredentialStore, type CredentialUse, type CredentialTrust, type ChallengeRecord,
} from "./credentials.js";
export {
  FidoBroker,
  type FidoBrokerOptions, type FidoAuditEvent, type RegistrationOptionsJSON, type AssertionOptionsJSON,
  type RegisterInput, type AssertInput, type FidoRegisterResult, type FidoAssertResult,
} from "./fido-broker.js";
