// `segl provision --port PATH …`: seed, parameters, clock and (optionally) lock a display or reader.
// The seed is printed once, as JSON on stdout, for the maker's records (PSKC export comes later).
import { EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";
import { openPort, PORT_HELP } from "./port.js";
import { provisionDevice } from "@segl/host-sdk/provision";
import { parseAlgorithm } from "@segl/host-sdk/otp";
import type { ModelName } from "@segl/host-sdk/device";

export const help = (prog: string) => `Usage: ${prog} --port PATH --serial S [options]

Provisions a code display or audio reader over its service port: a fresh seed from the OS's
cryptographic RNG, the OTP parameters, the clock (this machine's), and with --lock ends
provisioning for good. Prints {serial, seedHex, algorithm, digits, period, model} as JSON.

Options:
${PORT_HELP}
  --serial S        1..32 printable ASCII characters
  --model M         code-display (default) | audio-reader
  --algorithm A     SHA1 (default) | SHA256 | SHA512
  --digits N        6 (default); 7 or 8 for the audio reader
  --period S        time step in seconds (default 30)
  --lock            lock the device afterwards (irreversible)
`;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const values = parseOptions(args, {
        port: { type: "string" }, serial: { type: "string" }, model: { type: "string" }, algorithm: { type: "string" },
        digits: { type: "string" }, period: { type: "string" }, lock: { type: "boolean" },
  });
  if (values.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  if (!values.serial) throw new UsageError("--serial is required");
  const model = (values.model ?? "code-display") as ModelName;
  if (model !== "code-display" && model !== "audio-reader") throw new UsageError("--model: code-display or audio-reader");
  const algorithm = parseAlgorithm(values.algorithm ?? "SHA1");
  if (!algorithm) throw new UsageError("--algorithm: SHA1, SHA256 or SHA512");
  const digits = Number(values.digits ?? 6);
  const period = Number(values.period ?? 30);
  const dev = await openPort(values.port);
  try {
    const r = await provisionDevice(dev.client, { model, algorithm, digits, period, serial: values.serial, timeMs: Date.now(), lock: values.lock === true });
    ctx.stderr.write(`provisioned ${r.serial}: state ${r.info.state}\n`);
    ctx.stdout.write(JSON.stringify({ serial: r.serial, seedHex: Buffer.from(r.seed).toString("hex"), algorithm: r.algorithm, digits: r.digits, period: r.period, model: r.model }) + "\n");
    return EXIT_OK;
  } finally {
    await dev.close();
  }
}
