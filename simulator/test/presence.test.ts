// User-presence policies against the real firmware: a chip parks a CTAP2 request that needs a
// touch (KEEPALIVE UPNEEDED + LED) and answers U2F with 0x6985 until touched.
import { test } from "vitest";
import assert from "node:assert/strict";
import {
  Device, SimClock, attachPresence, provisionChip, type PresenceRequest,
} from "../src/index.js";

const T0 = Date.UTC(2030, 0, 1);
const SELECTION = 0x0b; // authenticatorSelection: needs a touch, nothing else
const OK = 0x00, USER_ACTION_TIMEOUT = 0x2f, KEEPALIVE_CANCEL = 0x2d;

interface Msg { cid: number; cmd: number; data: Uint8Array }

/** In-process CTAPHID host: reassembles the chip's messages, keepalives apart. */
class Host {
  readonly messages: Msg[] = [];
  keepalives = 0;
  cid = 0;
  private cur: { cid: number; cmd: number; data: Uint8Array; got: number } | undefined;
  constructor(readonly device: Device) {
    device.on("hid", (r) => {
      const v = new DataView(r.buffer, r.byteOffset);
      if (r[4]! & 0x80) {
        if (r[4] === 0xbb) { this.keepalives++; return; }
        const len = v.getUint16(5);
        this.cur = { cid: v.getUint32(0), cmd: r[4]! & 0x7f, data: new Uint8Array(len), got: Math.min(len, 57) };
        this.cur.data.set(r.subarray(7, 7 + this.cur.got));
      } else if (this.cur) {
        const n = Math.min(this.cur.data.length - this.cur.got, 59);
        this.cur.data.set(r.subarray(5, 5 + n), this.cur.got);
        this.cur.got += n;
      }
      if (this.cur && this.cur.got === this.cur.data.length) { this.messages.push(this.cur); this.cur = undefined; }
    });
    this.cid = 0xffffffff;
    this.send(0x06, new Uint8Array(8));
    this.cid = new DataView(this.messages.at(-1)!.data.buffer).getUint32(8);
  }
  send(cmd: number, msg: Uint8Array): void {
    const chunks = [msg.subarray(0, 57)];
    for (let off = 57; off < msg.length; off += 59) chunks.push(msg.subarray(off, off + 59));
    chunks.forEach((c, i) => {
      const r = new Uint8Array(64);
      const v = new DataView(r.buffer);
      v.setUint32(0, this.cid >>> 0);
      if (i === 0) { r[4] = cmd | 0x80; v.setUint16(5, msg.length); r.set(c, 7); } else { r[4] = i - 1; r.set(c, 5); }
      this.device.hidWrite(r);
    });
  }
  last(): Msg | undefined {
    return this.messages.at(-1);
  }
  /** CTAP2 authenticatorSelection; returns how many messages there were before. */
  selection(): number {
    const n = this.messages.length;
    this.send(0x10, new Uint8Array([SELECTION]));
    return n;
  }
  answerAfter(n: number): Msg | undefined {
    return this.messages[n];
  }
  /** U2F REGISTER (extended APDU): the status word of the answer. */
  u2fRegister(): number {
    const apdu = new Uint8Array(7 + 64 + 2);
    apdu.set([0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x40]);
    apdu.fill(0x11, 7, 7 + 64);
    const n = this.messages.length;
    this.send(0x03, apdu);
    const m = this.messages[n]!;
    assert.equal(m.cmd, 0x03);
    return (m.data[m.data.length - 2]! << 8) | m.data[m.data.length - 1]!;
  }
}

function chip(seed: string) {
  const clock = new SimClock({ startMs: T0 });
  const device = new Device({ clock, rngSeed: seed });
  provisionChip(device, { serial: `T-${seed}` });
  return { clock, device, host: new Host(device) };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test("accept: the first UPNEEDED keepalive is answered by a press; the request completes", async () => {
  const { device, host, clock } = chip("accept");
  const up = attachPresence(device, "accept");
  const seen: PresenceRequest[] = [];
  up.on("request", (r) => seen.push(r));
  const n = host.selection();
  assert.equal(host.keepalives, 1, "the chip asked for a touch");
  assert.equal(device.led, true);
  assert.equal(host.answerAfter(n), undefined, "parked");
  await tick();
  const m = host.answerAfter(n)!;
  assert.deepEqual([m.cmd, ...m.data], [0x10, OK]);
  assert.equal(device.led, false);
  assert.deepEqual([up.requests, up.presses, seen[0]!.kind, seen[0]!.cid], [1, 1, "ctap2", host.cid]);
  assert.equal(clock.now(), T0, "no time had to pass");
  up.detach();
  device.dispose();
});

test("deny on a manual clock: the request times out at once (USER_ACTION_TIMEOUT after 30 s of world time)", async () => {
  const { device, host, clock } = chip("deny");
  const up = attachPresence(device, "deny");
  const n = host.selection();
  await tick();
  const m = host.answerAfter(n)!;
  assert.deepEqual([m.cmd, ...m.data], [0x10, USER_ACTION_TIMEOUT]);
  assert.ok(clock.now() - T0 >= 30_000 && clock.now() - T0 <= 31_000, `clock moved ${clock.now() - T0} ms`);
  assert.ok(host.keepalives >= 290, "keepalives every 100 ms meanwhile");
  assert.equal(up.presses, 0);
  assert.equal(device.led, false);
  // fastDeny off: nothing happens until someone moves the clock.
  up.detach();
  const slow = attachPresence(device, "deny", { fastDeny: false });
  const k = host.selection();
  await tick();
  assert.equal(host.answerAfter(k), undefined);
  clock.advance(30_000);
  assert.deepEqual([...host.answerAfter(k)!.data], [USER_ACTION_TIMEOUT]);
  slow.detach();
  device.dispose();
});

test("manual: the driver only reports; the button (or Enter) answers", async () => {
  const { device, host } = chip("manual");
  const up = attachPresence(device, "manual");
  const decisions: unknown[] = [];
  up.on("decision", (_r, d) => decisions.push(d));
  const n = host.selection();
  await tick();
  assert.equal(host.answerAfter(n), undefined);
  assert.equal(up.waiting, true);
  assert.deepEqual(decisions, ["manual"]);
  device.click();
  assert.deepEqual([...host.answerAfter(n)!.data], [OK]);
  assert.equal(up.waiting, false);
  assert.equal(up.presses, 0);
  up.detach();
  device.dispose();
});

test("a script decides per request: a delay runs on the device's clock; a press later than 30 s never comes", async () => {
  const { device, host, clock } = chip("script");
  const plan: ("accept" | "deny" | number)[] = [5_000, 45_000, "accept"];
  const asked: string[] = [];
  const up = attachPresence(device, (req) => { asked.push(req.kind); return plan.shift()!; });
  let n = host.selection();
  await tick();
  clock.advance(4_999);
  assert.equal(host.answerAfter(n), undefined, "not yet");
  clock.advance(1);
  assert.deepEqual([...host.answerAfter(n)!.data], [OK], "pressed after 5 s of world time");

  n = host.selection();
  clock.advance(30_000);
  assert.deepEqual([...host.answerAfter(n)!.data], [USER_ACTION_TIMEOUT]);
  const presses = up.presses;
  clock.advance(20_000);
  assert.equal(up.presses, presses, "the late press was dropped with its request");

  n = host.selection();
  await tick();
  assert.deepEqual([...host.answerAfter(n)!.data], [OK]);
  assert.deepEqual(asked, ["ctap2", "ctap2", "ctap2"]);
  assert.throws(() => up.setPolicy("sometimes" as never), /presence policy/);
  up.detach();
  device.dispose();
});

test("CANCEL ends a wait: a scheduled press is dropped", async () => {
  const { device, host, clock } = chip("cancel");
  const up = attachPresence(device, () => 2_000);
  const n = host.selection();
  host.send(0x11, new Uint8Array(0));
  assert.deepEqual([...host.answerAfter(n)!.data], [KEEPALIVE_CANCEL]);
  clock.advance(5_000);
  assert.equal(up.presses, 0);
  up.detach();
  device.dispose();
});

test("U2F: a 0x6985 answer is a request; accept latches a touch that the next poll uses", async () => {
  const { device, host } = chip("u2f");
  const kinds: string[] = [];
  const up = attachPresence(device, (r) => { kinds.push(r.kind); return "accept"; });
  const sw1 = host.u2fRegister();
  if (sw1 === 0x6d00) { up.detach(); device.dispose(); return; } // an image without U2F yet
  assert.equal(sw1, 0x6985);
  await tick();
  assert.equal(host.u2fRegister(), 0x9000, "the poll after the touch registers");
  assert.equal(host.u2fRegister(), 0x6985, "a touch is used once");
  assert.deepEqual(kinds, ["u2f", "u2f"]);
  up.detach();
  device.dispose();
});

test("WINK blinks the LED but is no request; detach stops the driver", async () => {
  const { device, host, clock } = chip("wink");
  const up = attachPresence(device, "accept");
  host.send(0x08, new Uint8Array(0));
  clock.advance(1_500);
  assert.equal(up.requests, 0);
  up.detach();
  const n = host.selection();
  await tick();
  assert.equal(host.answerAfter(n), undefined, "nobody presses after detach");
  assert.equal(up.requests, 0);
  device.dispose();
});
