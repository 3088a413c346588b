// Byte helpers over raw memory. No allocation.

/** Constant-time equality of two byte ranges of equal length (time depends on len only). */
export function ctEqual(a: usize, b: usize, len: u32): bool {
  let diff: u32 = 0;
  for (let i: u32 = 0; i < len; i++) diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

export function copy(dst: usize, src: usize, len: u32): void {
  memory.copy(dst, src, len);
}

export function fill(dst: usize, value: u8, len: u32): void {
  memory.fill(dst, value, len);
}

/** Overwrites secrets that are no longer needed. */
export function wipe(dst: usize, len: u32): void {
  memory.fill(dst, 0, len);
}

export function isAll(ptr: usize, value: u8, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) if (load<u8>(ptr + i) != value) return false;
  return true;
}

export function readU16BE(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}
export function readU32BE(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}
export function readU64BE(p: usize): u64 {
  return bswap<u64>(load<u64>(p));
}
export function writeU16BE(p: usize, v: u32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p + 1, <u8>v);
}
export function writeU32BE(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}
export function writeU64BE(p: usize, v: u64): void {
  store<u64>(p, bswap<u64>(v));
}
