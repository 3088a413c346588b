// Routes events to the model the device was provisioned as. One image serves every model.
import { storeMount, storeFormat, STORE_OK } from "./storage/store";
import { loadState, model, MODEL_CODE_DISPLAY, MODEL_AUDIO_READER, provisioned } from "./state";
import { rxBytes, rxReset } from "./service/frame";
import { handleFrame } from "./service/protocol";
import { codeDisplayPress, codeDisplayTimer, setStorageFailed, blank } from "./models/code_display";
import { timersReset, timerExpired, rearm, TIMER_DISPLAY } from "./timers";
import { IO_BUF } from "./io";

export const BUTTON_MAIN: u32 = 0;

export function deviceBoot(): i32 {
  timersReset();
  rxReset();
  let r = storeMount();
  if (r != STORE_OK) r = storeFormat(); // unreadable store: start clean rather than brick
  setStorageFailed(r != STORE_OK);
  loadState();
  blank();
  return r;
}

export function deviceButton(id: u32, down: u32): void {
  if (id != BUTTON_MAIN || down == 0) return;
  // Until provisioned, the device behaves as a code display (it shows its state).
  if (!provisioned || model == MODEL_CODE_DISPLAY || model == MODEL_AUDIO_READER) codeDisplayPress();
}

export function deviceUartRx(len: u32): void {
  rxBytes(IO_BUF, len, handleFrame);
}

export function deviceTick(): void {
  if (timerExpired(TIMER_DISPLAY)) codeDisplayTimer();
  rearm();
}
