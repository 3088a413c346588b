// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), computed bit by bit with masks: no table, so
// no memory access is indexed by the data. The store runs it over secret records (seeds, the
// FIDO master secret, the PIN hash); a table lookup per byte would leak those bytes to a cache-
// timing observer, the pattern aes.ts avoids too. Cost: bench/crc.mjs, docs/performance.md.

/** Continues a CRC: pass 0 to start; the result is final (already inverted). */
export function crc32Update(crc: u32, ptr: usize, len: u32): u32 {
  let c = ~crc;
  for (let i: u32 = 0; i < len; i++) {
    c ^= <u32>load<u8>(ptr + i);
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & (0 - (c & 1)));
  }
  return ~c;
}

export function crc32(ptr: usize, len: u32): u32 {
  return crc32Update(0, ptr, len);
}
