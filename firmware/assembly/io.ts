// The exchange buffer: the host copies event payloads (UART bytes, HID reports, test inputs)
// here before calling an export. Fixed address, fixed size: nothing crosses the boundary by
// allocation.
export const IO_SIZE: u32 = 8192;
export const IO_BUF: usize = memory.data(<i32>IO_SIZE, 16);

/** Host-supplied pointers must lie inside the exchange buffer: input from outside never traps. */
export function inIo(ptr: usize, len: u32): bool {
  return ptr >= IO_BUF && <u64>ptr + <u64>len <= <u64>IO_BUF + <u64>IO_SIZE;
}
