// One vocabulary for the verdicts of every verifier: a result says `verified: boolean`, and why
// it is false is said with these stable codes (kebab-case strings, public API like error codes:
// never renamed, new ones may be added). docs/verification.md and docs/fido-verification.md
// list them. A wrong code, a bad signature or a replay is a verdict, never an error: errors
// (SeglError) are for calls that could not be judged at all.

/**
 * Why a TOTP/HOTP attempt failed. The caller always gets the identical `{ verified: false }`
 * (a broker must not tell an attacker which); the reason goes to the audit hook only.
 */
export type OtpFailureReason =
  /** No device of this kind has that id. */
  | "unknown-device"
  /** The device is locked out; the code was not even looked at. */
  | "locked"
  /** Not a string of the device's number of digits. */
  | "malformed"
  /** No step (counter) in the window gives this code. */
  | "mismatch"
  /** The code belongs to a step at or below the replay floor: it was accepted before. */
  | "replay"
  /** Other verifiers kept changing the record; failed closed. */
  | "contention"
  /** The stored row failed authentication (ROW_TAMPERED), its key is missing or it is of the old format; the call threw. */
  | "tampered";

/** Why a FIDO2 registration or assertion is not verified; a result lists every one that applies. */
export type FidoFailureReason =
  /** The assertion's (or attestation statement's) signature does not verify. */
  | "signature-invalid"
  /** rpIdHash is not the hash of an expected RP ID. */
  | "rp-id-mismatch"
  /** UP is clear and presence was required (the default). */
  | "user-not-present"
  /** UV is clear and verification was required. */
  | "user-not-verified"
  /** Flags that contradict each other (BS without BE). */
  | "flags-inconsistent"
  /** clientDataJSON.type is not webauthn.create / webauthn.get as the call expects. */
  | "client-data-type"
  /** clientDataJSON.challenge is not the expected one. */
  | "challenge-mismatch"
  /** clientDataJSON.origin is not an expected origin. */
  | "origin-mismatch"
  /** The signature counter did not grow (possible cloned authenticator) under counterPolicy "reject". */
  | "counter-regressed"
  /** The authenticator's AAGUID is not the expected one. */
  | "aaguid-mismatch"
  /** The attestation statement or its certificates break the rules (WebAuthn §8, the chain check). */
  | "attestation-invalid"
  /** The attestation does not chain to a trust anchor (or there is none) while the policy requires it (the default "chained"). */
  | "attestation-untrusted"
  /** clientData says crossOrigin (or carries a topOrigin) and the caller did not allow that top origin. */
  | "cross-origin"
  /** The credential's algorithm is not in allowedAlgorithms, or its RSA key is below 2048 bits. */
  | "algorithm-not-allowed"
  /** The credential id the client returned is not the stored credential's. */
  | "credential-id-mismatch"
  /** The userHandle the client returned is not the credential's user (or is missing when required). */
  | "user-handle-mismatch"
  /** FidoBroker: the ceremony's challenge was never issued, has expired, was already used, or was issued for another ceremony. */
  | "challenge-unknown"
  /** FidoBroker: no credential with the returned id is registered for this RP (or for the account the challenge was issued to). */
  | "unknown-credential"
  /** FidoBroker: a registration of a credential id that is already registered. */
  | "credential-exists"
  /** FidoBroker: the client's response could not be parsed (clientDataJSON, authenticatorData, CBOR). */
  | "malformed"
  /** FidoBroker: other nodes kept advancing the credential's counter; failed closed. */
  | "contention";

/** Every reason code of the SDK's verifiers. */
export type FailureReason = OtpFailureReason | FidoFailureReason;

/** The reasons a clientData check failed, from its per-field verdicts. */
export function clientDataReasons(
  c: { typeValid: boolean; challengeValid?: boolean; originValid?: boolean; crossOriginValid?: boolean } | undefined,
): FidoFailureReason[] {
  if (c === undefined) return [];
  const r: FidoFailureReason[] = [];
  if (!c.typeValid) r.push("client-data-type");
  if (c.challengeValid === false) r.push("challenge-mismatch");
  if (c.originValid === false) r.push("origin-mismatch");
  if (c.crossOriginValid === false) r.push("cross-origin");
  return r;
}
