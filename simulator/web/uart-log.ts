// The page's event log reads the UART as service-protocol frames (docs/serial-protocol.md), in both
// directions: "→ INFO", "← INFO OK model 1 …", "→ UPDATE_DATA offset 1016 (1016 B)", status names, and
// CRC failures; the SDK's own frame parser and command/status names do the work.
import { FrameParser, RESPONSE_BIT, type Frame } from "../../host-sdk/src/protocols/service/frame.js";
import { commandName, deviceStatusName, parseInfo, Command, DeviceStatusCode, UPDATE_REFUSED_REASONS } from "../../host-sdk/src/protocols/service/client.js";

// The update commands' u32 fields are little-endian (docs/image-format.md), unlike the older commands.
const u32le = (b: Uint8Array, o = 0): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** A service request (command and its payload) in words, after the direction arrow: "UPDATE_DATA offset 1016 (1016 B)". */
export function describeServiceRequest(cmd: number, payload: Uint8Array): string {
  const name = commandName(cmd);
  if (cmd === Command.UPDATE_DATA && payload.length >= 4) return `${name} offset ${u32le(payload)} (${payload.length - 4} B)`;
  return `${name}${payload.length ? ` (${payload.length} B)` : ""}`;
}

/** A service answer (status byte ‖ data) to `cmd` in words: "INFO OK model 1 locked firmware 0.2.0 serial …". */
export function describeServiceAnswer(cmd: number | undefined, payload: Uint8Array): string {
  const name = cmd === undefined ? "answer" : commandName(cmd);
  if (payload.length === 0) return `${name} (no status byte)`;
  const status = payload[0]!;
  const data = payload.subarray(1);
  let text = `${name} ${deviceStatusName(status)}`;
  if (status === DeviceStatusCode.UPDATE_REFUSED && data.length >= 1) {
    text += ` ${UPDATE_REFUSED_REASONS[data[0] as keyof typeof UPDATE_REFUSED_REASONS] ?? `detail ${data[0]}`}`;
  } else if (status === DeviceStatusCode.OK && cmd === Command.INFO) {
    try {
      const i = parseInfo(data);
      text += ` model ${i.modelCode} ${i.state} firmware ${i.firmwareVersion}${i.serial ? ` serial ${i.serial}` : ""}`;
    } catch (e) {
      text += ` (unreadable answer: ${e instanceof Error ? e.message : String(e)})`;
    }
  } else if (status === DeviceStatusCode.OK && (cmd === Command.UPDATE_DATA || cmd === Command.UPDATE_BEGIN) && data.length === 4) {
    text += ` ${u32le(data)} B received`;
  } else if (data.length) {
    text += ` (${data.length} B)`;
  }
  return text;
}

/** One line for a frame going to the device ("→") or coming from it ("←"). */
export function describeFrame(dir: "→" | "←", f: Frame): string {
  const cmd = f.type & ~RESPONSE_BIT & 0xff;
  return `${dir} ${dir === "→" ? describeServiceRequest(cmd, f.payload) : describeServiceAnswer(cmd, f.payload)}`;
}

/** Turns the UART bytes of one direction into log lines: frames, CRC failures, and bytes outside frames. */
export class UartDecoder {
  // No inter-byte timeout: the page's devices answer in the same task, and a log must not depend on timing.
  private readonly parser = new FrameParser({ interByteTimeoutMs: 0 });
  private crcErrors = 0;
  private garbage = 0;

  constructor(private readonly dir: "→" | "←") {}

  push(bytes: Uint8Array): string[] {
    const lines = this.parser.push(bytes).map((f) => describeFrame(this.dir, f));
    const s = this.parser.stats;
    if (s.crcErrors > this.crcErrors) lines.push(`${this.dir} CRC failure (${s.crcErrors - this.crcErrors} frame${s.crcErrors - this.crcErrors > 1 ? "s" : ""} dropped)`);
    else if (s.garbageBytes > this.garbage) lines.push(`${this.dir} ${s.garbageBytes - this.garbage} B outside any frame`);
    this.crcErrors = s.crcErrors;
    this.garbage = s.garbageBytes;
    return lines;
  }
}
