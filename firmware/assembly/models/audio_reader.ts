// The audio code reader: a press speaks the current code, "your code is" then the digits grouped
// 3 + 3 with pauses, and shows it on the LCD. Every function has its own key and needs one press
// (EN 301 549 5.9: nothing simultaneous); a volume or speed key held ≥ 1 s goes back to its default
// (docs/accessibility.md). Language (by its tag), speed and the double-strike delay (5.8) live in
// the store; the volume starts at its default at every power-up, as hearing aids expect.
import { uptime_ms, headset_state, battery_level } from "../hal";
import { timerSet, TIMER_ROLL } from "../timers";
import { KEY_READER, saveOne, digits } from "../state";
import { storeGet } from "../storage/store";
import { codeDisplayPress, codeText, untilRollover, CODE_ERR_BLANK, CODE_ERR_TIME } from "./code_display";
import {
  enqueue, errorTone, playerStart, playerStop, setVolume, setSpeed, volume, playing,
  ITEM_PAUSE, VOLUME_DEFAULT,
} from "../audio/player";
import {
  voiceCheck, voiceOk, voiceLang, setVoiceLang, voiceLangTag, setVoiceLangTag,
  CLIP_YOUR_CODE_IS, CLIP_NEW_CODE, CLIP_REPEAT, CLIP_BATTERY_LOW, CLIP_VOLUME, CLIP_LOUDER, CLIP_FASTER, CLIP_NORMAL_SPEED,
  CLIP_LANGUAGE, CLIP_NOT_ACTIVATED, CLIP_CLOCK_NOT_SET, CLIP_ERROR, CLIP_HEADSET,
} from "../audio/voice";

// Key ids (hal `button(id, down)`; docs/hal.md "Keys of the audio reader").
export const KEY_MAIN: u32 = 0;
export const KEY_REPEAT: u32 = 1;
export const KEY_VOLUME_UP: u32 = 2;
export const KEY_VOLUME_DOWN: u32 = 3;
export const KEY_SPEED_UP: u32 = 4;
export const KEY_SPEED_DOWN: u32 = 5;
export const KEY_LANGUAGE: u32 = 6;
/** The headset jack's switch: down = plugged in, up = unplugged. */
export const KEY_HEADSET: u32 = 7;

export const HOLD_MS: i64 = 1000;
const SPEED_NORMAL: i32 = 1;
const SPEED_TOP: i32 = 3;
// Pauses at normal speed (10 ms units): after the prompt, between digits, between the groups; the
// player shortens or lengthens them with the speed.
const PAUSE_PROMPT: u32 = 45;
const PAUSE_DIGIT: u32 = 25;
const PAUSE_GROUP: u32 = 70;

/** "battery low" comes before the code below this charge (percent, hal.battery_level). */
export const BATTERY_LOW: u32 = 15;
/** Double-strike delay levels (EN 301 549 5.8), in steps of 500 ms: 0 off (the default), 1, 2. */
const DELAY_TOP: i32 = 2;

/** The stored settings (the KEY_READER record, 6 bytes): the language's tag (u32, its 4 bytes of
 *  the pack's language table), speed level, double-strike delay level. A 2-byte record (older
 *  firmware: the language's number in the pack, speed) is read as it is and rewritten at the next
 *  change. */
const settings: usize = memory.data(8, 4);
let speed: i32 = SPEED_NORMAL;
let keyDelay: i32 = 0;
let downAt: i64 = 0;
let codeMsg = false;
let headset = false;
// The last key accepted and when (double strikes); its release is ignored when its press was; the
// language key was the last one accepted (then the repeat key steps the delay).
let lastKey: u32 = 0xffffffff;
let lastAt: i64 = 0;
let skipUp = false;
let afterLanguage = false;

export function readerBoot(): void {
  voiceCheck();
  setVolume(VOLUME_DEFAULT);
  headset = headset_state() != 0; // a headset plugged in before power-up sends no key 7
  memory.fill(settings, 0, 8);
  store<u8>(settings + 4, SPEED_NORMAL); // no record yet: the first language, normal speed, no delay
  if (storeGet(KEY_READER, settings, 6) == 2) {
    store<u8>(settings + 4, load<u8>(settings + 1));
    setVoiceLang(load<u8>(settings));
  } else setVoiceLangTag(load<u32>(settings));
  speed = min<i32>(load<u8>(settings + 4), SPEED_TOP);
  keyDelay = min<i32>(load<u8>(settings + 5), DELAY_TOP);
  setSpeed(speed);
}

export function readerButton(id: u32, down: u32): void {
  const now = uptime_ms();
  if (id == KEY_HEADSET) {
    // Plugged: "headset" (the speaker is muted). Unplugged: speech stops at once, so a code being
    // spoken never moves to the speaker; then "speaker". A report that changes nothing (a bouncing
    // switch) is ignored.
    if (down == <u32>headset) return;
    headset = down != 0;
    if (voiceOk) sayOne(CLIP_HEADSET + 1 - down);
    return;
  }
  if (down == 0) {
    if (skipUp) { skipUp = false; return; } // the release of an ignored double strike
    // Released after HOLD_MS or more: a volume or speed key goes back to its default.
    if (now - downAt >= HOLD_MS && voiceOk && id >= KEY_VOLUME_UP && id <= KEY_SPEED_DOWN) {
      if (id < KEY_SPEED_UP) changeVolume(VOLUME_DEFAULT, CLIP_VOLUME);
      else changeSpeed(SPEED_NORMAL, CLIP_NORMAL_SPEED);
    }
    return;
  }
  // EN 301 549 5.8: the same key again within the delay after it was accepted is ignored (unsigned:
  // never with the delay off, nor when the clock went back).
  if (id == lastKey && <u64>(now - lastAt) < <u64>(keyDelay * 500)) { skipUp = true; return; }
  skipUp = false;
  lastKey = id;
  lastAt = now;
  downAt = now; // of the last key pressed: a hold is timed from it
  const stepDelay = afterLanguage && id == KEY_REPEAT;
  afterLanguage = id == KEY_LANGUAGE || stepDelay;
  if (!voiceOk) {
    // The voice pack failed its checks: every key answers with the error tone, INFO reports it
    // (flag bit 4), and the main key still shows the code on the LCD for a sighted helper.
    if (id == KEY_MAIN) codeDisplayPress();
    playerStop();
    errorTone();
    playerStart();
    return;
  }
  const down1 = id & 1; // the "down" key of a pair: volume down, speed down
  if (id == KEY_MAIN) {
    if (playing) { playerStop(); codeMsg = false; return; } // a second press interrupts
    speakCode(false);
  } else if (stepDelay) {
    // language, then repeat (single presses in sequence): the double-strike delay steps off → 0.5 s
    // → 1 s → off, said as "repeat" and the delay in half seconds (0, 1, 2)
    keyDelay = keyDelay < DELAY_TOP ? keyDelay + 1 : 0;
    save();
    say(CLIP_REPEAT);
    enqueue(<u32>keyDelay);
    playerStart();
  } else if (id == KEY_REPEAT) speakCode(false); // from the start, even while speaking
  else if (id < KEY_SPEED_UP) changeVolume(volume + 1 - 2 * <i32>down1, CLIP_LOUDER + down1);
  else if (id < KEY_LANGUAGE) changeSpeed(speed + 1 - 2 * <i32>down1, CLIP_FASTER + down1);
  else if (id == KEY_LANGUAGE) {
    setVoiceLang(voiceLang + 1);
    save();
    sayOne(CLIP_LANGUAGE);
  }
}

/** Starts a new message with clip `first`: whatever was playing stops, 150 ms before the new one. */
function say(first: u32): void {
  const cut = playing;
  playerStop();
  codeMsg = false;
  if (cut) enqueue(ITEM_PAUSE | 15);
  enqueue(first);
}

function sayOne(clip: u32): void {
  say(clip);
  playerStart();
}

/** Speaks the current code; `rolled`: it replaced the one being spoken ("new code"). */
function speakCode(rolled: bool): void {
  const code = codeDisplayPress();
  if (code < 0) {
    sayOne(code == CODE_ERR_BLANK ? CLIP_NOT_ACTIVATED : code == CODE_ERR_TIME ? CLIP_CLOCK_NOT_SET : CLIP_ERROR);
    return;
  }
  const prompt = rolled ? CLIP_NEW_CODE : CLIP_YOUR_CODE_IS;
  if (battery_level() < BATTERY_LOW) { say(CLIP_BATTERY_LOW); enqueue(ITEM_PAUSE | PAUSE_PROMPT); enqueue(prompt); }
  else say(prompt);
  enqueue(ITEM_PAUSE | PAUSE_PROMPT);
  const n = <u32>digits;
  const half = (n + 1) >> 1; // 3 + 3 (4 + 4, 4 + 3)
  for (let i: u32 = 0; i < n; i++) {
    if (i > 0) enqueue(ITEM_PAUSE | (i == half ? PAUSE_GROUP : PAUSE_DIGIT));
    enqueue(<u32>load<u8>(codeText + i) - 48); // the digits as the LCD shows them
  }
  codeMsg = true;
  timerSet(TIMER_ROLL, uptime_ms() + untilRollover);
  playerStart();
}

/** Volume: "louder"/"softer" ("volume" back at the default), said at the new level. */
function changeVolume(v: i32, word: u32): void {
  setVolume(v);
  sayOne(word);
}

/** Speed: "faster"/"slower" ("normal speed" back at the default), said at the new speed. */
function changeSpeed(s: i32, word: u32): void {
  speed = s < 0 ? 0 : s > SPEED_TOP ? SPEED_TOP : s;
  setSpeed(speed);
  save();
  sayOne(speed == SPEED_NORMAL ? CLIP_NORMAL_SPEED : word);
}

/** Language, speed and delay in one record: a power cut leaves the old or the new set (docs/storage.md). */
function save(): void {
  store<u32>(settings, voiceLangTag());
  store<u8>(settings + 4, <u8>speed);
  store<u8>(settings + 5, <u8>keyDelay);
  saveOne(KEY_READER, settings, 6); // a failed write keeps the setting for this power cycle only
}

/** The code being spoken expired: "new code", then the code that replaced it. */
export function readerTick(): void {
  if (playing && codeMsg) speakCode(true);
}


