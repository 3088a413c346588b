// Buffers that carry their capacity (docs/memory-map.md). A static buffer is declared as
//   const PT: Buf = buf(memory.data(96, 16), 96);
// and every decrypt, copy or writer whose length comes from outside takes the Buf and refuses
// (BUF_ERR_FIT) what does not fit, before writing anything: a forgotten length check cannot become
// a write past the buffer. Lengths are compared in 64 bits, so off + len cannot wrap.
// The helpers are audited here once; callers keep their own protocol checks (exact lengths) too.

/** Address (low 32 bits) and capacity (high 32 bits) of a static buffer. */
export type Buf = u64;

export const BUF_OK: i32 = 0;
/** What was to be written does not fit the destination; nothing was written. */
export const BUF_ERR_FIT: i32 = -2;

// @ts-ignore: decorator
@inline export function buf(ptr: usize, cap: u32): Buf {
  return (<u64>cap << 32) | <u64>ptr;
}
// @ts-ignore: decorator
@inline export function bufPtr(b: Buf): usize {
  return <usize>(b & 0xffffffff);
}
// @ts-ignore: decorator
@inline export function bufCap(b: Buf): u32 {
  return <u32>(b >>> 32);
}

/** True when [off, off + len) lies inside b. */
export function bufFits(b: Buf, off: u32, len: u32): bool {
  return <u64>off + <u64>len <= <u64>bufCap(b);
}

/** Copies len bytes from src to b at off; BUF_ERR_FIT (nothing copied) when they do not fit. */
export function bufCopy(b: Buf, off: u32, src: usize, len: u32): i32 {
  if (!bufFits(b, off, len)) return BUF_ERR_FIT;
  memory.copy(bufPtr(b) + off, src, len);
  return BUF_OK;
}

/** Copies len bytes to dst (capacity cap) at off; the unpacked form of bufCopy for caller-given buffers. */
export function copyInto(dst: usize, cap: u32, off: u32, src: usize, len: u32): i32 {
  return bufCopy(buf(dst, cap), off, src, len);
}

/** Overwrites the whole buffer with zeros. */
export function bufWipe(b: Buf): void {
  memory.fill(bufPtr(b), 0, bufCap(b));
}
