// The LCD of the code display as a seven-segment picture: big digits for a terminal, and SVG for
// a web page or a report. Digits, '-', '_', blank and the letters a seven-segment display can
// show (A b C c d E F G H h I J L n o P q r S t U u y); any other character shows as blank.

/** Segment bits: a (top) b (upper right) c (lower right) d (bottom) e (lower left) f (upper left) g (middle). */
export const SEG = { a: 1, b: 2, c: 4, d: 8, e: 16, f: 32, g: 64 } as const;
export type SegmentName = keyof typeof SEG;
const NAMES: SegmentName[] = ["a", "b", "c", "d", "e", "f", "g"];

const GLYPHS: Record<string, number> = {
  "0": 0x3f, "1": 0x06, "2": 0x5b, "3": 0x4f, "4": 0x66, "5": 0x6d, "6": 0x7d, "7": 0x07, "8": 0x7f, "9": 0x6f,
  "-": 0x40, "_": 0x08, "=": 0x48, " ": 0x00,
  A: 0x77, B: 0x7c, C: 0x39, D: 0x5e, E: 0x79, F: 0x71, G: 0x3d, H: 0x76, I: 0x30, J: 0x1e, L: 0x38,
  N: 0x54, O: 0x3f, P: 0x73, Q: 0x67, R: 0x50, S: 0x6d, T: 0x78, U: 0x3e, Y: 0x6e, Z: 0x5b,
  a: 0x77, b: 0x7c, c: 0x58, d: 0x5e, e: 0x79, f: 0x71, g: 0x6f, h: 0x74, i: 0x04, j: 0x1e, l: 0x38,
  n: 0x54, o: 0x5c, p: 0x73, q: 0x67, r: 0x50, s: 0x6d, t: 0x78, u: 0x1c, y: 0x6e, z: 0x5b,
};

/** The segments lit for one character (0 = blank, also for characters a 7-segment cell cannot show). */
export function segmentsFor(ch: string): number {
  return GLYPHS[ch] ?? 0;
}

/** Whether a character has a seven-segment form (blank counts). */
export function canShow(ch: string): boolean {
  return ch in GLYPHS;
}

export const LCD_DIGITS = 6;

function cells(text: string, digits: number | undefined): string[] {
  const chars = [...text];
  const n = Math.max(digits ?? LCD_DIGITS, chars.length);
  while (chars.length < n) chars.push(" ");
  return chars;
}

export interface TerminalRenderOptions {
  /** "box": 5 lines with heavy box-drawing strokes (default); "ascii": the classic 3 lines of _ and |. */
  style?: "box" | "ascii";
  /** Number of digit cells (default 6, more if the text is longer). */
  digits?: number;
  /** Draw the LCD's outline around the digits (2 more lines). */
  frame?: boolean;
}

/** The text as big seven-segment digits, lines joined with "\n" (no trailing newline). Every line has the same width. */
export function renderTerminal(text: string, opts: TerminalRenderOptions = {}): string {
  const style = opts.style ?? "box";
  const rows: string[] = style === "ascii" ? ["", "", ""] : ["", "", "", "", ""];
  const on = (m: number, s: SegmentName) => (m & SEG[s]) !== 0;
  const gap = style === "ascii" ? " " : "  ";
  cells(text, opts.digits).forEach((ch, i) => {
    const m = segmentsFor(ch);
    const sep = i === 0 ? "" : gap;
    if (style === "ascii") {
      rows[0] += sep + " " + (on(m, "a") ? "_" : " ") + " ";
      rows[1] += sep + (on(m, "f") ? "|" : " ") + (on(m, "g") ? "_" : " ") + (on(m, "b") ? "|" : " ");
      rows[2] += sep + (on(m, "e") ? "|" : " ") + (on(m, "d") ? "_" : " ") + (on(m, "c") ? "|" : " ");
    } else {
      const h = (s: SegmentName) => " " + (on(m, s) ? "━━━" : "   ") + " ";
      const v = (l: SegmentName, r: SegmentName) => (on(m, l) ? "┃" : " ") + "   " + (on(m, r) ? "┃" : " ");
      rows[0] += sep + h("a");
      rows[1] += sep + v("f", "b");
      rows[2] += sep + h("g");
      rows[3] += sep + v("e", "c");
      rows[4] += sep + h("d");
    }
  });
  if (!opts.frame) return rows.join("\n");
  const width = [...rows[0]!].length + 2;
  return [
    "┌" + "─".repeat(width) + "┐",
    ...rows.map((r) => "│ " + r + " │"),
    "└" + "─".repeat(width) + "┘",
  ].join("\n");
}

export interface SvgRenderOptions {
  /** Number of digit cells (default 6, more if the text is longer). */
  digits?: number;
  /** Height of the picture in px (default 120; width follows). */
  height?: number;
  /** Show unlit segments faintly, as on a real LCD (default true). */
  ghost?: boolean;
  background?: string;
  ink?: string;
}

const CELL_W = 44; // segment box of one digit
const CELL_H = 80;
const T = 8; // segment thickness
const PITCH = 62; // distance between digits
const PAD_X = 22;
const PAD_Y = 20;

function hSeg(cx: number, cy: number, len: number): string {
  const x0 = cx - len / 2, x1 = cx + len / 2, t = T / 2;
  return pts([[x0, cy], [x0 + t, cy - t], [x1 - t, cy - t], [x1, cy], [x1 - t, cy + t], [x0 + t, cy + t]]);
}

function vSeg(cx: number, cy: number, len: number): string {
  const y0 = cy - len / 2, y1 = cy + len / 2, t = T / 2;
  return pts([[cx, y0], [cx + t, y0 + t], [cx + t, y1 - t], [cx, y1], [cx - t, y1 - t], [cx - t, y0 + t]]);
}

function pts(p: [number, number][]): string {
  return p.map(([x, y]) => `${+x.toFixed(2)},${+y.toFixed(2)}`).join(" ");
}

const SEG_SHAPES: Record<SegmentName, string> = (() => {
  const hl = CELL_W - 2, vl = CELL_H / 2 - 2;
  return {
    a: hSeg(CELL_W / 2, 0, hl),
    b: vSeg(CELL_W, CELL_H / 4, vl),
    c: vSeg(CELL_W, (3 * CELL_H) / 4, vl),
    d: hSeg(CELL_W / 2, CELL_H, hl),
    e: vSeg(0, (3 * CELL_H) / 4, vl),
    f: vSeg(0, CELL_H / 4, vl),
    g: hSeg(CELL_W / 2, CELL_H / 2, hl),
  };
})();

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
    // characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd");
}

/**
 * The text on a seven-segment LCD, as a standalone SVG document. Each digit is a `<g class="digit"
 * data-char="…">` holding seven `<polygon class="seg on|off" data-seg="a…g">`.
 */
export function renderSvg(text: string, opts: SvgRenderOptions = {}): string {
  const chars = cells(text, opts.digits);
  const w = PAD_X * 2 + (chars.length - 1) * PITCH + CELL_W;
  const h = PAD_Y * 2 + CELL_H;
  const height = opts.height ?? 120;
  const width = Math.round((w * height) / h);
  const ink = xmlEscape(opts.ink ?? "#1b2216");
  const bg = xmlEscape(opts.background ?? "#c5d1b0");
  const ghost = opts.ghost ?? true;
  const label = text.trim() === "" ? "LCD: blank" : `LCD: ${text}`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${width}" height="${height}" role="img" aria-label="${xmlEscape(label)}">`);
  out.push(`<title>${xmlEscape(label)}</title>`);
  out.push(`<style>.seg.on{fill:${ink}}.seg.off{fill:${ink};opacity:${ghost ? 0.07 : 0}}</style>`);
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" rx="10" fill="${bg}"/>`);
  chars.forEach((ch, i) => {
    const m = segmentsFor(ch);
    const x = PAD_X + i * PITCH + 4; // room for the slant
    out.push(`<g class="digit" data-char="${xmlEscape(ch)}" transform="translate(${x} ${PAD_Y}) skewX(-5)">`);
    for (const s of NAMES) {
      out.push(`<polygon class="seg ${m & SEG[s] ? "on" : "off"}" data-seg="${s}" points="${SEG_SHAPES[s]}"/>`);
    }
    out.push("</g>");
  });
  out.push("</svg>");
  return out.join("\n");
}
