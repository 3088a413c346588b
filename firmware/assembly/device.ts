// Routes events to the model the device was provisioned as. One image serves every model.
import { storeMount, storeFormat, STORE_OK } from "./storage/store";
import { loadState, serial, serialLen, model, MODEL_CODE_DISPLAY, MODEL_AUDIO_READER, MODEL_CHIP, provisioned } from "./state";
import { rxBytes, rxReset } from "./service/frame";
import { handleFrame } from "./service/protocol";
import { codeDisplayPress, codeDisplayTimer, setStorageFailed, blank } from "./models/code_display";
import { timersReset, timerExpired, rearm, TIMER_DISPLAY, TIMER_CTAPHID } from "./timers";
import { ctaphidReport, ctaphidButton, ctaphidTick, ctaphidPowerUp } from "./fido/ctaphid";
import { credPowerUp } from "./fido/credential";
import { pinPowerUp } from "./fido/pin";
import { ctap2PowerUp } from "./fido/ctap2";
import { IO_BUF } from "./io";
import { rngBoot } from "./platform/rng";
import { bootIsTrial, trialSelfTest } from "./update/receiver";

export const BUTTON_MAIN: u32 = 0;

let fidoUp = false;

export function deviceBoot(): i32 {
  timersReset();
  rxReset();
  fidoUp = false;
  let r = storeMount();
  const trial = bootIsTrial();
  // Unreadable store: start clean rather than brick, except on a trial image, which goes back to
  // the old one (that can still read its data) instead of formatting.
  if (r != STORE_OK && !trial) r = storeFormat();
  setStorageFailed(r != STORE_OK);
  loadState();
  rngBoot(serial, serialLen); // before anything can ask for a random byte
  blank();
  if (model == MODEL_CHIP) ensureFido();
  if (trial) trialSelfTest(r == STORE_OK);
  return r;
}

/** The FIDO side starts at power-up on a chip, or at the first HID report on a blank device. */
function ensureFido(): void {
  if (fidoUp) return;
  fidoUp = true;
  ctaphidPowerUp();
  credPowerUp();
  pinPowerUp();
  ctap2PowerUp();
}

export function deviceButton(id: u32, down: u32): void {
  if (id != BUTTON_MAIN || down == 0) return;
  if (model == MODEL_CHIP || (!provisioned && fidoUp)) { ensureFido(); ctaphidButton(); return; }
  // Until provisioned, the device behaves as a code display (it shows its state).
  if (!provisioned || model == MODEL_CODE_DISPLAY || model == MODEL_AUDIO_READER) codeDisplayPress();
}

export function deviceUartRx(len: u32): void {
  rxBytes(IO_BUF, len, handleFrame);
}

export function deviceHidRx(len: u32): void {
  ensureFido();
  ctaphidReport(IO_BUF, len);
}

export function deviceTick(): void {
  if (timerExpired(TIMER_DISPLAY)) codeDisplayTimer();
  if (timerExpired(TIMER_CTAPHID)) ctaphidTick();
  rearm();
}
