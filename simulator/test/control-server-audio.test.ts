// The control API of an audio reader: what it said as a clip timeline (matched against its voice
// pack) and as a WAV file, clearing it, and the headset.
import { test } from "vitest";
import assert from "node:assert/strict";
import { Simulator, startControlServer, loadVoicePackFile, readWav, READER_KEYS, type Spoken } from "../src/index.js";

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("HTTP: GET /audio is the clip timeline, /audio.wav the WAV, DELETE clears it; POST /headset; a display has none", async () => {
  const sim = new Simulator({ startMs: 1_800_000_000_000 });
  const reader = sim.add({ name: "reader", voice: loadVoicePackFile() });
  sim.add({ name: "disp" });
  const srv = await startControlServer(sim);
  try {
    // A blank reader says "not activated" (its model is known by its voice region).
    await post(`${srv.url}/devices/reader/button`, { action: "click", id: READER_KEYS.main });
    await post(`${srv.url}/clock/advance`, { ms: 3000 });
    const said = (await (await fetch(`${srv.url}/devices/reader/audio`)).json()) as Spoken & { name: string };
    assert.deepEqual(said.clips, ["not_activated"]);
    assert.equal(said.items[0]!.kind, "clip");
    assert.deepEqual(said.items[0]!.languages, ["da"]);
    assert.equal(said.output, "speaker");
    const wavRes = await fetch(`${srv.url}/devices/reader/audio.wav`);
    assert.equal(wavRes.headers.get("content-type"), "audio/wav");
    const wav = readWav(new Uint8Array(await wavRes.arrayBuffer()));
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.samples.length, reader.audio.pcm().length);
    assert.ok(Math.abs((wav.samples.length / 8) - said.durationMs) < 1);

    assert.deepEqual(await (await fetch(`${srv.url}/devices/reader/audio`, { method: "DELETE" })).json(), { name: "reader", cleared: true });
    assert.deepEqual(((await (await fetch(`${srv.url}/devices/reader/audio`)).json()) as Spoken).clips, []);

    assert.deepEqual(await (await post(`${srv.url}/devices/reader/headset`, { plugged: true })).json(), { name: "reader", output: "headset" });
    await post(`${srv.url}/clock/advance`, { ms: 3000 });
    const h = (await (await fetch(`${srv.url}/devices/reader/audio`)).json()) as Spoken;
    assert.deepEqual(h.clips, ["headset"]);
    assert.equal(h.output, "headset");
    assert.equal((await post(`${srv.url}/devices/reader/headset`, { plugged: "yes" })).status, 400);

    const none = await fetch(`${srv.url}/devices/disp/audio`);
    assert.equal(none.status, 404);
    assert.match(((await none.json()) as { error: string }).error, /no audio output/);
    assert.equal((await post(`${srv.url}/devices/disp/headset`, { plugged: true })).status, 404);
  } finally {
    await srv.close();
    sim.close();
  }
});

test("HTTP: POST /battery sets the charge hal.battery_level reports; anything but a whole percent 0..100 is a 400", async () => {
  const sim = new Simulator({ startMs: 1_800_000_000_000 });
  const reader = sim.add({ name: "reader", voice: loadVoicePackFile() });
  const srv = await startControlServer(sim);
  try {
    assert.equal(reader.battery, 100, "full until set");
    assert.deepEqual(await (await post(`${srv.url}/devices/reader/battery`, { percent: 12 })).json(), { name: "reader", battery: 12 });
    assert.equal(reader.battery, 12);
    for (const percent of [101, -1, 12.5, "12"]) {
      assert.equal((await post(`${srv.url}/devices/reader/battery`, { percent })).status, 400, String(percent));
    }
    assert.equal(reader.battery, 12);
  } finally {
    await srv.close();
    sim.close();
  }
});
