// The SDK as a user installs it: `npm pack`, the tarball installed into an empty project with
// nothing from this repository but the tarballs of the SDK and its dependencies (offline), then
// the broker example (host-sdk/examples/broker.ts) type-checked against the installed types and
// run: a TOTP code verified with SQLite state, and a FIDO2 assertion verified with a stored key.
import { test } from "vitest";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { base32Encode } from "../src/otp/base32.js";
import { totp } from "../src/otp/hotp.js";
import { assertWith, newCred } from "./fido-soft.js";

/** The directory of the package.json named `name`, walking up from here (works from src and from dist). */
function packageDir(name: string): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); dirname(d) !== d; d = dirname(d)) {
    const p = join(d, "package.json");
    if (existsSync(p) && (JSON.parse(readFileSync(p, "utf8")) as { name?: string }).name === name) return d;
  }
  throw new Error(`no package ${name} above this test`);
}

/** Where `name` is installed for code in `from` (node's lookup: node_modules upwards). */
function installedDir(name: string, from: string): string {
  for (let d = from; dirname(d) !== d; d = dirname(d)) {
    const p = join(d, "node_modules", name);
    if (existsSync(join(p, "package.json"))) return p;
  }
  throw new Error(`${name} is not installed above ${from} (run npm ci)`);
}

const SDK = packageDir("@segl/host-sdk");
// npm started by `npm test` hands its own settings (prefix, workspace…) down in npm_config_*;
// the user's project must not see them.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, env: cleanEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const npm = (args: string[], cwd: string) => run(process.platform === "win32" ? "npm.cmd" : "npm", args, cwd);

interface PackResult { filename: string; entryCount: number; size: number; files: { path: string }[] }
function pack(dir: string, dest: string): PackResult {
  return (JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dest], dir)) as PackResult[])[0]!;
}

/** The SDK's runtime dependencies and theirs, as installed in this repository. */
function dependencyClosure(): Map<string, string> {
  const found = new Map<string, string>();
  const queue: [string, string][] = [];
  const enqueue = (pkgDir: string) => {
    const pj = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pj.dependencies ?? {})) queue.push([name, pkgDir]);
  };
  enqueue(SDK);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [name, from] = next;
    if (found.has(name)) continue;
    const dir = installedDir(name, from);
    found.set(name, dir);
    enqueue(dir);
  }
  return found;
}

test("npm pack ships dist and types; the tarball installs offline without simulator or serialport; the broker example type-checks and runs", () => {
  // The tarball is made from dist/: bring it up to date (a no-op after the build).
  const tsc = join(installedDir("typescript", SDK), "bin", "tsc");
  run(process.execPath, [tsc, "-b", SDK], SDK);

  const work = mkdtempSync(join(tmpdir(), "segl-pack-"));
  try {
    const tarballs = join(work, "tarballs");
    mkdirSync(tarballs);
    const sdk = pack(SDK, tarballs);
    const files = sdk.files.map((f) => f.path).sort();
    for (const sub of ["index", "device", "otp/index", "fido/index", "verify/index", "serve/index", "pskc/index", "provision", "errors", "image/index"]) {
      assert.ok(files.includes(`dist/src/${sub}.js`) && files.includes(`dist/src/${sub}.d.ts`), `${sub}: code and types are shipped`);
    }
    for (const doc of ["README.md", "docs/device.md", "docs/otp.md", "docs/fido.md", "docs/verify.md", "docs/serve.md", "docs/provision.md", "docs/pskc.md", "docs/image.md"]) {
      assert.ok(files.includes(doc), `${doc} is shipped`);
    }
    const unwanted = files.filter((f) => /^(src|test|cli|examples)\/|^dist\/(test|src\/cli)\/|\.map$|tsbuildinfo|(?<!\.d)\.ts$/.test(f));
    assert.deepEqual(unwanted, [], "no sources, tests, maps or the CLI in the tarball");

    // The user's project: the SDK's tarball, and its dependencies as tarballs (no registry needed).
    const deps = dependencyClosure();
    assert.ok(!deps.has("@segl/simulator") && !deps.has("serialport") && !deps.has("node-hid"), `runtime dependencies: ${[...deps.keys()].join(", ")}`);
    const overrides: Record<string, string> = {};
    for (const [name, dir] of deps) overrides[name] = `file:../tarballs/${pack(dir, tarballs).filename}`;
    const project = join(work, "broker");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({
      name: "broker-example", private: true, type: "module",
      dependencies: { "@segl/host-sdk": `file:../tarballs/${sdk.filename}` },
      overrides,
    }, null, 2));
    npm(["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"], project);
    // better-sqlite3 is native: its install script compiles it (or fetches a prebuilt binary), which
    // an offline install without scripts cannot do. Until then the store says so with a typed error…
    const storeProbe = `
      import { SqliteStore } from "@segl/host-sdk/verify";
      try { await new SqliteStore(":memory:", { secretKey: new Uint8Array(32) }).get("x"); console.log(JSON.stringify({ ok: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, install: e.details?.install })); }`;
    const unbuilt = JSON.parse(run(process.execPath, ["--input-type=module", "-e", storeProbe], project)) as unknown;
    assert.deepEqual(unbuilt, { code: "NATIVE_MODULE_MISSING", install: "npm rebuild better-sqlite3" });
    // …and the build this repository made (same machine, same Node.js) stands in for the install script.
    const addon = join("build", "Release", "better_sqlite3.node");
    mkdirSync(join(project, "node_modules", "better-sqlite3", "build", "Release"), { recursive: true });
    copyFileSync(join(deps.get("better-sqlite3")!, addon), join(project, "node_modules", "better-sqlite3", addon));
    assert.deepEqual(JSON.parse(run(process.execPath, ["--input-type=module", "-e", storeProbe], project)), { ok: true });
    const modules = join(project, "node_modules");
    const installed = readdirSync(modules).filter((n) => !n.startsWith(".")).flatMap((n) => n.startsWith("@") ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n]).sort();
    assert.deepEqual(installed, ["@segl/host-sdk", ...deps.keys()].sort(), "exactly the SDK and its runtime dependencies");
    for (const absent of ["@segl/simulator", "@segl/cli", "serialport", "@serialport/stream", "node-hid", "pg", "fastify", "@fastify/rate-limit", "prom-client"]) {
      assert.equal(existsSync(join(modules, absent)), false, `${absent} is not installed`);
    }

    // The broker example, type-checked against the installed .d.ts (subpath imports included)
    // together with a consumer file that checks the types and the exports map's boundary.
    copyFileSync(join(SDK, "examples", "broker.ts"), join(project, "broker.ts"));
    writeFileSync(join(project, "types.ts"), [
      `import type { VerifyResult } from "@segl/host-sdk/verify";`,
      `import { SeglError, type ErrorCode } from "@segl/host-sdk/errors";`,
      `import { SerialTransport, type Transport } from "@segl/host-sdk/device";`,
      `import { totp } from "@segl/host-sdk/otp";`,
      `import { provisionDevice } from "@segl/host-sdk/provision";`,
      `import { SDK_VERSION, TotpVerifier } from "@segl/host-sdk";`,
      `// @ts-expect-error: files behind the exports map are not part of the API`,
      `import { sealSecret } from "@segl/host-sdk/dist/src/verify/seal.js";`,
      `export const hidden = sealSecret;`,
      `export function drift(r: VerifyResult): number { return r.verified ? r.driftSteps : 0; }`,
      `// @ts-expect-error: a failed verdict carries no step`,
      `export function step(r: VerifyResult & { verified: false }): number { return r.step; }`,
      `export const code: ErrorCode = "STORE_UNAVAILABLE";`,
      `export const t: (s: Uint8Array) => string = (s) => totp(s, { time: 0 });`,
      `export const used = [SeglError, SerialTransport, provisionDevice, SDK_VERSION, TotpVerifier] as const;`,
      `export type T = Transport;`,
    ].join("\n"));
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out", skipLibCheck: true,
        types: ["node"], typeRoots: [dirname(installedDir("@types/node", SDK))],
      },
      files: ["broker.ts", "types.ts"],
    }));
    try {
      run(process.execPath, [tsc, "-p", project], project);
    } catch (e) {
      assert.fail(`tsc on the consumer project: ${(e as { stdout?: string }).stdout ?? String(e)}`);
    }

    // Inputs a broker receives: a display's seed (PSKC) and the code it shows; a chip's stored credential and an assertion.
    const seed = new Uint8Array(20).map((_, i) => (i * 37 + 11) & 0xff);
    const nowMs = 1_900_000_000_000;
    const cred = newCred();
    const a = assertWith(cred, { rpId: "broker.example", origin: "https://broker.example", counter: 8 });
    const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    writeFileSync(join(project, "input.json"), JSON.stringify({
      database: join(project, "state", "broker.sqlite"),
      storageKeyHex: "11".repeat(32),
      display: { serial: "CD-000001", seedBase32: base32Encode(seed), code: totp(seed, { time: nowMs / 1000 }), nowMs },
      chip: {
        credentialIdB64url: b64u(cred.id), publicKeyCoseB64url: b64u(cred.cose), signCount: 7, userHandleB64url: b64u(Uint8Array.of(1, 2, 3)), rawIdB64url: b64u(cred.id),
        authenticatorDataB64url: b64u(a.authenticatorData), clientDataJSON: new TextDecoder().decode(a.clientDataJSON), signatureB64url: b64u(a.signature), challengeB64url: b64u(a.challenge),
      },
      rpId: "broker.example",
      origin: "https://broker.example",
    }));
    // The state directory does not exist yet: a typed error that says so.
    const missing = JSON.parse(run(process.execPath, ["--input-type=module", "-e", `
      import { SqliteStore } from "@segl/host-sdk/verify";
      try { new SqliteStore(${JSON.stringify(join(project, "state", "broker.sqlite"))}, { secretKey: new Uint8Array(32) }); }
      catch (e) { console.log(JSON.stringify({ name: e.constructor.name, code: e.code })); }`], project)) as { name: string; code: string };
    assert.deepEqual(missing, { name: "SeglError", code: "STORE_UNAVAILABLE" });
    mkdirSync(join(project, "state"));

    const out = JSON.parse(run(process.execPath, [join("out", "broker.js"), "input.json"], project)) as Record<string, Record<string, unknown>>;
    assert.deepEqual(out, {
      totp: { first: true, replay: false, driftSteps: 0 },
      fido: { verified: true, counter: "ok", nextSignCount: 8, reasons: [] },
    });
    // Run again on the same database: the code was used, the device is still enrolled.
    const again = JSON.parse(run(process.execPath, [join("out", "broker.js"), "input.json"], project)) as { totp: { first: boolean } };
    assert.equal(again.totp.first, false, "the state survived: a code is accepted once, across runs");

    // Every subpath loads at runtime, shares one SeglError, a serial port needs serialport, PostgresStore needs pg,
    // the HTTP server needs fastify (its optional peers are loaded on first use only).
    const probe = JSON.parse(run(process.execPath, ["--input-type=module", "-e", `
      const subs = ["", "/device", "/otp", "/fido", "/verify", "/pskc", "/provision", "/errors", "/serve", "/image"];
      const mods = await Promise.all(subs.map((s) => import("@segl/host-sdk" + s)));
      const same = mods.every((m) => m.SeglError === mods[0].SeglError);
      let serial;
      try { await mods[1].SerialTransport.open("/dev/ttyS-segl-none"); } catch (e) { serial = { code: e.code, install: e.details?.install }; }
      let postgres;
      try { await new mods[4].PostgresStore({ secretKey: new Uint8Array(32), host: "/nonexistent" }).get("x"); } catch (e) { postgres = { code: e.code, install: e.details?.install }; }
      let serve;
      try { await mods[8].createBrokerServer({ store: new mods[4].MemoryStore(), tokens: ["x".repeat(16)] }); } catch (e) { serve = { code: e.code, install: e.details?.install }; }
      console.log(JSON.stringify({ same, serial, postgres, serve }));`], project)) as unknown;
    assert.deepEqual(probe, {
      same: true,
      serial: { code: "NATIVE_MODULE_MISSING", install: "npm install serialport" },
      postgres: { code: "NATIVE_MODULE_MISSING", install: "npm install pg" },
      serve: { code: "NATIVE_MODULE_MISSING", install: "npm install fastify" },
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
