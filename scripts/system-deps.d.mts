export interface SystemPackage { name: string; tool: string; usedBy: string; present(): boolean }
export const SYSTEM_PACKAGES: readonly SystemPackage[];
export function findPython(modules?: string[]): { python: string; version: string } | undefined;
export function installCommand(names?: string[]): string;
export function missingPackages(names?: string[]): string[];
export function requireTools(...names: string[]): void;
export const BUILD_PACKAGES: readonly string[];
export function ensureSystemPackages(log?: (s: string) => void, names?: readonly string[]): string | null;
export function findPostgresBin(): string | undefined;
