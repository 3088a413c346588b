// CRC-32/IEEE (as zlib): the voice pack's checksums and the service protocol's frame CRC, in
// portable code (the simulator also runs in a browser, where node:zlib is absent).
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/IEEE (zlib's crc32) of `bytes`, continuing `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
