// Secret scratch: one static arena holds every buffer that carries a secret only for the length
// of one event (a private key being used, a decrypted PIN hash, a shared secret, hash and AES
// working state, the service payload copy). The device's event entry points (device.ts) call
// secretsWipe() after every event, whatever path the handler took, success or failure: a handler
// cannot forget to wipe, because wiping is not its job. A module takes its buffer with
// `const X: usize = secretBuffer(n)` at top level instead of `memory.data(n)`; the arena is
// laid out once, at instantiation. The crypto primitives (below this layer) wipe their own
// scratch and are swept too (crypto/scratch.ts). Long-lived secrets (the master secret, the PIN token, key
// agreement keys, the DRBG state) stay in their modules' own memory.data.
import { fault } from "../hal";
import { cryptoWipe } from "../crypto/scratch";

/** Bytes of the arena; secretBuffer traps at instantiation when the layout outgrows it. */
export const SECRET_ARENA_SIZE: u32 = 3072; // 2,320 in use (docs/architecture.md)
const ARENA: usize = memory.data(<i32>SECRET_ARENA_SIZE, 16);
let used: u32 = 0;

const FAULT_ARENA: u32 = 2;

/** Reserves n bytes (16-aligned) of the arena; called from top-level declarations only. */
export function secretBuffer(n: u32): usize {
  const p = ARENA + <usize>used;
  used += (n + 15) & ~15;
  if (used > SECRET_ARENA_SIZE) { fault(FAULT_ARENA, 0); unreachable(); }
  return p;
}

/** Zeroes every secret scratch buffer, and what the crypto primitives' scratch still holds. */
export function secretsWipe(): void {
  memory.fill(ARENA, 0, used);
  cryptoWipe();
}

/** Overwrites a secret that is no longer needed. */
export function wipe(dst: usize, len: u32): void {
  memory.fill(dst, 0, len);
}

/** Arena address and bytes in use (tests, docs/memory-map.md). */
export function secretArena(): usize { return ARENA; }
export function secretArenaUsed(): u32 { return used; }
