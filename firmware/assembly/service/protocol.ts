// The management protocol's commands (docs/serial-protocol.md). Every request with a valid
// frame gets exactly one response. No command returns a seed.
import {
  frameType, frameSeq, framePayload, framePayloadLen, sendResponse, responseData, RESPONSE_DATA_MAX,
} from "./frame";
import { readU16BE, readU64BE, writeU16BE, writeU32BE, writeU64BE } from "../util/bytes";
import { uptime_ms, reset } from "../hal";
import { updateBegin, updateData, updateFinish, updateAbort } from "../update/receiver";
import {
  provisioned, locked, timeSet, model, algorithm, digits, period, serial, serialLen, deviceState,
  saveProvisioning, saveTime, saveLock, nowUnixMs, SERIAL_MAX, SEED_MIN, SEED_MAX,
  MODEL_CODE_DISPLAY, MODEL_CHIP,
} from "../state";
import { STORE_OK, storeFreeBytes, storeMaxEraseCount, storeWasRecovered, storeWasDamaged } from "../storage/store";
import { displayOn } from "../models/code_display";
import { attestationProvision, ATT_ERR_STORE } from "../fido/attestation";
import { copyInto, BUF_OK } from "../platform/buffer";
import { FIRMWARE_MAJOR, FIRMWARE_MINOR, FIRMWARE_PATCH } from "../version";
import { rngFailed, rngFailure } from "../platform/rng";

export const CMD_INFO: u8 = 0x01;
export const CMD_PROVISION: u8 = 0x02;
export const CMD_SET_TIME: u8 = 0x03;
export const CMD_STATUS: u8 = 0x04;
export const CMD_LOCK: u8 = 0x05;
export const CMD_PING: u8 = 0x06;
export const CMD_ATTESTATION: u8 = 0x07;
export const CMD_UPDATE_BEGIN: u8 = 0x08;
export const CMD_UPDATE_DATA: u8 = 0x09;
export const CMD_UPDATE_FINISH: u8 = 0x0a;
export const CMD_UPDATE_ABORT: u8 = 0x0b;
export const CMD_REBOOT: u8 = 0x0c;

/** Largest attestation certificate accepted (the store holds values up to 1024 bytes). */
const ATT_CERT_MAX: u32 = 1024;

export const ST_OK: u8 = 0x00;
export const ST_UNKNOWN_COMMAND: u8 = 0x01;
export const ST_BAD_LENGTH: u8 = 0x02;
export const ST_BAD_PARAMETER: u8 = 0x03;
export const ST_BAD_STATE: u8 = 0x04;
export const ST_LOCKED: u8 = 0x05;
export const ST_STORAGE_FAILURE: u8 = 0x06;
/** The TRNG failed its health tests this power cycle: nothing that will need keys is set up. */
export const ST_ENTROPY_FAILURE: u8 = 0x07;
/** Refused over the chip's HID tunnel: the chip already holds a credential or a PIN. */
export const ST_IN_USE: u8 = 0x08;
/** The update receiver refused; one detail byte follows: the UPDATE_ERR_* code negated (1..9). */
export const ST_UPDATE_REFUSED: u8 = 0x09;
/** Over the chip's HID tunnel: UPDATE_BEGIN of a new image needs a touch first (docs/serial-protocol.md). */
export const ST_PRESENCE_REQUIRED: u8 = 0x0a;

const PROTOCOL_VERSION: u8 = 1;
const MIN_TIME_MS: i64 = 1577836800000; // 2020-01-01
const MAX_TIME_MS: i64 = 7258118400000; // 2200-01-01

/** Flash write failures seen since boot (reported by STATUS). */
export let flashErrors: u32 = 0;

export function handleFrame(): void {
  const type = frameType;
  if (type >= 0x80) return; // a response echoed back, or noise
  const status = serviceRun(type, framePayload, framePayloadLen, responseData, RESPONSE_DATA_MAX);
  sendResponse(type, frameSeq, status, serviceOutLen);
}

/** Data length written by the last serviceRun (valid when it returned ST_OK). */
export let serviceOutLen: u32 = 0;
let outPtr: usize = 0;
let outMax: u32 = 0;

/**
 * Runs one service command on (payload, len), writing response data to out. Returns the status;
 * the data length is in serviceOutLen. Shared by the UART and the chip's CTAPHID vendor command.
 */
export function serviceRun(type: u8, payload: usize, len: u32, out: usize, max: u32): u8 {
  outPtr = out;
  outMax = max;
  serviceOutLen = 0;
  let status: u8 = ST_OK;
  if (type == CMD_INFO) serviceOutLen = info();
  else if (type == CMD_PROVISION) status = provision(payload, len);
  else if (type == CMD_SET_TIME) status = setTime(payload, len);
  else if (type == CMD_STATUS) serviceOutLen = statusCmd();
  else if (type == CMD_LOCK) status = lock(payload, len);
  else if (type == CMD_PING) {
    // an echo that does not fit the response is refused, not cut
    if (copyInto(outPtr, outMax, 0, payload, len) != BUF_OK) status = ST_BAD_LENGTH;
    else serviceOutLen = len;
  } else if (type == CMD_ATTESTATION) status = attestation(payload, len);
  else if (type >= CMD_UPDATE_BEGIN && type <= CMD_REBOOT) status = update(type, payload, len);
  else status = ST_UNKNOWN_COMMAND;
  if (status != ST_OK && status != ST_UPDATE_REFUSED) serviceOutLen = 0;
  return status;
}

function info(): u32 {
  const p = outPtr;
  store<u8>(p, PROTOCOL_VERSION);
  store<u8>(p + 1, FIRMWARE_MAJOR);
  store<u8>(p + 2, FIRMWARE_MINOR);
  store<u8>(p + 3, FIRMWARE_PATCH);
  store<u8>(p + 4, provisioned ? model : 0);
  store<u8>(p + 5, deviceState());
  store<u8>(p + 6, (timeSet ? 1 : 0) | (storeWasRecovered() ? 2 : 0) | (rngFailed() ? 4 : 0) | (storeWasDamaged() ? 8 : 0));
  store<u8>(p + 7, provisioned ? algorithm : 0);
  store<u8>(p + 8, provisioned ? digits : 0);
  writeU16BE(p + 9, provisioned ? period : 0);
  const n = provisioned ? serialLen : 0;
  store<u8>(p + 11, <u8>n);
  memory.copy(p + 12, serial, n);
  return 12 + n;
}

function provision(p: usize, len: u32): u8 {
  if (locked) return ST_LOCKED;
  if (rngFailed()) return ST_ENTROPY_FAILURE;
  if (len < 7) return ST_BAD_LENGTH;
  const m = load<u8>(p);
  const alg = load<u8>(p + 1);
  const dig = load<u8>(p + 2);
  const per = readU16BE(p + 3);
  const sLen = <u32>load<u8>(p + 5);
  if (<u32>7 + sLen > len) return ST_BAD_LENGTH;
  const seedLen = <u32>load<u8>(p + 6 + sLen);
  if (<u32>7 + sLen + seedLen != len) return ST_BAD_LENGTH;
  if (m < MODEL_CODE_DISPLAY || m > MODEL_CHIP) return ST_BAD_PARAMETER;
  if (alg < 1 || alg > 3) return ST_BAD_PARAMETER;
  if (dig < 6 || dig > 8) return ST_BAD_PARAMETER;
  if (m == MODEL_CODE_DISPLAY && dig != 6) return ST_BAD_PARAMETER; // its LCD has 6 digits (docs/hal.md)
  if (per < 10 || per > 300) return ST_BAD_PARAMETER;
  if (sLen < 1 || sLen > SERIAL_MAX) return ST_BAD_PARAMETER;
  for (let i: u32 = 0; i < sLen; i++) {
    const c = load<u8>(p + 6 + i);
    if (c < 0x21 || c > 0x7e) return ST_BAD_PARAMETER;
  }
  if (seedLen < SEED_MIN || seedLen > SEED_MAX) return ST_BAD_PARAMETER;
  const r = saveProvisioning(m, alg, dig, per, p + 6, sLen, p + 7 + sLen, seedLen);
  memory.fill(p + 7 + sLen, 0, seedLen); // the seed leaves RAM once it is in flash
  return storeStatus(r);
}

function setTime(p: usize, len: u32): u8 {
  if (locked) return ST_LOCKED;
  if (len != 8) return ST_BAD_LENGTH;
  const t = <i64>readU64BE(p);
  if (t < MIN_TIME_MS || t > MAX_TIME_MS) return ST_BAD_PARAMETER;
  return storeStatus(saveTime(t));
}

function statusCmd(): u32 {
  const p = outPtr;
  writeU64BE(p, timeSet ? <u64>nowUnixMs() : 0);
  writeU64BE(p + 8, <u64>uptime_ms());
  store<u8>(p + 16, displayOn() ? 1 : 0);
  writeU32BE(p + 17, storeFreeBytes());
  writeU32BE(p + 21, storeMaxEraseCount());
  writeU32BE(p + 25, flashErrors);
  store<u8>(p + 29, <u8>rngFailure); // 0, or why the entropy source failed (platform/rng.ts)
  return 30;
}

function lock(p: usize, len: u32): u8 {
  if (len != 4) return ST_BAD_LENGTH;
  if (load<u8>(p) != 0x4c || load<u8>(p + 1) != 0x4f || load<u8>(p + 2) != 0x43 || load<u8>(p + 3) != 0x4b) {
    return ST_BAD_PARAMETER;
  }
  if (locked) return ST_OK;
  if (!provisioned || !timeSet) return ST_BAD_STATE;
  return storeStatus(saveLock());
}

/** ATTESTATION: batch key (32 B) ‖ certificate DER, for the chip's packed attestation. */
function attestation(p: usize, len: u32): u8 {
  if (locked) return ST_LOCKED;
  if (rngFailed()) return ST_ENTROPY_FAILURE;
  if (len < 32 + 16 || len > 32 + ATT_CERT_MAX) return ST_BAD_LENGTH;
  const r = attestationProvision(p, p + 32, len - 32);
  memory.fill(p, 0, 32); // the key leaves RAM once it is in flash
  if (r == ATT_ERR_STORE) { flashErrors++; return ST_STORAGE_FAILURE; } // only a failed write counts

  return r < 0 ? ST_BAD_PARAMETER : ST_OK;
}

/** UPDATE_BEGIN/DATA/FINISH/ABORT and REBOOT (docs/image-format.md "Transports"); counts are u32 little-endian. */
function update(type: u8, p: usize, len: u32): u8 {
  let r: i32 = 0;
  if (type == CMD_UPDATE_BEGIN) r = updateBegin(p, len);
  else if (type == CMD_UPDATE_DATA) {
    if (len < 4) return ST_BAD_LENGTH;
    r = updateData(load<u32>(p), p + 4, len - 4);
  } else if (len != 0) return ST_BAD_LENGTH;
  else if (type == CMD_UPDATE_FINISH) r = updateFinish();
  else if (type == CMD_UPDATE_ABORT) updateAbort();
  else reset(); // REBOOT: the host power-cycles the device once this answer is out
  if (r < 0) {
    store<u8>(outPtr, <u8>-r);
    serviceOutLen = 1;
    return ST_UPDATE_REFUSED;
  }
  if (type <= CMD_UPDATE_DATA) { store<u32>(outPtr, <u32>r); serviceOutLen = 4; }
  return ST_OK;
}

function storeStatus(r: i32): u8 {
  if (r == STORE_OK) return ST_OK;
  flashErrors++;
  return ST_STORAGE_FAILURE;
}
