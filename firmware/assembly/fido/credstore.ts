// Discoverable (resident) credentials: one store record per credential plus a 4-byte signature
// counter record next to it, and a RAM table (loaded at power-up) for look-ups by RP and by ID.
//
// Store keys (fido/keys.ts range KEY_RK_FIRST..KEY_RK_LAST):
//   KEY_RK_FIRST + slot         the credential record (layout below), slot < RK_CAPACITY
//   KEY_RK_FIRST + 0x80 + slot  its signature counter, u32 little-endian
// Record layout (version 1):
//   0 version (1) | 1 credential flags (as in the ID) | 2 userIdLen | 3 nameLen | 4 displayNameLen
//   5 rpIdLen | 6..7 reserved (0) | 8..11 seq u32 LE (creation order) | 12..43 rpIdHash
//   44..44+CRED_ID_LEN credential ID | userId | name | displayName | rpId
import { Buf, buf, bufPtr, bufCopy, BUF_OK } from "../platform/buffer";
import { storeGet, txnBegin, txnPut, txnDelete, txnCommit, txnAbort } from "../storage/store";
import { KEY_RK_FIRST } from "./keys";

/** Discoverable credentials the chip can hold. */
export const RK_CAPACITY: u32 = 50;
/** Length of the credential IDs kept in records (credential.ts CRED_ID_LEN, repeated here so this module stands alone). */
export const RK_ID_LEN: u32 = 34;
export const RK_MAX_USER_ID: u32 = 64;
/** name and displayName are truncated to this many bytes (at a code point boundary). */
export const RK_MAX_NAME: u32 = 64;
export const RK_MAX_RPID: u32 = 255;

export const REC_VERSION: u8 = 1;
export const REC_FLAGS: usize = 1;
export const REC_UID_LEN: usize = 2;
export const REC_NAME_LEN: usize = 3;
export const REC_DNAME_LEN: usize = 4;
export const REC_RPID_LEN: usize = 5;
export const REC_SEQ: usize = 8;
export const REC_RPHASH: usize = 12;
export const REC_ID: usize = 44;
export const REC_VAR: usize = REC_ID + <usize>RK_ID_LEN;
export const REC_MAX: u32 = <u32>REC_VAR + RK_MAX_USER_ID + 2 * RK_MAX_NAME + RK_MAX_RPID;

// RAM table entry: 0 used | 1 flags | 4..7 seq | 8..39 rpIdHash | 40..55 ID bytes 2..17 (the nonce)
const ENT: usize = 64;
const TABLE: usize = memory.data(<i32>(RK_CAPACITY * <u32>ENT), 16);
const NONCE_OFF: usize = 2; // the nonce's offset inside a credential ID
const NONCE_LEN: u32 = 16;
/** One record (reading and building). */
const REC_BUF: Buf = buf(memory.data(<i32>REC_MAX, 16), REC_MAX);
export const REC: usize = bufPtr(REC_BUF);
const CTR0: usize = memory.data(8, 8);

let maxSeq: u32 = 0;

@inline function ent(slot: u32): usize { return TABLE + <usize>slot * ENT; }
@inline export function rkKey(slot: u32): u32 { return KEY_RK_FIRST + slot; }
@inline export function rkCounterKey(slot: u32): u32 { return KEY_RK_FIRST + 0x80 + slot; }

/** Checks a record's internal lengths against its stored size. */
function recordValid(p: usize, len: i32): bool {
  if (len < <i32>REC_VAR || load<u8>(p) != REC_VERSION) return false;
  const u = <u32>load<u8>(p + REC_UID_LEN);
  const n = <u32>load<u8>(p + REC_NAME_LEN);
  const d = <u32>load<u8>(p + REC_DNAME_LEN);
  const r = <u32>load<u8>(p + REC_RPID_LEN);
  if (u > RK_MAX_USER_ID || n > RK_MAX_NAME || d > RK_MAX_NAME) return false;
  return <u32>REC_VAR + u + n + d + r == <u32>len;
}

/** Power-up (and after a reset): rebuilds the RAM table from the store. */
export function rkLoad(): void {
  memory.fill(TABLE, 0, <usize>RK_CAPACITY * ENT);
  maxSeq = 0;
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    const n = storeGet(rkKey(s), REC, REC_MAX);
    if (n < 0 || !recordValid(REC, n)) continue;
    const e = ent(s);
    store<u8>(e, 1);
    store<u8>(e, load<u8>(REC + REC_FLAGS), 1);
    const seq = load<u32>(REC + REC_SEQ);
    store<u32>(e, seq, 4);
    memory.copy(e + 8, REC + REC_RPHASH, 32);
    memory.copy(e + 40, REC + REC_ID + NONCE_OFF, NONCE_LEN);
    if (seq > maxSeq) maxSeq = seq;
  }
}

export function rkUsed(slot: u32): bool { return slot < RK_CAPACITY && load<u8>(ent(slot)) != 0; }
export function rkSeq(slot: u32): u32 { return load<u32>(ent(slot), 4); }
export function rkFlags(slot: u32): u8 { return load<u8>(ent(slot), 1); }
export function rkRpIdHash(slot: u32): usize { return ent(slot) + 8; }

export function rkCount(): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < RK_CAPACITY; s++) if (rkUsed(s)) n++;
  return n;
}

/** Slot of the discoverable credential with this ID (compares the nonce; the caller has checked the MAC), or -1. */
export function rkFindById(id: usize, idLen: u32): i32 {
  if (idLen != RK_ID_LEN) return -1;
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    if (!rkUsed(s)) continue;
    if (memory.compare(ent(s) + 40, id + NONCE_OFF, NONCE_LEN) == 0) return <i32>s;
  }
  return -1;
}

/** Reads slot's record into REC; returns its length or -1. */
export function rkRead(slot: u32): i32 {
  if (!rkUsed(slot)) return -1;
  const n = storeGet(rkKey(slot), REC, REC_MAX);
  if (n < 0 || !recordValid(REC, n)) return -1;
  return n;
}

/** Field accessors on a record at p. */
export function recUserId(p: usize): usize { return p + REC_VAR; }
export function recName(p: usize): usize { return recUserId(p) + <usize>load<u8>(p + REC_UID_LEN); }
export function recDisplayName(p: usize): usize { return recName(p) + <usize>load<u8>(p + REC_NAME_LEN); }
export function recRpId(p: usize): usize { return recDisplayName(p) + <usize>load<u8>(p + REC_DNAME_LEN); }

/** Slot holding a credential for (rpIdHash, userId), or -1. */
export function rkFindUser(rpIdHash: usize, userId: usize, userIdLen: u32): i32 {
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    if (!rkUsed(s) || memory.compare(rkRpIdHash(s), rpIdHash, 32) != 0) continue;
    if (rkRead(s) < 0) continue;
    if (<u32>load<u8>(REC + REC_UID_LEN) == userIdLen && memory.compare(recUserId(REC), userId, userIdLen) == 0) return <i32>s;
  }
  return -1;
}

export function rkFreeSlot(): i32 {
  for (let s: u32 = 0; s < RK_CAPACITY; s++) if (!rkUsed(s)) return <i32>s;
  return -1;
}

/** Largest prefix of (p, len) of at most max bytes that ends at a UTF-8 code point boundary. */
export function utf8Truncate(p: usize, len: u32, max: u32): u32 {
  if (len <= max) return len;
  let n = max;
  while (n > 0 && (load<u8>(p + n) & 0xc0) == 0x80) n--; // byte n starts the cut-off part
  return n;
}

/**
 * Builds a record in REC. Strings are truncated (names at a code point boundary); userIdLen must be
 * at most 64. seq 0 = a new credential (next creation number). Returns the record length.
 */
export function rkBuild(
  flags: u8, rpIdHash: usize, id: usize, userId: usize, userIdLen: u32,
  name: usize, nameLen: u32, dname: usize, dnameLen: u32, rpId: usize, rpIdLen: u32, seq: u32,
): u32 {
  nameLen = utf8Truncate(name, nameLen, RK_MAX_NAME);
  dnameLen = utf8Truncate(dname, dnameLen, RK_MAX_NAME);
  if (rpIdLen > RK_MAX_RPID) rpIdLen = RK_MAX_RPID; // an rpId is ASCII (a domain)
  memory.fill(REC, 0, REC_VAR);
  store<u8>(REC, REC_VERSION);
  store<u8>(REC + REC_FLAGS, flags);
  store<u8>(REC + REC_UID_LEN, <u8>userIdLen);
  store<u8>(REC + REC_NAME_LEN, <u8>nameLen);
  store<u8>(REC + REC_DNAME_LEN, <u8>dnameLen);
  store<u8>(REC + REC_RPID_LEN, <u8>rpIdLen);
  store<u32>(REC + REC_SEQ, seq != 0 ? seq : maxSeq + 1);
  memory.copy(REC + REC_RPHASH, rpIdHash, 32);
  memory.copy(REC + REC_ID, id, RK_ID_LEN);
  // the variable part goes through the capacity-checked copy: a user ID the caller forgot to
  // bound makes an empty record (refused by rkWrite), never a write past REC
  if (userIdLen > RK_MAX_USER_ID) return 0;
  let p = <u32>REC_VAR;
  let bad = bufCopy(REC_BUF, p, userId, userIdLen); p += userIdLen;
  bad |= bufCopy(REC_BUF, p, name, nameLen); p += nameLen;
  bad |= bufCopy(REC_BUF, p, dname, dnameLen); p += dnameLen;
  bad |= bufCopy(REC_BUF, p, rpId, rpIdLen); p += rpIdLen;
  return bad != BUF_OK ? 0 : p;
}

/**
 * Writes the record in REC (len bytes) to slot and, when resetCounter, a zero counter next to it,
 * in one transaction. Updates the RAM table. Returns 0 or a store error.
 */
export function rkWrite(slot: u32, len: u32, resetCounter: bool): i32 {
  if (len < <u32>REC_VAR) return -1; // rkBuild refused the record
  txnBegin();
  let r = txnPut(rkKey(slot), REC, len);
  if (r == 0 && resetCounter) {
    store<u64>(CTR0, 0);
    r = txnPut(rkCounterKey(slot), CTR0, 4);
  }
  if (r != 0) { txnAbort(); return r; }
  r = txnCommit();
  if (r != 0) return r;
  const e = ent(slot);
  store<u8>(e, 1);
  store<u8>(e, load<u8>(REC + REC_FLAGS), 1);
  const seq = load<u32>(REC + REC_SEQ);
  store<u32>(e, seq, 4);
  memory.copy(e + 8, REC + REC_RPHASH, 32);
  memory.copy(e + 40, REC + REC_ID + NONCE_OFF, NONCE_LEN);
  if (seq > maxSeq) maxSeq = seq;
  return 0;
}

/** Deletes slot's record and counter in one transaction. */
export function rkDelete(slot: u32): i32 {
  if (slot >= RK_CAPACITY) return -1;
  txnBegin();
  let r = txnDelete(rkKey(slot));
  if (r == 0) r = txnDelete(rkCounterKey(slot));
  if (r != 0) { txnAbort(); return r; }
  r = txnCommit();
  if (r != 0) return r;
  store<u8>(ent(slot), 0);
  return 0;
}

/** Deletes every discoverable credential (each with its counter, one transaction per credential). */
export function rkWipeAll(): i32 {
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    if (!rkUsed(s)) continue;
    const r = rkDelete(s);
    if (r != 0) return r;
  }
  return 0;
}

/**
 * Slots of the credentials for rpIdHash into out (u8 each), most recent first. Returns how many.
 */
export function rkListRp(rpIdHash: usize, out: usize): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    if (rkUsed(s) && memory.compare(rkRpIdHash(s), rpIdHash, 32) == 0) store<u8>(out + n++, <u8>s);
  }
  // insertion sort by seq, descending (n ≤ 50)
  for (let i: u32 = 1; i < n; i++) {
    const v = load<u8>(out + i);
    const sv = rkSeq(v);
    let j = i;
    while (j > 0 && rkSeq(load<u8>(out + j - 1)) < sv) { store<u8>(out + j, load<u8>(out + j - 1)); j--; }
    store<u8>(out + j, v);
  }
  return n;
}

/** One slot per distinct RP (the first slot seen for each rpIdHash) into out; returns how many. */
export function rkListRps(out: usize): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < RK_CAPACITY; s++) {
    if (!rkUsed(s)) continue;
    let seen = false;
    for (let i: u32 = 0; i < n; i++) {
      if (memory.compare(rkRpIdHash(load<u8>(out + i)), rkRpIdHash(s), 32) == 0) { seen = true; break; }
    }
    if (!seen) store<u8>(out + n++, <u8>s);
  }
  return n;
}
