// Secret scratch: every buffer that carries a secret only for the length of one event (a private
// key being used, a decrypted PIN hash, a shared secret, a batch key read back, the service
// payload copy that carries a seed) is registered here where it is declared,
//   const PT: usize = secret(memory.data(96, 16), 96);
// and the device's event entry points (main.ts) call secretsWipe() after every event, whatever
// path the handler took, success or failure: a handler cannot forget to wipe, because wiping is
// not its job. The registry is filled once, at instantiation (top-level declarations); each
// buffer stays its own static allocation (so the guarded test build puts a guard after each).
// The crypto primitives (below this layer) wipe their own scratch and are swept too
// (crypto/scratch.ts). Long-lived secrets (the master secret, the PIN token, key agreement keys,
// the DRBG state) stay in their modules and are not registered.
import { fault } from "../hal";
import { cryptoWipe } from "../crypto/scratch";

/** Buffers the registry holds; secret() traps at instantiation when there are more. */
export const MAX_SECRETS: u32 = 32;
/** (address u32, length u32) per registered buffer. */
const TABLE: usize = memory.data(<i32>MAX_SECRETS * 8, 8);
let count: u32 = 0;

const FAULT_SECRETS: u32 = 2;

/** Registers a static buffer as per-event secret scratch and returns its address. */
export function secret(ptr: usize, len: u32): usize {
  if (count >= MAX_SECRETS) { fault(FAULT_SECRETS, 0); unreachable(); }
  const e = TABLE + (<usize>count << 3);
  store<u32>(e, <u32>ptr);
  store<u32>(e, len, 4);
  count++;
  return ptr;
}

/** Zeroes every registered buffer, and what the crypto primitives' scratch still holds. */
export function secretsWipe(): void {
  for (let i: u32 = 0; i < count; i++) {
    const e = TABLE + (<usize>i << 3);
    memory.fill(<usize>load<u32>(e), 0, load<u32>(e, 4));
  }
  cryptoWipe();
}
