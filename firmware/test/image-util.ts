// The images firmware tests run: the guarded test build of the shipping image and the harness
// images (all built with guard regions after every static buffer, scripts/build-firmware.mjs).
// A Device running any of them checks the guards after every call into the image and throws
// GuardViolation (simulator/src/guards.ts), so every test that drives the device checks them.
import { readFileSync } from "node:fs";
import { imageFromBytes, type FirmwareImage } from "@segl/simulator";

const cache = new Map<string, FirmwareImage>();

/** firmware/build/<file> as an image (cached). */
export function buildImage(file: string): FirmwareImage {
  let img = cache.get(file);
  if (!img) {
    img = imageFromBytes(new Uint8Array(readFileSync(`firmware/build/${file}`)), `firmware/build/${file}`);
    if (img.guards.length === 0) throw new Error(`${file} has no guard regions: rebuild with scripts/build-firmware.mjs`);
    cache.set(file, img);
  }
  return img;
}

/** The shipping image's code with guard regions (firmware/build/firmware-guarded.wasm). */
export function guardedImage(): FirmwareImage {
  return buildImage("firmware-guarded.wasm");
}

/** A test harness image, firmware/build/harness-<name>.wasm. */
export function harnessImage(name: string): FirmwareImage {
  return buildImage(`harness-${name}.wasm`);
}
