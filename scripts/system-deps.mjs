// The Debian packages the test suite uses besides Node: how to tell each is there, and the one
// command that installs the missing ones. scripts/bootstrap.mjs installs them when it can (apt-get
// present, running as root) and otherwise stops with that command; the interop tests call
// requireTools() so that a missing tool is a failure naming the command, never a silent skip.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname } from "node:path";

const runs = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 20_000 });
  return !r.error && r.status === 0;
};

/** A Python with fido2 0.9+ and pytest: $SEGL_PYTHON, then python3 on PATH, then Debian's own. */
export function findPython(modules = ["fido2", "pytest"]) {
  const candidates = [process.env.SEGL_PYTHON, "python3", "/usr/bin/python3"].filter(Boolean);
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", `import ${modules.join(", ")}; print(${modules.includes("fido2") ? "fido2.__version__" : "'ok'"})`], { encoding: "utf8", timeout: 20_000 });
    if (!r.error && r.status === 0) return { python, version: r.stdout.trim() };
  }
  return undefined;
}

/**
 * The directory of PostgreSQL's server programs (initdb, postgres, pg_ctl): Debian keeps them in
 * /usr/lib/postgresql/<major>/bin (the newest is taken), elsewhere they are on PATH. undefined if absent.
 */
export function findPostgresBin() {
  try {
    const majors = readdirSync("/usr/lib/postgresql").filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
      const dir = `/usr/lib/postgresql/${m}/bin`;
      if (existsSync(`${dir}/initdb`) && existsSync(`${dir}/postgres`)) return dir;
    }
  } catch { /* not Debian's layout */ }
  const r = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? dirname(r.stdout.trim()) : undefined;
}

/**
 * Debian package → what uses it → how to tell it is installed. fido2 and pytest must be importable by the
 * same interpreter (a pyenv python3 with pip's pytest does not make Debian's pytest present).
 */
export const SYSTEM_PACKAGES = [
  { name: "socat", tool: "socat", usedBy: "the simulated UART as a real pseudo-terminal (PTY tests)", present: () => runs("socat", ["-V"]) },
  { name: "oathtool", tool: "oathtool", usedBy: "an independent TOTP implementation checked against the display", present: () => runs("oathtool", ["--version"]) },
  { name: "openssl", tool: "openssl", usedBy: "reading the batch attestation certificates", present: () => runs("openssl", ["version"]) },
  { name: "python3-fido2", tool: "python3-fido2", usedBy: "an independent CTAP2/U2F client against the simulated chip", present: () => !!findPython() },
  { name: "python3-pytest", tool: "python3-pytest", usedBy: "runs the python-fido2 suite", present: () => !!findPython() },
  { name: "python3-pskc", tool: "python3-pskc", usedBy: "an independent PSKC (RFC 6030) reader and writer against the SDK's files", present: () => !!findPython(["pskc"]) },
  { name: "espeak-ng", tool: "espeak-ng", usedBy: "regenerating the voice pack (scripts/voice-pack/generate.mjs) and the test that it is reproducible; the pack itself is committed", present: () => runs("espeak-ng", ["--version"]) },
  { name: "chromium", tool: "chromium", usedBy: "a real browser (headless, driven by playwright-core) for the simulator's page (segl sim web)", present: () => runs("chromium", ["--version"]) },
  { name: "postgresql", tool: "postgres", usedBy: "a throwaway PostgreSQL server (initdb in a temporary directory) for PostgresStore", present: () => findPostgresBin() !== undefined },
  // Build tools (every mode, the demo too): npm compiles better-sqlite3 with node-gyp when it cannot fetch a
  // prebuilt binary, which is always the case on a machine that reaches only the npm registry.
  { name: "python3", tool: "python3", build: true, usedBy: "node-gyp, which builds better-sqlite3", present: () => runs("python3", ["--version"]) },
  { name: "g++", tool: "g++", build: true, usedBy: "builds better-sqlite3 (SqliteStore) when npm cannot fetch a prebuilt binary", present: () => runs("g++", ["--version"]) },
  { name: "make", tool: "make", build: true, usedBy: "builds better-sqlite3 (SqliteStore) when npm cannot fetch a prebuilt binary", present: () => runs("make", ["--version"]) },
];

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
const hasAptGet = () => runs("sh", ["-c", "command -v apt-get"]);

/** The one command that installs the given packages (all of them by default). */
export function installCommand(names = SYSTEM_PACKAGES.map((p) => p.name)) {
  const sudo = isRoot() ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${names.join(" ")}`;
}

/** The packages every mode needs (building native npm modules), as opposed to those only the tests use. */
export const BUILD_PACKAGES = SYSTEM_PACKAGES.filter((p) => p.build).map((p) => p.name);

/** Names of the packages that are missing. */
export function missingPackages(names) {
  return SYSTEM_PACKAGES.filter((p) => (!names || names.includes(p.name)) && !p.present()).map((p) => p.name);
}

/** Throws (a test failure) when any of these packages is missing, with the command that installs it. */
export function requireTools(...names) {
  const missing = missingPackages(names);
  if (missing.length) {
    throw new Error(`needs ${missing.join(", ")} (Debian package${missing.length > 1 ? "s" : ""}), not installed. Install with:\n  ${installCommand(missing)}\n(or run \`npm test\`, which installs them when it runs as root)`);
  }
}

/**
 * Installs what is missing when it can (apt-get present, running as root: `apt-get update` once, then
 * install); otherwise, or if that fails, returns the command for the user. Returns null when all is there.
 * `names` narrows it (e.g. BUILD_PACKAGES for the demo); all packages by default.
 */
export function ensureSystemPackages(log = (s) => console.error(s), names = undefined) {
  let missing = missingPackages(names);
  if (missing.length === 0) return null;
  if (hasAptGet() && isRoot()) {
    log(`segl: installing Debian packages: ${missing.join(" ")} …`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const opts = { stdio: ["ignore", "ignore", "inherit"], env };
    const up = spawnSync("apt-get", ["update", "-qq"], opts);
    const inst = up.status === 0 && spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], opts);
    if (!inst || inst.status !== 0) log("segl: apt-get failed (see above)");
    missing = missingPackages(names);
    if (missing.length === 0) return null;
  }
  return installCommand(missing);
}
