// The update receiver (docs/image-format.md "Firmware: the update receiver"): takes a signed
// image in chunks into the inactive slot, checks its header (signature included) before a byte
// is written and the payload hash after the last one, then marks the slot pending. It never
// touches the data region: keys, seeds, PINs and credentials stay where they are.
//
// Resume: within one power cycle, update_begin with the very same header answers the bytes
// already received. After a power cut the download starts again from 0 (the slot is erased
// again; nothing in it was ever marked bootable).
import {
  slot_size, slot_erase, slot_write, slot_read, slot_pending, boot_key, boot_counter, boot_state, boot_confirm,
  flash_page_size, reset,
} from "../hal";
import { sha256, sha256Init, sha256Update, sha256Final, SHA256_CTX_SIZE } from "../crypto/sha256";
import { p256Verify } from "../crypto/p256/ecdsa";
import { model, provisioned } from "../state";
import { ctEqual } from "../util/bytes";

export const UPDATE_ERR_FORMAT: i32 = -1;
export const UPDATE_ERR_MODEL: i32 = -2;
export const UPDATE_ERR_KEY: i32 = -3;
export const UPDATE_ERR_SIGNATURE: i32 = -4;
export const UPDATE_ERR_ROLLBACK: i32 = -5;
export const UPDATE_ERR_SEQUENCE: i32 = -6;
export const UPDATE_ERR_HASH: i32 = -7;
export const UPDATE_ERR_FLASH: i32 = -8;
export const UPDATE_ERR_UNSUPPORTED: i32 = -9;

export const IMAGE_HEADER_SIZE: u32 = 128;
const IMAGE_MAGIC: u32 = 0x57464753; // "SGFW"
const CHUNK: u32 = 256;

const HDR: usize = memory.data(<i32>IMAGE_HEADER_SIZE, 16); // the accepted header (public data)
const KEY: usize = memory.data(64, 16);
const DIG: usize = memory.data(32, 16);
const CTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const BUF: usize = memory.data(<i32>CHUNK, 16);
const TAIL: usize = memory.data(4, 4);

let active = false;
let payloadLen: u32 = 0;
let received: u32 = 0; // payload bytes programmed

/** Checks a header (format, model, key, counter, then the signature). 0 or UPDATE_ERR_*. */
function checkHeader(h: usize): i32 {
  const keyIndex = <u32>load<u8>(h + 5);
  const revoke = <u32>load<u8>(h + 6);
  const len = load<u32>(h + 20);
  if (load<u32>(h) != IMAGE_MAGIC || load<u8>(h + 4) != 1 || load<u8>(h + 7) != 0 || load<u64>(h + 56) != 0
    || keyIndex > 3 || (revoke & ~(0x0f & ~(<u32>1 << keyIndex))) != 0
    || len < 8 || len > slot_size() - IMAGE_HEADER_SIZE) return UPDATE_ERR_FORMAT;
  if (((load<u32>(h + 8) >> <u32>(provisioned ? model : 0)) & 1) == 0) return UPDATE_ERR_MODEL;
  if (boot_key(keyIndex, KEY) != 0) return UPDATE_ERR_KEY;
  if (load<u32>(h + 16) < boot_counter()) return UPDATE_ERR_ROLLBACK;
  sha256(h, 64, DIG);
  return p256Verify(KEY, DIG, h + 64) == 1 ? 0 : UPDATE_ERR_SIGNATURE;
}

/** True when the header at h is the one of the download in progress (update_begin resumes it). */
export function updateResumes(h: usize, len: u32): bool {
  return active && len == IMAGE_HEADER_SIZE && ctEqual(h, HDR, IMAGE_HEADER_SIZE);
}

/** update_begin: bytes already received for this header (resume), 0 for a new download, or UPDATE_ERR_*. */
export function updateBegin(h: usize, len: u32): i32 {
  if (slot_size() == 0) return UPDATE_ERR_UNSUPPORTED;
  if (len != IMAGE_HEADER_SIZE) return UPDATE_ERR_FORMAT;
  if (updateResumes(h, len)) return <i32>received;
  const r = checkHeader(h);
  if (r < 0) return r; // a refused header leaves a download in progress as it was
  active = false;
  memory.copy(HDR, h, IMAGE_HEADER_SIZE);
  payloadLen = load<u32>(HDR + 20);
  received = 0;
  const page = flash_page_size();
  const pages = (IMAGE_HEADER_SIZE + payloadLen + page - 1) / page;
  for (let p: u32 = 0; p < pages; p++) if (slot_erase(p) != 0) return UPDATE_ERR_FLASH;
  active = true;
  return 0;
}

/** update_data: payload bytes [offset, offset + len) at src; len is a multiple of 4 except in the
 * last chunk. The new count, or UPDATE_ERR_*. */
export function updateData(offset: u32, src: usize, len: u32): i32 {
  if (!active || offset != received || len > payloadLen - received || ((len & 3) != 0 && offset + len != payloadLen)) {
    return UPDATE_ERR_SEQUENCE;
  }
  const whole = len & ~3;
  let r = whole == 0 ? 0 : slot_write(IMAGE_HEADER_SIZE + offset, src, whole);
  if (r == 0 && whole != len) {
    // the last word of the payload: padded with erased bytes (flash takes whole words)
    store<u32>(TAIL, 0xffffffff);
    memory.copy(TAIL, src + whole, len - whole);
    r = slot_write(IMAGE_HEADER_SIZE + offset + whole, TAIL, 4);
  }
  if (r != 0) { active = false; return UPDATE_ERR_FLASH; }
  received += len;
  return <i32>received;
}

/** update_finish: writes the header, reads the payload back, checks its hash, marks the slot pending. */
export function updateFinish(): i32 {
  const complete = active && received == payloadLen;
  active = false;
  if (!complete) return UPDATE_ERR_SEQUENCE;
  if (slot_write(0, HDR, IMAGE_HEADER_SIZE) != 0) return UPDATE_ERR_FLASH;
  sha256Init(CTX);
  for (let off: u32 = 0; off < payloadLen; off += CHUNK) {
    const n = min<u32>(CHUNK, payloadLen - off);
    if (slot_read(IMAGE_HEADER_SIZE + off, BUF, n) != 0) return UPDATE_ERR_FLASH;
    sha256Update(CTX, BUF, n);
  }
  sha256Final(CTX, DIG);
  if (!ctEqual(DIG, HDR + 24, 32)) return UPDATE_ERR_HASH;
  return slot_pending() == 0 ? 0 : UPDATE_ERR_FLASH;
}

/** update_abort: forgets the download (the slot stays unbootable: it is not pending). */
export function updateAbort(): void {
  active = false;
  received = 0;
}

// SHA-256("abc") (FIPS 180-2 B.1): the trial image's known-answer test.
const KAT_MSG: usize = memory.data<u8>([0x61, 0x62, 0x63]);
const KAT_SHA256: usize = memory.data<u8>([
  0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
  0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
]);

// ECDSA P-256 with SHA-256 of "sample" (RFC 6979 A.2.5): public key X ‖ Y and signature r ‖ s. The
// trial image verifies it, so an image whose P-256 code is broken (and would refuse every update,
// or accept a forged one) never confirms itself.
const KAT_SAMPLE: usize = memory.data<u8>([0x73, 0x61, 0x6d, 0x70, 0x6c, 0x65]);
const KAT_P256_PUB: usize = memory.data<u8>([
  0x60, 0xfe, 0xd4, 0xba, 0x25, 0x5a, 0x9d, 0x31, 0xc9, 0x61, 0xeb, 0x74, 0xc6, 0x35, 0x6d, 0x68,
  0xc0, 0x49, 0xb8, 0x92, 0x3b, 0x61, 0xfa, 0x6c, 0xe6, 0x69, 0x62, 0x2e, 0x60, 0xf2, 0x9f, 0xb6,
  0x79, 0x03, 0xfe, 0x10, 0x08, 0xb8, 0xbc, 0x99, 0xa4, 0x1a, 0xe9, 0xe9, 0x56, 0x28, 0xbc, 0x64,
  0xf2, 0xf1, 0xb2, 0x0c, 0x2d, 0x7e, 0x9f, 0x51, 0x77, 0xa3, 0xc2, 0x94, 0xd4, 0x46, 0x22, 0x99,
]);
const KAT_P256_SIG: usize = memory.data<u8>([
  0xef, 0xd4, 0x8b, 0x2a, 0xac, 0xb6, 0xa8, 0xfd, 0x11, 0x40, 0xdd, 0x9c, 0xd4, 0x5e, 0x81, 0xd6,
  0x9d, 0x2c, 0x87, 0x7b, 0x56, 0xaa, 0xf9, 0x91, 0xc3, 0x4d, 0x0e, 0xa8, 0x4e, 0xaf, 0x37, 0x16,
  0xf7, 0xcb, 0x1c, 0x94, 0x2d, 0x65, 0x7c, 0x41, 0xd4, 0x36, 0xc7, 0xa1, 0xb6, 0xe2, 0x9f, 0x65,
  0xf3, 0xe9, 0x00, 0xdb, 0xb9, 0xaf, 0xf4, 0x06, 0x4d, 0xc4, 0xab, 0x2f, 0x84, 0x3a, 0xcd, 0xa8,
]);

/** True when this boot is a trial of a new image (not confirmed yet). */
export function bootIsTrial(): bool {
  return (boot_state() & 1) != 0;
}

/**
 * End of boot() on a trial image: storage mounted and the known-answer tests (SHA-256, P-256
 * verify) passed → keep the image (boot_confirm); otherwise ask for a reset, and the boot ROM goes back to the old image
 * (which can still read its data: a trial never formats the store).
 */
export function trialSelfTest(storageOk: bool): void {
  sha256(KAT_MSG, 3, DIG);
  let ok = storageOk && ctEqual(DIG, KAT_SHA256, 32);
  sha256(KAT_SAMPLE, 6, DIG);
  ok = ok && p256Verify(KAT_P256_PUB, DIG, KAT_P256_SIG) == 1;
  if (ok && boot_confirm() == 0) return;
  reset();
}
