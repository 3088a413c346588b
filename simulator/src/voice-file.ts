// The committed voice pack (firmware/voice/voice-pack.bin, docs/voice-pack.md) read from disk: the
// Node.js side of loading a reader's voice region (a browser build passes the bytes itself).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
/** The repository's pack, seen from simulator/dist/src (compiled) or simulator/src (the sources). */
const REPO_PACK = [here("../../../firmware/voice/voice-pack.bin"), here("../../firmware/voice/voice-pack.bin")].find((p) => existsSync(p));
/** The copy an installed @segl/simulator package ships (made by its `prepack` script). */
const PACKAGED_PACK = here("../../firmware/voice-pack.bin");

/** The pack a simulated audio reader gets by default: SEGL_VOICE_PACK, else the repository's, else the packaged copy. */
export const DEFAULT_VOICE_PACK_PATH = process.env.SEGL_VOICE_PACK || (REPO_PACK ?? PACKAGED_PACK);

const cache = new Map<string, Uint8Array>();

/** The bytes of a voice pack file (cached; callers get their own copy). */
export function loadVoicePackFile(path: string = DEFAULT_VOICE_PACK_PATH): Uint8Array {
  let bytes = cache.get(path);
  if (!bytes) cache.set(path, (bytes = new Uint8Array(readFileSync(path))));
  return bytes.slice();
}
