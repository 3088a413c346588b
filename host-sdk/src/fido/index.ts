// Broker-side FIDO2/WebAuthn verification, COSE keys, authenticatorData, maker CA.
export {
  verifyRegistration, verifyAssertion, checkCounter, checkClientData, FidoVerifier,
  type VerifyRegistrationOptions, type RegistrationResult, type RegisteredCredential, type AttestationResult,
  type VerifyAssertionOptions, type AssertionResult, type StoredCredential, type CounterStatus, type ClientDataCheck,
  type ExpectedChallenge, type FidoVerifierOptions,
} from "./verify.js";
export {
  checkAttestationCertificate, checkChain, verifySignature, OID_FIDO_GEN_CE_AAGUID,
  type AttestationFormat, type AttestationType, type AttestationTrust, type TrustAnchorInput,
} from "./attestation.js";
export {
  parseAuthenticatorData, parseAttestationObject, uuidString, uuidBytes, AUTH_DATA_FLAGS,
  type AuthenticatorData, type AuthenticatorFlags, type AttestedCredentialData, type AttestationObject,
} from "./authdata.js";
export {
  parseCoseKey, coseKeyToKeyObject, coseEs256, coseEd25519, hashForAlg, algForKeyObject, COSE_ALG, COSE_KTY, COSE_CRV,
  type CoseKey,
} from "./cose.js";
export {
  createMakerCa, createBatchCertificate, issueCertificate, basicConstraintsExt, aaguidExt, ATTESTATION_OU,
  type MakerCaOptions, type BatchCertificateOptions, type IssuedCertificate, type IssueCertificateOptions,
  type NameAttribute, type CertificateExtension,
} from "./ca.js";
export { parseCertFields, derToPem, pemToDer, type CertFields, type CertExtension } from "./asn1.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
export type { FidoFailureReason, FailureReason } from "../reasons.js";
