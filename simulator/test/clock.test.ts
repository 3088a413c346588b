import { test, vi, beforeEach, afterEach } from "vitest";
import assert from "node:assert/strict";
import { Device, SimClock, type ClockListener } from "../src/index.js";

class Alarm implements ClockListener {
  at: number | undefined;
  fired: number[] = [];
  constructor(private readonly clock: SimClock) {}
  set(at: number | undefined): void {
    this.at = at;
    this.clock.reschedule();
  }
  nextWakeWorldMs(): number | undefined {
    return this.at;
  }
  onTime(now: number): void {
    if (this.at !== undefined && now >= this.at) {
      this.fired.push(now);
      this.at = undefined;
    }
  }
}

// "real" mode reads Date.now and arms setTimeout: on vitest's fake timers the test decides when time
// passes, so every figure below is exact however loaded the machine is.
beforeEach(() => { vi.useFakeTimers({ now: 1_750_000_000_000 }); });
afterEach(() => { vi.useRealTimers(); });
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);

test("manual mode: time moves only by advance()/set(), wake-ups run in time order", async () => {
  const clock = new SimClock({ startMs: 1_000 });
  const a = new Alarm(clock), b = new Alarm(clock);
  clock.add(a); clock.add(b);
  a.set(1_050); b.set(1_020);
  await sleep(80); // real time passing changes nothing
  assert.equal(clock.now(), 1_000);
  assert.deepEqual([a.fired, b.fired], [[], []]);
  assert.equal(clock.armedAt, undefined, "no host timer in manual mode");
  clock.advance(100);
  assert.deepEqual([a.fired, b.fired], [[1_050], [1_020]]);
  assert.equal(clock.now(), 1_100);
  clock.set(500);
  assert.equal(clock.now(), 500);
});

test("real mode: the driver runs each wake-up on time and re-arms when wake-ups change", async () => {
  const clock = new SimClock({ mode: "real" });
  const a = new Alarm(clock), b = new Alarm(clock);
  clock.add(a); clock.add(b);
  const t0 = clock.now();
  a.set(t0 + 400);
  await sleep(0);
  assert.equal(clock.armedAt, t0 + 400);
  b.set(t0 + 40); // earlier: the timer must be re-armed
  await sleep(0);
  assert.equal(clock.armedAt, t0 + 40);
  await sleep(39);
  assert.deepEqual(b.fired, [], "never early");
  await sleep(81);
  assert.deepEqual(b.fired, [t0 + 40], "on time");
  assert.equal(a.fired.length, 0);
  assert.equal(clock.armedAt, t0 + 400);
  a.set(undefined); // cancelled: nothing armed
  await sleep(0);
  assert.equal(clock.armedAt, undefined);
  clock.remove(a); clock.remove(b);
});

test("real mode: advance() and set() move the world time, running what falls due", async () => {
  const clock = new SimClock({ mode: "real", startMs: 1_700_000_000_000 });
  assert.equal(clock.now(), 1_700_000_000_000);
  const a = new Alarm(clock);
  clock.add(a);
  a.set(clock.now() + 3_600_000);
  clock.advance(3_600_000);
  assert.equal(a.fired.length, 1);
  clock.set(1_800_000_000_000);
  assert.equal(clock.now(), 1_800_000_000_000);
  clock.stop();
});

test("a device on a real-time clock asks for its wake-up through the driver", async () => {
  const clock = new SimClock({ mode: "real" });
  const d = new Device({ clock });
  d.click(); // an unprovisioned/unready display shows a notice and asks to be woken to blank it
  await sleep(0);
  const wake = d.nextWakeWorldMs();
  assert.ok(wake !== undefined, "the display asked to be woken");
  assert.equal(clock.armedAt, wake);
  assert.notEqual(d.display, "");
  d.cutPower();
  await sleep(0);
  assert.equal(clock.armedAt, undefined, "a powered-off device wants no tick");
  d.dispose();
});

test("drift: nextWakeWorldMs never leaves the RTC short of the wake-up", () => {
  for (const ppm of [0, 1, -1, 37.5, -123.456, 5000, -999_999 + 0.5]) {
    const clock = new SimClock({ startMs: 1_700_000_000_123 });
    const d = new Device({ clock, driftPpm: ppm, rtcMs: 987_654_321 });
    d.click();
    const w = d.nextWakeWorldMs();
    assert.ok(w !== undefined);
    const rtcBefore = d.rtcMs();
    clock.set(w - 1);
    assert.notEqual(d.nextWakeWorldMs(), undefined, `ppm ${ppm}: not due a millisecond early`);
    clock.set(w);
    assert.equal(d.nextWakeWorldMs(), undefined, `ppm ${ppm}: the wake-up at ${w} was taken`);
    assert.equal(d.display, "");
    assert.ok(d.rtcMs() > rtcBefore);
    d.dispose();
  }
});
