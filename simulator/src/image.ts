// Loads and compiles the firmware image once; every device instantiates the same module.
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { findGuards } from "./guards.js";

export interface FirmwareImage {
  readonly path: string;
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly sha256: string;
  readonly module: WebAssembly.Module;
  /** Guard regions of a test build (docs/memory-map.md); empty for the shipping image. */
  readonly guards: readonly number[];
}

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
/** Where `npm run build:firmware` puts the image in the repository, seen from simulator/dist/src (compiled) or simulator/src (the sources, as the tests run them). */
const BUILT_IMAGE = [here("../../../firmware/build/firmware.wasm"), here("../../firmware/build/firmware.wasm")].find((p) => existsSync(p)) ?? here("../../../firmware/build/firmware.wasm");
/** The copy an installed @segl/simulator package ships (made by its `prepack` script). */
const PACKAGED_IMAGE = here("../../firmware/firmware.wasm");

/**
 * The image devices boot by default: the file the SEGL_FIRMWARE environment variable names, else
 * the repository's build, else the copy shipped inside the installed package.
 */
export const DEFAULT_IMAGE_PATH = process.env.SEGL_FIRMWARE || (existsSync(BUILT_IMAGE) || !existsSync(PACKAGED_IMAGE) ? BUILT_IMAGE : PACKAGED_IMAGE);

const cache = new Map<string, FirmwareImage>();

export function loadImage(path: string = DEFAULT_IMAGE_PATH): FirmwareImage {
  const hit = cache.get(path);
  if (hit) return hit;
  const bytes = new Uint8Array(readFileSync(path));
  const image = imageFromBytes(bytes, path);
  cache.set(path, image);
  return image;
}

export function imageFromBytes(bytes: Uint8Array<ArrayBuffer>, path = "<memory>"): FirmwareImage {
  const module = new WebAssembly.Module(bytes);
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "hal") throw new Error(`image imports ${imp.module}.${imp.name}: only hal.* is allowed`);
  }
  return { path, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), module, guards: findGuards(bytes) };
}
