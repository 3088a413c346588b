// `segl image pack|sign|verify|inspect|keygen`: signed firmware images (docs/image-format.md) on top
// of @segl/host-sdk/image. Private keys are read from files and written 0600; never printed.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import {
  packImage, signImage, verifyImage, parseImage, writeMakerKey, rawPublicKey, MODEL_BITS,
  type ImageHeader, type ImageModelName,
} from "@segl/host-sdk/image";
import { isSeglError } from "@segl/host-sdk/errors";
import { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, UsageError, type CliContext } from "./common.js";

export const help = (prog: string) => `Usage:
  ${prog} keygen --out PREFIX                    new maker key: PREFIX.key.pem (PKCS#8, mode 0600), PREFIX.pub.pem (SPKI)
  ${prog} pack WASM --version X.Y.Z --out FILE [--counter N] [--models LIST] [--key-index I] [--revoke LIST] [--key PRIVATE.pem]
                                                 header + payload; signed at once with --key, else unsigned
  ${prog} sign FILE --key PRIVATE.pem --out FILE [--key-index I]
  ${prog} verify FILE --pub [I:]PUBLIC.pem …     checks format, payload hash and signature (I: the key index, default 0)
  ${prog} inspect FILE                           prints the header

  --models     comma-separated: ${Object.keys(MODEL_BITS).join(", ")} (default: all)
  --revoke     comma-separated key indexes this image revokes once confirmed (key rotation)
  --json       one JSON object on stdout (errors too: {"error":{"code","message"}})

Exit codes: 0 ok, 1 failure (a refused image, an unreadable file), 2 bad command line.
`;

const OPTIONS = {
  out: { type: "string" }, version: { type: "string" }, counter: { type: "string" }, models: { type: "string" },
  "key-index": { type: "string" }, revoke: { type: "string" }, key: { type: "string" }, pub: { type: "string", multiple: true },
  json: { type: "boolean" }, help: { type: "boolean", short: "h" },
} as const;

function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw Object.assign(new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`), { cliCode: "FILE_ERROR" });
  }
}

function intArg(v: string | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new UsageError(`--${name}: a whole number 0..${max}`);
  return Number(v);
}

function listArg(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

function describe(h: ImageHeader, signed: boolean): Record<string, unknown> {
  return {
    version: h.versionString, securityCounter: h.securityCounter, models: h.models, modelMask: h.modelMask, keyIndex: h.keyIndex,
    revokes: [0, 1, 2, 3].filter((i) => (h.revokeMask >> i) & 1), payloadLength: h.payloadLength,
    payloadSha256: Buffer.from(h.payloadSha256).toString("hex"), signed,
  };
}

function text(o: Record<string, unknown>): string {
  return Object.entries(o).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") || "-" : String(v)}`).join("\n") + "\n";
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const json = args.includes("--json");
  const out = (o: Record<string, unknown>): void => { ctx.stdout.write(json ? `${JSON.stringify(o)}\n` : text(o)); };
  try {
    return await main(args, ctx, out);
  } catch (err) {
    if (!json) throw err; // the dispatcher prints it with the usual exit code
    const usage = err instanceof UsageError;
    const code = usage ? "USAGE" : isSeglError(err) ? err.code : ((err as { cliCode?: string }).cliCode ?? "ERROR");
    ctx.stdout.write(`${JSON.stringify({ error: { code, message: err instanceof Error ? err.message : String(err) } })}\n`);
    return usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}

async function main(args: string[], ctx: CliContext, out: (o: Record<string, unknown>) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, strict: true, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: v, positionals } = parsed;
  const [sub, file, ...extra] = positionals;
  if (v.help || sub === undefined) {
    if (sub === undefined && !v.help) throw new UsageError("give a subcommand: keygen, pack, sign, verify or inspect");
    ctx.stdout.write(help(ctx.prog));
    return EXIT_OK;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const need = (x: string | undefined, what: string): string => {
    if (x === undefined || x === "") throw new UsageError(`${sub}: ${what} is required`);
    return x;
  };
  switch (sub) {
    case "keygen": {
      const prefix = need(v.out, "--out PREFIX");
      const pub = writeMakerKey(`${prefix}.key.pem`, `${prefix}.pub.pem`);
      const fingerprint = createHash("sha256").update(rawPublicKey(pub)).digest("hex");
      out({ privateKey: `${prefix}.key.pem`, publicKey: `${prefix}.pub.pem`, publicKeySha256: fingerprint });
      return EXIT_OK;
    }
    case "pack": {
      const payload = readFile(need(file, "WASM"));
      const dest = need(v.out, "--out FILE");
      const version = need(v.version, "--version X.Y.Z");
      if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(version) || version.split(".").some((x) => Number(x) > 255)) throw new UsageError("--version: major.minor.patch, each 0..255");
      const models = listArg(v.models);
      for (const m of models ?? []) if (!(m in MODEL_BITS)) throw new UsageError(`--models: unknown model ${JSON.stringify(m)}`);
      const revoke = listArg(v.revoke)?.map((x) => intArg(x, "revoke", 3)!);
      const keyIndex = intArg(v["key-index"], "key-index", 3);
      const counter = intArg(v.counter, "counter", 0xffffffff);
      let image = packImage(payload, {
        version, ...(counter !== undefined ? { securityCounter: counter } : {}), ...(models ? { models: models as ImageModelName[] } : {}),
        ...(keyIndex !== undefined ? { keyIndex } : {}), ...(revoke ? { revoke } : {}),
      });
      if (v.key !== undefined) image = signImage(image, readKey(v.key));
      writeFileSync(dest, image);
      out({ file: dest, ...describe(parseImage(image).header, v.key !== undefined) });
      return EXIT_OK;
    }
    case "sign": {
      const image = readFile(need(file, "FILE"));
      const dest = need(v.out, "--out FILE");
      const keyIndex = intArg(v["key-index"], "key-index", 3);
      const signed = signImage(image, readKey(need(v.key, "--key PRIVATE.pem")), keyIndex !== undefined ? { keyIndex } : {});
      writeFileSync(dest, signed);
      out({ file: dest, ...describe(parseImage(signed).header, true) });
      return EXIT_OK;
    }
    case "verify": {
      const image = readFile(need(file, "FILE"));
      if (!v.pub || v.pub.length === 0) throw new UsageError("verify: at least one --pub [I:]PUBLIC.pem is required");
      const keys: (string | undefined)[] = [];
      for (const p of v.pub) {
        const m = /^([0-3]):(.+)$/.exec(p);
        const index = m ? Number(m[1]) : 0;
        if (keys[index] !== undefined) throw new UsageError(`--pub: key index ${index} given twice`);
        keys[index] = new TextDecoder().decode(readFile(m ? m[2]! : p));
      }
      const parsed = verifyImage(image, keys);
      out({ file, verified: true, ...describe(parsed.header, true) });
      return EXIT_OK;
    }
    case "inspect": {
      const parsed = parseImage(readFile(need(file, "FILE")));
      out({ file, ...describe(parsed.header, parsed.signed) });
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (keygen, pack, sign, verify, inspect)`);
  }
}

function readKey(path: string): string {
  return new TextDecoder().decode(readFile(path));
}
