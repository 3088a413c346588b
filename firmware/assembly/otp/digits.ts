// Writes value as exactly `digits` ASCII decimal digits (zero-padded).
export function formatDigits(value: u32, digits: i32, out: usize): void {
  let v = value;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(out + <usize>i, <u8>(0x30 + v % 10));
    v /= 10;
  }
}
