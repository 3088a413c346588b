// CTAP1/U2F raw messages (FIDO U2F raw message formats v1.2) over CTAPHID_MSG: ISO 7816-4 APDUs
// in short or extended form. Key handles are CTAP2 credential IDs (credential.ts), so a
// credential made by makeCredential also answers U2F for appParam = SHA-256(rpId), and the key
// handle authenticates the appParam (check-only cannot be fooled across applications).
//
// Attestation: REGISTER signs with the factory batch key and sends its certificate when one is
// provisioned (attestation.ts). Without one, the credential attests itself: the certificate is a
// minimal self-signed X.509 v3 certificate (CN "Segl U2F") over the credential's own public key,
// and the registration signature is made with the credential key. Verifiers see an untrusted
// self attestation, which is the truth; nothing links two registrations together.
import { sha256, sha256Init, sha256Update, sha256Final, SHA256_CTX_SIZE } from "../crypto/sha256";
import { p256Sign, P256_OK } from "../crypto/p256/ecdsa";
import { p256PublicKey } from "../crypto/p256/ecdh";
import { credNew, credUnwrap, counterNext, CRED_ID_LEN } from "./credential";
import { attestationPresent, attestationSign, attestationCert } from "./attestation";
import { upConsume } from "../platform/presence";
import { writeU32BE } from "../util/bytes";
import { secret } from "../platform/secrets";

export const SW_NO_ERROR: u32 = 0x9000;
export const SW_CONDITIONS_NOT_SATISFIED: u32 = 0x6985;
export const SW_WRONG_DATA: u32 = 0x6a80;
export const SW_WRONG_LENGTH: u32 = 0x6700;
export const SW_INS_NOT_SUPPORTED: u32 = 0x6d00;
export const SW_CLA_NOT_SUPPORTED: u32 = 0x6e00;
/** Internal failure (store, crypto): "no precise diagnosis". */
export const SW_UNKNOWN: u32 = 0x6f00;

export const U2F_REGISTER: u8 = 0x01;
export const U2F_AUTHENTICATE: u8 = 0x02;
export const U2F_VERSION: u8 = 0x03;
export const AUTH_ENFORCE: u8 = 0x03;
export const AUTH_CHECK_ONLY: u8 = 0x07;
export const AUTH_DONT_ENFORCE: u8 = 0x08;

const PRIV: usize = secret(memory.data(32, 16), 32);
const PUB: usize = memory.data(64, 16);
const DIG: usize = memory.data(32, 16);
const RS: usize = memory.data(64, 16);
const KH: usize = memory.data(256, 16);
const FLAGS: usize = memory.data(4, 4);
const CNT: usize = memory.data(4, 4);
const HCTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const ZERO: usize = memory.data(1);
const UPB: usize = memory.data(1);

// Self-signed certificate: tbsCertificate up to the public key point (x ‖ y follows), then the
// signature algorithm. Version 3, serial 1, ecdsa-with-SHA256, issuer = subject = CN "Segl U2F",
// valid 2020-01-01 .. 9999-12-31 23:59:59 (no expiry), id-ecPublicKey / prime256v1.
const TBS_PREFIX: usize = memory.data<u8>([
  0x30, 0x81, 0xbb,
  0xa0, 0x03, 0x02, 0x01, 0x02,
  0x02, 0x01, 0x01,
  0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
  0x30, 0x13, 0x31, 0x11, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x08,
  0x53, 0x65, 0x67, 0x6c, 0x20, 0x55, 0x32, 0x46,
  0x30, 0x20,
  0x17, 0x0d, 0x32, 0x30, 0x30, 0x31, 0x30, 0x31, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x5a,
  0x18, 0x0f, 0x39, 0x39, 0x39, 0x39, 0x31, 0x32, 0x33, 0x31, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5a,
  0x30, 0x13, 0x31, 0x11, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x08,
  0x53, 0x65, 0x67, 0x6c, 0x20, 0x55, 0x32, 0x46,
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
  0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
]);
const TBS_PREFIX_LEN: u32 = 126;
const TBS_LEN: u32 = TBS_PREFIX_LEN + 64; // 190 = 3 + 0xbb
const SIG_ALG: usize = memory.data<u8>([0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]);
const SIG_ALG_LEN: u32 = 12;
const TBS: usize = memory.data(<i32>TBS_LEN, 16);
const CERT_SIG: usize = memory.data(80, 16);

// parsed APDU
let cIns: u8 = 0;
let cP1: u8 = 0;
let cData: usize = 0;
let cLc: u32 = 0;

/** Appends SW1 SW2 at out + n; returns n + 2. */
function sw(out: usize, n: u32, code: u32): i32 {
  store<u8>(out + n, <u8>(code >> 8));
  store<u8>(out + n + 1, <u8>code);
  return <i32>(n + 2);
}

/** Splits an APDU (short or extended form) into INS, P1, data. Returns 0 or a status word. */
function parseApdu(apdu: usize, len: u32): u32 {
  if (len < 4) return SW_WRONG_LENGTH;
  if (load<u8>(apdu) != 0) return SW_CLA_NOT_SUPPORTED;
  cIns = load<u8>(apdu + 1);
  cP1 = load<u8>(apdu + 2);
  cData = apdu + 4;
  cLc = 0;
  if (len == 4) return 0; // case 1
  const b4 = <u32>load<u8>(apdu + 4);
  if (len == 5) return 0; // case 2 short: Le only
  if (b4 != 0) { // short Lc
    cData = apdu + 5;
    cLc = b4;
    return len == 5 + b4 || len == 6 + b4 ? 0 : SW_WRONG_LENGTH;
  }
  if (len < 7) return SW_WRONG_LENGTH;
  if (len == 7) return 0; // case 2 extended: 00 Le1 Le2
  const lc = (<u32>load<u8>(apdu + 5) << 8) | <u32>load<u8>(apdu + 6);
  if (lc == 0) return len == 9 ? 0 : SW_WRONG_LENGTH; // 00 0000 Le1 Le2: no data (python-fido2 0.9 sends VERSION so)
  cData = apdu + 7;
  cLc = lc;
  return len == 7 + lc || len == 9 + lc ? 0 : SW_WRONG_LENGTH;
}

/**
 * Runs one ISO 7816-4 APDU (short or extended form). Writes response data ‖ SW1 SW2 to out and
 * returns its length. User presence for REGISTER / AUTHENTICATE(enforce) comes from upConsume()
 * in up.ts (a touch latched shortly before): without it, answer 0x6985 at once (the host polls).
 */
export function u2fDispatch(apdu: usize, len: u32, out: usize, outMax: u32): i32 {
  if (outMax < 2) return 0;
  const e = parseApdu(apdu, len);
  if (e != 0) return sw(out, 0, e);
  if (cIns == U2F_VERSION) {
    if (cLc != 0) return sw(out, 0, SW_WRONG_LENGTH);
    if (outMax < 8) return sw(out, 0, SW_UNKNOWN);
    store<u8>(out, 0x55); store<u8>(out + 1, 0x32); store<u8>(out + 2, 0x46); // "U2F_V2"
    store<u8>(out + 3, 0x5f); store<u8>(out + 4, 0x56); store<u8>(out + 5, 0x32);
    return sw(out, 6, SW_NO_ERROR);
  }
  let r: i32;
  if (cIns == U2F_REGISTER) r = register(out, outMax);
  else if (cIns == U2F_AUTHENTICATE) r = authenticate(out, outMax);
  else return sw(out, 0, SW_INS_NOT_SUPPORTED);
  memory.fill(PRIV, 0, 32);
  return r;
}

/** DER ECDSA-Sig-Value of r ‖ s (64 bytes) to out; returns its length (8..72). */
export function derSignature(rs: usize, out: usize): u32 {
  let p: u32 = 2;
  for (let h: u32 = 0; h < 2; h++) {
    const v = rs + h * 32;
    let i: u32 = 0;
    while (i < 31 && load<u8>(v + i) == 0) i++;
    const pad: u32 = load<u8>(v + i) >= 0x80 ? 1 : 0;
    const n = 32 - i + pad;
    store<u8>(out + p, 0x02);
    store<u8>(out + p + 1, <u8>n);
    if (pad) store<u8>(out + p + 2, 0);
    memory.copy(out + p + 2 + pad, v + i, 32 - i);
    p += 2 + n;
  }
  store<u8>(out, 0x30);
  store<u8>(out + 1, <u8>(p - 2));
  return p;
}

/** The self-signed certificate of the key (PRIV, PUB) to out; returns its length. Needs ≤ 300 bytes. */
function selfCert(out: usize): i32 {
  memory.copy(TBS, TBS_PREFIX, TBS_PREFIX_LEN);
  memory.copy(TBS + TBS_PREFIX_LEN, PUB, 64);
  sha256(TBS, TBS_LEN, DIG);
  if (p256Sign(PRIV, DIG, RS) != P256_OK) return -1;
  const sigLen = derSignature(RS, CERT_SIG);
  const bitLen = 1 + sigLen;
  const content = TBS_LEN + SIG_ALG_LEN + 2 + bitLen; // 213..277
  let p: u32 = 0;
  store<u8>(out, 0x30);
  if (content < 0x100) { store<u8>(out + 1, 0x81); store<u8>(out + 2, <u8>content); p = 3; }
  else { store<u8>(out + 1, 0x82); store<u8>(out + 2, <u8>(content >> 8)); store<u8>(out + 3, <u8>content); p = 4; }
  memory.copy(out + p, TBS, TBS_LEN); p += TBS_LEN;
  memory.copy(out + p, SIG_ALG, SIG_ALG_LEN); p += SIG_ALG_LEN;
  store<u8>(out + p, 0x03); store<u8>(out + p + 1, <u8>bitLen); store<u8>(out + p + 2, 0); p += 3;
  memory.copy(out + p, CERT_SIG, sigLen); p += sigLen;
  return <i32>p;
}

function register(out: usize, outMax: u32): i32 {
  if (cLc != 64) return sw(out, 0, SW_WRONG_LENGTH);
  const chal = cData;
  const app = cData + 32;
  // 05 ‖ pub(65) ‖ khLen ‖ kh ‖ cert(≤ 1024) ‖ sig(≤ 72) ‖ SW
  if (outMax < 1 + 65 + 1 + CRED_ID_LEN + 1024 + 72 + 2) return sw(out, 0, SW_UNKNOWN);
  if (!upConsume()) return sw(out, 0, SW_CONDITIONS_NOT_SATISFIED);
  const khLen = credNew(app, 0, KH, PRIV);
  if (khLen <= 0 || khLen > 255) return sw(out, 0, SW_UNKNOWN);
  if (p256PublicKey(PRIV, PUB) != P256_OK) return sw(out, 0, SW_UNKNOWN);
  let p: u32 = 0;
  store<u8>(out, 0x05);
  store<u8>(out + 1, 0x04);
  memory.copy(out + 2, PUB, 64);
  store<u8>(out + 66, <u8>khLen);
  memory.copy(out + 67, KH, khLen);
  p = 67 + <u32>khLen;
  const batch = attestationPresent();
  let certLen: i32 = batch ? attestationCert(out + p, 1024) : selfCert(out + p);
  if (certLen <= 0) return sw(out, 0, SW_UNKNOWN);
  p += <u32>certLen;
  // signature over 0x00 ‖ appParam ‖ challengeParam ‖ keyHandle ‖ publicKey
  store<u8>(ZERO, 0);
  sha256Init(HCTX);
  sha256Update(HCTX, ZERO, 1);
  sha256Update(HCTX, app, 32);
  sha256Update(HCTX, chal, 32);
  sha256Update(HCTX, KH, khLen);
  sha256Update(HCTX, out + 1, 65);
  sha256Final(HCTX, DIG);
  const ok = batch ? attestationSign(DIG, RS) == 0 : p256Sign(PRIV, DIG, RS) == P256_OK;
  if (!ok) return sw(out, 0, SW_UNKNOWN);
  p += derSignature(RS, out + p);
  return sw(out, p, SW_NO_ERROR);
}

function authenticate(out: usize, outMax: u32): i32 {
  if (cLc < 65) return sw(out, 0, SW_WRONG_LENGTH);
  const chal = cData;
  const app = cData + 32;
  const khLen = <u32>load<u8>(cData + 64);
  if (cLc != 65 + khLen) return sw(out, 0, SW_WRONG_LENGTH);
  const kh = cData + 65;
  if (cP1 != AUTH_ENFORCE && cP1 != AUTH_CHECK_ONLY && cP1 != AUTH_DONT_ENFORCE) return sw(out, 0, SW_WRONG_DATA);
  if (outMax < 5 + 72 + 2) return sw(out, 0, SW_UNKNOWN);
  // ours, for this appParam, and not credProtect level 3 (userVerificationRequired: U2F has no UV)
  if (credUnwrap(kh, khLen, app, PRIV, FLAGS) != 0 || (load<u8>(FLAGS) & 3) == 2) return sw(out, 0, SW_WRONG_DATA);
  if (cP1 == AUTH_CHECK_ONLY) return sw(out, 0, SW_CONDITIONS_NOT_SATISFIED);
  let up: u8 = 0;
  if (cP1 == AUTH_ENFORCE) {
    if (!upConsume()) return sw(out, 0, SW_CONDITIONS_NOT_SATISFIED);
    up = 1;
  }
  // the counter is durable before the signature leaves
  const c = counterNext(kh, khLen);
  if (c < 0) return sw(out, 0, SW_UNKNOWN);
  writeU32BE(CNT, <u32>c);
  store<u8>(UPB, up);
  sha256Init(HCTX);
  sha256Update(HCTX, app, 32);
  sha256Update(HCTX, UPB, 1);
  sha256Update(HCTX, CNT, 4);
  sha256Update(HCTX, chal, 32);
  sha256Final(HCTX, DIG);
  if (p256Sign(PRIV, DIG, RS) != P256_OK) return sw(out, 0, SW_UNKNOWN);
  store<u8>(out, up);
  memory.copy(out + 1, CNT, 4);
  const n = derSignature(RS, out + 5);
  return sw(out, 5 + n, SW_NO_ERROR);
}
