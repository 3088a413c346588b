// CONTRACT (helper J fills in): the CTAP2 authenticator API (CTAP 2.1 §6).
/**
 * Runs one CTAP2 request: req = command byte ‖ CBOR parameters (len bytes). Writes the response
 * (status byte ‖ CBOR) to out (at most outMax bytes) and returns its length, or NEED_UP when the
 * command needs a touch: the transport then waits for the button (sending KEEPALIVE UPNEEDED)
 * and calls again with the same request and upGranted = true. Nothing may be committed before
 * NEED_UP is returned. Never traps on any input.
 */
export function ctap2Dispatch(req: usize, len: u32, upGranted: bool, out: usize, outMax: u32): i32 {
  store<u8>(out, 0x01); // CTAP1_ERR_INVALID_COMMAND until implemented
  return 1;
}

/** Called once per power-up (after the store is mounted). */
export function ctap2PowerUp(): void {}
