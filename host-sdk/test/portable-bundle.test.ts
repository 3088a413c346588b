// The SDK's OTP verifier (TotpVerifier on a MemoryStore) and its CTAPHID/CTAP2 PIN code bundled for a
// browser with the page's own esbuild plugin (scripts/web-portable.mjs: any node: import fails the build),
// no module naming Node's Buffer, and then run in a bare JavaScript context (node:vm: no Buffer, no
// require, no process; Web Crypto and TextEncoder as a browser has them) where they must give Node's answers.
import { test } from "vitest";
import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildFailure, type Metafile } from "esbuild";
import { portablePlugin } from "../../scripts/web-portable.mjs";
import { hotp } from "../src/otp/hotp.js";
import { PinProtocolV1, PinProtocolV2 } from "../src/protocols/ctap2/pin-protocol.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "host-sdk/src");

/** Bundles `entry` (TypeScript source, imports relative to host-sdk/src) as a browser IIFE exposing its exports as `segl`. */
async function bundle(entry: string): Promise<{ code: string; inputs: string[]; bufferUsers: string[] }> {
  const bufferUsers: string[] = [];
  const r = await build({
    stdin: { contents: entry, resolveDir: SRC, sourcefile: "entry.ts", loader: "ts" }, bundle: true, write: false, metafile: true, absWorkingDir: ROOT,
    format: "iife", globalName: "segl", platform: "browser", target: "es2022", plugins: [portablePlugin(ROOT, { bufferUsers })], logLevel: "silent",
  });
  return { code: r.outputFiles[0]!.text, inputs: Object.keys((r.metafile as Metafile).inputs), bufferUsers };
}

/**
 * Runs a bundle in a fresh context with a browser's globals only; returns its exports and `bytes`, which
 * copies bytes into that context (a Uint8Array of this one is not an `instanceof Uint8Array` there).
 */
function load<T>(code: string): T & { bytes: (b: Uint8Array) => Uint8Array } {
  const sandbox: Record<string, unknown> = { crypto: globalThis.crypto, TextDecoder, console, outerEncode: (s: string) => new TextEncoder().encode(s) };
  // A browser's TextEncoder gives its own realm's Uint8Array: the same here, over Node's encoder.
  runInNewContext("((enc) => { globalThis.TextEncoder = class { encode(s) { return Uint8Array.from(enc(s)); } }; })(outerEncode); delete globalThis.outerEncode;", sandbox);
  runInNewContext(`${code}\nglobalThis.segl = segl;`, sandbox);
  assert.equal(runInNewContext("typeof Buffer + typeof require + typeof process", sandbox), "undefinedundefinedundefined");
  const bytes = runInNewContext("(b) => Uint8Array.from(b)", sandbox) as (b: Uint8Array) => Uint8Array;
  return Object.assign(sandbox["segl"] as object, { bytes }) as T & { bytes: (b: Uint8Array) => Uint8Array };
}

const SEED = new TextEncoder().encode("12345678901234567890");
const T0 = 1_700_000_000_000;

test("TotpVerifier + MemoryStore bundle for the browser (the @noble twin, nothing Node-only) and give the SDK's verdicts there: accepted with drift, replay, mismatch, lockout", async () => {
  const b = await bundle(`
    import { TotpVerifier } from "./verify/verifier.js";
    import { MemoryStore } from "./verify/memory-store.js";
    import { ocra } from "./otp/index.js";
    export const ocraCode = (key: Uint8Array) => ocra("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", key, { question: "11111111", pin: "1234" });
    export async function run(seed: Uint8Array, codes: string[], now: number) {
      const reasons: string[] = [];
      const v = new TotpVerifier({ store: new MemoryStore(), maxFailures: 3, clock: () => now, onAudit: (e) => { if (e.op === "verify") reasons.push(e.outcome === "accepted" ? "accepted " + e.driftSteps : String(e.reason)); } });
      await v.enroll("display", { secret: seed });
      const results = [];
      for (const c of codes) results.push(await v.verify("display", c));
      results.push(await v.verify("nobody", codes[0]!));
      return { results, reasons };
    }`);
  assert.deepEqual(b.bufferUsers, []);
  assert.ok(b.inputs.includes("host-sdk/src/platform/crypto.browser.ts") && !b.inputs.includes("host-sdk/src/platform/crypto.ts"), b.inputs.join("\n"));
  assert.doesNotMatch(b.code, /node:/);
  const { run, ocraCode, bytes } = load<{ run: (seed: Uint8Array, codes: string[], now: number) => Promise<{ results: unknown[]; reasons: string[] }>; ocraCode: (key: Uint8Array) => string }>(b.code);
  const step = Math.floor(T0 / 30_000);
  const ahead = hotp(SEED, step + 1); // the device's clock one step ahead
  const wrong = String((Number(ahead) + 1) % 1_000_000).padStart(6, "0");
  const out = await run(bytes(SEED), [ahead, ahead, wrong, wrong, wrong, hotp(SEED, step + 2)], T0);
  assert.deepEqual([...out.reasons], ["accepted 1", "replay", "mismatch", "mismatch", "mismatch", "locked", "unknown-device"]);
  // The rest of @segl/host-sdk/otp bundles too: RFC 6287 appendix C's OCRA-1:HOTP-SHA256-8:QN08-PSHA1 for Q "11111111".
  assert.equal(ocraCode(bytes(new TextEncoder().encode("12345678901234567890123456789012"))), "01501458");
  assert.deepEqual(JSON.parse(JSON.stringify(out.results)), [{ verified: true, step: step + 1, driftSteps: 1 }, ...Array(6).fill({ verified: false })]);
});

test("the CTAPHID client and the PIN protocols bundle for the browser and give Node's bytes there; Node-only code in the CTAP2 client's bundle is fido/*'s alone", async () => {
  const entry = `
    export { CtapHidClient } from "./protocols/ctaphid/client.js";
    export { PinProtocolV1, PinProtocolV2 } from "./protocols/ctap2/pin-protocol.js";`;
  const b = await bundle(entry);
  assert.deepEqual(b.bufferUsers, []);
  type Pin = { kdf(z: Uint8Array): Uint8Array; encrypt(k: Uint8Array, p: Uint8Array): Uint8Array; decrypt(k: Uint8Array, c: Uint8Array): Uint8Array; authenticate(k: Uint8Array, m: Uint8Array): Uint8Array };
  const web = load<{ PinProtocolV1: new () => Pin; PinProtocolV2: new (random: (n: number) => Uint8Array) => Pin }>(b.code);
  const z = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const pin = new TextEncoder().encode("1234".padEnd(64, "\0"));
  const iv = (n: number) => new Uint8Array(n).fill(0x5a);
  const ivThere = (n: number) => web.bytes(iv(n));
  for (const [w, n] of [[new web.PinProtocolV1(), new PinProtocolV1()], [new web.PinProtocolV2(ivThere), new PinProtocolV2(iv)]] as const) {
    const key = n.kdf(z);
    assert.deepEqual(new Uint8Array(w.kdf(web.bytes(z))), key);
    const ct = n.encrypt(key, pin);
    assert.deepEqual(new Uint8Array(w.encrypt(web.bytes(key), web.bytes(pin))), ct);
    assert.deepEqual(new Uint8Array(w.decrypt(web.bytes(key), web.bytes(ct))), pin);
    assert.deepEqual(new Uint8Array(w.authenticate(web.bytes(key), web.bytes(pin))), n.authenticate(key, pin));
  }

  // The CTAP2 client itself (makeCredential, getAssertion) reads authenticator data with host-sdk/src/fido/*:
  // whatever Node-only import or Buffer still reaches its bundle must come from there (made portable on its own branch).
  let failures: string[] = [];
  let users: string[] = [];
  try {
    users = (await bundle(`export { Ctap2Client } from "./protocols/ctap2/client.js"; export { ClientPin } from "./protocols/ctap2/client-pin.js"; ${entry}`)).bufferUsers;
  } catch (e) {
    failures = (e as BuildFailure).errors.map((x) => x.text);
  }
  const outsideFido = (s: string) => !/host-sdk\/src\/fido\//.test(s);
  assert.deepEqual(failures.filter(outsideFido), []);
  assert.deepEqual(users.filter(outsideFido), []);
});
