// Smaller defects of issue 6 on the service protocol (docs/serial-protocol.md), through the UART
// of the guarded image.
import { test, describe } from "vitest";
import assert from "node:assert/strict";
import { validateProvisionParams, SeglError } from "@segl/host-sdk";
import { CMD, ST, SEED, newDevice, provisionPayload } from "./service-util.js";

const ATTESTATION = 7;

function flashErrors(port: ReturnType<typeof newDevice>["port"]): number {
  const s = port.request(CMD.STATUS)!;
  assert.equal(s.status, ST.OK);
  return new DataView(s.data.buffer, s.data.byteOffset).getUint32(25);
}

describe("service protocol defects (issue 6)", () => {
  test("PING with 1,024 bytes answers BAD_LENGTH (no truncated echo); 1,023 bytes are echoed whole", () => {
    const { port } = newDevice();
    const r = port.request(CMD.PING, new Uint8Array(1024).fill(0x5a))!;
    assert.equal(r.status, ST.BAD_LENGTH);
    assert.equal(r.data.length, 0);
    const ok = port.request(CMD.PING, new Uint8Array(1023).fill(0x5b))!;
    assert.equal(ok.status, ST.OK);
    assert.deepEqual(ok.data, new Uint8Array(1023).fill(0x5b));
  });

  test("ATTESTATION with a certificate that does not parse: BAD_PARAMETER, no flash error counted", () => {
    const { port } = newDevice();
    const key = new Uint8Array(32).fill(0x11); // a valid P-256 scalar
    for (const cert of [new Uint8Array(100).fill(0x30), new Uint8Array([0x30, 0x82, 0xff, 0xff, ...new Uint8Array(60)])]) {
      const r = port.request(ATTESTATION, new Uint8Array([...key, ...cert]))!;
      assert.equal(r.status, ST.BAD_PARAMETER);
    }
    assert.equal(flashErrors(port), 0, "nothing was written, so nothing failed");
  });

  test("digits: the code display (6-digit LCD) refuses 7 and 8 with BAD_PARAMETER; the chip takes them; the SDK says so first", () => {
    for (const digits of [7, 8]) {
      const { port } = newDevice();
      assert.equal(port.request(CMD.PROVISION, provisionPayload({ model: 1, digits }))!.status, ST.BAD_PARAMETER);
      assert.equal(port.request(CMD.INFO)!.data[4], 0, "still blank");
      assert.equal(port.request(CMD.PROVISION, provisionPayload({ model: 3, digits }))!.status, ST.OK);
      assert.equal(port.request(CMD.INFO)!.data[8], digits);
      const params = { model: "code-display" as const, algorithm: "SHA1" as const, digits, period: 30, serial: "S-1", seed: SEED };
      assert.throws(() => validateProvisionParams(params), (e: unknown) => e instanceof SeglError && e.code === "INVALID_ARGUMENT" && /6 digits/.test(e.message));
      validateProvisionParams({ ...params, model: "chip" });
    }
  });
});
