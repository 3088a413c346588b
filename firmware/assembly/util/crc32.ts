// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), table built once at first use.
const TABLE: usize = memory.data(1024);
let tableReady = false;

function buildTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    store<u32>(TABLE + (<usize>n << 2), c);
  }
  tableReady = true;
}

/** Continues a CRC: pass 0 to start; the result is final (already inverted). */
export function crc32Update(crc: u32, ptr: usize, len: u32): u32 {
  if (!tableReady) buildTable();
  let c = ~crc;
  for (let i: u32 = 0; i < len; i++) {
    c = load<u32>(TABLE + (<usize>((c ^ load<u8>(ptr + i)) & 0xff) << 2)) ^ (c >> 8);
  }
  return ~c;
}

export function crc32(ptr: usize, len: u32): u32 {
  return crc32Update(0, ptr, len);
}
