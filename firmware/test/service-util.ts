// Synchronous access to a simulated device's service port for firmware tests: the simulator
// runs the image synchronously, so a request's response is complete when uartWrite returns.
import { Device, SimClock, type DeviceOptions } from "@segl/simulator";
import { encodeRequest, FrameParser, type Frame } from "@segl/host-sdk";
import { guardedImage } from "./image-util.js";

export const CMD = { INFO: 1, PROVISION: 2, SET_TIME: 3, STATUS: 4, LOCK: 5, PING: 6 } as const;
export const ST = { OK: 0, UNKNOWN_COMMAND: 1, BAD_LENGTH: 2, BAD_PARAMETER: 3, BAD_STATE: 4, LOCKED: 5, STORAGE_FAILURE: 6 } as const;

export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
export const SEED = new TextEncoder().encode("12345678901234567890");

export class SyncPort {
  readonly frames: Frame[] = [];
  private readonly parser = new FrameParser({ interByteTimeoutMs: 0 });
  private seq = 0;

  constructor(readonly device: Device) {
    device.on("uart", (b) => this.frames.push(...this.parser.push(b)));
  }

  /** Sends a request; returns the response (status + data) or undefined if none came. */
  request(cmd: number, payload: Uint8Array = new Uint8Array(0)): { status: number; data: Uint8Array } | undefined {
    this.seq = (this.seq + 1) & 0xff;
    const before = this.frames.length;
    this.device.uartWrite(encodeRequest(cmd, this.seq, payload));
    const got = this.frames.slice(before);
    const f = got.find((x) => x.seq === this.seq && x.type === (cmd | 0x80));
    if (!f) return undefined;
    return { status: f.payload[0]!, data: f.payload.subarray(1) };
  }

  raw(bytes: Uint8Array): Frame[] {
    const before = this.frames.length;
    this.device.uartWrite(bytes);
    return this.frames.slice(before);
  }
}

export function provisionPayload(o: { model?: number; alg?: number; digits?: number; period?: number; serial?: string; seed?: Uint8Array } = {}): Uint8Array {
  const serial = new TextEncoder().encode(o.serial ?? "SGL-0001");
  const seed = o.seed ?? SEED;
  const p = new Uint8Array(7 + serial.length + seed.length);
  p[0] = o.model ?? 1;
  p[1] = o.alg ?? 1;
  p[2] = o.digits ?? 6;
  new DataView(p.buffer).setUint16(3, o.period ?? 30);
  p[5] = serial.length;
  p.set(serial, 6);
  p[6 + serial.length] = seed.length;
  p.set(seed, 7 + serial.length);
  return p;
}

export function timePayload(ms: number): Uint8Array {
  const p = new Uint8Array(8);
  new DataView(p.buffer).setBigUint64(0, BigInt(ms));
  return p;
}

export const LOCK_PAYLOAD = new TextEncoder().encode("LOCK");

export function newDevice(opts: DeviceOptions = {}): { device: Device; port: SyncPort; clock: SimClock } {
  const clock = opts.clock ?? new SimClock({ startMs: T0 });
  const device = new Device({ image: guardedImage(), ...opts, clock });
  return { device, port: new SyncPort(device), clock };
}
