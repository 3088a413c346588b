// A read-only picture of the firmware's log-structured store (docs/storage.md "On-flash format") from
// a flash snapshot, for the page's flash view: each page's state, sequence number and erase count from
// its header, and its record bytes split into live (the newest committed value of a key) and dead
// (superseded, deleted, tombstones, uncommitted or failing their CRC). Walks the records as the
// mount does, without its repair of rotted records (a record failing its CRC ends the page here).
import { crc32 } from "../../host-sdk/src/protocols/service/crc32.js";

export const STORE_MAGIC = 0x314c4753;
const HEADER = 20;
const F_END = 1, F_DEL = 2;

export type PageState = "active" | "free" | "blank" | "torn";
export interface PageView { page: number; state: PageState; seq?: number; eraseCount?: number; live: number; dead: number; records: number }

interface Rec { page: number; key: number; size: number; del: boolean }

export function storeView(flash: Uint8Array, pageSize: number): PageView[] {
  const pages: PageView[] = [];
  const v = new DataView(flash.buffer, flash.byteOffset, flash.byteLength);
  const count = Math.min(64, Math.floor(flash.length / pageSize));
  const active: { page: number; seq: number }[] = [];
  for (let p = 0; p < count; p++) {
    const base = p * pageSize;
    const view: PageView = { page: p, state: "torn", live: 0, dead: 0, records: 0 };
    pages.push(view);
    const h = flash.subarray(base, base + HEADER);
    if (h.every((b) => b === 0xff) && flash.subarray(base, base + pageSize).every((b) => b === 0xff)) { view.state = "blank"; continue; }
    if (v.getUint32(base, true) !== STORE_MAGIC || crc32(h.subarray(0, 8)) !== v.getUint32(base + 8, true)) continue;
    view.eraseCount = v.getUint32(base + 4, true);
    if (crc32(h.subarray(0, 16)) === v.getUint32(base + 16, true)) {
      view.state = "active";
      view.seq = v.getUint32(base + 12, true);
      active.push({ page: p, seq: view.seq });
    } else if (flash.subarray(base + 12, base + pageSize).every((b) => b === 0xff)) view.state = "free";
  }
  // The log in sequence order; a transaction's records count once its END record is read.
  active.sort((a, b) => a.seq - b.seq);
  const newest = new Map<number, Rec>();
  const dead: Rec[] = [];
  const pending = new Map<number, Rec[]>();
  for (const { page } of active) {
    const base = page * pageSize;
    for (let off = HEADER; off + 16 <= pageSize;) {
      const at = base + off;
      if (v.getUint32(at, true) === 0xffffffff) break;
      const len = v.getUint16(at + 2, true);
      const size = 16 + ((len + 3) & ~3);
      if (len > 1024 || off + size > pageSize) break;
      const body = new Uint8Array(12 + size - 16);
      body.set(flash.subarray(at, at + 12));
      body.set(flash.subarray(at + 16, at + size), 12);
      if (crc32(body) !== v.getUint32(at + 12, true)) break;
      const flags = flash[at + 4]!, tag = v.getUint32(at + 8, true);
      const rec: Rec = { page, key: v.getUint16(at, true), size, del: (flags & F_DEL) !== 0 };
      pages[page]!.records++;
      const txn = pending.get(tag) ?? [];
      txn.push(rec);
      if (flags & F_END) {
        pending.delete(tag);
        for (const r of txn) { const old = newest.get(r.key); if (old) dead.push(old); newest.set(r.key, r); }
      } else pending.set(tag, txn);
      off += size;
    }
  }
  for (const txn of pending.values()) dead.push(...txn);
  for (const r of newest.values()) {
    if (r.del) dead.push(r); // a tombstone is the newest word on its key, and holds nothing
    else pages[r.page]!.live += r.size;
  }
  for (const r of dead) pages[r.page]!.dead += r.size;
  return pages;
}
