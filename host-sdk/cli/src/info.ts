// `segl info --port PATH`: a device's public identity and live status.
import { EXIT_OK, parseOptions, type CliContext } from "./common.js";
import { openPort, PORT_HELP } from "./port.js";

export const help = (prog: string) => `Usage: ${prog} --port PATH [--json]

Prints INFO and STATUS of a code display or audio reader over its service port.

Options:
${PORT_HELP}
  --json          one JSON object
`;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const values = parseOptions(args, { port: { type: "string" }, json: { type: "boolean" } });
  if (values.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const dev = await openPort(values.port);
  try {
    const info = await dev.client.info();
    const status = await dev.client.status();
    if (values.json) ctx.stdout.write(JSON.stringify({ info, status }) + "\n");
    else {
      ctx.stdout.write([
        `model      ${info.model}`, `state      ${info.state}`, `serial     ${info.serial || "-"}`, `firmware   ${info.firmwareVersion}`,
        `otp        ${info.algorithm ?? "-"} ${info.digits || "-"} digits ${info.period || "-"} s`,
        `clock      ${status.timeMs === null ? "not set" : new Date(status.timeMs).toISOString()}`,
        `store      ${status.storeFreeBytes} bytes free, max erase count ${status.storeMaxEraseCount}`, "",
      ].join("\n"));
    }
    return EXIT_OK;
  } finally {
    await dev.close();
  }
}
