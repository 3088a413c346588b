// CONTRACT (helper K fills in): CTAP1/U2F raw messages over CTAPHID_MSG.
/**
 * Runs one ISO 7816-4 APDU (short or extended form). Writes response data ‖ SW1 SW2 to out and
 * returns its length. User presence for REGISTER / AUTHENTICATE(enforce) comes from upConsume()
 * in up.ts (a touch latched shortly before): without it, answer 0x6985 at once (the host polls).
 */
export function u2fDispatch(apdu: usize, len: u32, out: usize, outMax: u32): i32 {
  store<u8>(out, 0x6d);
  store<u8>(out + 1, 0x00);
  return 2;
}
