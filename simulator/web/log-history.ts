// A device's whole event log, kept beside the page's view of it: the view shows the newest lines only
// (a long update would otherwise fill the page), this keeps up to `limit` lines, oldest dropped first,
// for "Save the event log". A ring buffer: adding a line never copies the others.

export class LogHistory {
  private readonly ring: string[];
  private next = 0;
  private count = 0;
  /** Lines dropped because the history was full. */
  dropped = 0;

  constructor(readonly limit = 10_000) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("a log history keeps at least one line");
    this.ring = new Array<string>(limit);
  }

  add(line: string): void {
    if (this.count === this.limit) this.dropped++;
    else this.count++;
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.limit;
  }

  get size(): number {
    return this.count;
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    const start = (this.next - this.count + this.limit) % this.limit;
    return Array.from({ length: this.count }, (_, i) => this.ring[(start + i) % this.limit]!);
  }

  /** The file "Save the event log" writes: a header naming the device and what was dropped, then the lines. */
  text(device: string): string {
    const head = `# ${device}: ${this.count} event log line(s), oldest first${this.dropped ? `; ${this.dropped} older line(s) dropped` : ""}`;
    return [head, ...this.lines()].join("\n") + "\n";
  }
}
