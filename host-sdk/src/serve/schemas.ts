// JSON schemas of the broker server's request bodies (validated by Fastify's Ajv before a handler runs).
// Binary values are base64url text; ids follow the verifiers' rules (1..256 characters).

const id = { type: "string", minLength: 1, maxLength: 256 } as const;
const kind = { type: "string", enum: ["totp", "hotp"] } as const;
const code = { type: "string", minLength: 1, maxLength: 64 } as const;
const b64u = (max: number, min = 1) => ({ type: "string", minLength: min, maxLength: max, pattern: "^[A-Za-z0-9_-]+$" }) as const;
const obj = (properties: Record<string, unknown>, required: readonly string[]) => ({ type: "object", additionalProperties: false, properties, required }) as const;

export const ROUTES = {
  otpEnroll: {
    path: "/v1/otp/enroll",
    body: obj({
      id, kind,
      /** The seed, base32 (RFC 4648, padding optional): 16..256 bytes. Never logged, never answered. */
      secret: { type: "string", minLength: 26, maxLength: 416, pattern: "^[A-Za-z2-7]+=*$" },
      algorithm: { type: "string", enum: ["SHA1", "SHA256", "SHA512"] },
      digits: { type: "integer", minimum: 6, maximum: 10 },
      period: { type: "integer", minimum: 1, maximum: 86_400 },
      t0: { type: "integer", minimum: 0 },
      counter: { type: "integer", minimum: 0 },
    }, ["id", "secret"]),
  },
  otpVerify: { path: "/v1/otp/verify", body: obj({ id, kind, code }, ["id", "code"]) },
  otpResync: { path: "/v1/otp/resync", body: obj({ id, kind, code1: code, code2: code }, ["id", "code1", "code2"]) },
  otpUnlock: { path: "/v1/otp/unlock", body: obj({ id, kind }, ["id"]) },
  otpRemove: { path: "/v1/otp/remove", body: obj({ id, kind }, ["id"]) },
  fidoRegistrationOptions: {
    path: "/v1/fido/registration/options",
    body: obj({ userHandle: b64u(86), name: { type: "string", minLength: 1, maxLength: 256 }, displayName: { type: "string", maxLength: 256 } }, ["userHandle", "name"]),
  },
  fidoRegistrationVerify: {
    path: "/v1/fido/registration/verify",
    body: obj({ clientDataJSON: b64u(8192), attestationObject: b64u(43_000) }, ["clientDataJSON", "attestationObject"]),
  },
  fidoAssertionOptions: { path: "/v1/fido/assertion/options", body: obj({ userHandle: b64u(86) }, []) },
  fidoAssertionVerify: {
    path: "/v1/fido/assertion/verify",
    body: obj({
      credentialId: b64u(1364), clientDataJSON: b64u(8192), authenticatorData: b64u(8192), signature: b64u(1400),
      userHandle: { anyOf: [b64u(86), { type: "null" }] },
    }, ["credentialId", "clientDataJSON", "authenticatorData", "signature"]),
  },
} as const;

export type RouteName = keyof typeof ROUTES;
