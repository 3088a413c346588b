// Broker-side FIDO2/WebAuthn verification, COSE keys, authenticatorData, maker CA.
export {
  verifyRegistration, verifyAssertion, checkCounter, checkClientData, FidoVerifier,
  type VerifyRegistrationOptions, type RegistrationResult, type RegisteredCredential, type AttestationResult,
  type VerifyAssertionOptions, type AssertionResult, type StoredCredential, type CounterStatus, type ClientDataCheck,
  type ExpectedChallenge, type ExpectedOrigin, type FidoVerifierOptions, type FidoPolicy, type AttestationRequirement,
  type FidoVerifierRegistration, type FidoVerifierAssertion, DEFAULT_ALLOWED_ALGORITHMS,
} from "./verify.js";
export {
  checkAttestationCertificate, checkChain, validityProblems, parseX5c, verifySignature, OID_FIDO_GEN_CE_AAGUID,
  type AttestationFormat, type AttestationType, type AttestationTrust, type TrustAnchorInput,
} from "./attestation.js";
export {
  parseAuthenticatorData, parseAttestationObject, uuidString, uuidBytes, AUTH_DATA_FLAGS, WEBAUTHN_LIMITS,
  type AuthenticatorData, type AuthenticatorFlags, type AttestedCredentialData, type AttestationObject,
} from "./authdata.js";
export {
  parseCoseKey, coseKeyToKeyObject, coseEs256, coseEd25519, hashForAlg, algForKeyObject, COSE_ALG, COSE_KTY, COSE_CRV, COSE_LIMITS,
  type CoseKey,
} from "./cose.js";
export {
  createMakerCa, createBatchCertificate, issueCertificate, basicConstraintsExt, aaguidExt, ATTESTATION_OU,
  type MakerCaOptions, type BatchCertificateOptions, type IssuedCertificate, type IssueCertificateOptions,
  type NameAttribute, type CertificateExtension,
} from "./ca.js";
export { derToPem } from "./asn1.js";
export {
  parseCertFields, certFields, parseCertificate, pemToDer, CERT_LIMITS, type CertFields, type CertExtension,
} from "./certificate.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
export type { FidoFailureReason, FailureReason } from "../reasons.js";
