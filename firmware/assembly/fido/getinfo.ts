// authenticatorGetInfo (CTAP 2.1 §6.4). Keys in canonical order; options map sorted by encoding.
import { WR } from "./ctapio";
import { aaguid } from "./attestation";
import { pinIsSet, pinMinLength } from "./pin";
import { rkCount, RK_CAPACITY } from "./credstore";
import { CRED_ID_LEN } from "./credential";
import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "../version";
import { CTAP1_ERR_OTHER } from "./status";
import { L_ALG, L_CLIENT_PIN, L_CREDENTIAL_MGMT_PREVIEW, L_CRED_MGMT, L_CRED_PROTECT, L_FIDO_2_0, L_FIDO_2_1, L_HMAC_SECRET, L_MAKE_CRED_UV_NOT_RQD, L_PIN_UV_AUTH_TOKEN, L_PUBLIC_KEY, L_RK, L_TYPE, L_U2F_V2, L_UP, L_USB } from "./lits";

/** Largest CTAP message (CTAPHID: 57 + 128 · 59 bytes). */
export const MAX_MSG_SIZE: u32 = 7609;
/** maxCredentialCountInList announced to platforms (longer lists are still processed: the message size bounds them). */
export const MAX_CRED_COUNT_IN_LIST: u32 = 16;

export function getInfo(out: usize, outMax: u32): i32 {
  if (outMax < 1) return 0;
  WR.init(out + 1, outMax - 1);
  WR.map(13);
  WR.uint(0x01); // versions
  WR.array(3); WR.textAscii(L_U2F_V2); WR.textAscii(L_FIDO_2_0); WR.textAscii(L_FIDO_2_1);
  WR.uint(0x02); // extensions
  WR.array(2); WR.textAscii(L_CRED_PROTECT); WR.textAscii(L_HMAC_SECRET);
  WR.uint(0x03); // aaguid
  const a = WR.bytesOpen(16);
  if (a != 0) aaguid(a);
  WR.uint(0x04); // options: rk, up, credMgmt, clientPin, pinUvAuthToken, makeCredUvNotRqd, credentialMgmtPreview
  WR.map(7);
  WR.textAscii(L_RK); WR.bool(true);
  WR.textAscii(L_UP); WR.bool(true);
  WR.textAscii(L_CRED_MGMT); WR.bool(true);
  WR.textAscii(L_CLIENT_PIN); WR.bool(pinIsSet());
  WR.textAscii(L_PIN_UV_AUTH_TOKEN); WR.bool(true);
  WR.textAscii(L_MAKE_CRED_UV_NOT_RQD); WR.bool(true);
  WR.textAscii(L_CREDENTIAL_MGMT_PREVIEW); WR.bool(true);
  WR.uint(0x05); WR.uint(MAX_MSG_SIZE);
  WR.uint(0x06); WR.array(2); WR.uint(2); WR.uint(1); // pinUvAuthProtocols
  WR.uint(0x07); WR.uint(MAX_CRED_COUNT_IN_LIST);
  WR.uint(0x08); WR.uint(CRED_ID_LEN);
  WR.uint(0x09); WR.array(1); WR.textAscii(L_USB);
  WR.uint(0x0a); WR.array(1); WR.map(2); WR.textAscii(L_ALG); WR.int(-7); WR.textAscii(L_TYPE); WR.textAscii(L_PUBLIC_KEY);
  WR.uint(0x0d); WR.uint(pinMinLength());
  WR.uint(0x0e); WR.uint((<u32>FIRMWARE_MAJOR << 16) | (<u32>FIRMWARE_MINOR << 8) | <u32>FIRMWARE_PATCH);
  WR.uint(0x14); WR.uint(RK_CAPACITY - rkCount());
  const n = WR.length();
  if (n < 0) { store<u8>(out, CTAP1_ERR_OTHER); return 1; }
  store<u8>(out, 0);
  return n + 1;
}
