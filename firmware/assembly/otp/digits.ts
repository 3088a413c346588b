// Decimal helpers shared by HOTP/TOTP/OCRA and the displays.

const POW10: usize = memory.data<u64>([
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
], 16);

/** 10^d for d in 0..10; 0 outside that range. */
export function pow10(d: i32): u64 {
  if (d < 0 || d > 10) return 0;
  return load<u64>(POW10 + (<usize>d << 3));
}

/**
 * RFC 4226 §5.3 dynamic truncation of a MAC of macLen bytes (≥ 20): the offset is the low
 * nibble of the LAST byte; 4 bytes from there, top bit masked. Returns a 31-bit value.
 */
export function dynamicTruncate(mac: usize, macLen: u32): u32 {
  const off = <usize>(load<u8>(mac + macLen - 1) & 0x0f);
  return bswap<u32>(load<u32>(mac + off)) & 0x7fffffff;
}

// Writes value as exactly `digits` ASCII decimal digits (zero-padded).
export function formatDigits(value: u32, digits: i32, out: usize): void {
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(out + <usize>i, <u8>(0x30 + v % 10));
    v /= 10;
  }
}
