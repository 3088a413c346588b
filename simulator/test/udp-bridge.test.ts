// The UDP bridge: raw 64-byte CTAPHID reports in datagrams, both ways, on ephemeral ports.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { Device, SimClock, UdpBridge, UdpBridgeError } from "../src/index.js";

const T0 = Date.UTC(2030, 0, 1);

/** A host-side UDP peer: binds an ephemeral port (the bridge's reply port) and queues what arrives. */
class Peer {
  readonly got: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly sock: Socket) {
    sock.on("message", (m) => { this.got.push(m); for (const w of this.waiters.splice(0)) w(); });
  }
  static async open(): Promise<Peer> {
    const sock = createSocket("udp4");
    sock.bind(0, "127.0.0.1");
    await once(sock, "listening");
    return new Peer(sock);
  }
  get port(): number {
    return this.sock.address().port;
  }
  send(port: number, data: Uint8Array): void {
    this.sock.send(data, port, "127.0.0.1");
  }
  async next(ms = 30_000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.got.length === 0) {
      if (Date.now() > deadline) throw new Error("no datagram");
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
    return this.got.shift()!;
  }
  /** Reads one CTAPHID message (init + continuation reports). */
  async message(): Promise<{ cid: number; cmd: number; data: Buffer }> {
    const first = await this.next();
    assert.equal(first.length, 64, "64-byte reports");
    const cid = first.readUInt32BE(0);
    const cmd = first[4]! & 0x7f;
    const len = first.readUInt16BE(5);
    const parts = [first.subarray(7, 7 + Math.min(len, 57))];
    let got = parts[0]!.length;
    for (let seq = 0; got < len; seq++) {
      const r = await this.next();
      assert.equal(r.readUInt32BE(0), cid);
      assert.equal(r[4], seq);
      const n = Math.min(len - got, 59);
      parts.push(r.subarray(5, 5 + n));
      got += n;
    }
    return { cid, cmd, data: Buffer.concat(parts) };
  }
  close(): void {
    this.sock.close();
  }
}

function init(cid: number, cmd: number, payload: Uint8Array, total = payload.length): Buffer {
  const r = Buffer.alloc(64);
  r.writeUInt32BE(cid >>> 0, 0);
  r[4] = cmd | 0x80;
  r.writeUInt16BE(total, 5);
  Buffer.from(payload.subarray(0, 57)).copy(r, 7);
  return r;
}

function cont(cid: number, seq: number, payload: Uint8Array): Buffer {
  const r = Buffer.alloc(64);
  r.writeUInt32BE(cid >>> 0, 0);
  r[4] = seq;
  Buffer.from(payload.subarray(0, 59)).copy(r, 5);
  return r;
}

async function setup() {
  const device = new Device({ clock: new SimClock({ startMs: T0 }), rngSeed: "udp" });
  const peer = await Peer.open();
  const bridge = await UdpBridge.open(device, { listenPort: 0, replyPort: peer.port });
  return { device, peer, bridge };
}

test("INIT and a multi-report PING travel over UDP; a 65-byte report with a report-ID byte is accepted", async () => {
  const { device, peer, bridge } = await setup();
  try {
    assert.notEqual(bridge.listenPort, 0, "an ephemeral port was chosen");
    assert.equal(bridge.describe(), `udp://127.0.0.1:${bridge.listenPort} -> 127.0.0.1:${peer.port}`);
    const nonce = Buffer.from("01234567");
    peer.send(bridge.listenPort, init(0xffffffff, 0x06, nonce));
    const m = await peer.message();
    assert.equal(m.cid, 0xffffffff);
    assert.equal(m.cmd, 0x06);
    assert.deepEqual(m.data.subarray(0, 8), nonce);
    const cid = m.data.readUInt32BE(8);

    const msg = Buffer.alloc(200).map((_, i) => (i * 13) & 0xff);
    peer.send(bridge.listenPort, Buffer.concat([Buffer.from([0]), init(cid, 0x01, msg, msg.length)])); // report ID 0 + 64
    for (let off = 57, seq = 0; off < msg.length; off += 59, seq++) peer.send(bridge.listenPort, cont(cid, seq, msg.subarray(off)));
    const echo = await peer.message();
    assert.deepEqual([echo.cid, echo.cmd], [cid, 0x01]);
    assert.deepEqual(echo.data, msg);
    assert.deepEqual(bridge.stats, { received: 5, sent: 5, dropped: 0 });
  } finally {
    await bridge.close();
    peer.close();
    device.dispose();
  }
});

test("datagrams that are not a report are dropped and counted; the device is not disturbed", async () => {
  const { device, peer, bridge } = await setup();
  try {
    const dropped: number[] = [];
    bridge.on("dropped", (n) => dropped.push(n));
    for (const n of [0, 1, 63, 66, 1000]) peer.send(bridge.listenPort, new Uint8Array(n).fill(0xff));
    peer.send(bridge.listenPort, init(0xffffffff, 0x06, Buffer.from("abcdefgh")));
    const m = await peer.message();
    assert.equal(m.cmd, 0x06);
    assert.deepEqual(dropped.sort((a, b) => a - b), [0, 1, 63, 66, 1000]);
    assert.equal(bridge.stats.dropped, 5);
    assert.equal(device.state, "on");
  } finally {
    await bridge.close();
    peer.close();
    device.dispose();
  }
});

test("a taken port is a clear PORT_IN_USE error; close frees it and stops forwarding", async () => {
  const { device, peer, bridge } = await setup();
  try {
    await assert.rejects(UdpBridge.open(device, { listenPort: bridge.listenPort, replyPort: peer.port }), (err: unknown) => {
      assert.ok(err instanceof UdpBridgeError);
      assert.equal(err.code, "PORT_IN_USE");
      assert.match(err.message, new RegExp(`UDP port ${bridge.listenPort} on 127\\.0\\.0\\.1 is already in use`));
      return true;
    });
    const port = bridge.listenPort;
    await bridge.close();
    await bridge.close(); // idempotent
    // Nothing goes out after close, even when the device sends (a WINK's answer, here in process).
    const sent = bridge.stats.sent;
    device.emit("hid", new Uint8Array(64));
    assert.equal(bridge.stats.sent, sent);
    const again = await UdpBridge.open(device, { listenPort: port, replyPort: peer.port });
    peer.send(port, init(0xffffffff, 0x06, Buffer.from("reopened")));
    assert.equal((await peer.message()).cmd, 0x06);
    await again.close();
  } finally {
    peer.close();
    device.dispose();
  }
});

test("bad ports are refused before anything is bound", async () => {
  const device = new Device({ clock: new SimClock({ startMs: T0 }) });
  try {
    for (const opts of [{ listenPort: -1 }, { listenPort: 70000 }, { replyPort: 0 }, { listenPort: 1.5 }]) {
      await assert.rejects(UdpBridge.open(device, opts), (e: unknown) => e instanceof UdpBridgeError && e.code === "BAD_OPTIONS");
    }
  } finally {
    device.dispose();
  }
});
