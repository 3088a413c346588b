// Guard regions of a test build (scripts/build-firmware.mjs): every static buffer of the guarded
// image is followed by 16 canary bytes. The addresses are found in the image's data section (the
// canaries are initialised data), so the image needs no table of its own. A device running a
// guarded image checks every guard after each call into the image (device.ts); a write past the
// end of a buffer changes a canary and surfaces as a GuardViolation instead of silent corruption.

/** The canary (must match scripts/build-firmware.mjs). */
export const GUARD_CANARY: readonly number[] = [0x47, 0x55, 0x41, 0x52, 0x44, 0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0xe1, 0x1e, 0xd2, 0x2d, 0xb4];
export const GUARD_LEN = GUARD_CANARY.length;

/** A guard region overwritten by the image. */
export class GuardViolation extends Error {
  override readonly name = "GuardViolation";
  constructor(readonly addresses: readonly number[]) {
    super(`guard region(s) overwritten at ${addresses.map((a) => "0x" + a.toString(16)).join(", ")} (a write past a static buffer)`);
  }
}

function leb(bytes: Uint8Array, pos: { p: number }, signed: boolean): number {
  let result = 0, shift = 0, b: number;
  do {
    b = bytes[pos.p++]!;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  if (signed && b & 0x40) result -= 2 ** shift;
  return result;
}

/** The active data segments (offset, bytes) of a wasm module. */
export function dataSegments(wasm: Uint8Array): { offset: number; bytes: Uint8Array }[] {
  const out: { offset: number; bytes: Uint8Array }[] = [];
  const pos = { p: 8 };
  while (pos.p < wasm.length) {
    const id = wasm[pos.p++]!;
    const size = leb(wasm, pos, false);
    const end = pos.p + size;
    if (id === 11) {
      const n = leb(wasm, pos, false);
      for (let i = 0; i < n; i++) {
        const flags = leb(wasm, pos, false);
        if (flags === 1) { const len = leb(wasm, pos, false); pos.p += len; continue; } // passive
        if (flags === 2) leb(wasm, pos, false); // memory index
        if (wasm[pos.p++] !== 0x41) throw new Error("data segment offset is not i32.const");
        const offset = leb(wasm, pos, true) >>> 0;
        if (wasm[pos.p++] !== 0x0b) throw new Error("data segment offset expression too long");
        const len = leb(wasm, pos, false);
        out.push({ offset, bytes: wasm.subarray(pos.p, pos.p + len) });
        pos.p += len;
      }
    }
    pos.p = end;
  }
  return out;
}

/** Addresses of the guard regions of an image (empty for a shipping image). */
export function findGuards(wasm: Uint8Array): number[] {
  const found: number[] = [];
  const c0 = GUARD_CANARY[0]!;
  for (const seg of dataSegments(wasm)) {
    const b = seg.bytes;
    for (let i = b.indexOf(c0); i >= 0 && i + GUARD_LEN <= b.length; i = b.indexOf(c0, i + 1)) {
      let k = 1;
      while (k < GUARD_LEN && b[i + k] === GUARD_CANARY[k]) k++;
      if (k === GUARD_LEN) { found.push(seg.offset + i); i += GUARD_LEN - 1; }
    }
  }
  return found;
}

const C = Uint8Array.from(GUARD_CANARY);
const [C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15] = C;

/** The guards whose canary bytes differ in memory (runs after every call: kept branch-light). */
export function brokenGuards(memory: Uint8Array, guards: readonly number[]): number[] {
  let bad: number[] | undefined;
  const m = memory;
  for (let i = 0; i < guards.length; i++) {
    const a = guards[i]!;
    if (m[a] !== C0 || m[a + 1] !== C1 || m[a + 2] !== C2 || m[a + 3] !== C3 || m[a + 4] !== C4 || m[a + 5] !== C5
      || m[a + 6] !== C6 || m[a + 7] !== C7 || m[a + 8] !== C8 || m[a + 9] !== C9 || m[a + 10] !== C10
      || m[a + 11] !== C11 || m[a + 12] !== C12 || m[a + 13] !== C13 || m[a + 14] !== C14 || m[a + 15] !== C15) {
      (bad ??= []).push(a);
    }
  }
  return bad ?? [];
}
