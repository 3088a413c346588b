// Our own abort handler (asc --use abort=...): records a fault code through the HAL,
// then traps. No env.abort import exists, so the image imports only hal.*.
import { fault } from "./hal";

const FAULT_ABORT: u32 = 1;

export function fwAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  fault(FAULT_ABORT, line);
  unreachable();
}
