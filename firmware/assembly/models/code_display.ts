// The code display: a press shows the current TOTP for 30 s or until the code rolls over,
// whichever comes first; the LCD is blank otherwise. Devices that cannot make a code say why.
import { display_text, uptime_ms } from "../hal";
import { timerSet, timerCancel, TIMER_DISPLAY } from "../timers";
import { provisioned, timeSet, algorithm, digits, period, nowUnixMs, readSeed, wipeSeed, SEED_MAX } from "../state";
import { totpValue } from "../otp/totp";
import { hmacForget } from "../crypto/hmac";
import { formatDigits } from "../otp/digits";
import { secret } from "../platform/secrets";

export const SHOW_MS: i64 = 30_000;
export const NOTICE_MS: i64 = 5_000;

const text: usize = memory.data(16);
/** The LCD's characters: the code's ASCII digits after a successful codeDisplayPress. */
export const codeText: usize = text;
const seed: usize = secret(memory.data(<i32>SEED_MAX, 16), SEED_MAX);
let shown = false;
let storageFailed = false;

export function displayOn(): bool {
  return shown;
}

/** Set at boot when the store cannot be mounted: presses then show E-STOR. */
export function setStorageFailed(failed: bool): void {
  storageFailed = failed;
}

/** Why no code could be made (codeDisplayPress returns these, negative). */
export const CODE_ERR_STORAGE: i32 = -1;
export const CODE_ERR_BLANK: i32 = -2;
export const CODE_ERR_TIME: i32 = -3;
export const CODE_ERR_OTP: i32 = -4;
/** After a code was made: ms until its time step ends. */
export let untilRollover: i64 = 0;

/** Shows the current code (the audio reader shows it too) and returns it, or a CODE_ERR_*. */
export function codeDisplayPress(): i32 {
  if (storageFailed) return notice("E-STOR", CODE_ERR_STORAGE);
  if (!provisioned) return notice("------", CODE_ERR_BLANK);
  if (!timeSet) return notice("E-TIME", CODE_ERR_TIME);
  const nowMs = nowUnixMs();
  if (nowMs < 0) return notice("E-TIME", CODE_ERR_TIME);
  const n = readSeed(seed);
  if (n < 0) return notice("E-STOR", CODE_ERR_STORAGE);
  const unixSec = <u64>nowMs / 1000;
  const code = totpValue(<i32>algorithm, seed, <u32>n, unixSec, period, <i32>digits);
  wipeSeed(seed);
  hmacForget(); // the HMAC key cache held the seed: nothing of it stays in RAM between presses
  if (code < 0) return notice("E-OTP ", CODE_ERR_OTP);
  formatDigits(<u32>code, <i32>digits, text);
  show(text, <u32>digits);
  // Blank when the step ends or 30 s have passed, whichever is first.
  const stepMs = <i64>period * 1000;
  untilRollover = stepMs - (nowMs % stepMs);
  const hold = untilRollover < SHOW_MS ? untilRollover : SHOW_MS;
  timerSet(TIMER_DISPLAY, uptime_ms() + hold);
  return code;
}

export function codeDisplayTimer(): void {
  blank();
}

export function blank(): void {
  shown = false;
  timerCancel(TIMER_DISPLAY);
  display_text(text, 0);
}

/** Shows a short message for NOTICE_MS; returns `r`. */
export function notice(msg: string, r: i32): i32 {
  // msg is ASCII, at most 6 characters; written without allocating
  const n = <u32>min<i32>(msg.length, 6);
  for (let i: u32 = 0; i < n; i++) store<u8>(text + i, <u8>msg.charCodeAt(<i32>i));
  show(text, n);
  timerSet(TIMER_DISPLAY, uptime_ms() + NOTICE_MS);
  return r;
}

function show(p: usize, n: u32): void {
  shown = true;
  display_text(p, n);
}
