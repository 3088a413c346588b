// What makes a bundle portable to a browser, shared by the page's build (build-web.mjs) and the test
// that bundles the SDK's FIDO verification (host-sdk/test/fido-portable.test.ts): the Node modules
// swapped for their browser twins (same exported functions), and an esbuild plugin that applies the
// swaps and refuses every node: import, so Node-only code cannot slip into a bundle.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// Node module → its browser twin: the only modules that differ between the two.
export const SWAPS = new Map([
  ["simulator/src/host.ts", "simulator/src/browser/host.ts"],
  ["host-sdk/src/platform/crypto.ts", "host-sdk/src/platform/crypto.browser.ts"],
  ["host-sdk/src/platform/keys.ts", "host-sdk/src/platform/keys.browser.ts"],
].map(([n, b]) => [join(root, n), join(root, b)]));

export const portable = {
  name: "segl-portable",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} is Node-only and may not reach the browser bundle (imported by ${a.importer})` }] }));
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) => {
      const swap = SWAPS.get(join(a.resolveDir, a.path.replace(/\.js$/, ".ts")));
      return swap ? { path: swap } : undefined;
    });
  },
};
