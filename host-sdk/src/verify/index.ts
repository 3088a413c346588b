export * from "./types.js";
export * from "./verifier.js";
export { MemoryStore } from "./memory-store.js";
export { SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
