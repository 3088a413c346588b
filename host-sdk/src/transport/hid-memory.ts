// A HID report transport to a device living in this process (the simulator's Device, or any
// fake) over a duck-typed endpoint. Reports from the device are delivered asynchronously, as
// a USB interrupt pipe would.
import { SeglError, argCheck } from "../errors.js";
import { ChunkQueueTransport, throwIfAborted, type IoOptions } from "./transport.js";

/** What an in-process HID device offers: the simulator's `Device` satisfies it as is. */
export interface HidEndpoint {
  /** One output report (64 bytes, no report-ID byte) from the host into the device. */
  hidWrite(report: Uint8Array): void;
  on(ev: "hid", cb: (report: Uint8Array) => void): unknown;
  off(ev: "hid", cb: (report: Uint8Array) => void): unknown;
}

/** Pads a report to `size` bytes; INVALID_ARGUMENT when longer. */
export function padReport(data: Uint8Array, size = 64): Uint8Array {
  argCheck(data instanceof Uint8Array && data.length <= size, `a HID report holds at most ${size} bytes`, { length: data?.length });
  const r = new Uint8Array(size);
  r.set(data);
  return r;
}

export class HidMemoryTransport extends ChunkQueueTransport {
  readonly kind = "memory";
  private readonly listener: (r: Uint8Array) => void;

  constructor(private readonly endpoint: HidEndpoint) {
    super();
    this.listener = (r) => {
      const copy = r.slice(); // the emitter may reuse its buffer
      queueMicrotask(() => this.deliver(copy));
    };
    endpoint.on("hid", this.listener);
  }

  /** Writes one report (padded to 64 bytes). */
  async send(report: Uint8Array, opts: IoOptions = {}): Promise<void> {
    throwIfAborted(opts.signal);
    this.assertOpen();
    const r = padReport(report);
    try {
      this.endpoint.hidWrite(r);
    } catch (err) {
      throw new SeglError("TRANSPORT_ERROR", `device rejected the report: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  protected async doClose(): Promise<void> {
    this.endpoint.off("hid", this.listener);
  }
}
