// Runs TypeScript from this repository without compiling it: tsx transpiles, source-hooks.mjs points
// the workspace packages at their sources. `await runTs(url)` from a script; as a worker entry,
// `new Worker(".../scripts/run-ts.mjs", { workerData: { ..., tsEntry: fileUrl } })` runs that file.
import { register } from "node:module";
import { isMainThread, workerData } from "node:worker_threads";

let registered = false;
export async function runTs(url) {
  if (!registered) {
    const { register: tsx } = await import("tsx/esm/api");
    tsx();
    register("./source-hooks.mjs", import.meta.url);
    registered = true;
  }
  return import(url);
}

if (!isMainThread && workerData && typeof workerData.tsEntry === "string") await runTs(workerData.tsEntry);
