// `segl totp --secret BASE32 | --secret-hex HEX`: the code a device with that seed shows now (or at --time).
import { EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";
import { totp, base32Decode, parseAlgorithm } from "@segl/host-sdk/otp";

export const help = (prog: string) => `Usage: ${prog} (--secret BASE32 | --secret-hex HEX) [--time UNIX_S] [--algorithm A] [--digits N] [--period S]

Prints the RFC 6238 code for a seed (pure computation; nothing is sent anywhere).
`;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const values = parseOptions(args, {
        secret: { type: "string" }, "secret-hex": { type: "string" }, time: { type: "string" }, algorithm: { type: "string" },
        digits: { type: "string" }, period: { type: "string" },
  });
  if (values.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const hexSecret = values["secret-hex"];
  if (!values.secret === !hexSecret) throw new UsageError("give exactly one of --secret and --secret-hex");
  if (hexSecret !== undefined && !/^([0-9a-fA-F]{2})+$/.test(hexSecret)) throw new UsageError("--secret-hex: an even number of hex digits");
  const secret = hexSecret !== undefined ? new Uint8Array(Buffer.from(hexSecret, "hex")) : base32Decode(values.secret!);
  const algorithm = parseAlgorithm(values.algorithm ?? "SHA1");
  if (!algorithm) throw new UsageError("--algorithm: SHA1, SHA256 or SHA512");
  const time = values.time !== undefined ? Number(values.time) : Date.now() / 1000;
  if (!Number.isFinite(time)) throw new UsageError("--time: Unix seconds");
  ctx.stdout.write(totp(secret, { time, algorithm, digits: Number(values.digits ?? 6), period: Number(values.period ?? 30) }) + "\n");
  return EXIT_OK;
}
