// python-fido2 (Debian's python3-fido2 0.9.1) as an independent FIDO client: a simulated chip
// behind the UDP bridge on free ports, touched by the "accept" presence policy, with the HTTP
// control API for power cycles; pytest runs hardware-tests/python against it.
import { test } from "vitest";
import { findPython, requireTools } from "../../scripts/system-deps.mjs";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Simulator, UdpBridge, attachPresence, provisionChip, startControlServer } from "@segl/simulator";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SUITE = join(ROOT, "hardware-tests/python");
const SERIAL = "SIM-FIDO2-0001";

/** A free UDP port on 127.0.0.1 (bound and released: the python side binds it next). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("python-fido2 over the UDP bridge: CTAPHID, getInfo, WebAuthn with Fido2Server, clientPIN, credential management, U2F", async () => {
  requireTools("python3-fido2", "python3-pytest");
  const py = findPython()!;
  console.log(`${py.python}: fido2 ${py.version}`);
  const sim = new Simulator({ mode: "real", serialBinding: false });
  const device = sim.add({ name: "chip" });
  provisionChip(device, { serial: SERIAL });
  const presence = attachPresence(device, "accept");
  const bridge = await UdpBridge.open(device, { listenPort: 0, replyPort: await freeUdpPort() });
  const control = await startControlServer(sim);
  try {
    const child = spawn(py.python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", SUITE], {
      cwd: ROOT,
      env: {
        ...process.env,
        SEGL_UDP_HOST: "127.0.0.1",
        SEGL_UDP_PORT: String(bridge.listenPort),
        SEGL_UDP_REPLY_PORT: String(bridge.replyPort),
        SEGL_CONTROL_URL: control.url,
        SEGL_DEVICE_NAME: device.name,
        SEGL_CHIP_SERIAL: SERIAL,
        PYTHONDONTWRITEBYTECODE: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => { out += s; });
    child.stderr.setEncoding("utf8").on("data", (s: string) => { out += s; });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(timer);
    console.log(out.trim().split("\n").at(-1) ?? "");
    assert.equal(code, 0, `pytest failed:\n${out}`);
    assert.doesNotMatch(out, /\bskipped\b/, `pytest skipped tests:\n${out}`);
    assert.ok(presence.presses > 0, "the chip was touched by the presence policy");
    assert.deepEqual(device.faults, [], "the firmware never trapped");
  } finally {
    presence.detach();
    await bridge.close();
    await control.close();
    sim.close();
  }
});
