// CONTRACT (helper A fills in).
/**
 * RFC 6287 OCRA. suite = ASCII suite string; q = challenge as ASCII text (QN decimal digits,
 * QA characters, QH hex digits); pinHash = already-hashed PIN bytes (P); session = S bytes;
 * timeSteps = T value in the suite's step unit. Inputs the suite does not name are ignored.
 * Writes the response as ASCII digits to out; returns the digit count or a negative error.
 */
export function ocra(
  suite: usize, suiteLen: u32, key: usize, keyLen: u32, counter: u64,
  q: usize, qLen: u32, pinHash: usize, pinHashLen: u32,
  session: usize, sessionLen: u32, timeSteps: u64, out: usize,
): i32 {
  return -1; // STUB
}
