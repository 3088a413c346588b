// The CTAPHID/CTAP2 client against the real firmware image in the simulator, provisioned as a
// chip over the UART service protocol.
import { test, type TestContext } from "vitest";
import assert from "node:assert/strict";
import { randomBytes, createHash } from "node:crypto";
import { Device, SimClock } from "@segl/simulator";
import { MemoryTransport, ServiceClient, isSeglError } from "../src/index.js";
import { HidMemoryTransport } from "../src/transport/hid-memory.js";
import { CtapHidClient } from "../src/protocols/ctaphid/client.js";
import { Ctap2Client, type Ctap2Info } from "../src/protocols/ctap2/client.js";
import { ClientPin, PinPermission } from "../src/protocols/ctap2/client-pin.js";

async function chip(t: TestContext): Promise<{ dev: Device; clock: SimClock; hid: CtapHidClient } | undefined> {
  const clock = new SimClock({ startMs: Date.UTC(2025, 0, 1) });
  const dev = new Device({ clock, rngSeed: "ctap-device-test" });
  t.onTestFinished(() => dev.dispose());
  const svc = new ServiceClient(new MemoryTransport(dev), { timeoutMs: 500, retries: 0 });
  await svc.provision({ model: "chip", algorithm: "SHA256", digits: 6, period: 30, serial: "CHIP-1", seed: new Uint8Array(randomBytes(32)) });
  const transport = new HidMemoryTransport(dev);
  t.onTestFinished(() => transport.close());
  const hid = await CtapHidClient.open(transport, { timeoutMs: 500 });
  return { dev, clock, hid };
}

async function ctap2Info(_t: TestContext, ctap: Ctap2Client): Promise<Ctap2Info> {
  return ctap.getInfo({ timeoutMs: 1000 });
}

test("CTAPHID on the simulated chip: INIT, 7609-byte PING, WINK, LOCK, a second channel", async (t) => {
  const c = await chip(t);
  if (!c) return;
  const { hid, dev } = c;
  assert.notEqual(hid.cid, 0);
  assert.notEqual(hid.cid, 0xffffffff);
  assert.equal(hid.info.protocolVersion, 2);
  assert.ok(hid.info.capabilities.cbor && hid.info.capabilities.wink);
  const data = new Uint8Array(randomBytes(7609));
  assert.deepEqual(await hid.ping(data), data);
  await hid.wink();
  await hid.lock(1);
  await hid.lock(0);
  // A second client on its own transport gets another channel and works alongside.
  const t2 = new HidMemoryTransport(dev);
  t.onTestFinished(() => t2.close());
  const other = await CtapHidClient.open(t2);
  assert.notEqual(other.cid, hid.cid);
  assert.deepEqual(await other.ping(Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2, 3));
  assert.deepEqual(await hid.ping(Uint8Array.of(4)), Uint8Array.of(4));
});

test("CTAP2 on the simulated chip: getInfo, makeCredential with a touch, getAssertion, abort → CANCEL", async (t) => {
  const c = await chip(t);
  if (!c) return;
  const ctap = new Ctap2Client(c.hid);
  const info = await ctap2Info(t, ctap);
  if (!info) return;
  assert.ok(info.versions.includes("FIDO_2_0") || info.versions.includes("FIDO_2_1"), String(info.versions));
  assert.equal(info.aaguid.length, 16);
  const cdh = new Uint8Array(createHash("sha256").update("client data").digest());
  const statuses: string[] = [];
  const att = await ctap.makeCredential(
    { clientDataHash: cdh, rp: { id: "example.com", name: "Example" }, user: { id: Uint8Array.of(1, 2), name: "ann" } },
    { timeoutMs: 5000, onStatus: (s) => { statuses.push(s); if (s === "up-needed") setTimeout(() => c.dev.click(), 5); } },
  );
  assert.ok(statuses.includes("up-needed"));
  assert.equal(att.fmt.length > 0, true);
  assert.deepEqual(att.parsedAuthData.rpIdHash, new Uint8Array(createHash("sha256").update("example.com").digest()));
  assert.ok(att.parsedAuthData.flags.up && att.parsedAuthData.flags.at);
  const as = await ctap.getAssertion(
    { rpId: "example.com", clientDataHash: cdh, allowList: [{ type: "public-key", id: att.credentialId }] },
    { timeoutMs: 5000, onStatus: (s) => { if (s === "up-needed") setTimeout(() => c.dev.click(), 5); } },
  );
  assert.deepEqual(as.credential.id, att.credentialId);
  assert.ok(as.signature.length > 8);
  // Abort while the chip waits for a touch: the client sends CANCEL; the chip is usable after.
  const ac = new AbortController();
  await assert.rejects(
    ctap.makeCredential({ clientDataHash: cdh, rp: { id: "example.com" }, user: { id: Uint8Array.of(3) } }, {
      signal: ac.signal, onStatus: (s) => { if (s === "up-needed") setTimeout(() => ac.abort(), 5); },
    }),
    (e) => isSeglError(e, "ABORTED"),
  );
  assert.ok((await ctap.getInfo()).versions.length > 0);
});

test("clientPIN on the simulated chip: set a PIN, get a token, wrong PIN counts down", async (t) => {
  const c = await chip(t);
  if (!c) return;
  const ctap = new Ctap2Client(c.hid);
  const info = await ctap2Info(t, ctap);
  if (!info) return;
  assert.notEqual(info.options["clientPin"], undefined, "the chip offers clientPin");
  assert.ok(info.pinUvAuthProtocols.length > 0, "getInfo lists no pinUvAuthProtocols");
  let tested = 0;
  for (const v of info.pinUvAuthProtocols.filter((p) => p === 1 || p === 2) as Array<1 | 2>) {
    const pin = new ClientPin(ctap, v);
    if (info.options["clientPin"] === false && v === info.pinUvAuthProtocols[0]) await pin.setPin("1234");
    const before = (await pin.getRetries()).retries;
    await assert.rejects(pin.getPinToken("9999"), (e) => isSeglError(e, "CTAP_ERROR") && e.details?.["ctapName"] === "CTAP2_ERR_PIN_INVALID" && e.details?.["retries"] === before - 1);
    const token = await pin.getPinUvAuthToken("1234", PinPermission.MAKE_CREDENTIAL, "example.com");
    assert.ok(token.token.length === 32 || token.token.length === 16);
    assert.equal((await pin.getRetries()).retries, before);
    tested++;
  }
  assert.ok(tested > 0);
});
