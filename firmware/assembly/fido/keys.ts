// Store key allocation for the FIDO side (docs/storage.md lists every owner).
// 0x0010..0x001F device configuration (state.ts)
export const KEY_FIDO_MASTER: u32 = 0x0100; // 32-byte master secret: credential wrapping (credential.ts)
export const KEY_ATT_KEY: u32 = 0x0101; // 32-byte batch attestation private key (attestation.ts)
export const KEY_ATT_CERT: u32 = 0x0102; // batch attestation certificate, DER (attestation.ts)
export const KEY_PIN_STATE: u32 = 0x0110; // PIN hash, retries, policy (pin.ts)
export const KEY_GLOBAL_COUNTER: u32 = 0x0120; // reserved
export const KEY_RK_FIRST: u32 = 0x1000; // discoverable credentials 0x1000..0x10FF (credstore.ts)
export const KEY_RK_LAST: u32 = 0x10ff;
export const KEY_COUNTER_FIRST: u32 = 0x2000; // per-credential signature counters 0x2000..0x2FFF
export const KEY_COUNTER_LAST: u32 = 0x2fff;
