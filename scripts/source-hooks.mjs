// Node module hooks (module.register) that resolve workspace packages to their TypeScript source:
// used with tsx when the CLI or a worker runs from source (see workspace-source.mjs).
import { pathToFileURL } from "node:url";
import { sourceFor } from "./workspace-source.mjs";

export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@segl/")) {
    const src = sourceFor(specifier);
    if (src) return next(pathToFileURL(src).href, context);
  }
  return next(specifier, context);
}
