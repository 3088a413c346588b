// CTAPHID client against a scripted fake device: framing at every boundary up to 7609 bytes,
// INIT nonce matching, wrong-CID traffic, KEEPALIVE, CHANNEL_BUSY, CANCEL on abort, timeouts,
// malformed answers (always an error, never a hang).
import { test } from "vitest";
import { fakeTimeForEachTest, settle } from "./fake-time.js";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { CtapHidAssembler, encodeCtapHidMessage, MAX_MESSAGE_SIZE } from "../src/protocols/ctaphid/frame.js";
import { Ctap2Client } from "../src/protocols/ctap2/client.js";
import { isSeglError } from "../src/errors.js";
import { FakeHid, frames, u32, CBOR, CANCEL, ERROR, INIT, KEEPALIVE, PING, WINK, LOCK } from "./ctap-fake.js";

const echo = (dev: FakeHid) => (r: { cid: number; cmd: number; payload: Uint8Array }) => {
  if (r.cmd === PING) dev.reply(r.cid, PING, r.payload);
};

fakeTimeForEachTest();

function echoDevice(): FakeHid {
  const dev = new FakeHid();
  dev.onRequest = echo(dev);
  return dev;
}

test("framing: sizes at every packet boundary round-trip through the client encoder and an independent reader", () => {
  for (const n of [0, 1, 56, 57, 58, 116, 117, 118, 1024, 7550, 7551, MAX_MESSAGE_SIZE]) {
    const payload = new Uint8Array(randomBytes(n));
    const reports = encodeCtapHidMessage(0xcafebabe, CBOR, payload);
    assert.equal(reports.length, n <= 57 ? 1 : 1 + Math.ceil((n - 57) / 59), `n=${n}`);
    assert.deepEqual(reports, frames(0xcafebabe, CBOR, payload), `encoder vs independent framing, n=${n}`);
    reports.slice(1).forEach((r, i) => assert.equal(r[4], i));
    // and back, through the assembler
    const asm = new CtapHidAssembler(0xcafebabe);
    let got = null;
    for (const r of reports) got = asm.push(r) ?? got;
    assert.ok(got);
    assert.deepEqual(got.payload, payload);
  }
  assert.equal(encodeCtapHidMessage(1, PING, new Uint8Array(7609)).length, 129);
  assert.throws(() => encodeCtapHidMessage(1, PING, new Uint8Array(7610)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
});

test("open: INIT on broadcast with an 8-byte nonce; other nonces and other channels are ignored", async () => {
  const dev = new FakeHid();
  dev.onRequest = (r) => {
    if (r.cmd !== INIT) return;
    assert.equal(r.cid, 0xffffffff);
    assert.equal(r.payload.length, 8);
    dev.push(frames(0x11111111, PING, new Uint8Array(3))[0]!); // another channel's traffic
    dev.reply(0xffffffff, INIT, dev.initAnswer(new Uint8Array(8).fill(9), 0x0badcafe)); // someone else's INIT
    dev.reply(0xffffffff, INIT, dev.initAnswer(r.payload, 0x0a0b0c0d));
    return true;
  };
  const c = await CtapHidClient.open(dev, { timeoutMs: 1000 });
  assert.equal(c.cid, 0x0a0b0c0d);
  assert.deepEqual(c.info.deviceVersion, { major: 1, minor: 2, build: 3 });
  assert.equal(c.info.protocolVersion, 2);
  assert.deepEqual(c.info.capabilities, { wink: true, cbor: true, nmsg: false, raw: 5 });
});

test("open: a device that never answers INIT times out", async () => {
  const dev = new FakeHid(() => true);
  const t0 = Date.now();
  await assert.rejects(settle(CtapHidClient.open(dev, { initTimeoutMs: 80 })), (e) => isSeglError(e, "TIMEOUT"));
  assert.equal(Date.now() - t0, 80);
});

test("ping: a 7609-byte message both ways, and 7610 bytes refused before sending", async () => {
  const dev = echoDevice();
  const c = await CtapHidClient.open(dev);
  const data = new Uint8Array(randomBytes(MAX_MESSAGE_SIZE));
  const before = dev.sent.length;
  assert.deepEqual(await c.ping(data), data);
  assert.equal(dev.sent.length - before, 129);
  await assert.rejects(c.ping(new Uint8Array(7610)), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.equal(dev.sent.length - before, 129);
});

test("answer interleaved with other channels' reports and stray continuations", async () => {
  const dev = new FakeHid();
  dev.onRequest = (r) => {
    if (r.cmd !== PING) return;
    const mine = frames(r.cid, PING, r.payload);
    const theirs = frames(0x77777777, PING, new Uint8Array(200).fill(7));
    dev.push(frames(r.cid, PING, new Uint8Array(100))[1]!); // a continuation with no message under way
    for (let i = 0; i < Math.max(mine.length, theirs.length); i++) {
      if (theirs[i]) dev.push(theirs[i]!);
      if (mine[i]) dev.push(mine[i]!);
    }
  };
  const c = await CtapHidClient.open(dev);
  const data = new Uint8Array(randomBytes(300));
  assert.deepEqual(await c.ping(data), data);
});

test("KEEPALIVE: status changes reach onStatus once each, then the answer", async () => {
  const dev = new FakeHid();
  dev.onRequest = (r) => {
    if (r.cmd !== CBOR) return;
    dev.keepalive(r.cid, 1);
    dev.keepalive(r.cid, 1);
    dev.keepalive(r.cid, 2);
    dev.keepalive(r.cid, 2);
    setTimeout(() => dev.reply(r.cid, CBOR, Uint8Array.of(0x00, 0xa0)), 30);
  };
  const c = await CtapHidClient.open(dev);
  const seen: string[] = [];
  const r = await settle(c.cbor(0x04, undefined, { onStatus: (s) => seen.push(s) }));
  assert.deepEqual(seen, ["processing", "up-needed"]);
  assert.equal(r.status, 0);
  assert.deepEqual(r.data, Uint8Array.of(0xa0));
});

test("CHANNEL_BUSY is retried until the device is free", async () => {
  const dev = new FakeHid();
  let busy = 2;
  dev.onRequest = (r) => {
    if (r.cmd !== PING) return;
    if (busy-- > 0) dev.error(r.cid, 0x06);
    else dev.reply(r.cid, PING, r.payload);
  };
  const c = await CtapHidClient.open(dev, { busyRetryMs: 20 });
  const t0 = Date.now();
  assert.deepEqual(await settle(c.ping(Uint8Array.of(1, 2, 3))), Uint8Array.of(1, 2, 3));
  assert.equal(Date.now() - t0, 40, "two waits of busyRetryMs");
  assert.equal(dev.requests.filter((q) => q.cmd === PING).length, 3);
});

test("CHANNEL_BUSY forever ends with TIMEOUT", async () => {
  const dev = new FakeHid();
  dev.onRequest = (r) => { if (r.cmd === PING) dev.error(r.cid, 0x06); };
  const c = await CtapHidClient.open(dev, { busyRetryMs: 10 });
  const t0 = Date.now();
  await assert.rejects(settle(c.ping(new Uint8Array(1), { timeoutMs: 120 })), (e) => isSeglError(e, "TIMEOUT"));
  assert.equal(Date.now() - t0, 120);
});

test("abort while waiting for a touch: CANCEL is sent on our channel, the call rejects ABORTED", async () => {
  const dev = new FakeHid();
  let timer: ReturnType<typeof setInterval> | undefined;
  let cancelled = false;
  dev.onRequest = (r) => {
    if (r.cmd === CBOR) {
      dev.keepalive(r.cid, 2);
      timer = setInterval(() => dev.keepalive(r.cid, 2), 20);
    }
    if (r.cmd === CANCEL) {
      clearInterval(timer);
      cancelled = true;
      dev.reply(r.cid, CBOR, Uint8Array.of(0x2d)); // CTAP2_ERR_KEEPALIVE_CANCEL
    }
  };
  const c = await CtapHidClient.open(dev);
  const ac = new AbortController();
  const p = c.cbor(0x01, new Map([[1, new Uint8Array(32)]]), { signal: ac.signal, onStatus: (s) => { if (s === "up-needed") setTimeout(() => ac.abort(), 30); } });
  await assert.rejects(settle(p), (e) => isSeglError(e, "ABORTED") && (e as Error).name === "AbortError");
  clearInterval(timer);
  assert.ok(cancelled);
  const cancel = dev.sent.find((s) => s[4] === (0x80 | CANCEL))!;
  assert.ok(cancel);
  assert.equal(u32(cancel), c.cid);
  assert.equal((cancel[5]! << 8) | cancel[6]!, 0);
  // The 0x2D answer was consumed: the next call gets its own answer.
  dev.onRequest = echo(dev);
  assert.deepEqual(await c.ping(Uint8Array.of(5)), Uint8Array.of(5));
});

test("timeouts: overall and idle; a timed-out CBOR call sends CANCEL", async () => {
  const dev = new FakeHid();
  let timer: ReturnType<typeof setInterval> | undefined;
  dev.onRequest = (r) => {
    if (r.cmd === CBOR && r.payload[0] === 0x01) timer = setInterval(() => dev.keepalive(r.cid, 1), 15);
    if (r.cmd === CANCEL) clearInterval(timer);
  };
  const c = await CtapHidClient.open(dev, { cancelWaitMs: 30 });
  const t0 = Date.now();
  await assert.rejects(settle(c.cbor(0x01, undefined, { timeoutMs: 100 })), (e) => isSeglError(e, "TIMEOUT"));
  clearInterval(timer);
  const overall = Date.now() - t0;
  assert.ok(overall >= 100 && overall <= 100 + 30, `the overall timeout, then at most cancelWaitMs for the CANCEL answer (${overall} ms)`);
  assert.ok(dev.sent.some((s) => s[4] === (0x80 | CANCEL)));
  // Silent device: the idle timeout fires well before the overall one.
  const t1 = Date.now();
  await assert.rejects(settle(c.cbor(0x04, undefined, { idleTimeoutMs: 60, timeoutMs: 10_000 })), (e) => isSeglError(e, "TIMEOUT"));
  const idle = Date.now() - t1;
  assert.ok(idle >= 60 && idle <= 60 + 30, `the idle timeout, not the overall one (${idle} ms)`);
});

test("malformed answers are BAD_RESPONSE / CTAPHID_ERROR, never a hang", async () => {
  type Script = (cid: number, dev: FakeHid, payload: Uint8Array) => void;
  const cases: Array<[string, Script, string]> = [
    ["continuation out of order", (cid, d) => { const f = frames(cid, PING, new Uint8Array(200)); d.push(f[0]!); d.push(f[2]!); }, "BAD_RESPONSE"],
    ["length beyond 7609", (cid, d) => { const f = frames(cid, PING, new Uint8Array(10)); f[0]![5] = 0xff; f[0]![6] = 0xff; d.push(f[0]!); }, "BAD_RESPONSE"],
    ["answer with another command", (cid, d) => d.reply(cid, WINK, new Uint8Array(0)), "BAD_RESPONSE"],
    ["new message mid-answer", (cid, d) => { d.push(frames(cid, PING, new Uint8Array(100))[0]!); d.reply(cid, PING, new Uint8Array(1)); }, "BAD_RESPONSE"],
    ["ERROR without a code", (cid, d) => d.reply(cid, ERROR, new Uint8Array(0)), "BAD_RESPONSE"],
    ["echo that differs", (cid, d, p) => d.reply(cid, PING, p.map((b) => b ^ 1)), "BAD_RESPONSE"],
    ["ERROR INVALID_LEN", (cid, d) => d.error(cid, 0x03), "CTAPHID_ERROR"],
    ["short reports", (cid, d) => d.push(frames(cid, ERROR, Uint8Array.of(0x7f))[0]!.slice(0, 8)), "CTAPHID_ERROR"],
  ];
  for (const [name, script, code] of cases) {
    const dev = new FakeHid();
    dev.onRequest = (r) => { if (r.cmd === PING) script(r.cid, dev, r.payload); };
    const c = await CtapHidClient.open(dev);
    await assert.rejects(settle(c.ping(Uint8Array.of(1, 2, 3), { timeoutMs: 500 })), (e) => isSeglError(e, code as "BAD_RESPONSE"), name);
  }
  const dev = new FakeHid();
  dev.onRequest = (r) => { if (r.cmd === PING) dev.error(r.cid, 0x03); };
  const c = await CtapHidClient.open(dev);
  await assert.rejects(c.ping(new Uint8Array(1)), (e) => isSeglError(e, "CTAPHID_ERROR") && e.details?.["ctaphidName"] === "INVALID_LEN");
  // CBOR: no status byte; status + garbage CBOR
  const d2 = new FakeHid();
  let n = 0;
  d2.onRequest = (r) => { if (r.cmd === CBOR) d2.reply(r.cid, CBOR, n++ === 0 ? new Uint8Array(0) : Uint8Array.of(0, 0xa1, 0x01)); };
  const c2 = await CtapHidClient.open(d2);
  await assert.rejects(c2.cbor(0x04), (e) => isSeglError(e, "BAD_RESPONSE"));
  await assert.rejects(new Ctap2Client(c2).getInfo(), (e) => isSeglError(e, "BAD_RESPONSE"));
});

test("INVALID_CHANNEL: the client allocates a new channel once and retries", async () => {
  const dev = new FakeHid();
  let first = true;
  dev.onRequest = (r) => {
    if (r.cmd === INIT) { dev.reply(r.cid, INIT, dev.initAnswer(r.payload, first ? 0x100 : 0x200)); first = false; return true; }
    if (r.cmd === PING) { if (r.cid === 0x100) dev.error(r.cid, 0x0b); else dev.reply(r.cid, PING, r.payload); }
    return true;
  };
  const c = await CtapHidClient.open(dev);
  assert.equal(c.cid, 0x100);
  assert.deepEqual(await c.ping(Uint8Array.of(9)), Uint8Array.of(9));
  assert.equal(c.cid, 0x200);
});

test("one transaction at a time: concurrent calls on one transport are serialised; wink and lock", async () => {
  const dev = new FakeHid();
  dev.onRequest = (r) => {
    if (r.cmd === PING) setTimeout(() => dev.reply(r.cid, PING, r.payload), 10);
    if (r.cmd === WINK || r.cmd === LOCK) dev.reply(r.cid, r.cmd, new Uint8Array(0));
  };
  const c = await CtapHidClient.open(dev);
  const msgs = [1, 2, 3, 4].map((i) => new Uint8Array(100).fill(i));
  const answers = await settle(Promise.all(msgs.map((m) => c.ping(m))));
  assert.deepEqual(answers, msgs);
  await c.wink();
  await c.lock(3);
  assert.deepEqual(dev.requests.at(-1)!.payload, Uint8Array.of(3));
  await assert.rejects(c.lock(11), (e) => isSeglError(e, "INVALID_ARGUMENT"));
  assert.equal(dev.requests.filter((r) => r.cmd === KEEPALIVE).length, 0);
});
