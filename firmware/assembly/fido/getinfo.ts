// authenticatorGetInfo (CTAP 2.1 §6.4). Keys in canonical order; options map sorted by encoding.
import { WR } from "./ctapio";
import { aaguid } from "./attestation";
import { pinIsSet, pinMinLength } from "./pin";
import { rkCount, RK_CAPACITY } from "./credstore";
import { CRED_ID_LEN } from "./credential";
import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "../version";
import { CTAP1_ERR_OTHER } from "./status";

/** Largest CTAP message (CTAPHID: 57 + 128 · 59 bytes). */
export const MAX_MSG_SIZE: u32 = 7609;
/** maxCredentialCountInList announced to platforms (longer lists are still processed: the message size bounds them). */
export const MAX_CRED_COUNT_IN_LIST: u32 = 16;

export function getInfo(out: usize, outMax: u32): i32 {
  if (outMax < 1) return 0;
  WR.init(out + 1, outMax - 1);
  WR.map(13);
  WR.uint(0x01); // versions
  WR.array(3); WR.textLit("U2F_V2"); WR.textLit("FIDO_2_0"); WR.textLit("FIDO_2_1");
  WR.uint(0x02); // extensions
  WR.array(2); WR.textLit("credProtect"); WR.textLit("hmac-secret");
  WR.uint(0x03); // aaguid
  const a = WR.bytesOpen(16);
  if (a != 0) aaguid(a);
  WR.uint(0x04); // options: rk, up, credMgmt, clientPin, pinUvAuthToken, makeCredUvNotRqd, credentialMgmtPreview
  WR.map(7);
  WR.textLit("rk"); WR.bool(true);
  WR.textLit("up"); WR.bool(true);
  WR.textLit("credMgmt"); WR.bool(true);
  WR.textLit("clientPin"); WR.bool(pinIsSet());
  WR.textLit("pinUvAuthToken"); WR.bool(true);
  WR.textLit("makeCredUvNotRqd"); WR.bool(true);
  WR.textLit("credentialMgmtPreview"); WR.bool(true);
  WR.uint(0x05); WR.uint(MAX_MSG_SIZE);
  WR.uint(0x06); WR.array(2); WR.uint(2); WR.uint(1); // pinUvAuthProtocols
  WR.uint(0x07); WR.uint(MAX_CRED_COUNT_IN_LIST);
  WR.uint(0x08); WR.uint(CRED_ID_LEN);
  WR.uint(0x09); WR.array(1); WR.textLit("usb");
  WR.uint(0x0a); WR.array(1); WR.map(2); WR.textLit("alg"); WR.int(-7); WR.textLit("type"); WR.textLit("public-key");
  WR.uint(0x0d); WR.uint(pinMinLength());
  WR.uint(0x0e); WR.uint((<u32>FIRMWARE_MAJOR << 16) | (<u32>FIRMWARE_MINOR << 8) | <u32>FIRMWARE_PATCH);
  WR.uint(0x14); WR.uint(RK_CAPACITY - rkCount());
  const n = WR.length();
  if (n < 0) { store<u8>(out, CTAP1_ERR_OTHER); return 1; }
  store<u8>(out, 0);
  return n + 1;
}
