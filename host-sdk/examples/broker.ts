// A broker, in one file: it verifies a TOTP code from a code display against state kept in
// SQLite (replay floor, drift, lockout), and a FIDO2 assertion from a chip against the public key
// stored at registration. It needs only `npm install @segl/host-sdk` — no simulator, no native
// modules. Run: node broker.js input.json (see host-sdk/README.md for the input).
import { readFileSync } from "node:fs";
import { SqliteStore, TotpVerifier } from "@segl/host-sdk/verify";
import { verifyAssertion } from "@segl/host-sdk/fido";
import { base32Decode } from "@segl/host-sdk/otp";
import { isSeglError } from "@segl/host-sdk/errors";

interface Input {
  /** Where the verifier keeps its state (a file; its directory must exist). */
  database: string;
  /** 32 bytes, hex: seals every seed at rest. Keep it apart from the database. */
  storageKeyHex: string;
  /** A code display as the maker's PSKC file describes it, and the code its user typed. */
  display: { serial: string; seedBase32: string; code: string; nowMs: number };
  /** A chip's credential as stored at registration, and an assertion as the browser returned it. */
  chip: {
    credentialIdB64url: string;
    publicKeyCoseB64url: string;
    signCount: number;
    /** The user handle (user.id) the credential was registered for. */
    userHandleB64url: string;
    /** The credential id the browser returned with the assertion (rawId). */
    rawIdB64url: string;
    authenticatorDataB64url: string;
    clientDataJSON: string;
    signatureB64url: string;
    challengeB64url: string;
  };
  rpId: string;
  origin: string;
}

const input = JSON.parse(readFileSync(process.argv[2] ?? "input.json", "utf8")) as Input;
const b64u = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));

// --- TOTP: enroll once (from the maker's PSKC), then verify each code the user types.
const store = new SqliteStore(input.database, { secretKey: new Uint8Array(Buffer.from(input.storageKeyHex, "hex")) });
const totp = new TotpVerifier({ store, maxFailures: 3, lockoutMs: 15 * 60_000 });
try {
  await totp.enroll(input.display.serial, { secret: base32Decode(input.display.seedBase32) });
} catch (err) {
  if (!isSeglError(err, "ALREADY_EXISTS")) throw err; // enrolled by an earlier run
}
const first = await totp.verify(input.display.serial, input.display.code, { now: input.display.nowMs });
const again = await totp.verify(input.display.serial, input.display.code, { now: input.display.nowMs }); // a replay
store.close();

// --- FIDO2: check the assertion with the stored public key alone. Challenge, origin and RP ID are
// required; the returned credential id must be the stored one. This chip has no PIN set, so the
// broker says explicitly that it accepts an assertion without user verification (the default requires it).
const assertion = verifyAssertion({
  credential: {
    id: b64u(input.chip.credentialIdB64url), publicKey: b64u(input.chip.publicKeyCoseB64url), signCount: input.chip.signCount,
    userHandle: b64u(input.chip.userHandleB64url),
  },
  credentialId: b64u(input.chip.rawIdB64url),
  requireUserVerification: false,
  authenticatorData: b64u(input.chip.authenticatorDataB64url),
  clientDataJSON: input.chip.clientDataJSON,
  signature: b64u(input.chip.signatureB64url),
  expectedChallenge: input.chip.challengeB64url,
  expectedOrigin: input.origin,
  expectedRpId: input.rpId,
});

console.log(JSON.stringify({
  totp: { first: first.verified, replay: again.verified, driftSteps: first.verified ? first.driftSteps : null },
  fido: { verified: assertion.verified, counter: assertion.counter.status, nextSignCount: assertion.counter.next, reasons: assertion.reasons },
}));
