// CTAPHID (CTAP 2.1 §11.2): 64-byte reports, channels, message assembly, KEEPALIVE while a
// request waits for a touch, CANCEL, WINK, LOCK, and the Segl vendor command that carries the
// service protocol (factory provisioning of the chip).
import { hid_tx, uptime_ms, led_set } from "../hal";
import { randomBytes } from "../platform/rng";
import { timerSet, timerCancel, TIMER_CTAPHID } from "../timers";
import { readU16BE, writeU16BE, readU32BE, writeU32BE } from "../util/bytes";
import { Buf, buf, bufPtr, bufCopy, BUF_OK } from "../platform/buffer";
import { ctap2Dispatch } from "./ctap2";
import { u2fDispatch } from "./u2f";
import { upLatch, upClear, upConsume } from "../platform/presence";
import {
  NEED_UP, CTAP1_ERR_INVALID_COMMAND, CTAP1_ERR_INVALID_PARAMETER, CTAP1_ERR_INVALID_LENGTH, CTAP1_ERR_INVALID_SEQ,
  CTAP1_ERR_TIMEOUT, CTAP1_ERR_CHANNEL_BUSY, CTAP1_ERR_INVALID_CHANNEL, CTAP1_ERR_OTHER,
  CTAP2_ERR_KEEPALIVE_CANCEL, CTAP2_ERR_USER_ACTION_TIMEOUT,
} from "./status";
import {
  serviceRun, serviceOutLen, CMD_PROVISION as SVC_PROVISION, CMD_ATTESTATION as SVC_ATTESTATION, CMD_UPDATE_BEGIN as SVC_UPDATE_BEGIN,
  ST_IN_USE, ST_PRESENCE_REQUIRED,
} from "../service/protocol";
import { updateResumes } from "../update/receiver";
import { locked } from "../state";
import { credInUse } from "./credential";
import { pinIsSet } from "./pin";
import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "../version";

export const REPORT_SIZE: u32 = 64;
const INIT_DATA: u32 = 57;
const CONT_DATA: u32 = 59;
export const MAX_MESSAGE: u32 = INIT_DATA + 128 * CONT_DATA; // 7609

export const CMD_PING: u8 = 0x01;
export const CMD_MSG: u8 = 0x03;
export const CMD_LOCK: u8 = 0x04;
export const CMD_INIT: u8 = 0x06;
export const CMD_WINK: u8 = 0x08;
export const CMD_CBOR: u8 = 0x10;
export const CMD_CANCEL: u8 = 0x11;
export const CMD_KEEPALIVE: u8 = 0x3b;
export const CMD_ERROR: u8 = 0x3f;
/** Vendor command: service protocol (docs/serial-protocol.md) over HID: cmd ‖ payload → status ‖ data. */
export const CMD_VENDOR_SERVICE: u8 = 0x51;

const BROADCAST: u32 = 0xffffffff;
const CAPABILITIES: u8 = 0x01 | 0x04; // WINK | CBOR (MSG supported: NMSG clear)
const KEEPALIVE_PROCESSING: u8 = 1;
const KEEPALIVE_UPNEEDED: u8 = 2;

export const INTER_PACKET_TIMEOUT_MS: i64 = 500;
export const KEEPALIVE_MS: i64 = 100;
export const UP_TIMEOUT_MS: i64 = 30_000;
const WINK_MS: i64 = 1_000;

const REQ_BUF: Buf = buf(memory.data(<i32>MAX_MESSAGE, 16), MAX_MESSAGE); // the message being assembled / processed
const req: usize = bufPtr(REQ_BUF);
const resp: usize = memory.data(<i32>MAX_MESSAGE + 1, 16);
const report: usize = memory.data(<i32>REPORT_SIZE, 16);

let firstCid: u32 = 1;
let nextCid: u32 = 1;
// assembly
let rxBusy = false;
let rxCid: u32 = 0;
let rxCmd: u8 = 0;
let rxLen: u32 = 0;
let rxGot: u32 = 0;
let rxSeq: u32 = 0;
let rxLast: i64 = 0;
let reqDirty = false; // req holds bytes of a request
// a CBOR request waiting for a touch
let upPending = false;
let upCid: u32 = 0;
let upDeadline: i64 = 0;
let nextKeepalive: i64 = 0;
// WINK and LOCK
let winkUntil: i64 = 0;
let lockCid: u32 = 0;
let lockUntil: i64 = 0;

export function ctaphidReset(): void {
  rxBusy = false;
  upPending = false;
  winkUntil = 0;
  lockCid = 0;
  settle();
  led_set(0);
  timerCancel(TIMER_CTAPHID);
}

/** One output report from the host (64 bytes; a leading report-ID 0 byte is tolerated). */
export function ctaphidReport(src: usize, len: u32): void {
  receive(src, len);
  settle();
}

/**
 * The request buffer may hold secrets (a seed or batch key for the vendor command, hmac-secret
 * salts, PIN ciphertexts): it is zeroed at the end of every event that leaves no message being
 * assembled or parked for a touch, whatever path the event took (answered, rejected, timed out,
 * cancelled, resynchronised).
 */
function settle(): void {
  if (reqDirty && !rxBusy && !upPending) {
    memory.fill(req, 0, MAX_MESSAGE);
    reqDirty = false;
  }
}

function receive(src: usize, len: u32): void {
  if (len == REPORT_SIZE + 1 && load<u8>(src) == 0) { src++; len--; }
  if (len != REPORT_SIZE) return; // not a report of ours: nothing to answer on
  const now = uptime_ms();
  const cid = readU32BE(src);
  const b4 = load<u8>(src + 4);

  if (b4 & 0x80) {
    const cmd = b4 & 0x7f;
    const bcnt = readU16BE(src + 5);
    if (cmd == CMD_INIT) { init(cid, src, bcnt); return; }
    if (cid == 0 || cid == BROADCAST) { sendError(cid, CTAP1_ERR_INVALID_CHANNEL); return; }
    if (!allocated(cid)) { sendError(cid, CTAP1_ERR_INVALID_CHANNEL); return; }
    if (cmd == CMD_CANCEL) { cancel(cid); return; }
    if (lockCid != 0 && now < lockUntil && cid != lockCid) { sendError(cid, CTAP1_ERR_CHANNEL_BUSY); return; }
    if (upPending) { sendError(cid, CTAP1_ERR_CHANNEL_BUSY); return; }
    if (rxBusy && now - rxLast <= INTER_PACKET_TIMEOUT_MS) {
      sendError(cid, rxCid == cid ? CTAP1_ERR_INVALID_SEQ : CTAP1_ERR_CHANNEL_BUSY);
      if (rxCid == cid) rxBusy = false;
      return;
    }
    if (bcnt > MAX_MESSAGE) { sendError(cid, CTAP1_ERR_INVALID_LENGTH); rxBusy = false; return; }
    rxBusy = true;
    rxCid = cid;
    rxCmd = cmd;
    rxLen = bcnt;
    rxGot = min<u32>(bcnt, INIT_DATA);
    rxSeq = 0;
    rxLast = now;
    reqDirty = true;
    bufCopy(REQ_BUF, 0, src + 7, rxGot); // fits: bcnt ≤ MAX_MESSAGE above
  } else {
    if (!rxBusy || cid != rxCid) return; // a stray continuation: ignore
    if (now - rxLast > INTER_PACKET_TIMEOUT_MS) { rxBusy = false; sendError(cid, CTAP1_ERR_TIMEOUT); return; }
    if (<u32>b4 != rxSeq) { rxBusy = false; sendError(cid, CTAP1_ERR_INVALID_SEQ); return; }
    const n = min<u32>(rxLen - rxGot, CONT_DATA);
    if (bufCopy(REQ_BUF, rxGot, src + 5, n) != BUF_OK) { rxBusy = false; sendError(cid, CTAP1_ERR_INVALID_LENGTH); return; }
    rxGot += n;
    rxSeq++;
    rxLast = now;
  }
  if (rxGot < rxLen) { armTimer(); return; }
  rxBusy = false;
  execute(rxCid, rxCmd, rxLen, false);
}

/** The button went down. */
export function ctaphidButton(): void {
  if (upPending) {
    upPending = false;
    execute(upCid, CMD_CBOR, rxLenPending, true);
  } else upLatch();
  settle();
}

export function ctaphidTick(): void {
  const now = uptime_ms();
  if (rxBusy && now - rxLast > INTER_PACKET_TIMEOUT_MS) {
    rxBusy = false;
    sendError(rxCid, CTAP1_ERR_TIMEOUT);
  }
  if (upPending) {
    if (now >= upDeadline) {
      upPending = false;
      sendStatusOnly(upCid, CTAP2_ERR_USER_ACTION_TIMEOUT);
    } else if (now >= nextKeepalive) {
      keepalive(upCid, KEEPALIVE_UPNEEDED);
      nextKeepalive = now + KEEPALIVE_MS;
    }
  }
  updateLed(now);
  armTimer();
  settle();
}

// ---------------------------------------------------------------- commands

let rxLenPending: u32 = 0;

function execute(cid: u32, cmd: u8, len: u32, upGranted: bool): void {
  if (cmd == CMD_PING) { send(cid, CMD_PING, req, len); return; }
  if (cmd == CMD_WINK) {
    if (len != 0) { sendError(cid, CTAP1_ERR_INVALID_LENGTH); return; }
    winkUntil = uptime_ms() + WINK_MS;
    send(cid, CMD_WINK, req, 0);
    updateLed(uptime_ms());
    armTimer();
    return;
  }
  if (cmd == CMD_LOCK) {
    if (len != 1 || load<u8>(req) > 10) { sendError(cid, CTAP1_ERR_INVALID_PARAMETER); return; }
    const secs = load<u8>(req);
    lockCid = secs == 0 ? 0 : cid;
    lockUntil = uptime_ms() + <i64>secs * 1000;
    send(cid, CMD_LOCK, req, 0);
    return;
  }
  if (cmd == CMD_MSG) {
    const n = u2fDispatch(req, len, resp, MAX_MESSAGE);
    send(cid, CMD_MSG, resp, n < 0 ? 0 : <u32>n);
    return;
  }
  if (cmd == CMD_CBOR) {
    if (len == 0) { sendError(cid, CTAP1_ERR_INVALID_LENGTH); return; }
    const n = ctap2Dispatch(req, len, upGranted, resp, MAX_MESSAGE);
    if (n == NEED_UP && !upGranted) {
      // Park the request (it stays in req) and ask for a touch.
      upPending = true;
      upCid = cid;
      rxLenPending = len;
      upClear();
      const now = uptime_ms();
      upDeadline = now + UP_TIMEOUT_MS;
      keepalive(cid, KEEPALIVE_UPNEEDED);
      nextKeepalive = now + KEEPALIVE_MS;
      updateLed(now);
      armTimer();
      return;
    }
    if (n <= 0) { sendStatusOnly(cid, CTAP1_ERR_OTHER); return; }
    send(cid, CMD_CBOR, resp, <u32>n);
    updateLed(uptime_ms());
    return;
  }
  if (cmd == CMD_VENDOR_SERVICE) {
    if (len < 1) { sendError(cid, CTAP1_ERR_INVALID_LENGTH); return; }
    const sc = load<u8>(req);
    // Factory set-up only: a chip someone already uses keeps its identity (docs/serial-protocol.md).
    let refuse: u8 = 0;
    if ((sc == SVC_PROVISION || sc == SVC_ATTESTATION) && !locked && (credInUse() || pinIsSet())) refuse = ST_IN_USE;
    // A new image over the tunnel needs a touch (latched within UP_LATCH_MS); a resumed one was approved.
    if (sc == SVC_UPDATE_BEGIN && !updateResumes(req + 1, len - 1) && !upConsume()) refuse = ST_PRESENCE_REQUIRED;
    if (refuse != 0) {
      store<u8>(resp, refuse);
      send(cid, CMD_VENDOR_SERVICE, resp, 1);
      return;
    }
    const status = serviceRun(sc, req + 1, len - 1, resp + 1, MAX_MESSAGE - 1);
    store<u8>(resp, status);
    send(cid, CMD_VENDOR_SERVICE, resp, 1 + serviceOutLen);
    return;
  }
  sendError(cid, CTAP1_ERR_INVALID_COMMAND);
}

function init(cid: u32, src: usize, bcnt: u32): void {
  if (bcnt != 8) { sendError(cid, CTAP1_ERR_INVALID_LENGTH); return; }
  if (cid == 0) { sendError(cid, CTAP1_ERR_INVALID_CHANNEL); return; }
  // INIT on a channel resynchronises it: whatever it was doing is abandoned.
  if (rxBusy && rxCid == cid) rxBusy = false;
  if (upPending && upCid == cid) { upPending = false; updateLed(uptime_ms()); }
  let newCid = cid;
  if (cid == BROADCAST) {
    newCid = nextCid;
    nextCid++;
    if (nextCid >= 0xfffffffe) { firstCid = 1; nextCid = 1; } // wrapped: start over
  } else if (!allocated(cid)) { sendError(cid, CTAP1_ERR_INVALID_CHANNEL); return; }
  const p = resp;
  memory.copy(p, src + 7, 8); // nonce
  writeU32BE(p + 8, newCid);
  store<u8>(p + 12, 2); // CTAPHID protocol version
  store<u8>(p + 13, FIRMWARE_MAJOR);
  store<u8>(p + 14, FIRMWARE_MINOR);
  store<u8>(p + 15, FIRMWARE_PATCH);
  store<u8>(p + 16, CAPABILITIES);
  send(cid, CMD_INIT, p, 17);
}

function cancel(cid: u32): void {
  // CANCEL gets no reply itself; the request it cancels answers KEEPALIVE_CANCEL.
  if (upPending && upCid == cid) {
    upPending = false;
    sendStatusOnly(cid, CTAP2_ERR_KEEPALIVE_CANCEL);
    updateLed(uptime_ms());
    armTimer();
  }
}

/** Channel ids are handed out in order from a random start. */
function allocated(cid: u32): bool {
  return cid >= firstCid && cid < nextCid;
}

// ---------------------------------------------------------------- output

function send(cid: u32, cmd: u8, data: usize, len: u32): void {
  memory.fill(report, 0, REPORT_SIZE);
  writeU32BE(report, cid);
  store<u8>(report + 4, cmd | 0x80);
  writeU16BE(report + 5, len);
  let n = min<u32>(len, INIT_DATA);
  memory.copy(report + 7, data, n);
  hid_tx(report, REPORT_SIZE);
  let off = n;
  let seq: u8 = 0;
  while (off < len) {
    memory.fill(report, 0, REPORT_SIZE);
    writeU32BE(report, cid);
    store<u8>(report + 4, seq++);
    n = min<u32>(len - off, CONT_DATA);
    memory.copy(report + 5, data + off, n);
    hid_tx(report, REPORT_SIZE);
    off += n;
  }
}

function sendError(cid: u32, code: u8): void {
  store<u8>(resp, code);
  send(cid, CMD_ERROR, resp, 1);
}

function sendStatusOnly(cid: u32, status: u8): void {
  store<u8>(resp, status);
  send(cid, CMD_CBOR, resp, 1);
}

function keepalive(cid: u32, status: u8): void {
  store<u8>(resp + MAX_MESSAGE, status); // a byte of its own: resp may hold the parked answer
  send(cid, CMD_KEEPALIVE, resp + MAX_MESSAGE, 1);
}

// ---------------------------------------------------------------- LED and timer

/** LED: steady while waiting for a touch, blinking for WINK, off otherwise. */
function updateLed(now: i64): void {
  if (upPending) led_set(1);
  else if (now < winkUntil) led_set(<u32>((now / 250) & 1) ^ 1);
  else led_set(0);
}

function armTimer(): void {
  const now = uptime_ms();
  let at: i64 = 0;
  if (rxBusy) at = rxLast + INTER_PACKET_TIMEOUT_MS + 1;
  if (upPending) { const k = min<i64>(nextKeepalive, upDeadline); if (at == 0 || k < at) at = k; }
  if (now < winkUntil) { const w = now + 250 - (now % 250); if (at == 0 || w < at) at = w; }
  if (at == 0) timerCancel(TIMER_CTAPHID);
  else timerSet(TIMER_CTAPHID, at);
}

/** Random first channel id, so channels are not predictable across power cycles. */
export function ctaphidPowerUp(): void {
  ctaphidReset();
  randomBytes(report, 4); // a failed source gives zeros: channel ids are not secrets
  firstCid = (readU32BE(report) & 0x7fffffff) | 1;
  nextCid = firstCid;
}
