// The browser page's CTAPHID log (simulator/web/ctaphid-log.ts): messages reassembled from reports,
// CTAP2 commands and their status named, an answer named after the request on its channel,
// KEEPALIVE once per change, the service tunnel read like the UART (little-endian update fields).
import { test } from "vitest";
import assert from "node:assert/strict";
import { CtapHidLog } from "../web/ctaphid-log.js";
import { encodeCtapHidMessage } from "../../host-sdk/src/protocols/ctaphid/frame.js";

const CID = 0x01020304;
const msg = (cmd: number, bytes: number[] | Uint8Array, cid = CID) => encodeCtapHidMessage(cid, cmd, Uint8Array.from(bytes));
const feed = (reports: Uint8Array[], f: (r: Uint8Array) => string[]) => reports.flatMap(f);

test("a makeCredential over several reports is one line; its answer names it with the CTAP status", () => {
  const log = new CtapHidLog();
  const req = new Uint8Array(200);
  req[0] = 0x01; // authenticatorMakeCredential
  const reports = msg(0x10, req);
  assert.ok(reports.length > 1);
  assert.deepEqual(feed(reports, (r) => log.fromHost(r)), ["→ CBOR MAKE_CREDENTIAL (199 B)"]);
  assert.deepEqual(feed(msg(0x3b, [2]), (r) => log.fromDevice(r)), ["← KEEPALIVE cid 01020304 waiting for a touch"]);
  assert.deepEqual(feed(msg(0x3b, [2]), (r) => log.fromDevice(r)), [], "the same KEEPALIVE again: no new line");
  const answer = new Uint8Array(300);
  answer[0] = 0x00;
  assert.deepEqual(feed(msg(0x10, answer), (r) => log.fromDevice(r)), ["← CBOR MAKE_CREDENTIAL CTAP2_OK (299 B)"]);
  assert.deepEqual(feed(msg(0x10, [0x02, 0xa1]), (r) => log.fromHost(r)), ["→ CBOR GET_ASSERTION (1 B)"]);
  assert.deepEqual(feed(msg(0x10, [0x2e]), (r) => log.fromDevice(r)), ["← CBOR GET_ASSERTION CTAP2_ERR_NO_CREDENTIALS"]);
});

test("channels are kept apart; INIT on the broadcast channel and CTAPHID errors are named", () => {
  const log = new CtapHidLog();
  assert.deepEqual(feed(msg(0x06, [1, 2, 3, 4, 5, 6, 7, 8], 0xffffffff), (r) => log.fromHost(r)), ["→ INIT broadcast (8 B)"]);
  assert.deepEqual(feed(msg(0x10, [0x04], 7), (r) => log.fromHost(r)), ["→ CBOR GET_INFO"]);
  assert.deepEqual(feed(msg(0x10, [0x02], 8), (r) => log.fromHost(r)), ["→ CBOR GET_ASSERTION"]);
  assert.deepEqual(feed(msg(0x10, [0x00, 0xa0], 7), (r) => log.fromDevice(r)), ["← CBOR GET_INFO CTAP2_OK (1 B)"]);
  assert.deepEqual(feed(msg(0x3f, [0x0b], 8), (r) => log.fromDevice(r)), ["← ERROR INVALID_CHANNEL cid 00000008"]);
});

test("the service tunnel (vendor command 0x51): UPDATE_DATA's little-endian offset, PRESENCE_REQUIRED, bytes received", () => {
  const log = new CtapHidLog();
  const data = new Uint8Array(1 + 4 + 1016);
  data[0] = 0x09;
  data.set([0xf8, 0x03, 0, 0], 1); // offset 1016
  assert.deepEqual(feed(msg(0x51, data), (r) => log.fromHost(r)), ["→ service UPDATE_DATA offset 1016 (1016 B)"]);
  assert.deepEqual(feed(msg(0x51, [0, 0xf0, 0x07, 0, 0]), (r) => log.fromDevice(r)), ["← service UPDATE_DATA OK 2032 B received"]);
  assert.deepEqual(feed(msg(0x51, [0x08, ...new Uint8Array(128)]), (r) => log.fromHost(r)), ["→ service UPDATE_BEGIN (128 B)"]);
  assert.deepEqual(feed(msg(0x51, [0x0a]), (r) => log.fromDevice(r)), ["← service UPDATE_BEGIN PRESENCE_REQUIRED"]);
});

test("a continuation out of sequence is reported, and the next message still decodes", () => {
  const log = new CtapHidLog();
  const reports = msg(0x10, [0x01, ...new Uint8Array(100)]);
  reports[1]![4] = 5; // SEQ 5 where 0 is due
  const lines = feed(reports, (r) => log.fromHost(r));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^→ cid 01020304 broken message: .*SEQ 5/);
  assert.deepEqual(feed(msg(0x10, [0x04]), (r) => log.fromHost(r)), ["→ CBOR GET_INFO"]);
});
