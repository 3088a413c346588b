import type { Plugin } from "esbuild";
export const SWAPS: ReadonlyArray<readonly [node: string, browser: string]>;
export function portablePlugin(root: string, options?: { bufferUsers?: string[] }): Plugin;
