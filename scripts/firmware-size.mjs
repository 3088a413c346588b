#!/usr/bin/env node
// Size report of a firmware image: bytes per section, per function and per source module, and the
// total against the 65,536-byte image limit (docs/firmware-size.md).
//
//   node scripts/firmware-size.mjs [image.wasm] [--top=N] [--wat=file.wat] [--json]
//
// The image defaults to firmware/build/firmware.wasm. Function names come from the wasm "name"
// section when there is one, else from the text form written next to it by the build
// (firmware/build/firmware.wat; the functions appear there in index order). A function's size is
// its body in the code section (locals + instructions + its size prefix).
import { readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const IMAGE_LIMIT = 65536;

const SECTION_NAMES = ["custom", "type", "import", "function", "table", "memory", "global", "export",
  "start", "element", "code", "data", "datacount"];

function reader(buf) {
  let pos = 0;
  const r = {
    get pos() { return pos; },
    set pos(p) { pos = p; },
    u8: () => buf[pos++],
    leb() {
      let result = 0, shift = 0, b;
      do { b = buf[pos++]; result += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      return result;
    },
    name() { const n = r.leb(); const s = buf.subarray(pos, pos + n).toString("utf8"); pos += n; return s; },
  };
  return r;
}

/** Parses the image: sections (id, name, size incl. header), imported function count, function
 *  body sizes in index order (defined functions only) and names from the name section if present. */
export function parseImage(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error("not a wasm image");
  const r = reader(buf);
  r.pos = 8;
  const sections = [];
  let importedFuncs = 0;
  const bodies = [];
  const names = new Map();
  while (r.pos < buf.length) {
    const start = r.pos;
    const id = r.u8();
    const size = r.leb();
    const contentStart = r.pos;
    const end = contentStart + size;
    let name = SECTION_NAMES[id] ?? `id${id}`;
    if (id === 0) {
      const custom = r.name();
      name = `custom:${custom}`;
      if (custom === "name") {
        while (r.pos < end) {
          const sub = r.u8(), subSize = r.leb(), subEnd = r.pos + subSize;
          if (sub === 1) {
            for (let n = r.leb(); n > 0; n--) { const idx = r.leb(); names.set(idx, r.name()); }
          }
          r.pos = subEnd;
        }
      }
    } else if (id === 2) {
      for (let n = r.leb(); n > 0; n--) {
        r.name(); r.name();
        const kind = r.u8();
        if (kind === 0) { r.leb(); importedFuncs++; }
        else if (kind === 1) { r.u8(); const f = r.u8(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 2) { const f = r.u8(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 3) { r.u8(); r.u8(); }
      }
    } else if (id === 10) {
      for (let n = r.leb(); n > 0; n--) {
        const s0 = r.pos, len = r.leb();
        bodies.push(r.pos - s0 + len);
        r.pos += len;
      }
    }
    sections.push({ id, name, size: end - start });
    r.pos = end;
  }
  return { size: buf.length, sections, importedFuncs, bodies, names };
}

/** Defined-function names in index order from a .wat written by binaryen (imports excluded). */
export function watFunctionNames(text) {
  const out = [];
  for (const m of text.matchAll(/^ \(func \$(\S+)/gm)) out.push(m[1]);
  return out;
}

/** The module of a function name such as `firmware/assembly/crypto/p256/arith/feMul`
 *  → `crypto/p256/arith`; library code → `~lib/...` as named. */
export function moduleOf(fn) {
  const name = fn.replace(/^firmware\/assembly\//, "");
  const parts = name.split("/");
  return parts.length > 1 ? parts.slice(0, -1).join("/") : "(other)";
}

export function report(buf, watText) {
  const img = parseImage(buf);
  const watNames = watText ? watFunctionNames(watText) : [];
  const useWat = img.names.size === 0 && watNames.length === img.bodies.length;
  const functions = img.bodies.map((size, i) => {
    const name = img.names.get(i + img.importedFuncs) ?? (useWat ? watNames[i] : `func${i + img.importedFuncs}`);
    return { name: name.replace(/^firmware\/assembly\//, ""), size };
  });
  const modules = new Map();
  for (const f of functions) {
    const m = moduleOf(f.name);
    const e = modules.get(m) ?? { module: m, size: 0, count: 0 };
    e.size += f.size; e.count++;
    modules.set(m, e);
  }
  return {
    size: img.size, limit: IMAGE_LIMIT, headroom: IMAGE_LIMIT - img.size, sections: img.sections,
    functions: functions.sort((a, b) => b.size - a.size),
    modules: [...modules.values()].sort((a, b) => b.size - a.size),
    named: img.names.size > 0 || useWat,
  };
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const args = process.argv.slice(2);
  const opt = (k) => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
  const image = args.find((a) => !a.startsWith("--")) ?? join(root, "firmware/build/firmware.wasm");
  const top = Number(opt("top") ?? 25);
  const watPath = opt("wat") ?? image.replace(/\.wasm$/, ".wat");
  if (!existsSync(image)) { console.error(`no image at ${image}: run node scripts/build-firmware.mjs`); process.exit(2); }
  const rep = report(readFileSync(image), existsSync(watPath) ? readFileSync(watPath, "utf8") : undefined);
  if (args.includes("--json")) { console.log(JSON.stringify(rep, null, 2)); return; }
  const pad = (s, n) => String(s).padStart(n);
  console.log(`${image}: ${rep.size} bytes of ${rep.limit} (${(100 * rep.size / rep.limit).toFixed(1)}%), headroom ${rep.headroom} bytes`);
  console.log("\nsections:");
  for (const s of rep.sections) console.log(`${pad(s.size, 8)}  ${s.name}`);
  console.log("\nmodules (function bodies):");
  for (const m of rep.modules) console.log(`${pad(m.size, 8)}  ${pad(m.count, 3)} fn  ${m.module}`);
  console.log(`\ntop ${top} of ${rep.functions.length} functions:`);
  for (const f of rep.functions.slice(0, top)) console.log(`${pad(f.size, 8)}  ${f.name}`);
  if (!rep.named) console.log("\n(no names: the .wat was not found or does not match the image)");
  if (rep.headroom < 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
