// b-fido's name for the page's esbuild plugin (host-sdk/test/fido-portable.test.ts, bench/fido-verify.mjs):
// the one plugin and swap list are scripts/web-portable.mjs's; this module only keeps b-fido's exports.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SWAPS as LIST, portablePlugin } from "./web-portable.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Node module → its browser twin, absolute paths. */
export const SWAPS = new Map(LIST.map(([n, b]) => [join(root, n), join(root, b)]));

export const portable = portablePlugin(root);
