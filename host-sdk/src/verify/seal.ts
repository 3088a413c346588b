// AES-256-GCM sealing of seeds at rest. Blob = 0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16), AAD = UTF-8(id).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { VerifierError } from "./types.js";

const FORMAT = 0x01;
const NONCE = 12;
const TAG = 16;

export function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new VerifierError("INVALID_ARGUMENT", "secretKey must be 32 bytes (AES-256)");
}

export function sealSecret(key: Uint8Array, id: string, secret: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG });
  c.setAAD(Buffer.from(id, "utf8"));
  const body = Buffer.concat([c.update(secret), c.final()]);
  return new Uint8Array(Buffer.concat([Buffer.of(FORMAT), nonce, body, c.getAuthTag()]));
}

export function openSecret(key: Uint8Array, id: string, blob: Uint8Array): Uint8Array {
  if (blob.length < 1 + NONCE + TAG || blob[0] !== FORMAT) {
    throw new VerifierError("SECRET_UNREADABLE", `sealed secret of ${JSON.stringify(id)} has an unknown format`);
  }
  try {
    const d = createDecipheriv("aes-256-gcm", key, blob.subarray(1, 1 + NONCE), { authTagLength: TAG });
    d.setAAD(Buffer.from(id, "utf8"));
    d.setAuthTag(blob.subarray(blob.length - TAG));
    return new Uint8Array(Buffer.concat([d.update(blob.subarray(1 + NONCE, blob.length - TAG)), d.final()]));
  } catch (cause) {
    throw new VerifierError("SECRET_UNREADABLE", `secret of ${JSON.stringify(id)} failed authentication (wrong key, or row tampered/moved)`, { cause });
  }
}
