#!/usr/bin/env node
// The `segl` program (bin/segl.mjs, and scripts/segl.mjs at the repository root, load this file). See cli.ts and commands.ts.
import { runCli } from "./cli.js";

const code = await runCli(process.argv.slice(2), {
  prog: "segl",
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
// Commands release their handles when they finish; should one linger, do not hang.
setTimeout(() => process.exit(code), 1000).unref();
