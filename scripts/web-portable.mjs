// The esbuild plugin that keeps Node out of browser bundles: scripts/build-web.mjs bundles the simulator's
// page with it, and host-sdk/test/portable-bundle.test.ts bundles the SDK's OTP verifier and CTAP2 client
// with it to prove they run in a browser. The Node modules in SWAPS (simulator/src/host.ts: node:crypto,
// files; the SDK's crypto primitives and public keys, host-sdk/src/platform/{crypto,keys}.ts) are swapped for their browser twins;
// any node: import is a build error (node:events too: the simulator core has its own emitter).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Node module → its browser twin (same functions), relative to the repository root. */
export const SWAPS = [
  ["simulator/src/host.ts", "simulator/src/browser/host.ts"],
  ["host-sdk/src/platform/crypto.ts", "host-sdk/src/platform/crypto.browser.ts"],
  ["host-sdk/src/platform/keys.ts", "host-sdk/src/platform/keys.browser.ts"],
];

/**
 * The plugin for a repository at `root`. With `bufferUsers` (an array), the path of every bundled
 * source file of the repository (not node_modules) that names Node's `Buffer` outside comments is pushed
 * onto it: esbuild does not polyfill Buffer, so such a module fails in a browser when that line runs.
 */
export function portablePlugin(root, { bufferUsers } = {}) {
  const swaps = new Map(SWAPS.map(([n, b]) => [join(root, n), join(root, b)]));
  return {
    name: "segl-portable",
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} is Node-only and may not reach the browser bundle (imported by ${a.importer})` }] }));
      b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) => {
        const swap = swaps.get(join(a.resolveDir, a.path.replace(/\.js$/, ".ts")));
        return swap ? { path: swap } : undefined;
      });
      if (bufferUsers) {
        b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (a) => {
          if (!a.path.startsWith(root) || a.path.includes("/node_modules/")) return undefined;
          const code = readFileSync(a.path, "utf8").replace(/\/\*[^]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
          if (/\bBuffer\b/.test(code)) bufferUsers.push(a.path.slice(root.length + 1));
          return undefined; // esbuild loads it as usual
        });
      }
    },
  };
}
