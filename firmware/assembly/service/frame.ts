// UART framing (docs/serial-protocol.md): SYNC "SG" | TYPE | SEQ | LEN(2) | PAYLOAD | CRC-32.
// The receiver never trusts a length or a sync: a false sync costs one byte and scanning
// resumes just after it, so a real frame behind garbage is still found.
import { copyInto } from "../platform/buffer";
import { uptime_ms, uart_tx } from "../hal";
import { crc32 } from "../util/crc32";
import { readU16BE, writeU16BE, readU32BE, writeU32BE } from "../util/bytes";
import { secret } from "../platform/secrets";

export const SYNC0: u8 = 0x53;
export const SYNC1: u8 = 0x47;
export const HEADER: u32 = 6;
export const MAX_PAYLOAD: u32 = 1024;
export const MAX_FRAME: u32 = HEADER + MAX_PAYLOAD + 4;
export const INTER_BYTE_TIMEOUT_MS: i64 = 250;

const RX_CAP: u32 = MAX_FRAME * 2;
const rx: usize = memory.data(<i32>RX_CAP, 8);
let rxLen: u32 = 0;
let lastRx: i64 = 0;

const tx: usize = memory.data(<i32>MAX_FRAME, 8);

/** The frame found by the last successful `nextFrame()`. */
export let frameType: u8 = 0;
export let frameSeq: u8 = 0;
export let framePayloadLen: u32 = 0;
/** Payload copy (valid until the next call). */
export const framePayload: usize = secret(memory.data(<i32>MAX_PAYLOAD, 16), MAX_PAYLOAD);

export function rxReset(): void {
  rxLen = 0;
}

/**
 * Takes bytes from the UART; calls `handle` for each complete, CRC-valid frame.
 * Feeds in pieces no larger than the receive buffer can hold.
 */
export function rxBytes(src: usize, len: u32, handle: () => void): void {
  const now = uptime_ms();
  if (rxLen > 0 && now - lastRx > INTER_BYTE_TIMEOUT_MS) dropFront(rxLen); // a stalled frame is dropped (and zeroed)
  lastRx = now;
  let off: u32 = 0;
  while (off < len) {
    const room = RX_CAP - rxLen;
    const n = min<u32>(room, len - off);
    memory.copy(rx + rxLen, src + off, n);
    rxLen += n;
    off += n;
    while (nextFrame()) handle();
    if (rxLen == RX_CAP) dropFront(1); // cannot happen with MAX_FRAME*2, but never spin
  }
}

function dropFront(n: u32): void {
  // Consumed bytes are zeroed: a PROVISION frame carries a seed, which must not linger in RAM.
  if (n >= rxLen) { memory.fill(rx, 0, rxLen); rxLen = 0; return; }
  memory.copy(rx, rx + n, rxLen - n);
  memory.fill(rx + rxLen - n, 0, n);
  rxLen -= n;
}

/** Parses one frame off the front of the buffer; false when more bytes are needed. */
function nextFrame(): bool {
  for (;;) {
    // Find "SG" (or a lone trailing 'S' that may be its first half); drop what precedes it.
    let i: u32 = 0;
    while (i < rxLen) {
      if (load<u8>(rx + i) == SYNC0 && (i + 1 == rxLen || load<u8>(rx + i + 1) == SYNC1)) break;
      i++;
    }
    if (i > 0) dropFront(i);
    if (rxLen < HEADER) return false;
    const len = readU16BE(rx + 4);
    if (len > MAX_PAYLOAD) { dropFront(1); continue; }
    const total = HEADER + len + 4;
    if (rxLen < total) return false;
    const crc = readU32BE(rx + HEADER + len);
    if (crc32(rx + 2, 4 + len) != crc) { dropFront(1); continue; }
    frameType = load<u8>(rx + 2);
    frameSeq = load<u8>(rx + 3);
    framePayloadLen = len;
    copyInto(framePayload, MAX_PAYLOAD, 0, rx + HEADER, len); // fits: len ≤ MAX_PAYLOAD above
    dropFront(total);
    return true;
  }
}

/** Address where a response payload (after the status byte) is assembled. */
export const responseData: usize = tx + HEADER + 1;
export const RESPONSE_DATA_MAX: u32 = MAX_PAYLOAD - 1;

/** Sends a response: type|0x80, the request's seq, status, then dataLen bytes already at responseData. */
export function sendResponse(type: u8, seq: u8, status: u8, dataLen: u32): void {
  const len = dataLen + 1;
  store<u8>(tx, SYNC0);
  store<u8>(tx + 1, SYNC1);
  store<u8>(tx + 2, type | 0x80);
  store<u8>(tx + 3, seq);
  writeU16BE(tx + 4, len);
  store<u8>(tx + HEADER, status);
  writeU32BE(tx + HEADER + len, crc32(tx + 2, 4 + len));
  uart_tx(tx, HEADER + len + 4);
}
