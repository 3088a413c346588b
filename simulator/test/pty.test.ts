import { test, beforeAll, afterAll } from "vitest";
import { requireTools } from "../../scripts/system-deps.mjs";
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { PtyBridge, PtyBridgeError, Simulator } from "../src/index.js";
import { EchoEndpoint, frame, parseFrame, CMD_PING } from "./helpers.js";

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200 });
  await once(port, "open");
  return port;
}

async function readUntil(port: SerialPort, done: (b: Buffer) => boolean, ms = 3000): Promise<Buffer> {
  let got = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { port.off("data", on); reject(new Error(`timeout; got ${got.toString("hex")}`)); }, ms);
    const on = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (done(got)) { clearTimeout(timer); port.off("data", on); resolve(got); }
    };
    port.on("data", on);
  });
}

async function closePort(port: SerialPort): Promise<void> {
  await new Promise<void>((resolve, reject) => port.close((e) => (e ? reject(e) : resolve())));
}

beforeAll(() => requireTools("socat"));
const dir = mkdtempSync(join(tmpdir(), "segl-pty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a real serialport opens the PTY by path: bytes both ways, across several opens and closes", async () => {
  const ep = new EchoEndpoint();
  const path = join(dir, "echo");
  const bridge = await PtyBridge.open(ep, { path });
  try {
    assert.ok(bridge.ptsPath?.startsWith("/dev/pts/"));
    assert.equal(readlinkSync(path), bridge.ptsPath);
    const pid = bridge.pid;
    for (let i = 0; i < 4; i++) {
      const port = await openPort(path);
      const msg = `hello ${i} \x00\xff\r\n\x03`; // raw: no echo, no CR/LF or ^C translation
      port.write(Buffer.from(msg, "latin1"));
      const want = Buffer.from("echo:" + msg, "latin1");
      const got = await readUntil(port, (b) => b.length >= want.length);
      assert.deepEqual(got, want);
      await closePort(port);
    }
    assert.equal(bridge.pid, pid, "socat survived the client's closes without a restart");
    assert.equal(Buffer.concat(ep.received).toString("latin1").split("hello").length - 1, 4);
  } finally {
    await bridge.close();
  }
  assert.equal(existsSync(path), false, "the link is gone after close");
  assert.equal(bridge.running, false);
});

test("the firmware answers PING through the PTY", async () => {
  const sim = new Simulator();
  const d = sim.add({ name: "ptydisp" });
  const path = join(dir, "disp");
  const bridge = await PtyBridge.open(d, { path });
  try {
    for (let round = 0; round < 2; round++) {
      const port = await openPort(path);
      const payload = new Uint8Array([0x50, 0x49, 0x4e, 0x47, round]);
      port.write(Buffer.from(frame(CMD_PING, 0x40 + round, payload)));
      const got = await readUntil(port, (b) => parseFrame(b) !== undefined);
      const f = parseFrame(got)!;
      assert.equal(f.type, CMD_PING | 0x80);
      assert.equal(f.seq, 0x40 + round);
      assert.deepEqual([...f.payload], [0, ...payload]);
      await closePort(port);
    }
  } finally {
    await bridge.close();
    sim.close();
  }
});

test("socat is restarted if it dies, at the same path", async () => {
  const ep = new EchoEndpoint();
  const path = join(dir, "restart");
  const bridge = await PtyBridge.open(ep, { path });
  try {
    const restarted = once(bridge, "restart");
    process.kill(bridge.pid!, "SIGKILL");
    await restarted;
    const port = await openPort(path);
    port.write(Buffer.from("again"));
    const got = await readUntil(port, (b) => b.length >= 10);
    assert.equal(got.toString(), "echo:again");
    await closePort(port);
  } finally {
    await bridge.close();
  }
});

test("clear errors: socat missing, path taken", async () => {
  const ep = new EchoEndpoint();
  await assert.rejects(
    PtyBridge.open(ep, { path: join(dir, "x"), socatPath: "/nonexistent/socat" }),
    (e: unknown) => e instanceof PtyBridgeError && e.code === "SOCAT_MISSING" && /install it/.test(e.message),
  );
  const file = join(dir, "plainfile");
  writeFileSync(file, "");
  await assert.rejects(PtyBridge.open(ep, { path: file }), (e: unknown) => e instanceof PtyBridgeError && e.code === "PATH_IN_USE");
  // A stale link (its pts is gone, after a crash) is replaced.
  const stale = join(dir, "stale");
  symlinkSync("/dev/pts/does-not-exist", stale);
  const b = await PtyBridge.open(ep, { path: stale });
  assert.equal(readlinkSync(stale), b.ptsPath);
  // A live one is not.
  await assert.rejects(PtyBridge.open(ep, { path: stale }), (e: unknown) => e instanceof PtyBridgeError && e.code === "PATH_IN_USE");
  await b.close();
});
