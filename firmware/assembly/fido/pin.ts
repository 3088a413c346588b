// CONTRACT (helper K fills in): authenticatorClientPIN (CTAP 2.1 §6.5) with PIN/UV auth
// protocols 1 and 2, and the services other commands need from it.

/** authenticatorClientPIN: params = the CBOR map after the command byte. Writes status ‖ CBOR to out; returns the length. */
export function clientPinCommand(params: usize, len: u32, out: usize, outMax: u32): i32 {
  store<u8>(out, 0x01);
  return 1;
}
/** Power-up: fresh key-agreement keys and pinUvAuthToken, per-boot retry allowance back to 3. */
export function pinPowerUp(): void {}
/** authenticatorReset: forget the PIN and tokens. Returns 0 or a store error. */
export function pinReset(): i32 { return 0; }
export function pinIsSet(): bool { return false; }
/** Minimum PIN length in code points (getInfo 0x0D). */
export function pinMinLength(): u32 { return 4; }
export function pinProtocolSupported(protocol: u32): bool { return false; }
/**
 * Checks pinUvAuthParam = authenticate(pinUvAuthToken, msg) for a command needing `permission`
 * (0x01 mc, 0x02 ga, 0x04 cm, …) and, when rpId is given (rpIdLen > 0), the token's RP binding
 * (binds it on first use). Returns a CTAP status: 0, PIN_AUTH_INVALID, UNAUTHORIZED_PERMISSION,
 * PIN_NOT_SET, PUAT_REQUIRED …
 */
export function pinCheckAuth(
  protocol: u32, permission: u32, rpId: usize, rpIdLen: u32, msg: usize, msgLen: u32, param: usize, paramLen: u32,
): u8 { return 0x33; }
/** After a makeCredential/getAssertion that used the token with user presence: clear its UP state as CTAP 2.1 requires. */
export function pinTokenUsed(): void {}

// ---- hmac-secret: the platform's key agreement and the shared secret derived from it ----
/** Decapsulates keyAgreement (COSE_Key CBOR) for protocol and keeps the shared secret. Returns a CTAP status. */
export function pinSharedFromCose(protocol: u32, cose: usize, coseLen: u32): u8 { return 0x33; }
/** verify(sharedSecret, msg, sig) of the protocol (16-byte LEFT for v1, 32 bytes for v2). */
export function pinSharedVerify(msg: usize, msgLen: u32, sig: usize, sigLen: u32): bool { return false; }
/** decrypt(sharedSecret, ct) → plaintext length, or -1. */
export function pinSharedDecrypt(ct: usize, ctLen: u32, out: usize): i32 { return -1; }
/** encrypt(sharedSecret, pt) → ciphertext length (v2 prepends a random IV), or -1. */
export function pinSharedEncrypt(pt: usize, ptLen: u32, out: usize): i32 { return -1; }
