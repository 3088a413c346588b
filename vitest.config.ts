// One vitest configuration for the whole repository: a project per package, each running its
// TypeScript tests from source (workspace imports such as @segl/simulator resolve to src/, never to a
// stale dist/). `npm test` runs them all once; `npx vitest` watches. See docs/testing.md.
import { defineConfig, type Plugin, type TestProjectInlineConfiguration } from "vitest/config";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
// @ts-expect-error: plain ESM helper shared with the CLI's source runner (no type declarations)
import { sourceFor, workspacePackages, ROOT } from "./scripts/workspace-source.mjs";

/** A project per package: the firmware, then every npm workspace (host-sdk, host-sdk/cli, simulator, hardware-tests). */
const PACKAGES: string[] = ["firmware", ...[...(workspacePackages() as Map<string, string>).values()].map((d) => relative(ROOT as string, d))];

/** @segl/* → the package's TypeScript source, through its package.json exports. */
const workspaceSource: Plugin = {
  name: "segl-workspace-source",
  enforce: "pre",
  resolveId(id: string) {
    return id.startsWith("@segl/") ? ((sourceFor(id) as string | null) ?? null) : null;
  },
};

/** SEGL_TEST_FILTER=part-of-path keeps the files whose path (from the repository root) contains it. */
function include(pkg: string): string[] {
  // Filters written for the compiled layout (firmware/dist/test/x.test.js) name the same sources.
  const filter = process.env.SEGL_TEST_FILTER?.replace(/\/dist\/test\//g, "/test/").replace(/\.test\.js$/, ".test.ts");
  if (!filter) return [`${pkg}/test/**/*.test.ts`];
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts")) files.push(relative(ROOT as string, p));
    }
  };
  walk(join(ROOT as string, pkg, "test"));
  const chosen = files.filter((f) => f.includes(filter));
  return chosen.length ? chosen : [`${pkg}/test/__no_file_matches__`];
}

const project = (dir: string): TestProjectInlineConfiguration => ({
  extends: true,
  // host-sdk/cli → "cli"
  test: { name: dir.split("/").at(-1)!, include: include(dir) },
});

export default defineConfig({
  plugins: [workspaceSource],
  test: {
    root: ROOT as string,
    projects: PACKAGES.map(project),
    // Forks, not threads: see docs/testing.md ("Pool") for the measurement.
    // vitest's summary, then one plain "N passed, N failed" line for CI.
    reporters: ["default", "./scripts/summary-reporter.mjs"],
    pool: "forks",
    maxWorkers: 2,
    // node:test had no per-test limit; the slowest tests (python-fido2's pytest run, the firmware
    // fuzzers, the reproducible build) take tens of seconds on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // The CLI tests spawn scripts/segl.mjs: make it run the sources too.
    env: { SEGL_CLI_FROM_SOURCE: "1" },
    coverage: {
      provider: "v8",
      include: ["host-sdk/src/**/*.ts", "host-sdk/cli/src/**/*.ts", "simulator/src/**/*.ts", "hardware-tests/src/**/*.ts"],
      reporter: ["text-summary", "json-summary", "html"],
      reportsDirectory: "coverage",
    },
  },
});
