// `segl sim chip`, run as a user would: provisioned as a chip on start, CTAPHID over UDP, the
// presence policy (or Enter) touches it, the HTTP control API sees it.
import { test } from "vitest";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";

import { Output, ROOT, SEGL, freeUdpPort } from "./root.js";

/** The host side of the UDP bridge: binds the reply port, sends to the chip's port. */
class HidOverUdp {
  private queue: Buffer[] = [];
  private waiters: (() => void)[] = [];
  cid = 0xffffffff;
  keepalives = 0;
  private constructor(readonly sock: Socket, private readonly chipPort: number) {
    sock.on("message", (m) => { this.queue.push(m); for (const w of this.waiters.splice(0)) w(); });
  }
  static async open(replyPort: number, chipPort: number): Promise<HidOverUdp> {
    const sock = createSocket("udp4");
    sock.bind(replyPort, "127.0.0.1");
    await once(sock, "listening");
    return new HidOverUdp(sock, chipPort);
  }
  send(cmd: number, data: number[]): void {
    const r = Buffer.alloc(64);
    r.writeUInt32BE(this.cid >>> 0, 0);
    r[4] = cmd | 0x80;
    r.writeUInt16BE(data.length, 5);
    Buffer.from(data).copy(r, 7);
    this.sock.send(r, this.chipPort, "127.0.0.1");
  }
  /** The next non-keepalive answer (single-report messages only). */
  async answer(ms = 30_000): Promise<{ cmd: number; data: Buffer }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.queue.shift();
      if (m) {
        if (m[4] === 0xbb) { this.keepalives++; continue; }
        return { cmd: m[4]! & 0x7f, data: m.subarray(7, 7 + m.readUInt16BE(5)) };
      }
      if (Date.now() > deadline) throw new Error("no answer from the chip");
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }
  async init(): Promise<void> {
    this.cid = 0xffffffff;
    this.send(0x06, [1, 2, 3, 4, 5, 6, 7, 8]);
    const a = await this.answer();
    assert.equal(a.cmd, 0x06);
    this.cid = a.data.readUInt32BE(8);
  }
  close(): void {
    this.sock.close();
  }
}

function startChip(args: string[]): { child: ChildProcessWithoutNullStreams; out: Output; err: Output } {
  const child = spawn(process.execPath, [SEGL, "sim", "chip", "--plain", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  return { child, out: new Output(child.stdout), err: new Output(child.stderr) };
}

const SELECTION = [0x0b]; // authenticatorSelection: waits for a touch

test("segl sim chip --presence manual: CTAPHID over UDP, the LED asks, Enter touches; the control API lists the chip", async () => {
  const reply = await freeUdpPort();
  const { child, out, err } = startChip(["--udp-port", "0", "--reply-port", String(reply), "--http", "0", "--serial", "CLI-CHIP-7"]);
  let host: HidOverUdp | undefined;
  try {
    const port = Number((await err.waitFor(/CTAPHID\/UDP: listening on 127\.0\.0\.1:(\d+), replying to 127\.0\.0\.1:(\d+)/))[1]);
    assert.match(err.text, /chip serial: CLI-CHIP-7/);
    await err.waitFor(/presence:\s+manual/);
    const url = (await err.waitFor(/control API: (http:\/\/127\.0\.0\.1:\d+)\/devices\/chip/))[1]!;
    host = await HidOverUdp.open(reply, port);
    await host.init();
    // The vendor command's INFO: the device was made a chip with our serial.
    host.send(0x51, [0x01]);
    const info = await host.answer();
    assert.equal(info.data[0], 0);
    assert.equal(info.data[5], 3, "model 3: chip");
    assert.equal(info.data[6], 2, "locked, as a chip leaves the factory (--unlocked would leave it open)");
    assert.equal(info.data.subarray(13, 13 + info.data[12]!).toString(), "CLI-CHIP-7");

    host.send(0x10, SELECTION);
    await err.waitFor(/touch requested \(ctap2, channel [0-9a-f]{8}\): press Enter/);
    await out.waitFor(/led: on\n/);
    const led = (await (await fetch(`${url}/devices/chip`)).json()) as { led: boolean };
    assert.equal(led.led, true, "the control API shows the LED on");
    child.stdin.write("\n");
    const a = await host.answer();
    assert.deepEqual([a.cmd, ...a.data], [0x10, 0x00]);
    assert.ok(host.keepalives >= 1, "KEEPALIVE UPNEEDED while waiting");
    // End of input does not stop a chip: it keeps serving UDP until a signal.
    child.stdin.end();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(child.exitCode, null);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
  } finally {
    host?.close();
    child.kill();
  }
});

test("segl sim chip --presence accept touches at once; a taken UDP port is a clear error; bad options exit 2", async () => {
  const reply = await freeUdpPort();
  const { child, err } = startChip(["--udp-port", "0", "--reply-port", String(reply), "--presence", "accept"]);
  let host: HidOverUdp | undefined;
  try {
    const port = Number((await err.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    host = await HidOverUdp.open(reply, port);
    await host.init();
    host.send(0x10, SELECTION);
    assert.deepEqual([...(await host.answer()).data], [0x00]);
    await err.waitFor(/touched \(ctap2\) by the accept policy/);

    const taken = spawnSync(process.execPath, [SEGL, "sim", "chip", "--udp-port", String(port)], { cwd: ROOT, encoding: "utf8", timeout: 10_000, input: "" });
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, new RegExp(`UDP port ${port} on 127\\.0\\.0\\.1 is already in use`));
    child.stdin.write("q");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
  } finally {
    host?.close();
    child.kill();
  }
  for (const [args, re] of [
    [["--presence", "maybe"], /--presence takes one of accept, deny, manual/],
    [["--udp-port", "99999"], /--udp-port takes a UDP port/],
    [["--pty", "/tmp/x"], /--pty is for code-display/],
  ] as const) {
    const r = spawnSync(process.execPath, [SEGL, "sim", "chip", ...args], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
  }
  const disp = spawnSync(process.execPath, [SEGL, "sim", "code-display", "--presence", "accept"], { cwd: ROOT, encoding: "utf8", timeout: 10_000 });
  assert.equal(disp.status, 2);
  assert.match(disp.stderr, /--presence is for the chip/);
});
