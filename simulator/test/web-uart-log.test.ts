// The browser page's UART log (simulator/web/uart-log.ts): frames in both directions named as the
// protocol names them, split across writes, and a damaged frame reported as a CRC failure.
import { test } from "vitest";
import assert from "node:assert/strict";
import { UartDecoder, describeFrame } from "../web/uart-log.js";
import { encodeRequest, encodeResponse } from "../../host-sdk/src/protocols/service/frame.js";
import { Command, DeviceStatusCode } from "../../host-sdk/src/protocols/service/client.js";

test("requests: UPDATE_DATA shows its offset and chunk size; a frame split over two writes is one line", () => {
  const d = new UartDecoder("→");
  const payload = new Uint8Array(4 + 1016);
  payload.set([0xf8, 0x03, 0, 0]); // offset 1016, little-endian as the update commands' fields
  const f = encodeRequest(Command.UPDATE_DATA, 7, payload);
  assert.deepEqual(d.push(f.subarray(0, 100)), []);
  assert.deepEqual(d.push(f.subarray(100)), ["→ UPDATE_DATA offset 1016 (1016 B)"]);
  assert.deepEqual(d.push(encodeRequest(Command.INFO, 8)), ["→ INFO"]);
});

test("answers: INFO decoded, status names, UPDATE_REFUSED with its reason", () => {
  const info = new Uint8Array([1, 0, 2, 0, 1, 2, 1, 1, 6, 0, 30, 3, 0x41, 0x42, 0x43]);
  assert.equal(describeFrame("←", { type: Command.INFO | 0x80, seq: 1, payload: new Uint8Array([0, ...info]) }), "← INFO OK model 1 locked firmware 0.2.0 serial ABC");
  const d = new UartDecoder("←");
  assert.deepEqual(d.push(encodeResponse(Command.PROVISION, 2, DeviceStatusCode.LOCKED)), ["← PROVISION LOCKED"]);
  assert.deepEqual(d.push(encodeResponse(Command.UPDATE_BEGIN, 3, DeviceStatusCode.UPDATE_REFUSED, new Uint8Array([5]))), ["← UPDATE_BEGIN UPDATE_REFUSED ROLLBACK"]);
  assert.deepEqual(d.push(encodeResponse(Command.UPDATE_DATA, 4, DeviceStatusCode.OK, new Uint8Array([0, 4, 0, 0]))), ["← UPDATE_DATA OK 1024 B received"]);
});

test("a frame with a flipped CRC byte is reported as a CRC failure, and the next good frame still decodes", () => {
  const d = new UartDecoder("←");
  const bad = encodeResponse(Command.PING, 5, DeviceStatusCode.OK);
  bad[bad.length - 1]! ^= 1;
  const lines = d.push(bad);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^← CRC failure/);
  assert.deepEqual(d.push(encodeResponse(Command.PING, 6, DeviceStatusCode.OK)), ["← PING OK"]);
});
