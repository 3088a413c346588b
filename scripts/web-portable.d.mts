import type { Plugin } from "esbuild";
/** The repository's root directory. */
export const root: string;
export const SWAPS: ReadonlyArray<readonly [node: string, browser: string]>;
export function portablePlugin(root: string, options?: { bufferUsers?: string[] }): Plugin;
