// `segl demo`: the main job on the embedded default. Boots a simulated code display from the
// firmware image, provisions and locks it through the SDK, presses its button, shows the LCD,
// and verifies the shown code with the broker verifier on an embedded SQLite file.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { Device, SimClock, loadImage, renderTerminal } from "@segl/simulator";
import { MemoryTransport, ServiceClient } from "@segl/host-sdk/device";
import { provisionDevice } from "@segl/host-sdk/provision";
import { TotpVerifier, SqliteStore } from "@segl/host-sdk/verify";
import { EXIT_FAILURE, EXIT_OK, parseOptions, type CliContext } from "./common.js";

export const help = (prog: string) => `Usage: ${prog} [--db FILE] [--json]

Boots a simulated code display from firmware/build/firmware.wasm, provisions and locks it over
its service port (through the SDK), presses its button, shows the LCD, and verifies the code
with the broker verifier (state in SQLite), then shows that a replayed code is refused.

Options:
  --db FILE   broker state file (default .segl/demo-broker.sqlite, recreated each run)
  --json      print one JSON object instead of the walkthrough
`;

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const values = parseOptions(args, { db: { type: "string" }, json: { type: "boolean" } });
  if (values.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const json = values.json === true;
  const say = (s: string) => { if (!json) ctx.stdout.write(s + "\n"); };

  const image = loadImage();
  const clock = new SimClock({ startMs: Date.now() });
  const device = new Device({ clock, image, name: "display-1" });
  say(`Booted a simulated code display from ${image.path}`);
  say(`  image ${image.bytes.length} bytes, sha256 ${image.sha256.slice(0, 16)}…`);

  const transport = new MemoryTransport(device);
  const client = new ServiceClient(transport);
  const dbPath = resolve(values.db ?? join(".segl", "demo-broker.sqlite"));
  mkdirSync(resolve(dbPath, ".."), { recursive: true });
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true }); // the file with its WAL: never one without the other
  const store = new SqliteStore(dbPath, { secretKey: randomBytes(32) });
  try {
    const p = await provisionDevice(client, {
      model: "code-display", algorithm: "SHA1", digits: 6, period: 30, serial: "SGL-DEMO-0001", timeMs: clock.now(), lock: true,
    });
    say(`Provisioned over the service port: serial ${p.serial}, ${p.algorithm}, ${p.digits} digits, ${p.period} s, state ${p.info.state}`);

    const verifier = new TotpVerifier({ store, clock: () => clock.now() });
    await verifier.enroll(p.serial, { secret: p.seed, algorithm: p.algorithm, digits: p.digits, period: p.period });
    say(`Broker enrolled the seed (SQLite: ${dbPath})`);

    device.click();
    const shown = device.display;
    say(`\nButton pressed. The LCD shows ${shown}:\n`);
    say(renderTerminal(shown, { frame: true }));
    say("");

    const first = await verifier.verify(p.serial, shown);
    const replay = await verifier.verify(p.serial, shown);
    say(`Broker verifies ${shown}: ${first.verified ? "ACCEPTED" : "REFUSED"}`);
    say(`Broker verifies ${shown} again: ${replay.verified ? "ACCEPTED (bug!)" : "refused (a code is accepted once)"}`);

    clock.advance(30_000);
    device.click();
    const next = device.display;
    const second = await verifier.verify(p.serial, next);
    say(`30 s later the LCD shows ${next}: ${second.verified ? "ACCEPTED" : "REFUSED"}`);

    const ok = first.verified && !replay.verified && second.verified;
    if (json) ctx.stdout.write(JSON.stringify({ serial: p.serial, shown, accepted: first.verified, replayRefused: !replay.verified, next, nextAccepted: second.verified, db: dbPath }) + "\n");
    else say(ok ? "\nDemo complete." : "\nDemo FAILED.");
    return ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    store.close();
    await transport.close();
    device.dispose();
  }
}
