export function installFingerprint(root: string): string;
export function npmInstallNeeded(root: string): boolean;
export function markNpmInstalled(root: string): void;
