// UdpTransport against a fake device on local UDP ports (ephemeral, not 8111/7112): one report
// per datagram, the whole CTAPHID stack on top, and a taken port reported as DEVICE_BUSY.
import { test } from "vitest";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { UdpTransport } from "../src/transport/udp.js";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { CtapHidAssembler, encodeCtapHidMessage } from "../src/protocols/ctaphid/frame.js";
import { isSeglError } from "../src/errors.js";

test("CTAPHID INIT and a 7609-byte PING over UDP to a fake device", async () => {
  const dev = createSocket("udp4");
  await new Promise<void>((r) => dev.bind(0, "127.0.0.1", r));
  const devicePort = dev.address().port;
  const sizes: number[] = [];
  const assemblers = new Map<number, CtapHidAssembler>();
  dev.on("message", (msg, from) => {
    sizes.push(msg.length);
    const cid = msg.readUInt32BE(0);
    let asm = assemblers.get(cid);
    if (!asm) { asm = new CtapHidAssembler(cid); assemblers.set(cid, asm); }
    const m = asm.push(new Uint8Array(msg));
    if (!m) return;
    let out: Uint8Array[];
    if (m.cmd === 0x06) {
      const a = new Uint8Array(17);
      a.set(m.payload);
      a.set([0, 0, 0x42, 0x42, 2, 1, 0, 0, 5], 8);
      out = encodeCtapHidMessage(cid, 0x06, a);
    } else out = encodeCtapHidMessage(cid, m.cmd, m.payload);
    for (const r of out) dev.send(r, from.port, from.address);
  });
  const t = await UdpTransport.open({ devicePort, hostPort: 0 });
  try {
    assert.ok(t.localPort > 0);
    const c = await CtapHidClient.open(t);
    assert.equal(c.cid, 0x4242);
    const data = new Uint8Array(randomBytes(7609));
    assert.deepEqual(await c.ping(data, { timeoutMs: 3000 }), data);
    assert.ok(sizes.every((s) => s === 64));
  } finally {
    await t.close();
    dev.close();
  }
  await assert.rejects(t.send(new Uint8Array(64)), (e) => isSeglError(e, "CLOSED"));
});

test("a host port already bound is DEVICE_BUSY; silence is TIMEOUT", async () => {
  const a = await UdpTransport.open({ devicePort: 9, hostPort: 0 });
  try {
    await assert.rejects(UdpTransport.open({ devicePort: 9, hostPort: a.localPort }), (e) => isSeglError(e, "DEVICE_BUSY"));
    await assert.rejects(a.receive({ timeoutMs: 30 }), (e) => isSeglError(e, "TIMEOUT"));
  } finally {
    await a.close();
  }
  await assert.rejects(UdpTransport.open({ devicePort: 0 }), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});
