// CONTRACT (helper J fills in): credential IDs that carry their own key (non-discoverable
// credentials cost no storage), per-credential signature counters, the master secret.
export const CRED_ID_LEN: u32 = 64; // J may change this; users read it

/**
 * Makes a new P-256 credential bound to rpIdHash (32 B): writes its credential ID (CRED_ID_LEN
 * bytes) to outId and its private key (32 B) to priv. flags: bits 0-1 credProtect level - 1,
 * bit 2 discoverable. Returns the ID length or a negative error.
 */
export function credNew(rpIdHash: usize, flags: u8, outId: usize, priv: usize): i32 { return -1; }
/**
 * If id is a credential ID this authenticator made for rpIdHash (constant-time MAC check),
 * writes its private key to priv and its flags to the byte at outFlags, returns 0; else negative.
 */
export function credUnwrap(id: usize, idLen: u32, rpIdHash: usize, priv: usize, outFlags: usize): i32 { return -1; }
/** Increments the credential's signature counter and COMMITS it to flash; returns the new value, or -1 on a store failure. */
export function counterNext(id: usize, idLen: u32): i64 { return -1; }
/** Power-up: loads or creates the master secret. */
export function credPowerUp(): void {}
/** authenticatorReset: new master secret (every old credential ID stops working), discoverable credentials and counters erased. */
export function credReset(): i32 { return 0; }
