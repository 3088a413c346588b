#!/usr/bin/env node
// `npx segl …` at the repository root: the command-line program of the @segl/cli package (host-sdk/cli).
await import(new URL("../host-sdk/cli/bin/segl.mjs", import.meta.url).href);
