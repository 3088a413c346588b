// Lazy loading of optional native modules (serialport, node-hid, usb): a broker that only
// verifies, or a developer using only the simulator, never loads them.
import { SeglError } from "../errors.js";

/**
 * `await import(specifier)`, turning a missing or unloadable module into
 * SeglError NATIVE_MODULE_MISSING with an install hint.
 */
export async function importOptional<T>(specifier: string, purpose: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    throw new SeglError(
      "NATIVE_MODULE_MISSING",
      `${purpose} needs the optional module "${specifier}", which could not be loaded ` +
        `(install it with \`npm install ${specifier}\`): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, details: { module: specifier, install: `npm install ${specifier}` } },
    );
  }
}
