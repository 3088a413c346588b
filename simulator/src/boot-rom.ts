// The boot ROM of a simulated device (docs/image-format.md): the immutable bootloader that holds
// the maker keys and the revocation mask set at manufacture, keeps the boot record, verifies the
// image slots and picks the one to run (pending → trial, unconfirmed trial → revert, a damaged
// active slot → the other valid one). It has code of its own (its crypto through ./host.js: node:crypto in Node, @noble in a browser),
// as a hardware bootloader does: it shares nothing with the SDK's image library.
//
// Storage: one NorFlash of its own, apart from the data region the store lives in:
//   pages  0..19  slot A (20 × 4096 = 81,920 bytes: room for the guarded test build too)
//   pages 20..39  slot B
//   page  40      manufacture page: model, initial revocation mask, maker keys (written once)
//   pages 41..42  boot record log: 32-byte records, newest valid sequence number wins
import { sha256, p256PublicFromPem, p256ValidPublic, p256Verify, p256Sign } from "./host.js";
import { hex } from "./image.js";
import { NorFlash, type FlashFaultPlan } from "./flash.js";

export const BOOT_PAGE_SIZE = 4096;
export const SLOT_PAGES = 20;
export const SLOT_SIZE = SLOT_PAGES * BOOT_PAGE_SIZE;
export const IMAGE_HEADER_SIZE = 128;
export const IMAGE_MAGIC = 0x57464753; // "SGFW" little-endian
export const IMAGE_FORMAT_VERSION = 1;
export const IMAGE_PAYLOAD_MIN = 8;
export const MAX_MAKER_KEYS = 4;

const MFG_PAGE = 2 * SLOT_PAGES;
const RECORD_PAGE0 = MFG_PAGE + 1;
const BOOT_FLASH_PAGES = RECORD_PAGE0 + 2;
const RECORD_SIZE = 32;
const RECORDS_PER_PAGE = BOOT_PAGE_SIZE / RECORD_SIZE;
const RECORD_MAGIC = 0x52424753; // "SGBR"
const MFG_MAGIC = 0x464d4753; // "SGMF"

/**
 * The default test maker key (index 0) of every simulated device made without keys of its own:
 * the shipping image is signed with it at manufacture. A TEST key: its private half is public.
 */
export const TEST_MAKER_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgP2YD8JeHLq5FyQNi
Em7VX7bJFsXgPUGU3yHhQGYY4PihRANCAATjeX8z71OsBIgYV72gcA6elQ6jBA6p
e0kKVv/tI5Ynw/VUqtwG/liRwPPrZKabL2kqGVQOUHjcrglBZtLE/GWF
-----END PRIVATE KEY-----
`;

export type SlotName = "A" | "B";
const slotIndex = (s: SlotName | 0 | 1): 0 | 1 => (s === "A" || s === 0 ? 0 : 1);

/** The boot record (docs/image-format.md "Slots and the boot record"). */
export interface BootRecord {
  /** Sequence number of the record (0 for a device that never wrote one). */
  seq: number;
  /** The slot that boots normally. */
  active: SlotName;
  /** A slot marked by the running image after a complete, checked download; null when none. */
  pending: SlotName | null;
  /** The other slot is on trial: it booted once and has not confirmed yet. */
  trial: boolean;
  /** Stored security counter. */
  counter: number;
  /** Revoked maker keys (bit i = key i), the manufacture mask included. */
  revoked: number;
}

/** What the boot ROM decided at the last power-on. */
export interface BootChoice {
  slot: SlotName;
  trial: boolean;
  /** The image's header fields. */
  header: ImageHeaderFields;
  /** The WebAssembly payload. */
  payload: Uint8Array<ArrayBuffer>;
  /** SHA-256 of the payload (hex), checked by the boot ROM. */
  payloadSha256: string;
  /** What happened on the way: "pending-invalid: SIGNATURE", "reverted", "active-invalid: HASH"... */
  notes: string[];
}

export interface ImageHeaderFields {
  keyIndex: number;
  revokeMask: number;
  modelMask: number;
  version: number;
  securityCounter: number;
  payloadLength: number;
}

export type SlotVerdict = { ok: true; header: ImageHeaderFields } | { ok: false; reason: BootRomReason };
export type BootRomReason = "EMPTY" | "FORMAT" | "MODEL" | "KEY" | "SIGNATURE" | "HASH" | "ROLLBACK";

/** No slot holds an image the boot ROM accepts: the device cannot start. */
export class NoBootableImage extends Error {
  override readonly name = "NoBootableImage";
}

export interface BootRomOptions {
  /** Image files written into the slots at manufacture (a flash file that already holds a valid image keeps it). */
  slots?: { A?: Uint8Array; B?: Uint8Array };
  /** Maker public keys 0..3: SPKI PEM, or 64 bytes X ‖ Y; undefined for an empty index. Default: the test maker key at index 0. */
  makerKeys?: readonly (string | Uint8Array | undefined)[];
  /** Revocation mask set at manufacture (default 0). */
  revoked?: number;
  /** The hardware model (1 code display, 2 audio reader, 3 chip); 0 (default) = not fixed, no model check. */
  model?: number;
  /** Backing file for the boot flash (slots, keys, record) so a device keeps them across runs. */
  flashFile?: string;
}

/** X ‖ Y (64 bytes) of a P-256 public key given as SPKI PEM, a private PKCS#8 PEM, or raw bytes. */
export function rawPublicKey(key: string | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 64) throw new RangeError("a raw maker key is 64 bytes X ‖ Y");
    return key.slice();
  }
  return p256PublicFromPem(key);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A signed image file (docs/image-format.md) around a payload, for manufacture and tests: the
 * simulator's own small signer, so that a device can be made without the SDK.
 */
export function signImageForTest(payload: Uint8Array, opts: {
  privateKeyPem?: string; keyIndex?: number; revokeMask?: number; modelMask?: number; version?: number; securityCounter?: number; flags?: number;
} = {}): Uint8Array<ArrayBuffer> {
  const file = new Uint8Array(IMAGE_HEADER_SIZE + payload.length);
  const v = new DataView(file.buffer);
  v.setUint32(0, IMAGE_MAGIC, true);
  file[4] = IMAGE_FORMAT_VERSION;
  file[5] = opts.keyIndex ?? 0;
  file[6] = opts.revokeMask ?? 0;
  file[7] = opts.flags ?? 0;
  v.setUint32(8, opts.modelMask ?? 0x0f, true);
  v.setUint32(12, opts.version ?? 0x000100, true);
  v.setUint32(16, opts.securityCounter ?? 0, true);
  v.setUint32(20, payload.length, true);
  file.set(sha256(payload), 24);
  const sig = p256Sign(opts.privateKeyPem ?? TEST_MAKER_KEY_PEM, file.subarray(0, 64));
  file.set(sig, 64);
  file.set(payload, IMAGE_HEADER_SIZE);
  return file;
}

const manufactured = new Map<string, Uint8Array<ArrayBuffer>>();
const manufacturedByObject = new WeakMap<Uint8Array, Uint8Array<ArrayBuffer>>();
/** The shipping image signed with the test maker key (cached by payload: signing once per image). */
export function testSignedImage(payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const known = manufacturedByObject.get(payload);
  if (known) return known;
  const h = hex(sha256(payload));
  let f = manufactured.get(h);
  if (!f) { f = signImageForTest(payload); manufactured.set(h, f); }
  manufacturedByObject.set(payload, f);
  return f;
}

const MFG_SIZE = 16 + MAX_MAKER_KEYS * 64;
const ERASED_SLOT = new Uint8Array(SLOT_SIZE).fill(0xff);

// Shared by every device of a process: manufacture pages by set-up, key objects by key, and the
// verdicts on factory images (every simulated device boots the same signed shipping image).
const pageCache = new Map<string, Uint8Array>();
const factoryVerdicts = new WeakMap<Uint8Array, Map<string, SlotVerdict>>();

/** The manufacture page: magic, model, revocation mask, which keys are present, a checksum, the keys. */
function manufacturePage(opts: BootRomOptions): Uint8Array {
  const keys = opts.makerKeys ?? [TEST_MAKER_KEY_PEM];
  if (keys.length > MAX_MAKER_KEYS) throw new RangeError(`at most ${MAX_MAKER_KEYS} maker keys`);
  const id = JSON.stringify([opts.model ?? 0, opts.revoked ?? 0, keys.map((k) => (k instanceof Uint8Array ? hex(k) : k ?? null))]);
  let page = pageCache.get(id);
  if (page) return page;
  page = new Uint8Array(MFG_SIZE).fill(0xff);
  const v = new DataView(page.buffer);
  v.setUint32(0, MFG_MAGIC, true);
  page[4] = opts.model ?? 0;
  page[5] = (opts.revoked ?? 0) & 0x0f;
  let present = 0;
  keys.forEach((k, i) => {
    if (k === undefined) return;
    page!.set(rawPublicKey(k), 16 + i * 64);
    present |= 1 << i;
  });
  page[6] = present;
  page[7] = 0;
  page.set(sha256(page.subarray(0, 8)).subarray(0, 4), 8);
  page.set(new Uint8Array(4), 12);
  pageCache.set(id, page);
  return page;
}

export class BootRom {
  private materialized: NorFlash | undefined;
  private readonly flashFile: string | undefined;
  private readonly mfgPage: Uint8Array;
  /** Slot A's image file while the boot flash has not been written yet (shared, read-only). */
  private factory: Uint8Array | undefined;
  private keys: (Uint8Array | undefined)[] = [];
  /** The maker keys that are points of P-256 (an invalid key verifies nothing). */
  private validKeys: (Uint8Array | undefined)[] = [];
  private keyId = "";
  private mfgRevoked = 0;
  private model = 0;
  private running: { slot: 0 | 1; trial: boolean } | undefined;
  private confirmedThisBoot = false;

  /**
   * A device's boot ROM. Without a flash file and with an image for slot A only, the boot flash
   * is materialized at its first write (a slot or a record): until then slot A reads as that
   * image, slot B as erased, and the record as the default (what manufacture would have written),
   * so that thousands of simulated devices cost no boot flash of their own.
   */
  constructor(opts: BootRomOptions = {}) {
    this.flashFile = opts.flashFile;
    this.mfgPage = manufacturePage(opts);
    const slots = opts.slots ?? {};
    if (opts.flashFile === undefined && slots.B === undefined) {
      this.loadManufacture(this.mfgPage);
      this.factory = slots.A;
      return;
    }
    const flash = this.flash; // materializes (and manufactures a blank part)
    if (!this.verifySlot("A").ok && !this.verifySlot("B").ok) {
      if (slots.A) this.install("A", slots.A);
      if (slots.B) this.install("B", slots.B);
    }
    void flash;
  }

  /** Slots, manufacture page and boot record: a flash of its own (materialized on first use). */
  get flash(): NorFlash {
    if (this.materialized) return this.materialized;
    const flash = new NorFlash({ pageSize: BOOT_PAGE_SIZE, pageCount: BOOT_FLASH_PAGES, maxWritesPerWord: 2 }, this.flashFile);
    this.materialized = flash;
    if (!this.loadManufacture(flash.read(MFG_PAGE * BOOT_PAGE_SIZE, MFG_SIZE))) {
      flash.erase(MFG_PAGE);
      flash.program(MFG_PAGE * BOOT_PAGE_SIZE, this.mfgPage);
      if (!this.loadManufacture(flash.read(MFG_PAGE * BOOT_PAGE_SIZE, MFG_SIZE))) throw new Error("manufacture page did not read back");
    }
    if (this.factory) {
      const file = this.factory;
      this.factory = undefined;
      this.install("A", file);
    }
    return flash;
  }

  /** Copy of the boot flash (slots, manufacture page, boot record); undefined while it was never written (as manufactured). */
  snapshot(): Uint8Array | undefined {
    return this.materialized?.snapshot();
  }

  /** Program and erase operations on the boot flash so far (0 while it was never written). */
  operations(): number {
    const st = this.materialized?.stats();
    return st ? st.writes + st.erases : 0;
  }

  /** Replaces the boot flash with a snapshot (the part swapped while off); its manufacture page is read again. */
  restore(image: Uint8Array): void {
    this.flash.restore(image);
    this.running = undefined;
    this.confirmedThisBoot = false;
    if (!this.loadManufacture(this.flash.read(MFG_PAGE * BOOT_PAGE_SIZE, MFG_SIZE))) throw new RangeError("boot flash snapshot has no valid manufacture page");
  }

  private loadManufacture(page: Uint8Array): boolean {
    const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
    if (v.getUint32(0, true) !== MFG_MAGIC) return false;
    if (!sameBytes(sha256(page.subarray(0, 8)).subarray(0, 4), page.subarray(8, 12))) return false;
    this.model = page[4]!;
    this.mfgRevoked = page[5]! & 0x0f;
    this.keys = [];
    this.validKeys = [];
    for (let i = 0; i < MAX_MAKER_KEYS; i++) {
      const k = (page[6]! >> i) & 1 ? page.slice(16 + i * 64, 80 + i * 64) : undefined;
      this.keys.push(k);
      this.validKeys.push(k && p256ValidPublic(k) ? k : undefined);
    }
    this.keyId = hex(page.subarray(0, 16 + MAX_MAKER_KEYS * 64));
    return true;
  }

  /** The bytes of a slot as the boot ROM reads them (without materializing the flash). */
  private slotBytes(slot: 0 | 1): Uint8Array {
    if (this.materialized) return this.materialized.bytes.subarray(slot * SLOT_SIZE, (slot + 1) * SLOT_SIZE);
    return slot === 0 && this.factory ? this.factory : ERASED_SLOT;
  }

  /** The hardware model set at manufacture (0 = not fixed). */
  get hardwareModel(): number {
    return this.model;
  }

  // ---------------------------------------------------------------- boot record

  /** The newest valid boot record (the default one on a device that never wrote any). */
  readRecord(): BootRecord {
    const r = this.latest();
    return r ? r.rec : { seq: 0, active: "A", pending: null, trial: false, counter: 0, revoked: this.mfgRevoked };
  }

  private latestCache: { at: number; value: { rec: BootRecord; page: number; index: number } | undefined } | undefined;

  /** The newest valid record (cached until the boot flash changes: every boot reads it several times). */
  private latest(): { rec: BootRecord; page: number; index: number } | undefined {
    if (!this.materialized) return undefined;
    const at = this.materialized.operations;
    if (this.latestCache?.at !== at) this.latestCache = { at, value: this.scanRecords() };
    return this.latestCache.value;
  }

  private scanRecords(): { rec: BootRecord; page: number; index: number } | undefined {
    let best: { rec: BootRecord; page: number; index: number } | undefined;
    for (let p = 0; p < 2; p++) {
      for (let i = 0; i < RECORDS_PER_PAGE; i++) {
        const at = (RECORD_PAGE0 + p) * BOOT_PAGE_SIZE + i * RECORD_SIZE;
        const rec = this.decodeRecord(this.flash.bytes.subarray(at, at + RECORD_SIZE));
        if (rec && (!best || rec.seq > best.rec.seq)) best = { rec, page: p, index: i };
      }
    }
    return best;
  }

  private decodeRecord(b: Uint8Array): BootRecord | undefined {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (v.getUint32(0, true) !== RECORD_MAGIC) return undefined;
    if (!sameBytes(sha256(b.subarray(0, 28)).subarray(0, 4), b.subarray(28, 32))) return undefined;
    const active = b[8]!, pending = b[9]!, trial = b[10]!;
    if (active > 1 || (pending > 1 && pending !== 0xff) || trial > 1) return undefined;
    return {
      seq: v.getUint32(4, true),
      active: active === 0 ? "A" : "B",
      pending: pending === 0xff ? null : pending === 0 ? "A" : "B",
      trial: trial === 1,
      counter: v.getUint32(12, true),
      revoked: (b[16]! | this.mfgRevoked) & 0x0f,
    };
  }

  /**
   * Appends a record after the newest one; when its page is full, erases the other page and starts
   * there. A power cut leaves the old record (a torn record fails its checksum) or the new one.
   */
  private writeRecord(next: Omit<BootRecord, "seq">): BootRecord {
    const cur = this.latest();
    const prev = this.readRecord();
    const rec: BootRecord = { ...next, seq: prev.seq + 1, revoked: (next.revoked | prev.revoked | this.mfgRevoked) & 0x0f };
    const b = new Uint8Array(RECORD_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(0, RECORD_MAGIC, true);
    v.setUint32(4, rec.seq, true);
    b[8] = slotIndex(rec.active);
    b[9] = rec.pending === null ? 0xff : slotIndex(rec.pending);
    b[10] = rec.trial ? 1 : 0;
    b[11] = 0;
    v.setUint32(12, rec.counter >>> 0, true);
    b[16] = rec.revoked;
    b.set(sha256(b.subarray(0, 28)).subarray(0, 4), 28);
    let page = cur ? cur.page : 0;
    let index = -1;
    for (let i = cur ? cur.index + 1 : 0; i < RECORDS_PER_PAGE; i++) {
      const at = (RECORD_PAGE0 + page) * BOOT_PAGE_SIZE + i * RECORD_SIZE;
      if (this.flash.bytes.subarray(at, at + RECORD_SIZE).every((x) => x === 0xff)) { index = i; break; }
    }
    if (index < 0) {
      page = cur ? 1 - cur.page : 0;
      if (!this.flash.erase(RECORD_PAGE0 + page)) throw new Error("boot record erase failed");
      index = 0;
    }
    if (!this.flash.program((RECORD_PAGE0 + page) * BOOT_PAGE_SIZE + index * RECORD_SIZE, b)) throw new Error("boot record write failed");
    return rec;
  }

  // ---------------------------------------------------------------- verification

  /** Complete verification of the image in a slot against the keys, the record and the model. */
  verifySlot(slot: SlotName | 0 | 1, rec: BootRecord = this.readRecord()): SlotVerdict {
    const bytes = this.slotBytes(slotIndex(slot));
    if (bytes === this.factory) {
      let byKeys = factoryVerdicts.get(bytes);
      if (!byKeys) { byKeys = new Map(); factoryVerdicts.set(bytes, byKeys); }
      const id = `${this.keyId}|${rec.counter}|${rec.revoked}`;
      let verdict = byKeys.get(id);
      if (!verdict) { verdict = this.verifyBytes(bytes, rec); byKeys.set(id, verdict); }
      return verdict;
    }
    return this.verifyBytes(bytes, rec);
  }

  private verifyBytes(bytes: Uint8Array, rec: BootRecord): SlotVerdict {
    const h = bytes.subarray(0, IMAGE_HEADER_SIZE);
    if (h.length < IMAGE_HEADER_SIZE) return { ok: false, reason: "FORMAT" };
    const v = new DataView(h.buffer, h.byteOffset, IMAGE_HEADER_SIZE);
    if (h.every((x) => x === 0xff)) return { ok: false, reason: "EMPTY" };
    const header: ImageHeaderFields = {
      keyIndex: h[5]!, revokeMask: h[6]!, modelMask: v.getUint32(8, true), version: v.getUint32(12, true),
      securityCounter: v.getUint32(16, true), payloadLength: v.getUint32(20, true),
    };
    if (v.getUint32(0, true) !== IMAGE_MAGIC || h[4] !== IMAGE_FORMAT_VERSION || h[7] !== 0) return { ok: false, reason: "FORMAT" };
    if (h.subarray(56, 64).some((x) => x !== 0)) return { ok: false, reason: "FORMAT" };
    if (header.payloadLength < IMAGE_PAYLOAD_MIN || header.payloadLength > SLOT_SIZE - IMAGE_HEADER_SIZE) return { ok: false, reason: "FORMAT" };
    if (header.keyIndex >= MAX_MAKER_KEYS || (header.revokeMask & ~0x0f) !== 0 || (header.revokeMask >> header.keyIndex) & 1) return { ok: false, reason: "FORMAT" };
    if (this.model !== 0 && ((header.modelMask >>> this.model) & 1) === 0) return { ok: false, reason: "MODEL" };
    const key = this.validKeys[header.keyIndex];
    if (!key || (rec.revoked >> header.keyIndex) & 1) return { ok: false, reason: "KEY" };
    if (!p256Verify(key, h.subarray(0, 64), h.subarray(64, 128))) return { ok: false, reason: "SIGNATURE" };
    const payload = bytes.subarray(IMAGE_HEADER_SIZE, IMAGE_HEADER_SIZE + header.payloadLength);
    if (payload.length !== header.payloadLength || !sameBytes(sha256(payload), h.subarray(24, 56))) return { ok: false, reason: "HASH" };
    if (header.securityCounter < rec.counter) return { ok: false, reason: "ROLLBACK" };
    return { ok: true, header };
  }

  // ---------------------------------------------------------------- boot

  /**
   * Power-on (docs/image-format.md "At every power-on"): picks the slot to run and writes the
   * record changes that go with it. Throws PowerCut when a scheduled cut hits a record write, and
   * NoBootableImage when no slot is valid.
   */
  boot(): BootChoice {
    this.running = undefined;
    this.confirmedThisBoot = false;
    const notes: string[] = [];
    let rec = this.readRecord();
    const other = (s: SlotName): SlotName => (s === "A" ? "B" : "A");
    if (rec.trial) {
      // The last boot was a trial that never confirmed: back to the previous active slot.
      notes.push(`reverted: slot ${other(rec.active)} did not confirm`);
      rec = this.writeRecord({ ...rec, trial: false, pending: null });
    } else if (rec.pending !== null) {
      const verdict = this.verifySlot(rec.pending, rec);
      if (verdict.ok && rec.pending !== rec.active) {
        const slot = rec.pending;
        this.writeRecord({ ...rec, pending: null, trial: true, active: other(slot) });
        return this.start(slot, true, verdict.header, notes);
      }
      notes.push(`pending-invalid: ${verdict.ok ? "ACTIVE" : verdict.reason}`);
      rec = this.writeRecord({ ...rec, pending: null });
    }
    const verdict = this.verifySlot(rec.active, rec);
    if (verdict.ok) return this.start(rec.active, false, verdict.header, notes);
    notes.push(`active-invalid: ${verdict.reason}`);
    const alt = other(rec.active);
    const altVerdict = this.verifySlot(alt, rec);
    if (altVerdict.ok) {
      this.writeRecord({ ...rec, active: alt, pending: null, trial: false });
      return this.start(alt, false, altVerdict.header, notes);
    }
    throw new NoBootableImage(`no valid image: slot ${rec.active} ${verdict.reason}, slot ${alt} ${altVerdict.reason}`);
  }

  private start(slot: SlotName, trial: boolean, header: ImageHeaderFields, notes: string[]): BootChoice {
    this.running = { slot: slotIndex(slot), trial };
    const bytes = this.slotBytes(slotIndex(slot));
    const payload = bytes === this.factory ? bytes.subarray(IMAGE_HEADER_SIZE, IMAGE_HEADER_SIZE + header.payloadLength) : bytes.slice(IMAGE_HEADER_SIZE, IMAGE_HEADER_SIZE + header.payloadLength);
    const payloadSha256 = hex(bytes.subarray(24, 56)); // verified against the payload
    return { slot, trial, header, payload: payload as Uint8Array<ArrayBuffer>, payloadSha256, notes };
  }

  /** The running image passed its self-test (hal.boot_confirm). 0, or −2 when the record write failed. */
  confirm(): number {
    const run = this.running;
    if (!run || !run.trial || this.confirmedThisBoot) return 0;
    const rec = this.readRecord();
    const verdict = this.verifySlot(run.slot, rec);
    if (!verdict.ok) return -2;
    this.writeRecord({
      ...rec, active: run.slot === 0 ? "A" : "B", trial: false, pending: null,
      counter: Math.max(rec.counter, verdict.header.securityCounter), revoked: rec.revoked | verdict.header.revokeMask,
    });
    this.confirmedThisBoot = true;
    this.running = { slot: run.slot, trial: false };
    return 0;
  }

  /** boot_state(): bit 0 trial, bits 8..15 the running slot. */
  state(): number {
    const run = this.running;
    if (!run) return 0;
    return (run.trial ? 1 : 0) | (run.slot << 8);
  }

  /** The slot the image may write (the one not running); undefined before a boot or during a trial. */
  private inactiveBase(): number | undefined {
    const run = this.running;
    if (!run || run.trial) return undefined;
    return (1 - run.slot) * SLOT_SIZE;
  }

  /** True while the running image is on trial (slot writes are refused: the fallback stays). */
  get onTrial(): boolean {
    return this.running?.trial ?? false;
  }

  // ---------------------------------------------------------------- HAL side (inactive slot only)

  slotErase(page: number): number {
    const base = this.inactiveBase();
    if (base === undefined) return -3;
    if (!Number.isInteger(page) || page < 0 || page >= SLOT_PAGES) return -1;
    return this.flash.erase(base / BOOT_PAGE_SIZE + page) ? 0 : -2;
  }

  slotWrite(addr: number, data: Uint8Array): number {
    const base = this.inactiveBase();
    if (base === undefined) return -3;
    if (addr < 0 || addr + data.length > SLOT_SIZE) return -1;
    return this.flash.program(base + addr, data) ? 0 : -2;
  }

  slotRead(addr: number, len: number): Uint8Array | number {
    const run = this.running;
    if (!run) return -3;
    if (addr < 0 || addr + len > SLOT_SIZE) return -1;
    const bytes = this.slotBytes(run.slot === 0 ? 1 : 0);
    const out = new Uint8Array(len).fill(0xff);
    out.set(bytes.subarray(addr, Math.min(addr + len, bytes.length)));
    return out;
  }

  /** hal.slot_pending: the inactive slot is to be tried at the next boot. */
  markPending(): number {
    const run = this.running;
    if (!run || run.trial) return -3;
    const rec = this.readRecord();
    try {
      this.writeRecord({ ...rec, pending: run.slot === 0 ? "B" : "A" });
    } catch (err) {
      if (err instanceof Error && err.name === "PowerCut") throw err;
      return -2;
    }
    return 0;
  }

  /** hal.boot_key: X ‖ Y of maker key `index`, or −1 (no key) / −4 (revoked). */
  key(index: number): Uint8Array | number {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_MAKER_KEYS) return -1;
    const k = this.keys[index];
    if (!k) return -1;
    if ((this.readRecord().revoked >> index) & 1) return -4;
    return k;
  }

  counter(): number {
    return this.readRecord().counter;
  }

  // ---------------------------------------------------------------- control plane

  /** Writes an image file into a slot directly (a factory programmer), optionally marking it pending or active. */
  install(slot: SlotName, file: Uint8Array, mark: "none" | "pending" | "active" = "none"): void {
    if (file.length > SLOT_SIZE) throw new RangeError(`an image file is at most ${SLOT_SIZE} bytes`);
    const first = slotIndex(slot) * SLOT_PAGES;
    for (let p = 0; p < SLOT_PAGES; p++) this.flash.erase(first + p);
    const padded = new Uint8Array(Math.ceil(file.length / 4) * 4).fill(0xff);
    padded.set(file);
    if (padded.length > 0) this.flash.program(first * BOOT_PAGE_SIZE, padded);
    if (mark === "pending") this.writeRecord({ ...this.readRecord(), pending: slot });
    if (mark === "active") this.writeRecord({ ...this.readRecord(), active: slot, pending: null, trial: false });
  }

  /** The bytes of a slot (header and payload as written; the rest 0xFF). */
  readSlot(slot: SlotName): Uint8Array {
    return this.flash.read(slotIndex(slot) * SLOT_SIZE, SLOT_SIZE);
  }

  /** Corrupts one bit of a slot (a flash fault, for tests): bypasses the NOR rules. */
  flipBit(slot: SlotName, offset: number, bit = 0): void {
    if (offset < 0 || offset >= SLOT_SIZE) throw new RangeError("offset outside the slot");
    this.flash.bytes[slotIndex(slot) * SLOT_SIZE + offset]! ^= 1 << (bit & 7);
  }

  /** Power cut at the nth program/erase operation of the boot flash (slots and record) from now. */
  cutPowerAtOperation(n: number): void {
    this.flash.cutPowerAtOperation(n);
  }

  setFaults(plan: FlashFaultPlan): void {
    this.flash.setFaults(plan);
  }

  /** Power went away: nothing runs. */
  powerOff(): void {
    this.running = undefined;
  }
}
