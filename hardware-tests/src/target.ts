// Where the conformance suite runs: a simulated device (default), the simulator behind a real
// PTY (SEGL_TARGET=pty), or a real device on a serial port (SEGL_SERIAL_PORT=/dev/ttyUSB0).
// On real hardware there is no control plane: tests that need a finger or a clock skip.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryTransport, SerialTransport, ServiceClient, type Transport } from "@segl/host-sdk";
import { Device, PtyBridge, SimClock, loadVoicePackFile, spokenTimeline, READER_KEYS, type Spoken } from "@segl/simulator";

export type TargetKind = "simulator" | "pty" | "device";

/** What only a simulator (or a test rig) can do. */
export interface Control {
  /** Presses and releases a key (default the main key, id 0). */
  press(id?: number): void;
  /** What an audio reader played since the last press: the voice pack's clips, matched in its output. */
  spoken(): Spoken;
  display(): string;
  /** Moves world time (ms). */
  advance(ms: number): void;
  /** World time, Unix ms. */
  now(): number;
  reboot(): void;
  device: Device;
}

export interface Target {
  kind: TargetKind;
  transport: Transport;
  client: ServiceClient;
  control: Control | null;
  /** May the suite provision and lock this device? Always on a simulator; on hardware only with SEGL_ALLOW_PROVISION=1. */
  destructive: boolean;
  close(): Promise<void>;
}

export function targetKind(): TargetKind {
  if (process.env.SEGL_SERIAL_PORT) return "device";
  return process.env.SEGL_TARGET === "pty" ? "pty" : "simulator";
}

export interface TargetOptions {
  /** The simulated device is an audio reader (a voice region with the committed pack). On a real
   *  device the port decides: run the suite against a reader's port. */
  audioReader?: boolean;
}

export { READER_KEYS };

export async function openTarget(kind: TargetKind = targetKind(), opts: TargetOptions = {}): Promise<Target> {
  if (kind === "device") {
    const transport = await SerialTransport.open(process.env.SEGL_SERIAL_PORT!, { timeoutMs: 5000 });
    const client = new ServiceClient(transport, { timeoutMs: 3000 });
    return { kind, transport, client, control: null, destructive: process.env.SEGL_ALLOW_PROVISION === "1", close: () => transport.close() };
  }
  const clock = new SimClock({ startMs: Date.now() });
  const device = new Device({ clock, voice: opts.audioReader ? loadVoicePackFile() : undefined });
  const control: Control = {
    press: (id = 0) => { device.audio.clear(); device.click(id); },
    spoken: () => spokenTimeline(device),
    display: () => device.display,
    advance: (ms) => clock.advance(ms),
    now: () => clock.now(),
    reboot: () => device.reboot(),
    device,
  };
  if (kind === "simulator") {
    const transport = new MemoryTransport(device);
    const client = new ServiceClient(transport);
    return { kind, transport, client, control, destructive: true, close: async () => { await transport.close(); device.dispose(); } };
  }
  const dir = mkdtempSync(join(tmpdir(), "segl-pty-"));
  const bridge = await PtyBridge.open(device, { path: join(dir, "uart") });
  const transport = await SerialTransport.open(bridge.path, { timeoutMs: 5000 });
  const client = new ServiceClient(transport);
  return {
    kind, transport, client, control, destructive: true,
    close: async () => {
      await transport.close();
      await bridge.close();
      device.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
