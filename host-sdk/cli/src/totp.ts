// `segl totp --secret BASE32 | --secret-hex HEX`: the code a device with that seed shows now (or at
// --time); with --verify CODE, whether CODE is the code within ±--window steps (exit 1 if not, as
// oathtool does).
import { EXIT_FAILURE, EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";
import { totp, base32Decode, parseAlgorithm } from "@segl/host-sdk/otp";

export const help = (prog: string) => `Usage: ${prog} (--secret BASE32 | --secret-hex HEX) [--time UNIX_S] [--algorithm A] [--digits N] [--period S]
       ${prog} … --verify CODE [--window N]

Prints the RFC 6238 code for a seed (pure computation; nothing is sent anywhere). With --verify,
checks CODE against the codes of the time steps within ±N of now (default 0): prints the offset of
the matching step and exits 0, or exits 1 when none matches (as \`oathtool --totp -w N\`).

Options:
  --json   one JSON object: { code } or { match, offset }
`;

function intOpt(v: string | undefined, dflt: number, name: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name}: an integer ${min}..${max}`);
  return Number(v);
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const values = parseOptions(args, {
    secret: { type: "string" }, "secret-hex": { type: "string" }, time: { type: "string" }, algorithm: { type: "string" },
    digits: { type: "string" }, period: { type: "string" }, verify: { type: "string" }, window: { type: "string" }, json: { type: "boolean" },
  });
  if (values.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const hexSecret = values["secret-hex"];
  if (!values.secret === !hexSecret) throw new UsageError("give exactly one of --secret and --secret-hex");
  if (hexSecret !== undefined && !/^([0-9a-fA-F]{2})+$/.test(hexSecret)) throw new UsageError("--secret-hex: an even number of hex digits");
  let secret: Uint8Array;
  try {
    secret = hexSecret !== undefined ? new Uint8Array(Buffer.from(hexSecret, "hex")) : base32Decode(values.secret!);
  } catch (e) {
    throw new UsageError(`--secret: ${e instanceof Error ? e.message : String(e)}`);
  }
  const algorithm = parseAlgorithm(values.algorithm ?? "SHA1");
  if (!algorithm) throw new UsageError("--algorithm: SHA1, SHA256 or SHA512");
  const time = values.time !== undefined ? Number(values.time) : Date.now() / 1000;
  if (!Number.isFinite(time) || (values.time !== undefined && values.time.trim() === "")) throw new UsageError("--time: Unix seconds");
  const digits = intOpt(values.digits, 6, "--digits", 6, 10);
  const period = intOpt(values.period, 30, "--period", 1, 86_400);
  if (values.window !== undefined && values.verify === undefined) throw new UsageError("--window goes with --verify CODE");
  if (values.verify === undefined) {
    const code = totp(secret, { time, algorithm, digits, period });
    ctx.stdout.write(values.json ? JSON.stringify({ ok: true, code }) + "\n" : code + "\n");
    return EXIT_OK;
  }
  if (!/^\d+$/.test(values.verify)) throw new UsageError("--verify: the code's digits");
  const window = intOpt(values.window, 0, "--window", 0, 1000);
  // Nearest steps first (0, -1, +1, -2, …), so a code valid at two offsets reports the closer one.
  for (let d = 0; d <= window; d++) {
    for (const offset of d === 0 ? [0] : [-d, d]) {
      const t = time + offset * period;
      if (t < 0) continue;
      if (totp(secret, { time: t, algorithm, digits, period }) === values.verify) {
        ctx.stdout.write(values.json ? JSON.stringify({ ok: true, match: true, offset }) + "\n" : `${offset}\n`);
        return EXIT_OK;
      }
    }
  }
  if (values.json) ctx.stdout.write(JSON.stringify({ ok: false, exitCode: EXIT_FAILURE, match: false, error: { code: "NO_MATCH", message: `no match within ±${window} step(s)` } }) + "\n");
  else ctx.stderr.write(`${ctx.prog}: no match within ±${window} step(s)\n`);
  return EXIT_FAILURE;
}
