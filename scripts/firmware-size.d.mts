export const IMAGE_LIMIT: number;
export interface ImageSection { id: number; name: string; size: number }
export interface ParsedImage { size: number; sections: ImageSection[]; importedFuncs: number; bodies: number[]; names: Map<number, string> }
export interface SizeReport {
  size: number; limit: number; headroom: number; sections: ImageSection[];
  functions: { name: string; size: number }[];
  modules: { module: string; size: number; count: number }[];
  named: boolean;
}
export function parseImage(buf: Buffer): ParsedImage;
export function watFunctionNames(text: string): string[];
export function moduleOf(fn: string): string;
export function report(buf: Buffer, watText?: string): SizeReport;
