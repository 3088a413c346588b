// The entry points every image has (the simulator calls them), inert: for test-only harness
// images that exercise one module without the device behind it.
import "../../assembly/abort";
import { IO_BUF, IO_SIZE } from "../../assembly/io";

export function io_ptr(): usize { return IO_BUF; }
export function io_size(): u32 { return IO_SIZE; }
export function boot(): i32 { return 0; }
export function button(id: u32, down: u32): void {}
export function uart_rx(len: u32): void {}
export function tick(): void {}
