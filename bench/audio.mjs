// The audio code reader in the image (issue 11): how long from a press to the first sample the
// image hands the DAC, what producing a second of speech costs inside the image (decoding, speed
// change, volume, the HAL's frame copies), and — from the simulator's clip timeline, i.e. device
// time, not host time — how long a user waits for the first digit and for the whole code, per
// language and speed.
import { Device, SimClock, loadVoicePackFile, spokenTimeline, READER_KEYS } from "@segl/simulator";
import { MemoryTransport, ServiceClient } from "@segl/host-sdk";
import { provisionDevice } from "@segl/host-sdk/provision";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const clock = new SimClock({ startMs: T0 });
const device = new Device({ clock, voice: loadVoicePackFile(), guardChecks: false });
const t = new MemoryTransport(device);
await provisionDevice(new ServiceClient(t), { model: "audio-reader", algorithm: "SHA1", digits: 6, period: 30, serial: "BENCH-1", timeMs: clock.now() });
await t.close();
const K = READER_KEYS;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. Press → first sample handed to hal.audio_write (host time, inside the button export).
let firstAt = 0;
device.on("audio", () => { if (firstAt === 0) firstAt = performance.now(); });
const lat = [];
for (let i = 0; i < 400; i++) {
  clock.set(T0 + 60_000 + (i % 7) * 30_000); // several codes
  firstAt = 0;
  const t0 = performance.now();
  device.click(K.main);
  if (i >= 50) lat.push(firstAt - t0);
  device.click(K.main); // interrupt
}
console.log("\n## Audio code reader: press to first sample, and the cost of speech in the image\n");
console.log(`Press → first sample (the button export: code, index CRC, clip entry + CRC, ADPCM decode of "your code is", first 32 ms frame): median **${(median(lat) * 1000).toFixed(0)} µs**, p90 ${(lat.sort((a, b) => a - b)[Math.floor(lat.length * 0.9)] * 1000).toFixed(0)} µs (${lat.length} presses)\n`);

// 2. Host time spent in the image per second of speech produced, at each speed.
console.log("| speed | host ms per s of speech (image + HAL) | × real time |");
console.log("|---|---:|---:|");
const speeds = [["0.75×", 0], ["1× (default)", 1], ["1.25×", 2], ["1.5×", 3]];
const setSpeed = (level) => {
  for (let i = 0; i < 3; i++) { device.click(K.speedDown); clock.advance(3000); }
  for (let i = 0; i < level; i++) { device.click(K.speedUp); clock.advance(3000); }
};
/** The code of step `r` after `base`, spoken whole (9 s of device time); returns the host ms it took. */
const speak = (base, r) => {
  clock.set(T0 + base + r * 30_000);
  device.audio.clear();
  const t0 = performance.now();
  device.click(K.main);
  clock.advance(9000);
  return performance.now() - t0;
};
for (const [name, level] of speeds) {
  setSpeed(level);
  const costs = [];
  for (let r = 0; r < 15; r++) {
    const host = speak(600_000, r);
    const secs = device.audio.pcm().length / 8000;
    costs.push(host / secs);
  }
  console.log(`| ${name} | ${median(costs).toFixed(2)} | ${(1000 / median(costs)).toFixed(0)}× |`);
}

// 3. Device time, from the timeline of clips matched in the output.
console.log("\n| language | speed | press → \"your code is\" starts | press → first digit | press → last digit ends (whole code) |");
console.log("|---|---|---:|---:|---:|");
for (const lang of ["da", "en"]) {
  for (const [name, level] of speeds) {
    setSpeed(level);
    const rows = [];
    for (let r = 0; r < 5; r++) {
      speak(1_200_000, r);
      const s = spokenTimeline(device, { languages: [lang] });
      const clips = s.items.filter((i) => i.kind === "clip");
      if (clips.length !== 7 || clips[0].name !== "your_code_is") throw new Error(`${lang} ${name}: heard ${s.clips.join(" ")}`);
      rows.push([clips[0].startMs, clips[1].startMs, clips[6].endMs]);
    }
    const m = (k) => median(rows.map((x) => x[k]));
    console.log(`| ${lang} | ${name} | ${m(0).toFixed(0)} ms | ${m(1).toFixed(0)} ms | ${(m(2) / 1000).toFixed(2)} s |`);
  }
  device.click(K.language); // then English
  clock.advance(3000);
}
