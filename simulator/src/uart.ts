// What a bridge needs from a device's UART: bytes in, and an event for bytes out. A Device is
// one; so is a test double that echoes.
export type UartListener = (bytes: Uint8Array) => void;

export interface UartEndpoint {
  /** Bytes from the host into the device. */
  uartWrite(bytes: Uint8Array): void;
  on(event: "uart", listener: UartListener): unknown;
  off(event: "uart", listener: UartListener): unknown;
}
