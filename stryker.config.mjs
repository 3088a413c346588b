// Mutation testing of the SDK's verification, OTP and protocol code (StrykerJS, vitest runner).
// `npm run mutation` (not part of npm test). Scores: docs/testing.md. Reports: reports/mutation/.
// Scope: what fits in about 15 minutes on 2 shared cores; widen `mutate` when there is more time.
// Only the host-sdk tests are candidates (SEGL_TEST_FILTER, read by vitest.config.ts), and of those,
// per mutant, only the tests that cover it (perTest coverage, vitest's related files).
process.env.SEGL_TEST_FILTER ??= "host-sdk/test/";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.config.ts", related: true },
  coverageAnalysis: "perTest",
  mutate: process.env.SEGL_MUTATE?.split(",") ?? [
    "host-sdk/src/otp/hotp.ts",
    "host-sdk/src/otp/base32.ts",
    "host-sdk/src/otp/ocra.ts",
    "host-sdk/src/otp/uri.ts",
    "host-sdk/src/verify/verifier.ts",
    "host-sdk/src/protocols/service/frame.ts",
  ],
  ignorePatterns: ["**/dist", "coverage", "reports", "bench"],
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
