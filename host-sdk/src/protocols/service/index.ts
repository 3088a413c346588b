export * from "./frame.js";
export { crc32 } from "./crc32.js";
export * from "./client.js";
export * from "./update.js";
