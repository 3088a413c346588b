// The crypto modules' shared scratch, zeroed in one call: message schedules and one-shot
// contexts of the hashes, HMAC's inner digest and key cache, the P-256 temporaries. Each
// primitive already wipes what holds a key or a nonce before it returns (p256Sign, p256Ecdh,
// HMAC's padded key, AES's key schedule, HKDF, the DRBG); this catches what is left of the data
// that went through them. platform/secrets.ts calls it after every event.
import { sha256Wipe } from "./sha256";
import { sha1Wipe } from "./sha1";
import { sha512Wipe } from "./sha512";
import { hashWipe } from "./hash";
import { hmacWipe } from "./hmac";
import { pointWipe } from "./p256/point";
import { scWipe } from "./p256/arith";

export function cryptoWipe(): void {
  sha256Wipe();
  sha1Wipe();
  sha512Wipe();
  hashWipe();
  hmacWipe();
  pointWipe();
  scWipe();
}
