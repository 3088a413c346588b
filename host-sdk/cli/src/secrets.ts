// Keys and passwords on the command line of `segl provision` and `segl broker`: the PSKC transport
// key (--psk-hex, or --password / --password-file for PBKDF2) and the broker store's seal key
// (--store-key-file or $SEGL_STORE_KEY). Read here once, never echoed.
import { readFileSync } from "node:fs";
import { UsageError } from "./common.js";

export const PSKC_KEY_HELP = `  --psk-hex HEX       the pre-shared AES-128 transport key (32 hex digits)
  --key-name NAME     the pre-shared key's name in the file (default "segl-transport")
  --password PW       a password instead (PBKDF2); visible to other users in the process list
  --password-file F   read the password from the first line of file F (preferred to --password)`;

export type PskcSecret = { kind: "psk"; key: Uint8Array; keyName: string } | { kind: "password"; password: string };

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Exactly one of --psk-hex, --password, --password-file; a UsageError otherwise. */
export function pskcSecret(v: { "psk-hex"?: string; "key-name"?: string; password?: string; "password-file"?: string }): PskcSecret {
  const given = [v["psk-hex"], v.password, v["password-file"]].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError("give exactly one of --psk-hex HEX, --password PW, --password-file FILE");
  if (v["psk-hex"] !== undefined) {
    if (!HEX32.test(v["psk-hex"])) throw new UsageError("--psk-hex: 32 hex digits (a 16-byte AES-128 key)");
    return { kind: "psk", key: Uint8Array.from(Buffer.from(v["psk-hex"], "hex")), keyName: v["key-name"] ?? "segl-transport" };
  }
  let password = v.password;
  if (v["password-file"] !== undefined) {
    try {
      password = readFileSync(v["password-file"], "utf8").split(/\r?\n/)[0];
    } catch (e) {
      throw new UsageError(`--password-file: cannot read ${v["password-file"]} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (!password) throw new UsageError("the password is empty");
  return { kind: "password", password };
}

/** The broker store's 32-byte seal key: --store-key-file (64 hex digits) or $SEGL_STORE_KEY. */
export function storeKey(file: string | undefined, env: NodeJS.ProcessEnv): Uint8Array {
  let text: string | undefined;
  if (file !== undefined) {
    try {
      text = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new UsageError(`--store-key-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  } else {
    text = env.SEGL_STORE_KEY?.trim();
  }
  if (text === undefined) throw new UsageError("the store's seal key is required: --store-key-file FILE or $SEGL_STORE_KEY (64 hex digits)");
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new UsageError("the store's seal key is 64 hex digits (32 bytes)");
  return Uint8Array.from(Buffer.from(text, "hex"));
}
