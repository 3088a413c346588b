// Test helpers: UART service frames (docs/serial-protocol.md) and a fake UART endpoint.
import { EventEmitter } from "node:events";
import { crc32 as zlibCrc32 } from "node:zlib";
import type { UartEndpoint, UartListener } from "../src/index.js";

export function crc32(b: Uint8Array): number {
  return zlibCrc32(b);
}

export const CMD_PING = 0x06;

export function frame(type: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length + 4);
  const v = new DataView(out.buffer);
  out[0] = 0x53; out[1] = 0x47; out[2] = type; out[3] = seq;
  v.setUint16(4, payload.length);
  out.set(payload, 6);
  v.setUint32(6 + payload.length, crc32(out.subarray(2, 6 + payload.length)));
  return out;
}

/** Parses one whole frame at the start of b, or undefined if b is not (yet) a whole valid frame. */
export function parseFrame(b: Uint8Array): { type: number; seq: number; payload: Uint8Array } | undefined {
  if (b.length < 10 || b[0] !== 0x53 || b[1] !== 0x47) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = v.getUint16(4);
  if (b.length < 10 + len) return undefined;
  if (v.getUint32(6 + len) !== crc32(b.subarray(2, 6 + len))) return undefined;
  return { type: b[2]!, seq: b[3]!, payload: b.slice(6, 6 + len) };
}

/** A UART endpoint that answers every write with "echo:" + the bytes. */
export class EchoEndpoint extends EventEmitter<{ uart: [Uint8Array] }> implements UartEndpoint {
  readonly received: Uint8Array[] = [];
  uartWrite(bytes: Uint8Array): void {
    this.received.push(bytes.slice());
    const out = new Uint8Array(5 + bytes.length);
    out.set(new TextEncoder().encode("echo:"));
    out.set(bytes, 5);
    this.emit("uart", out);
  }
  override on(event: "uart", l: UartListener): this {
    return super.on(event, l);
  }
  override off(event: "uart", l: UartListener): this {
    return super.off(event, l);
  }
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
