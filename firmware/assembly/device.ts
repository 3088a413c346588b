// Placeholder wiring; replaced by the real device state machine.
export function deviceBoot(): i32 { return 0; }
export function deviceButton(id: u32, down: u32): void {}
export function deviceUartRx(len: u32): void {}
export function deviceTick(): void {}
