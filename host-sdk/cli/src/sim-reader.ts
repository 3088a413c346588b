// `segl sim audio-reader`: the parts only the audio code reader has. A reader leaves the "factory"
// provisioned (a fresh random seed, its clock set, locked) unless --blank; `--out FILE` presses
// its keys once, lets it speak, writes what it said as a WAV file and prints the clips found in it
// (matched against its voice pack, not taken from the firmware); `--play` plays it.
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  READER_KEYS, spokenTimeline, spokenWav, type Device, type Simulator,
} from "@segl/simulator";
import { MemoryTransport, ServiceClient } from "@segl/host-sdk/device";
import { provisionDevice } from "@segl/host-sdk/provision";
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliContext } from "./common.js";
import { findPlayer, noPlayerMessage, playFile } from "./player.js";

export type ReaderKey = keyof typeof READER_KEYS;
export const READER_KEY_NAMES = Object.keys(READER_KEYS) as ReaderKey[];

/** "main,language" → key names; a bad name is a usage error. */
export function parseKeys(text: string): ReaderKey[] {
  const keys = text.split(",").map((k) => k.trim()).filter((k) => k !== "");
  for (const k of keys) if (!(READER_KEY_NAMES as string[]).includes(k)) throw new UsageError(`--keys: unknown key ${JSON.stringify(k)}; keys: ${READER_KEY_NAMES.join(", ")}`);
  if (keys.length === 0) throw new UsageError("--keys: name at least one key");
  return keys as ReaderKey[];
}

/** Provisions a blank reader as the factory would (a random seed that never leaves it, the clock, locked). */
export async function provisionReader(device: Device, serial: string, nowMs: number): Promise<void> {
  const t = new MemoryTransport(device);
  try {
    await provisionDevice(new ServiceClient(t), { model: "audio-reader", algorithm: "SHA1", digits: 6, period: 30, serial, timeMs: nowMs, lock: true });
  } finally {
    await t.close();
  }
}

/** Whether the device is blank (INFO state 0). */
export async function isBlank(device: Device): Promise<boolean> {
  const t = new MemoryTransport(device);
  try {
    return (await new ServiceClient(t).info()).state === "blank";
  } finally {
    await t.close();
  }
}

/** Presses the keys one after the other, each time letting the reader finish speaking (manual clock). */
export function pressAndWait(sim: Simulator, device: Device, keys: readonly ReaderKey[]): void {
  device.audio.clear();
  for (const k of keys) {
    device.click(READER_KEYS[k]);
    // Until nothing is queued and nothing new came for a second (at most a minute).
    let last = -1;
    for (let t = 0; t < 60_000; t += 250) {
      sim.clock.advance(250);
      const n = device.audio.pcm().length;
      if (device.audio.queued() === 0 && n === last) break;
      last = n;
    }
  }
}

export interface OnceArgs { out: string | undefined; play: boolean; keys: ReaderKey[]; json: boolean }

/** The one-shot run: keys, speech, WAV, clip list, and maybe the player. */
export async function runReaderOnce(sim: Simulator, device: Device, a: OnceArgs, ctx: CliContext): Promise<number> {
  const player = a.play ? findPlayer(ctx.env) : undefined;
  if (a.play && !player) {
    ctx.stderr.write(noPlayerMessage(ctx.prog) + "\n");
    return EXIT_FAILURE;
  }
  pressAndWait(sim, device, a.keys);
  const spoken = spokenTimeline(device);
  const wav = spokenWav(device);
  let tmp: string | undefined;
  const path = a.out ?? join((tmp = mkdtempSync(join(tmpdir(), "segl-reader-"))), "reader.wav");
  try {
    writeFileSync(path, wav);
    if (a.json) ctx.stdout.write(JSON.stringify({ wav: a.out ?? null, display: device.display, ...spoken }) + "\n");
    else {
      ctx.stdout.write(`said: ${spoken.clips.join(" ")}\n`);
      if (device.display !== "") ctx.stdout.write(`display: ${device.display}\n`);
      for (const i of spoken.items) {
        const what = i.kind === "clip" ? `${i.name}${i.truncated ? "…" : ""} [${i.languages!.join(",")}] speed ${(i.speedQ8! / 256).toFixed(2)} gain ${i.gain}` : i.kind;
        ctx.stdout.write(`  ${i.startMs.toFixed(0).padStart(6)}–${i.endMs.toFixed(0).padEnd(6)} ms  ${what}\n`);
      }
    }
    if (a.out !== undefined) ctx.stderr.write(`${ctx.prog}: wrote ${a.out} (${spoken.durationMs} ms, ${spoken.sampleRate} Hz, 16-bit mono)\n`);
    if (player) {
      const code = await playFile(player, path, ctx.env);
      if (code !== 0) { ctx.stderr.write(`${ctx.prog}: ${player.name} exited with ${code}\n`); return EXIT_FAILURE; }
    }
    return EXIT_OK;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
