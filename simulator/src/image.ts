// Loads and compiles the firmware image once; every device instantiates the same module.
import { sha256, readFileBytes, DEFAULT_IMAGE_PATH } from "./host.js";
import { findGuards } from "./guards.js";

export interface FirmwareImage {
  readonly path: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly sha256: string;
  readonly module: WebAssembly.Module;
  /** Guard regions of a test build (docs/memory-map.md); empty for the shipping image. */
  readonly guards: readonly number[];
}

export { DEFAULT_IMAGE_PATH };

const cache = new Map<string, FirmwareImage>();

export function loadImage(path: string = DEFAULT_IMAGE_PATH): FirmwareImage {
  const hit = cache.get(path);
  if (hit) return hit;
  const bytes = readFileBytes(path);
  const image = imageFromBytes(bytes, path);
  cache.set(path, image);
  return image;
}

export function imageFromBytes(bytes: Uint8Array<ArrayBuffer>, path = "<memory>"): FirmwareImage {
  const module = new WebAssembly.Module(bytes);
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "hal") throw new Error(`image imports ${imp.module}.${imp.name}: only hal.* is allowed`);
  }
  return { path, bytes, sha256: hex(sha256(bytes)), module, guards: findGuards(bytes) };
}

/** Lower-case hex of bytes. */
export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}
