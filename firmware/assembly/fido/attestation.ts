// CONTRACT (helper J fills in): the batch attestation key and certificate provisioned at the factory.
/** Stores a batch key (32 B) and certificate (DER); refused (negative) when either is malformed or the key is not the certificate's. */
export function attestationProvision(key: usize, cert: usize, certLen: u32): i32 { return -1; }
export function attestationPresent(): bool { return false; }
/** Signs a SHA-256 digest with the batch key: 64-byte r‖s to out; -1 when none is provisioned. */
export function attestationSign(digest: usize, out: usize): i32 { return -1; }
/** Copies the certificate DER to out (max bytes); returns its length or -1. */
export function attestationCert(out: usize, max: u32): i32 { return -1; }
/** The AAGUID of this device's model (16 B) to out. */
export function aaguid(out: usize): void { memory.fill(out, 0, 16); }
