import type { Plugin } from "esbuild";
/** The repository's root directory. */
export const root: string;
/** Node module → its browser twin (absolute paths). */
export const SWAPS: ReadonlyMap<string, string>;
/** esbuild plugin: applies SWAPS and refuses every node: import. */
export const portable: Plugin;
