// Types shared by the two host modules (host.ts for Node, browser/host.ts for the page).

/** A flash part's backing store: loaded at attach, every change written through. */
export interface FlashBacking {
  write(bytes: Uint8Array, addr: number, len: number): void;
  close(): void;
}
