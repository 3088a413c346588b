// Constant-time comparison of secrets (MACs, codes), the same in Node and the browser: the time depends
// on the lengths only, never on where the first difference is. Different lengths compare unequal
// (node:crypto's timingSafeEqual throws instead; callers here only need the verdict).

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
