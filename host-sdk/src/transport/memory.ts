// A transport to a device living in this process (the simulator's Device, or any fake), over a
// duck-typed byte endpoint. Device bytes are delivered asynchronously, as a wire would.
import { SeglError } from "../errors.js";
import { ChunkQueueTransport, throwIfAborted, type IoOptions } from "./transport.js";

/** What an in-process device offers: the simulator's `Device` satisfies it as is. */
export interface ByteEndpoint {
  /** Bytes from the host into the device's UART. */
  uartWrite(bytes: Uint8Array): void;
  on(ev: "uart", cb: (b: Uint8Array) => void): unknown;
  off(ev: "uart", cb: (b: Uint8Array) => void): unknown;
}

export class MemoryTransport extends ChunkQueueTransport {
  readonly kind = "memory";
  private readonly listener: (b: Uint8Array) => void;

  constructor(private readonly endpoint: ByteEndpoint) {
    super();
    this.listener = (b) => {
      const copy = b.slice(); // the emitter may reuse its buffer
      queueMicrotask(() => this.deliver(copy));
    };
    endpoint.on("uart", this.listener);
  }

  async send(data: Uint8Array, opts: IoOptions = {}): Promise<void> {
    throwIfAborted(opts.signal);
    this.assertOpen();
    try {
      this.endpoint.uartWrite(data.slice());
    } catch (err) {
      throw new SeglError("TRANSPORT_ERROR", `device rejected the write: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  protected async doClose(): Promise<void> {
    this.endpoint.off("uart", this.listener);
  }
}
