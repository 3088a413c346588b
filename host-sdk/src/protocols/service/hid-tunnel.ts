// The service protocol over the chip's CTAPHID vendor command 0x51 (the chip has no UART):
// request = command ‖ payload, answer = status ‖ data. Use with `new ServiceClient(tunnel)`.
import type { CtapHidClient } from "../ctaphid/client.js";
import type { ServiceTunnel } from "./client.js";

export const CTAPHID_VENDOR_SERVICE = 0x51;

export class HidServiceTunnel implements ServiceTunnel {
  constructor(private readonly hid: CtapHidClient) {}

  async exchange(command: number, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const msg = new Uint8Array(1 + payload.length);
    msg[0] = command;
    msg.set(payload, 1);
    return this.hid.call(CTAPHID_VENDOR_SERVICE, msg, { signal });
  }
}
