// Fuzzing the update receiver past the signature: headers with random fields are signed with the
// device's maker keys (so mutations reach update_data and update_finish), then random sequences
// of UPDATE_BEGIN/DATA/FINISH/ABORT with random offsets and lengths, and raw garbage frames.
// Invariants: no trap and no guard overwritten (the guarded image checks after every call), every
// answer is OK or a refusal with a known detail, counts add up, and whatever the receiver marks
// pending the boot ROM accepts. `node scripts/fuzz.mjs update N [seed]` runs it longer.
import { test } from "vitest";
import assert from "node:assert/strict";
import { buildImage } from "@segl/host-sdk/image";
import { KEYS, UPD, ST_UPDATE_REFUSED, updDevice, countOf, dataPayload } from "./update-util.js";

const N = Number(process.env.SEGL_FUZZ_ITERATIONS ?? 150);
const SEED = Number(process.env.SEGL_FUZZ_SEED ?? 20261127);

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

test(`update fuzzer: ${N} signed headers with random fields and random command sequences (seed ${SEED})`, () => {
  const r = rng(SEED);
  const int = (n: number) => Math.floor(r() * n);
  const d = updDevice();
  let accepted = 0, finished = 0;
  // the receiver's download as the device should see it (a refused BEGIN leaves it as it was)
  let active = false, have = 0, body: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < N; i++) {
    assert.equal(d.device.state, "on", `iteration ${i}: the device is ${d.device.state}`);
    const len = 8 + int(3000);
    const payload = new Uint8Array(len).map(() => int(256));
    const keyIndex = r() < 0.8 ? int(2) : int(4);
    let file = buildImage(payload, {
      version: `${int(256)}.${int(256)}.${int(256)}`, securityCounter: r() < 0.9 ? int(3) : int(2 ** 32), keyIndex,
      models: 1 + int(15), revoke: r() < 0.1 ? (keyIndex === 0 ? 2 : 1) : 0, privateKeyPem: KEYS[keyIndex % 2]!.privateKeyPem,
    });
    if (r() < 0.3) { // a field changed after signing, or a byte anywhere
      file = file.slice();
      file[int(r() < 0.5 ? 128 : file.length)]! ^= 1 << int(8);
    }
    const begin = d.port.request(UPD.BEGIN, r() < 0.95 ? file.subarray(0, 128) : file.subarray(0, int(200)));
    assert.ok(begin, `iteration ${i}: BEGIN unanswered`);
    if (begin.status === 0) {
      accepted++;
      active = true;
      have = countOf(begin.data);
      body = file.subarray(128);
      assert.equal(have, 0, "a new header starts at 0");
    } else {
      assert.equal(begin.status, ST_UPDATE_REFUSED);
      assert.ok(begin.data[0]! >= 1 && begin.data[0]! <= 9, `detail ${begin.data[0]}`);
    }
    for (let step = 0, steps = 1 + int(12); step < steps; step++) {
      const what = r();
      if (what < 0.7) {
        const off = r() < 0.8 ? have : int(body.length + 8);
        const n = r() < 0.7 ? Math.min(1016, body.length - off) : int(1017);
        const chunk = body.subarray(Math.min(off, body.length), Math.min(off, body.length) + Math.max(0, n));
        const a = d.port.request(UPD.DATA, dataPayload(off, chunk));
        assert.ok(a);
        if (a.status === 0) {
          assert.ok(active && off === have, "DATA accepted only at the received count of a download");
          assert.equal(countOf(a.data), off + chunk.length);
          have = countOf(a.data);
        } else {
          assert.ok(a.status === ST_UPDATE_REFUSED || a.status === 2, `DATA status ${a.status}`);
          if (a.status === ST_UPDATE_REFUSED && a.data[0] === 8) active = false;
        }
      } else if (what < 0.85) {
        const f = d.port.request(UPD.FINISH);
        assert.ok(f);
        const was = active;
        active = false;
        if (f.status === 0) {
          finished++;
          assert.ok(was && have === body.length, "finish accepted only with every byte");
          const pending = d.device.bootRecord().pending;
          assert.ok(pending, "finish marked a slot pending");
          const verdict = d.device.bootRom.verifySlot(pending);
          assert.deepEqual(verdict.ok ? "ok" : verdict.reason, "ok", `iteration ${i}: the receiver accepted what the boot ROM refuses`);
        } else assert.ok(f.status === ST_UPDATE_REFUSED && f.data[0]! >= 1 && f.data[0]! <= 9);
      } else if (what < 0.92) {
        assert.equal(d.port.request(UPD.ABORT)?.status, 0);
        active = false;
      } else {
        const cmd = 0x08 + int(5) === 0x0c ? 0x0b : 0x08 + int(4);
        const g = d.port.request(cmd, new Uint8Array(int(1024)).map(() => int(256)));
        assert.ok(g, `garbage command 0x${cmd.toString(16)} unanswered`);
        if (g.status === 0 && cmd === UPD.BEGIN) { active = countOf(g.data) === 0 ? false : active; }
        if (g.status === 0 && cmd === UPD.DATA) have = countOf(g.data);
        if ((cmd === UPD.FINISH || cmd === UPD.ABORT) && g.status !== 2) active = false; // BAD_LENGTH changes nothing
      }
    }
  }
  assert.equal(d.device.state, "on");
  assert.ok(accepted > N / 4, `${accepted} headers accepted: the fuzzer reaches past the signature`);
  if (N >= 100) assert.ok(finished > 0, "some downloads completed");
});
