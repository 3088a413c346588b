// The CTAP2 authenticator API (CTAP 2.1 §6): command byte → handler. See docs/fido.md.
import { uptime_ms } from "../hal";
import { RD, statusOnly } from "./ctapio";
import { CBOR_CTAP_DEPTH, cborErrToCtap } from "./cbor";
import {
  NEED_UP, CTAP1_ERR_INVALID_COMMAND, CTAP1_ERR_INVALID_LENGTH, CTAP2_ERR_NOT_ALLOWED, CTAP1_ERR_OTHER,
} from "./status";
import { getInfo } from "./getinfo";
import { makeCredential } from "./makecred";
import { getAssertion, getNextAssertion, gaClear } from "./getassert";
import { credentialManagement, cmClear } from "./credmgmt";
import { clientPinCommand, pinReset } from "./pin";
import { credReset } from "./credential";

export const CMD_MAKE_CREDENTIAL: u8 = 0x01;
export const CMD_GET_ASSERTION: u8 = 0x02;
export const CMD_GET_INFO: u8 = 0x04;
export const CMD_CLIENT_PIN: u8 = 0x06;
export const CMD_RESET: u8 = 0x07;
export const CMD_GET_NEXT_ASSERTION: u8 = 0x08;
export const CMD_CREDENTIAL_MANAGEMENT: u8 = 0x0a;
/** The CTAP 2.1 preview's credential management command, still sent by platforms in use. */
export const CMD_CREDENTIAL_MANAGEMENT_PREVIEW: u8 = 0x41;
export const CMD_SELECTION: u8 = 0x0b;

/** authenticatorReset is accepted only this soon after power-up (CTAP 2.1 §6.6). */
export const RESET_WINDOW_MS: i64 = 10_000;
/** …and the touch it asks for must come within the transport's 30 s wait (plus a margin). */
export const RESET_UP_LIMIT_MS: i64 = RESET_WINDOW_MS + 30_000 + 1_000;

/**
 * Runs one CTAP2 request: req = command byte ‖ CBOR parameters (len bytes). Writes the response
 * (status byte ‖ CBOR) to out (at most outMax bytes) and returns its length, or NEED_UP when the
 * command needs a touch: the transport then waits for the button (sending KEEPALIVE UPNEEDED)
 * and calls again with the same request and upGranted = true. Nothing may be committed before
 * NEED_UP is returned. Never traps on any input.
 */
export function ctap2Dispatch(req: usize, len: u32, upGranted: bool, out: usize, outMax: u32): i32 {
  if (outMax < 1) return 0;
  if (len == 0) return statusOnly(out, outMax, CTAP1_ERR_INVALID_LENGTH);
  const cmd = load<u8>(req);
  if (cmd != CMD_GET_NEXT_ASSERTION) gaClear();
  if (cmd != CMD_CREDENTIAL_MANAGEMENT && cmd != CMD_CREDENTIAL_MANAGEMENT_PREVIEW) cmClear();
  const params = req + 1;
  const plen = len - 1;
  // Every command's parameters must be one canonical CBOR item (CTAP 2.1 §8), whatever the command.
  if (plen > 0) {
    const e = RD.open(params, plen, CBOR_CTAP_DEPTH);
    if (e < 0) return statusOnly(out, outMax, cborErrToCtap(e));
  }
  switch (cmd) {
    case CMD_GET_INFO: return getInfo(out, outMax);
    case CMD_MAKE_CREDENTIAL: return makeCredential(params, plen, upGranted, out, outMax);
    case CMD_GET_ASSERTION: return getAssertion(params, plen, upGranted, out, outMax);
    case CMD_GET_NEXT_ASSERTION: return getNextAssertion(out, outMax);
    case CMD_CLIENT_PIN: return clientPinCommand(params, plen, out, outMax);
    case CMD_RESET: return reset(upGranted, out, outMax);
    case CMD_CREDENTIAL_MANAGEMENT: return credentialManagement(params, plen, out, outMax);
    case CMD_CREDENTIAL_MANAGEMENT_PREVIEW: return credentialManagement(params, plen, out, outMax, true);
    case CMD_SELECTION: return upGranted ? statusOnly(out, outMax, 0) : NEED_UP;
    default: return statusOnly(out, outMax, CTAP1_ERR_INVALID_COMMAND);
  }
}

function reset(upGranted: bool, out: usize, outMax: u32): i32 {
  const t = uptime_ms();
  if (!upGranted) return t > RESET_WINDOW_MS ? statusOnly(out, outMax, CTAP2_ERR_NOT_ALLOWED) : NEED_UP;
  if (t > RESET_UP_LIMIT_MS) return statusOnly(out, outMax, CTAP2_ERR_NOT_ALLOWED);
  if (credReset() != 0) return statusOnly(out, outMax, CTAP1_ERR_OTHER);
  if (pinReset() != 0) return statusOnly(out, outMax, CTAP1_ERR_OTHER);
  return statusOnly(out, outMax, 0);
}

/** Called once per power-up (after the store is mounted and credPowerUp ran). */
export function ctap2PowerUp(): void {
  gaClear();
  cmClear();
}
