import { test } from "vitest";
import assert from "node:assert/strict";
import { once } from "node:events";
import { SerialPortStream } from "@serialport/stream";
import { Simulator, SimBinding, registerSerialDevice, unregisterSerialDevice } from "../src/index.js";
import { EchoEndpoint, frame, parseFrame, CMD_PING } from "./helpers.js";

async function readUntil(port: SerialPortStream, done: (b: Buffer) => boolean, ms = 2000): Promise<Buffer> {
  let got = Buffer.alloc(0);
  const timer = setTimeout(() => port.emit("error", new Error(`timeout; got ${got.toString("hex")}`)), ms);
  try {
    while (!done(got)) {
      const [chunk] = (await once(port, "data")) as [Buffer];
      got = Buffer.concat([got, chunk]);
    }
    return got;
  } finally {
    clearTimeout(timer);
  }
}

test("SerialPortStream over SimBinding: PING round trip with the real firmware", async () => {
  const sim = new Simulator();
  sim.add({ name: "disp1" });
  const list = await SimBinding.list();
  assert.ok(list.some((p) => p.path === "sim:disp1" && p.serialNumber === "disp1"));
  const port = new SerialPortStream({ binding: SimBinding, path: "sim:disp1", baudRate: 115200 });
  await once(port, "open");
  for (let seq = 1; seq <= 3; seq++) {
    const payload = new Uint8Array([seq, 0xaa, 0x55, 0x00]);
    port.write(Buffer.from(frame(CMD_PING, seq, payload)));
    const got = await readUntil(port, (b) => parseFrame(b) !== undefined);
    const f = parseFrame(got)!;
    assert.equal(f.type, CMD_PING | 0x80);
    assert.equal(f.seq, seq);
    assert.deepEqual([...f.payload], [0x00, ...payload], "status OK, then the payload echoed");
  }
  port.close();
  await once(port, "close");
  sim.close();
});

test("binding contract: ≥1 byte per read, canceled pending read on close, lock, flush, update", async () => {
  const ep = new EchoEndpoint();
  registerSerialDevice("echo1", ep);
  try {
    await assert.rejects(SimBinding.open({ path: "sim:nobody", baudRate: 9600 }), /no simulated device at sim:nobody/);
    await assert.rejects(SimBinding.open({ path: "/dev/ttyS0", baudRate: 9600 }), /"path" must be/);
    await assert.rejects(SimBinding.open({ path: "sim:echo1", baudRate: 0 }), /baudRate/);
    const port = await SimBinding.open({ path: "sim:echo1", baudRate: 9600 });
    assert.equal(port.openOptions.dataBits, 8);
    assert.equal(port.openOptions.lock, true);
    await assert.rejects(SimBinding.open({ path: "sim:echo1", baudRate: 9600 }), /locked/);

    // A read waits for data, then returns at most `length` bytes; the rest waits for the next read.
    const buf = Buffer.alloc(16);
    const pending = port.read(buf, 2, 4);
    await port.write(Buffer.from("hi"));
    const r1 = await pending;
    assert.equal(r1.bytesRead, 4);
    assert.equal(buf.subarray(2, 6).toString(), "echo");
    const r2 = await port.read(buf, 0, 16);
    assert.equal(buf.subarray(0, r2.bytesRead).toString(), ":hi");
    assert.equal(ep.received.length, 1);

    await port.update({ baudRate: 115200 });
    assert.deepEqual(await port.getBaudRate(), { baudRate: 115200 });
    await port.write(Buffer.from("x"));
    await port.flush();
    assert.equal(port.bufferedBytes, 0);

    const waiting = port.read(buf, 0, 1);
    await port.close();
    await assert.rejects(waiting, (e: { canceled?: boolean }) => e.canceled === true);
    assert.equal(port.isOpen, false);
    await assert.rejects(port.write(Buffer.from("x")), (e: { canceled?: boolean }) => e.canceled === true);
    // The lock went with the close.
    const again = await SimBinding.open({ path: "sim:echo1", baudRate: 9600, lock: false });
    await again.close();
  } finally {
    unregisterSerialDevice("echo1");
  }
});

test("removing the device disconnects an open stream", async () => {
  const sim = new Simulator();
  sim.add({ name: "gone" });
  const port = new SerialPortStream({ binding: SimBinding, path: "sim:gone", baudRate: 115200 });
  await once(port, "open");
  port.on("data", () => {});
  const closed = once(port, "close");
  sim.remove("gone");
  const [err] = (await closed) as [{ disconnected?: boolean } | null];
  assert.equal(err?.disconnected, true);
  sim.close();
});
