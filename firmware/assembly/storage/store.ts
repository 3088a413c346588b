// Log-structured key-value store over the HAL flash. docs/storage.md describes the on-flash
// format byte by byte, the recovery algorithm and the invariants; keep the two in step.
//
// Keys are u16 (0..0xFFFE); values 0..MAX_VALUE bytes. All writes go through transactions:
// a transaction is all-or-nothing across power loss.
//
// In short: the data pages form a ring. Each page starts with a 20-byte header (magic, erase
// count, sequence number, two CRCs); records are appended after it, never spanning pages.
// Every record carries a CRC-32 and its place in its transaction; only the last record of a
// transaction carries the END flag, so a transaction without its END record is invisible.
// A RAM index maps each key to the address of its latest record. Compaction copies the live
// records of the oldest page (the tail) to the head, then retires and erases the tail; one
// free page is always kept in reserve so compaction never runs out of room.
//
// No allocation: every buffer is static. Flash content is never trusted: anything malformed
// is treated as garbage and ignored.
import { flash_page_size, flash_page_count, flash_read, flash_write, flash_erase } from "../hal";
import { crc32, crc32Update } from "../util/crc32";

export const MAX_VALUE: u32 = 1024;
export const STORE_OK: i32 = 0;
export const STORE_NOT_FOUND: i32 = -1;
export const STORE_TOO_LARGE: i32 = -2;
export const STORE_FULL: i32 = -3;
export const STORE_FLASH: i32 = -4;
export const STORE_CORRUPT: i32 = -5;
export const STORE_NO_TXN: i32 = -6;
/** Key outside 0..MAX_KEY. */
export const STORE_BAD_KEY: i32 = -7;

/** Largest key (0xFFFF is reserved: an erased word must never look like a record). */
export const MAX_KEY: u32 = 0xfffe;
/** Distinct live keys the RAM index can hold. */
export const MAX_KEYS: u32 = 512;
/** Records in one transaction. */
export const MAX_TXN_RECORDS: u32 = 32;
/** Staging area: 2 KiB of values plus the header and padding of every record. */
export const STAGE_BYTES: u32 = 2048 + MAX_TXN_RECORDS * 20;
/** Pages used at most (a larger flash keeps its extra pages unused). */
export const MAX_PAGES: u32 = 64;
export const MIN_PAGES: u32 = 4;

// ---- on-flash format (docs/storage.md) ----
const PAGE_MAGIC: u32 = 0x314c4753; // "SGL1" as little-endian bytes
const PAGE_HDR: u32 = 20; // magic, erase count, crc(0..8), seq, crc(0..16)
const REC_HDR: u32 = 16; // key u16, len u16, flags u8, idx u8, rsv u16, txn u32, crc u32
const F_END: u32 = 1; // last record of its transaction
const F_DEL: u32 = 2; // tombstone
const F_COPY: u32 = 4; // written by compaction
const F_WIPE: u32 = 8; // storeFormat: everything earlier is dead
const F_MASK: u32 = 15;
const ERASED: u32 = 0xffffffff;

// page states (RAM)
const PG_DIRTY: u8 = 0; // must be erased before use (blank, torn, retired, or unknown)
const PG_FREE: u8 = 1; // erased and formatted; not part of the log
const PG_ACTIVE: u8 = 2; // part of the log

// ---- static RAM ----
const pgState: usize = memory.data(<i32>MAX_PAGES);
const pgErase: usize = memory.data(<i32>MAX_PAGES * 4, 4);
const pgSeq: usize = memory.data(<i32>MAX_PAGES * 4, 4);
const pgKnown: usize = memory.data(<i32>MAX_PAGES); // 1 when the erase count was read from the header
const order: usize = memory.data(<i32>MAX_PAGES); // active pages by sequence number (mount)
/** 1 when the page holds records other than compaction copies (user records, tombstones, wipes). */
const pgUser: usize = memory.data(<i32>MAX_PAGES);
/** 1 when mount found the page torn (half erased, formatted, opened or retired): erased at mount. */
const pgTorn: usize = memory.data(<i32>MAX_PAGES);
/** Index entries, sorted by key: key u16, len u16, addr u32. */
const index: usize = memory.data(<i32>MAX_KEYS * 8, 8);
const stage: usize = memory.data(<i32>STAGE_BYTES, 8);
/** One whole record (header + largest value) or a chunk of a page. */
const REC_BUF_SIZE: u32 = REC_HDR + MAX_VALUE;
const rec: usize = memory.data(<i32>REC_BUF_SIZE, 8);
const hdr: usize = memory.data(32, 8);
/** Pending records while mounting, and record addresses while committing: key u16, len u16 (0xFFFF = delete, 0xFFFE = wipe), addr u32. */
const pend: usize = memory.data(<i32>MAX_TXN_RECORDS * 8, 8);

let mounted = false;
let pageSize: u32 = 0;
let pageCount: u32 = 0;
let dataPerPage: u32 = 0;
let maxValue: u32 = MAX_VALUE;
let head: i32 = -1; // page being appended to, -1 = none
let ring: i32 = -1; // the next page to open is searched from here (-1: the least worn)
let headOff: u32 = 0; // next free byte in head (pageSize = closed)
let activeCount: u32 = 0;
let nextSeq: u32 = 1;
let nextTxn: u32 = 1;
let idxCount: u32 = 0;
let liveBytes: u32 = 0;
let recovered = false;
/** Mount found a bad record with valid records after it: rot or tampering, not a power cut. */
let damaged = false;
let inTxn = false;
let stageLen: u32 = 0;
let stageCount: u32 = 0;

// ---------------- small helpers ----------------

@inline function align4(n: u32): u32 { return (n + 3) & ~3; }
@inline function recSize(len: u32): u32 { return REC_HDR + align4(len); }
@inline function pageAddr(p: u32): u32 { return p * pageSize; }
@inline function state(p: u32): u8 { return load<u8>(pgState + p); }
@inline function setState(p: u32, s: u8): void { store<u8>(pgState + p, s); }
@inline function eraseCount(p: u32): u32 { return load<u32>(pgErase + (<usize>p << 2)); }
@inline function seqOf(p: u32): u32 { return load<u32>(pgSeq + (<usize>p << 2)); }

/** Reads the geometry; false when the flash cannot hold a store. */
function geometry(): bool {
  const ps = flash_page_size();
  let pc = flash_page_count();
  if (ps < 256 || ps > (1 << 20) || (ps & 3) != 0 || pc < MIN_PAGES) return false;
  if (pc > MAX_PAGES) pc = MAX_PAGES;
  pageSize = ps;
  pageCount = pc;
  dataPerPage = ps - PAGE_HDR;
  const fit = dataPerPage - REC_HDR;
  maxValue = fit < MAX_VALUE ? fit & ~3 : MAX_VALUE;
  return true;
}

const VERIFY: usize = memory.data(64, 8);

/**
 * Programs len bytes and reads them back: a worn cell that does not take its bits, or a HAL
 * that reports a failure, is a failed write (the caller answers an error; nothing it guarded
 * leaves the device). The read-back goes through a small buffer, compared word by word.
 */
function program(addr: u32, src: usize, len: u32): bool {
  if (flash_write(addr, src, len) != 0) return false;
  for (let off: u32 = 0; off < len; off += 64) {
    const n = min<u32>(64, len - off);
    if (flash_read(addr + off, VERIFY, n) != 0) return false;
    for (let i: u32 = 0; i < n; i += 4) if (load<u32>(VERIFY + i) != load<u32>(src + off + i)) { memory.fill(VERIFY, 0, 64); return false; }
  }
  memory.fill(VERIFY, 0, 64);
  return true;
}

/** True when [addr, addr+len) reads as erased. */
function isErased(addr: u32, len: u32): bool {
  let off: u32 = 0;
  while (off < len) {
    let n = len - off;
    if (n > REC_BUF_SIZE) n = REC_BUF_SIZE;
    if (flash_read(addr + off, rec, n) != 0) return false;
    for (let i: u32 = 0; i < n; i += 4) if (load<u32>(rec + i) != ERASED) return false;
    off += n;
  }
  return true;
}

// ---------------- RAM index ----------------

/** Position of key in the index, or -(insertion point) - 1. */
function find(key: u32): i32 {
  let lo: i32 = 0;
  let hi: i32 = <i32>idxCount - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = <u32>load<u16>(index + (<usize>mid << 3));
    if (k == key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

@inline function entryLen(i: i32): u32 { return <u32>load<u16>(index + (<usize>i << 3), 2); }
@inline function entryAddr(i: i32): u32 { return load<u32>(index + (<usize>i << 3), 4); }

/** Points key at a record; false when the index is full. */
function indexPut(key: u32, len: u32, addr: u32): bool {
  let i = find(key);
  if (i >= 0) {
    liveBytes -= recSize(entryLen(i));
  } else {
    if (idxCount >= MAX_KEYS) return false;
    i = -i - 1;
    const at = index + (<usize>i << 3);
    memory.copy(at + 8, at, <usize>(idxCount - <u32>i) << 3);
    idxCount++;
  }
  const e = index + (<usize>i << 3);
  store<u16>(e, <u16>key);
  store<u16>(e, <u16>len, 2);
  store<u32>(e, addr, 4);
  liveBytes += recSize(len);
  return true;
}

function indexRemove(key: u32): void {
  const i = find(key);
  if (i < 0) return;
  liveBytes -= recSize(entryLen(i));
  const at = index + (<usize>i << 3);
  memory.copy(at, at + 8, <usize>(idxCount - <u32>i - 1) << 3);
  idxCount--;
}

function indexClear(): void {
  idxCount = 0;
  liveBytes = 0;
}

// ---------------- records ----------------

/**
 * Reads and checks the record at addr (inside page p, which ends at pageEnd) into `rec`.
 * Returns its size on flash, 0 when the slot is erased (end of the page's records), or -1
 * when it is not a valid record (torn or corrupt).
 */
function readRecord(addr: u32, pageEnd: u32): i32 {
  if (addr + REC_HDR > pageEnd) return 0;
  if (flash_read(addr, rec, REC_HDR) != 0) return -1;
  if (load<u32>(rec) == ERASED) return 0;
  const key = <u32>load<u16>(rec);
  const len = <u32>load<u16>(rec, 2);
  const flags = <u32>load<u8>(rec, 4);
  const idx = <u32>load<u8>(rec, 5);
  if (key > MAX_KEY || len > maxValue || (flags & ~F_MASK) != 0 || idx >= MAX_TXN_RECORDS) return -1;
  if ((flags & (F_DEL | F_WIPE)) != 0 && len != 0) return -1;
  const size = recSize(len);
  if (addr + size > pageEnd) return -1;
  if (size > REC_HDR && flash_read(addr + REC_HDR, rec + REC_HDR, size - REC_HDR) != 0) return -1;
  if (recordCrc(rec, size) != load<u32>(rec, 12)) return -1;
  return <i32>size;
}

/** CRC-32 of a record: header bytes 0..12, then the padded value. */
function recordCrc(r: usize, size: u32): u32 {
  return crc32Update(crc32(r, 12), r + REC_HDR, size - REC_HDR);
}

// ---------------- pages ----------------

/** Reads page p's header and classifies it. Returns true when the page holds anything torn. */
function classify(p: u32): bool {
  const base = pageAddr(p);
  setState(p, PG_DIRTY);
  store<u8>(pgKnown + p, 0);
  store<u32>(pgSeq + (<usize>p << 2), 0);
  if (flash_read(base, hdr, PAGE_HDR) != 0) return true;
  const magicOk = load<u32>(hdr) == PAGE_MAGIC && crc32(hdr, 8) == load<u32>(hdr, 8);
  if (!magicOk) return !isErased(base, pageSize); // blank pages are not damage
  store<u32>(pgErase + (<usize>p << 2), load<u32>(hdr, 4));
  store<u8>(pgKnown + p, 1);
  const seq = load<u32>(hdr, 12);
  const seqCrc = load<u32>(hdr, 16);
  if (seq == ERASED && seqCrc == ERASED) {
    if (!isErased(base + PAGE_HDR, pageSize - PAGE_HDR)) return true;
    setState(p, PG_FREE);
    return false;
  }
  if (crc32(hdr, 16) != seqCrc) return true; // torn open
  setState(p, PG_ACTIVE);
  store<u32>(pgSeq + (<usize>p << 2), seq);
  return false;
}

/** Learns every page's state and erase count; estimates the erase counts it cannot read. */
function scanHeaders(): void {
  recovered = false;
  let est: u32 = 0;
  for (let p: u32 = 0; p < pageCount; p++) {
    const torn = classify(p);
    store<u8>(pgTorn + p, torn ? 1 : 0);
    if (torn) recovered = true;
    if (load<u8>(pgKnown + p) != 0 && eraseCount(p) > est) est = eraseCount(p);
  }
  for (let p: u32 = 0; p < pageCount; p++) {
    if (load<u8>(pgKnown + p) == 0) store<u32>(pgErase + (<usize>p << 2), est);
  }
}

/** Erases page p and writes its first header half (magic, erase count). */
function erasePage(p: u32): i32 {
  const ec = eraseCount(p) + 1;
  setState(p, PG_DIRTY);
  if (flash_erase(p) != 0) return STORE_FLASH;
  store<u32>(pgErase + (<usize>p << 2), ec);
  store<u8>(pgKnown + p, 1);
  store<u32>(hdr, PAGE_MAGIC);
  store<u32>(hdr, ec, 4);
  store<u32>(hdr, crc32(hdr, 8), 8);
  if (!program(pageAddr(p), hdr, 12)) return STORE_FLASH;
  setState(p, PG_FREE);
  return STORE_OK;
}

/** Takes an active page out of the log (second programming of its magic word), then erases it. */
function recyclePage(p: u32): i32 {
  store<u32>(hdr, 0);
  setState(p, PG_DIRTY);
  activeCount--;
  if (<i32>p == head) { head = -1; headOff = 0; ring = <i32>p; }
  if (!program(pageAddr(p), hdr, 4)) return STORE_FLASH;
  return erasePage(p);
}

/** Opens the next page of the ring as the head. */
function openNext(): i32 {
  let start: u32 = 0;
  if (head >= 0) start = <u32>head + 1;
  else if (ring >= 0) start = <u32>ring;
  else {
    // no log: continue the ring where wear says it stopped, at the least worn page that
    // follows the most worn one (the boundary of the last lap)
    let best: u64 = <u64>-1;
    for (let p: u32 = 0; p < pageCount; p++) {
      if (state(p) == PG_ACTIVE) continue;
      const prev = eraseCount(p == 0 ? pageCount - 1 : p - 1);
      const score = (<u64>eraseCount(p) << 32) | <u64>(ERASED - prev);
      if (score < best) { best = score; start = p; }
    }
  }
  let page: i32 = -1;
  for (let j: u32 = 0; j < pageCount; j++) {
    const p = (start + j) % pageCount;
    if (state(p) != PG_ACTIVE) { page = <i32>p; break; }
  }
  if (page < 0) return STORE_FULL;
  const p = <u32>page;
  if (state(p) != PG_FREE) {
    const r = erasePage(p);
    if (r < 0) return r;
  }
  const seq = nextSeq++;
  store<u32>(hdr, PAGE_MAGIC);
  store<u32>(hdr, eraseCount(p), 4);
  store<u32>(hdr, crc32(hdr, 8), 8);
  store<u32>(hdr, seq, 12);
  store<u32>(hdr, crc32(hdr, 16), 16);
  setState(p, PG_DIRTY);
  if (!program(pageAddr(p) + 12, hdr + 12, 8)) return STORE_FLASH;
  setState(p, PG_ACTIVE);
  store<u32>(pgSeq + (<usize>p << 2), seq);
  store<u8>(pgUser + p, 0);
  activeCount++;
  head = page;
  headOff = PAGE_HDR;
  return STORE_OK;
}

/** Appends a finished record; returns its flash address or a negative error. */
function append(src: usize, size: u32, user: bool): i64 {
  if (head < 0 || headOff + size > pageSize) {
    const r = openNext();
    if (r < 0) return r;
  }
  if (user) store<u8>(pgUser + <u32>head, 1);
  const addr = pageAddr(<u32>head) + headOff;
  headOff += size;
  if (!program(addr, src, size)) return STORE_FLASH;
  return <i64>addr;
}

/** The active page with the lowest sequence number, or -1. */
function tail(): i32 {
  let t: i32 = -1;
  let best: u32 = ERASED;
  for (let p: u32 = 0; p < pageCount; p++) {
    if (state(p) == PG_ACTIVE && seqOf(p) <= best) { best = seqOf(p); t = <i32>p; }
  }
  return t;
}

/** True when some active page has sequence number seq. */
function seqActive(seq: u32): bool {
  for (let p: u32 = 0; p < pageCount; p++) if (state(p) == PG_ACTIVE && seqOf(p) == seq) return true;
  return false;
}

/** True when no index entry points into page p. */
function pageUnused(p: u32): bool {
  const lo = pageAddr(p);
  const hi = lo + pageSize;
  for (let i: i32 = 0; i < <i32>idxCount; i++) {
    const a = entryAddr(i);
    if (a >= lo && a < hi) return false;
  }
  return true;
}

/**
 * Recycles one active page that holds nothing that counts: no live record, and no record but
 * compaction copies (so no tombstone, wipe, or part of a transaction). Such a page is what a
 * compaction cut during its copies leaves behind. Returns 1 when it freed a page, 0 when
 * there was none, or a negative error.
 */
function reclaimEmpty(): i32 {
  for (let p: u32 = 0; p < pageCount; p++) {
    if (state(p) == PG_ACTIVE && load<u8>(pgUser + p) == 0 && pageUnused(p)) {
      const r = recyclePage(p);
      return r < 0 ? r : 1;
    }
  }
  return 0;
}

/** Copies the live records of the tail page to the head, then retires and erases the tail. */
function compact(): i32 {
  if (activeCount >= pageCount) {
    // the spare page went to a compaction that was cut: it holds only ignored copies
    const r = reclaimEmpty();
    if (r < 0) return r;
  }
  const t = tail();
  if (t < 0) return STORE_FULL;
  const srcSeq = seqOf(<u32>t);
  if (t == head) headOff = pageSize; // copies go to a fresh page
  const lo = pageAddr(<u32>t);
  const hi = lo + pageSize;
  let i: i32 = 0;
  while (i < <i32>idxCount) {
    const addr = entryAddr(i);
    if (addr < lo || addr >= hi) { i++; continue; }
    const key = <u32>load<u16>(index + (<usize>i << 3));
    const size = readRecord(addr, hi);
    if (size <= 0 || <u32>load<u16>(rec) != key || (<u32>load<u8>(rec, 4) & (F_DEL | F_WIPE)) != 0) {
      // rotted since mount: the value is lost either way; do not launder it into a fresh CRC
      indexRemove(key);
      continue;
    }
    store<u8>(rec, <u8>(F_END | F_COPY), 4);
    store<u8>(rec, 0, 5);
    store<u32>(rec, srcSeq, 8); // a copy counts only once its source page is gone
    store<u32>(rec, recordCrc(rec, <u32>size), 12);
    const r = append(rec, <u32>size, false);
    if (r < 0) return <i32>r;
    store<u32>(index + (<usize>i << 3), <u32>r, 4);
    i++;
  }
  return recyclePage(<u32>t);
}

/** Usable record space: all pages but two (the compaction reserve and fragmentation slack). */
function capacity(): u32 {
  return (pageCount - 2) * dataPerPage;
}

/** True when the staged records fit without touching the reserve page. */
function roomForStage(): bool {
  let rem: u32 = head >= 0 ? pageSize - headOff : 0;
  let pages: u32 = 0;
  let off: u32 = 0;
  while (off < stageLen) {
    const size = recSize(<u32>load<u16>(stage + off, 2));
    if (size > rem) { pages++; rem = dataPerPage; }
    rem -= size;
    off += size;
  }
  return pageCount - activeCount >= pages + 1;
}

// ---------------- public API ----------------

/**
 * Mounts the store: blank flash is an empty store (nothing written); after a power cut it
 * discards what is torn and erases torn pages (the only writes a mount makes).
 */
export function storeMount(): i32 {
  mounted = false;
  damaged = false;
  inTxn = false;
  stageLen = 0;
  stageCount = 0;
  if (!geometry()) return STORE_FLASH;
  head = -1;
  ring = -1;
  headOff = 0;
  nextSeq = 1;
  nextTxn = 1;
  indexClear();
  scanHeaders();

  // active pages in sequence order (insertion sort; at most 64)
  activeCount = 0;
  for (let p: u32 = 0; p < pageCount; p++) {
    if (state(p) != PG_ACTIVE) continue;
    let j = activeCount;
    while (j > 0 && seqOf(<u32>load<u8>(order + j - 1)) > seqOf(p)) {
      store<u8>(order + j, load<u8>(order + j - 1));
      j--;
    }
    store<u8>(order + j, <u8>p);
    activeCount++;
  }

  // The transaction being read: its records so far (pend, pendN), its id, the idx expected next.
  let open = false;
  let pendN: u32 = 0;
  let pendTxn: u32 = 0;
  let pendNext: u32 = 0;
  let prevSeq: u32 = 0;
  for (let k: u32 = 0; k < activeCount; k++) {
    const p = <u32>load<u8>(order + k);
    const seq = seqOf(p);
    store<u8>(pgUser + p, 0);
    if (seq >= nextSeq) nextSeq = seq + 1;
    // `recovered` looks only at the end of the log: older damage was there at earlier mounts
    const newest = k == activeCount - 1;
    if (k > 0 && seq != prevSeq + 1) open = false; // a page is missing (corruption)
    prevSeq = seq;
    const base = pageAddr(p);
    const end = base + pageSize;
    let off = PAGE_HDR;
    let bad = false;
    while (true) {
      const size = readRecord(base + off, end);
      if (size == 0) break;
      if (size < 0) {
        // A power cut leaves only erased flash after a torn record. A valid record further on
        // means this one rotted: note it (the device fails closed, state.ts) and read on, so a
        // later record (a LOCK written after it) is not lost with it.
        bad = true;
        const next = resync(base + off + 4, end);
        if (next == 0) break;
        damaged = true;
        open = false; // the transaction that held the bad record never completes
        off = next - base;
        continue;
      }
      const txn = load<u32>(rec, 8);
      const flags = <u32>load<u8>(rec, 4);
      const idx = <u32>load<u8>(rec, 5);
      if ((flags & F_COPY) != 0) {
        // a compaction copy: written between transactions, counts once its source page is gone
        open = false;
        // ignored while its source page is still in the log (that compaction was cut)
        if (flags == (F_COPY | F_END) && idx == 0 && !seqActive(txn)) {
          indexPut(<u32>load<u16>(rec), <u32>load<u16>(rec, 2), base + off);
        }
        off += <u32>size;
        continue;
      }
      store<u8>(pgUser + p, 1);
      if (txn >= nextTxn) nextTxn = txn + 1;
      if (idx == 0) {
        open = true; // an earlier transaction still open never committed
        pendN = 0;
        pendTxn = txn;
        pendNext = 0;
      } else if (!open && k == 0 && off == PAGE_HDR) {
        // the oldest page opens mid-transaction: its first records were in a page that
        // compaction has recycled (their live values were copied before it was erased)
        open = true;
        pendN = 0;
        pendTxn = txn;
        pendNext = idx;
      }
      if (open && idx == pendNext && txn == pendTxn) {
        const e = pend + (<usize>pendN << 3);
        store<u16>(e, load<u16>(rec));
        let len = <u32>load<u16>(rec, 2);
        if ((flags & F_DEL) != 0) len = 0xffff;
        if ((flags & F_WIPE) != 0) len = 0xfffe;
        store<u16>(e, <u16>len, 2);
        store<u32>(e, base + off, 4);
        pendN++;
        pendNext++;
        if ((flags & F_END) != 0) {
          applyPending(pendN);
          open = false;
        }
      } else {
        open = false; // out of place: not part of any transaction we can complete
      }
      off += <u32>size;
    }
    if (bad) open = false;
    if (newest) {
      head = <i32>p;
      headOff = off;
      if (bad || !isErased(base + off, pageSize - off)) {
        headOff = pageSize; // never append after garbage
        recovered = true;
      }
    }
  }
  if (open) recovered = true; // the last transaction never committed
  // repair: torn pages are erased now, so the next mount does not report them again
  for (let p: u32 = 0; p < pageCount; p++) {
    if (load<u8>(pgTorn + p) != 0 && erasePage(p) < 0) return STORE_FLASH;
  }
  mounted = true;
  return STORE_OK;
}

/** Address of the first valid record at or after addr (4-byte steps) before pageEnd, or 0. */
function resync(addr: u32, pageEnd: u32): u32 {
  for (let a = addr; a + REC_HDR <= pageEnd; a += 4) if (readRecord(a, pageEnd) > 0) return a;
  return 0;
}

/** Applies n pending records (a committed transaction) to the index. */
function applyPending(n: u32): bool {
  let ok = true;
  for (let i: u32 = 0; i < n; i++) {
    const e = pend + (<usize>i << 3);
    const key = <u32>load<u16>(e);
    const len = <u32>load<u16>(e, 2);
    if (len == 0xfffe) indexClear();
    else if (len == 0xffff) indexRemove(key);
    else if (!indexPut(key, len, load<u32>(e, 4))) ok = false;
  }
  return ok;
}

/**
 * Erases everything and writes a fresh, empty store. First commits a WIPE record (so a cut
 * part-way leaves an empty store, not a mixture), then recycles the pages oldest first.
 */
export function storeFormat(): i32 {
  inTxn = false;
  stageLen = 0;
  stageCount = 0;
  if (!mounted) {
    const r = storeMount();
    if (r < 0 && !geometry()) return STORE_FLASH;
  }
  if (mounted && activeCount > 0) {
    txnBegin();
    stageRecord(0, 0, 0, F_WIPE);
    inTxn = false;
    const r = commitStaged(false);
    // STORE_FULL (no room even for 16 bytes): fall back to recycling without the WIPE record
    if (r < 0 && r != STORE_FULL) return r;
  }
  mounted = false;
  indexClear();
  const next: i32 = head >= 0 ? <i32>((<u32>head + 1) % pageCount) : -1; // the ring goes on from here
  // oldest first, so the WIPE record (in the head) goes last
  while (true) {
    const t = tail();
    if (t < 0) break;
    if (recyclePage(<u32>t) < 0) return STORE_FLASH;
  }
  for (let p: u32 = 0; p < pageCount; p++) {
    if (state(p) == PG_DIRTY && erasePage(p) < 0) return STORE_FLASH;
  }
  activeCount = 0;
  head = -1;
  ring = next;
  headOff = 0;
  nextSeq = 1;
  nextTxn = 1;
  recovered = false;
  mounted = true;
  return STORE_OK;
}

/** Copies the value of key into out (at most max bytes); returns its length or STORE_NOT_FOUND. */
export function storeGet(key: u32, out: usize, max: u32): i32 {
  if (!mounted) return STORE_FLASH;
  if (key > MAX_KEY) return STORE_NOT_FOUND;
  const i = find(key);
  if (i < 0) return STORE_NOT_FOUND;
  const addr = entryAddr(i);
  const p = addr / pageSize;
  const size = readRecord(addr, pageAddr(p) + pageSize);
  if (size <= 0 || <u32>load<u16>(rec) != key) { memory.fill(rec, 0, REC_BUF_SIZE); return STORE_CORRUPT; }
  const len = <u32>load<u16>(rec, 2);
  memory.copy(out, rec + REC_HDR, len < max ? len : max);
  memory.fill(rec, 0, <u32>size); // the value may be a secret: only the caller's copy remains
  return <i32>len;
}

/** Starts a transaction (an open one is discarded). */
export function txnBegin(): void {
  inTxn = true;
  stageLen = 0;
  stageCount = 0;
}

function stageRecord(key: u32, src: usize, len: u32, flags: u32): i32 {
  if (!inTxn) return STORE_NO_TXN;
  if (key > MAX_KEY) return STORE_BAD_KEY;
  if (len > maxValue) return STORE_TOO_LARGE;
  const size = recSize(len);
  if (stageCount >= MAX_TXN_RECORDS || stageLen + size > STAGE_BYTES) return STORE_TOO_LARGE;
  const r = stage + stageLen;
  store<u16>(r, <u16>key);
  store<u16>(r, <u16>len, 2);
  store<u8>(r, <u8>flags, 4);
  store<u8>(r, <u8>stageCount, 5);
  store<u16>(r, 0, 6);
  store<u32>(r, 0, 8);
  store<u32>(r, 0, 12);
  store<u32>(r + size - 4, 0); // zero padding (the value overwrites what it covers)
  memory.copy(r + REC_HDR, src, len);
  stageLen += size;
  stageCount++;
  return STORE_OK;
}

/** Stages a put (value copied now). */
export function txnPut(key: u32, src: usize, len: u32): i32 {
  return stageRecord(key, src, len, 0);
}

/** Stages a delete (a tombstone record). */
export function txnDelete(key: u32): i32 {
  return stageRecord(key, 0, 0, F_DEL);
}

/** Writes the staged records atomically; 0 when durable. The transaction ends either way. */
export function txnCommit(): i32 {
  if (!inTxn) return STORE_NO_TXN;
  inTxn = false;
  const used = stageLen;
  const r = commitStaged(true);
  // Staged values may be secrets (seeds, keys): they leave RAM once they are in flash.
  memory.fill(stage, 0, used);
  stageLen = 0;
  stageCount = 0;
  return r;
}

/** Writes the staging area as one transaction (checkCapacity false: for the WIPE record). */
function commitStaged(checkCapacity: bool): i32 {
  if (!mounted) return STORE_FLASH;
  if (stageCount == 0) return STORE_OK;

  // capacity: keys, then bytes
  let newKeys: u32 = 0;
  let grow: i64 = 0;
  let off: u32 = 0;
  while (off < stageLen) {
    const r = stage + off;
    const key = <u32>load<u16>(r);
    const len = <u32>load<u16>(r, 2);
    const del = (<u32>load<u8>(r, 4) & (F_DEL | F_WIPE)) != 0;
    if (!del) grow += <i64>recSize(len);
    if (!seenEarlier(key, off)) {
      const i = find(key);
      if (i >= 0) grow -= <i64>recSize(entryLen(i));
      else if (!del) newKeys++;
    }
    off += recSize(len);
  }
  if (idxCount + newKeys > MAX_KEYS) return STORE_FULL;
  if (checkCapacity && <i64>liveBytes + grow > <i64>capacity()) return STORE_FULL;

  let tries: u32 = activeCount + 2;
  while (!roomForStage()) {
    let r = reclaimEmpty();
    if (r > 0) continue;
    if (r == 0) {
      if (tries == 0) return STORE_FULL;
      tries--;
      r = compact();
    }
    if (r < 0) { if (r != STORE_FULL) mounted = false; return r; }
  }

  const txn = nextTxn++;
  off = 0;
  let n: u32 = 0;
  while (off < stageLen) {
    const r = stage + off;
    const size = recSize(<u32>load<u16>(r, 2));
    if (n == stageCount - 1) store<u8>(r, load<u8>(r, 4) | <u8>F_END, 4);
    store<u32>(r, txn, 8);
    store<u32>(r, recordCrc(r, size), 12);
    const a = append(r, size, true);
    if (a < 0) { mounted = false; return <i32>a; }
    store<u32>(pend + (<usize>n << 3), <u32>a, 4);
    off += size;
    n++;
  }
  // durable: now the index follows
  off = 0;
  n = 0;
  while (off < stageLen) {
    const r = stage + off;
    const key = <u32>load<u16>(r);
    const len = <u32>load<u16>(r, 2);
    const flags = <u32>load<u8>(r, 4);
    if ((flags & F_WIPE) != 0) indexClear();
    else if ((flags & F_DEL) != 0) indexRemove(key);
    else indexPut(key, len, load<u32>(pend + (<usize>n << 3), 4));
    off += recSize(len);
    n++;
  }
  stageLen = 0;
  stageCount = 0;
  return STORE_OK;
}

/** True when a record for key appears in the staging area before offset `before`. */
function seenEarlier(key: u32, before: u32): bool {
  let off: u32 = 0;
  while (off < before) {
    if (<u32>load<u16>(stage + off) == key) return true;
    off += recSize(<u32>load<u16>(stage + off, 2));
  }
  return false;
}

export function txnAbort(): void {
  inTxn = false;
  memory.fill(stage, 0, stageLen);
  stageLen = 0;
  stageCount = 0;
}

/** One-record transaction. */
export function storePut(key: u32, src: usize, len: u32): i32 {
  txnBegin();
  const r = txnPut(key, src, len);
  if (r < 0) { txnAbort(); return r; }
  return txnCommit();
}

// ---------------- statistics ----------------

/** Approximate record space left (record = 16-byte header + value padded to 4). */
export function storeFreeBytes(): u32 {
  if (!mounted) return 0;
  const c = capacity();
  return liveBytes >= c ? 0 : c - liveBytes;
}

/** Largest erase count over the store's pages (estimated for pages whose header was lost). */
export function storeMaxEraseCount(): u32 {
  let m: u32 = 0;
  for (let p: u32 = 0; p < pageCount; p++) if (eraseCount(p) > m) m = eraseCount(p);
  return m;
}

export function storeMinEraseCount(): u32 {
  if (pageCount == 0) return 0;
  let m: u32 = ERASED;
  for (let p: u32 = 0; p < pageCount; p++) if (eraseCount(p) < m) m = eraseCount(p);
  return m;
}

/** True when this mount had to discard something torn (a record, a transaction, a page header). */
/** True when the last mount found a rotten record among valid ones (not a torn write). */
export function storeWasDamaged(): bool {
  return damaged;
}

export function storeWasRecovered(): bool {
  return recovered;
}

/** Live keys in the index. */
export function storeKeyCount(): u32 {
  return idxCount;
}

/** Largest value this flash geometry allows (MAX_VALUE unless pages are small). */
export function storeMaxValue(): u32 {
  return maxValue;
}

/** Pages currently part of the log. */
export function storeActivePages(): u32 {
  return activeCount;
}
