// The DFU 1.1 state machine of the simulated chip's USB stack (simulator/src/usb/dfu.ts) against a
// fake update receiver: every request in the states where it matters, UPLOAD refused, busy
// polling, errors and CLRSTATUS, ABORT and resume, manifestation and the reset that follows.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { DfuFunction, DFU_IN, DFU_OUT, DFU_REQUEST as R, DFU_STATE, DFU_STATUS, dfuStatusForUpdateError, type DfuSignal } from "../src/index.js";
import { FakeReceiver, fakeImage } from "./fake-receiver.js";

function rig(o: { blockBusyMs?: number; manifestMs?: number; transferSize?: number; dfuMode?: boolean } = {}) {
  let now = 0;
  const receiver = new FakeReceiver();
  const dfu = new DfuFunction({ receiver, now: () => now, dfuMode: o.dfuMode ?? true, ...o });
  const signals: DfuSignal[] = [];
  dfu.onSignal = (s) => signals.push(s);
  const out = (req: number, data: Uint8Array = new Uint8Array(0), wValue = 0) => dfu.request(DFU_OUT, req, wValue, 0, data);
  const status = () => {
    const r = dfu.request(DFU_IN, R.GETSTATUS, 0, 6);
    assert.equal(r.stall, false, "GETSTATUS answered");
    const d = (r as { data: Uint8Array }).data;
    return { status: d[0]!, poll: d[1]! | (d[2]! << 8) | (d[3]! << 16), state: d[4]! };
  };
  const state = () => {
    const r = dfu.request(DFU_IN, R.GETSTATE, 0, 1);
    return r.stall ? -1 : (r as { data: Uint8Array }).data[0]!;
  };
  return { dfu, receiver, signals, out, status, state, advance: (ms: number) => { now += ms; } };
}

const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe("DFU state machine", () => {
  test("functional descriptor: download only (no UPLOAD), will detach, not manifestation tolerant, wTransferSize, DFU 1.1", () => {
    const { dfu } = rig({ transferSize: 512 });
    assert.deepEqual([...dfu.functionalDescriptor()], [9, 0x21, 0x09, 0xe8, 0x03, 0x00, 0x02, 0x10, 0x01]);
  });

  test("runtime mode: only DETACH, GETSTATUS and GETSTATE; DETACH → appDETACH, then the reset enters dfuIDLE", () => {
    const { dfu, out, status, state, signals } = rig({ dfuMode: false });
    assert.equal(state(), DFU_STATE.appIDLE);
    assert.equal(out(R.DNLOAD, payload(16)).stall, true, "DNLOAD in appIDLE");
    assert.equal(dfu.request(DFU_IN, R.UPLOAD, 0, 64).stall, true, "UPLOAD in appIDLE");
    assert.equal(out(R.CLRSTATUS).stall, true);
    assert.equal(out(R.ABORT).stall, true);
    assert.equal(dfu.state, "appIDLE", "a stall in runtime mode does not leave appIDLE");
    assert.equal(out(R.DETACH, new Uint8Array(0), 1000).stall, false);
    assert.deepEqual(signals, ["detach"]);
    assert.equal(status().state, DFU_STATE.appDETACH);
    assert.equal(out(R.DETACH).stall, true, "DETACH only from appIDLE");
    dfu.usbReset();
    assert.equal(dfu.state, "dfuIDLE");
  });

  test("a whole download: DNLOAD-SYNC → DNBUSY (bwPollTimeout) → DNLOAD-IDLE per block, then MANIFEST-SYNC → MANIFEST → WAIT-RESET → reset", () => {
    const { dfu, receiver, out, status, state, advance } = rig({ blockBusyMs: 12, manifestMs: 40, transferSize: 256 });
    const file = fakeImage(payload(700));
    let block = 0;
    for (let off = 0; off < file.length; off += 256, block++) {
      assert.equal(out(R.DNLOAD, file.subarray(off, off + 256), block).stall, false);
      assert.equal(state(), DFU_STATE["dfuDNLOAD-SYNC"]);
      const s = status();
      assert.deepEqual(s, { status: 0, poll: 12, state: DFU_STATE.dfuDNBUSY });
      advance(12);
      assert.deepEqual(status(), { status: 0, poll: 0, state: DFU_STATE["dfuDNLOAD-IDLE"] });
    }
    assert.equal(receiver.received, 700);
    assert.equal(out(R.DNLOAD, new Uint8Array(0), block).stall, false);
    assert.equal(state(), DFU_STATE["dfuMANIFEST-SYNC"]);
    assert.equal(receiver.pending, false, "finish waits for GETSTATUS");
    assert.deepEqual(status(), { status: 0, poll: 40, state: DFU_STATE.dfuMANIFEST });
    assert.equal(receiver.pending, true);
    assert.equal(dfu.request(DFU_IN, R.GETSTATUS, 0, 6).stall, true, "no requests while manifesting");
    assert.equal(dfu.state, "dfuERROR", "a host that does not wait bwPollTimeout breaks it");
  });

  test("manifestation, waited out: dfuMANIFEST-WAIT-RESET until the USB reset, which asks the chip to reboot", () => {
    const { dfu, out, status, advance, signals } = rig({ manifestMs: 40 });
    const file = fakeImage(payload(100));
    out(R.DNLOAD, file, 0);
    assert.equal(status().state, DFU_STATE["dfuDNLOAD-IDLE"], "no busy time: straight to DNLOAD-IDLE");
    out(R.DNLOAD, new Uint8Array(0), 1);
    assert.equal(status().state, DFU_STATE.dfuMANIFEST);
    advance(40);
    assert.equal(dfu.state, "dfuMANIFEST-WAIT-RESET");
    assert.equal(dfu.request(DFU_IN, R.GETSTATE, 0, 1).stall, true, "a device waiting for reset answers nothing");
    assert.equal(dfu.state, "dfuMANIFEST-WAIT-RESET");
    dfu.usbReset();
    assert.deepEqual(signals, ["manifested"]);
    assert.equal(dfu.state, "appIDLE");
  });

  test("a request during dfuDNBUSY (before bwPollTimeout) stalls into dfuERROR errSTALLEDPKT; CLRSTATUS recovers and the receiver forgets", () => {
    const { dfu, receiver, out, status, advance } = rig({ blockBusyMs: 25 });
    out(R.DNLOAD, fakeImage(payload(64)).subarray(0, 150), 0);
    assert.equal(status().state, DFU_STATE.dfuDNBUSY);
    advance(24);
    assert.equal(dfu.request(DFU_IN, R.GETSTATUS, 0, 6).stall, true);
    assert.deepEqual(status(), { status: DFU_STATUS.errSTALLEDPKT, poll: 0, state: DFU_STATE.dfuERROR });
    assert.equal(out(R.DNLOAD, payload(8), 1).stall, true, "dfuERROR takes no DNLOAD");
    assert.equal(out(R.ABORT).stall, true, "dfuERROR takes no ABORT");
    assert.equal(out(R.CLRSTATUS).stall, false);
    assert.deepEqual(status(), { status: 0, poll: 0, state: DFU_STATE.dfuIDLE });
    assert.equal(receiver.aborts, 1, "update_abort after an error");
    assert.equal(out(R.CLRSTATUS).stall, true, "CLRSTATUS only in dfuERROR");
  });

  test("a bad signature is refused at the header, before any payload byte: dfuERROR errVERIFY", () => {
    const { receiver, out, status } = rig();
    out(R.DNLOAD, fakeImage(payload(300), { badSignature: true }).subarray(0, 200), 0);
    assert.deepEqual(status(), { status: DFU_STATUS.errVERIFY, poll: 0, state: DFU_STATE.dfuERROR });
    assert.deepEqual(receiver.calls, ["begin"]);
    assert.equal(receiver.written, 0);
  });

  test("a wrong model is errTARGET; a bad payload hash is errVERIFY at manifestation; a short file errNOTDONE; a flash failure errWRITE", () => {
    const model = rig();
    model.out(R.DNLOAD, fakeImage(payload(64), { model: 0x02 }), 0);
    assert.equal(model.status().status, DFU_STATUS.errTARGET);

    const hash = rig();
    hash.out(R.DNLOAD, fakeImage(payload(64), { badHash: true }), 0);
    assert.equal(hash.status().state, DFU_STATE["dfuDNLOAD-IDLE"]);
    hash.out(R.DNLOAD, new Uint8Array(0), 1);
    assert.deepEqual(hash.status(), { status: DFU_STATUS.errVERIFY, poll: 0, state: DFU_STATE.dfuERROR });
    assert.equal(hash.receiver.pending, false);

    const short = rig();
    short.out(R.DNLOAD, fakeImage(payload(64)).subarray(0, 150), 0);
    short.status();
    short.out(R.DNLOAD, new Uint8Array(0), 1);
    assert.equal(short.status().status, DFU_STATUS.errNOTDONE);

    const headerOnly = rig();
    headerOnly.out(R.DNLOAD, fakeImage(payload(64)).subarray(0, 100), 0);
    headerOnly.status();
    headerOnly.out(R.DNLOAD, new Uint8Array(0), 1);
    assert.equal(headerOnly.status().status, DFU_STATUS.errNOTDONE, "fewer than 128 bytes never reached update_begin");

    const flash = rig();
    flash.receiver.failFlashAt = 10;
    flash.out(R.DNLOAD, fakeImage(payload(64)), 0);
    assert.equal(flash.status().status, DFU_STATUS.errWRITE);
  });

  test("UPDATE_ERR_* → DFU status, as docs/image-format.md maps them", () => {
    const names = [-1, -2, -3, -4, -5, -6, -7, -8, -9].map(dfuStatusForUpdateError);
    assert.deepEqual(names, ["errTARGET", "errTARGET", "errTARGET", "errVERIFY", "errTARGET", "errNOTDONE", "errVERIFY", "errWRITE", "errTARGET"]);
  });

  test("UPLOAD is refused with a STALL in DFU mode too (no firmware read-out), and the stall is errSTALLEDPKT", () => {
    const { dfu, status } = rig();
    const r = dfu.request(DFU_IN, R.UPLOAD, 0, 1024);
    assert.equal(r.stall, true);
    assert.deepEqual(status(), { status: DFU_STATUS.errSTALLEDPKT, poll: 0, state: DFU_STATE.dfuERROR });
  });

  test("malformed requests stall: zero-length DNLOAD in dfuIDLE, a block over wTransferSize, a skipped block number, wrong direction, short GETSTATUS, unknown request", () => {
    const cases: [string, (x: ReturnType<typeof rig>) => unknown, number][] = [
      ["empty DNLOAD in dfuIDLE", (x) => x.out(R.DNLOAD, new Uint8Array(0), 0), DFU_STATUS.errSTALLEDPKT],
      ["oversized block", (x) => x.out(R.DNLOAD, new Uint8Array(1025), 0), DFU_STATUS.errSTALLEDPKT],
      ["first block numbered 1", (x) => x.out(R.DNLOAD, new Uint8Array(10), 1), DFU_STATUS.errNOTDONE],
      ["GETSTATUS as OUT", (x) => x.dfu.request(DFU_OUT, R.GETSTATUS, 0, 0), DFU_STATUS.errSTALLEDPKT],
      ["DNLOAD as IN", (x) => x.dfu.request(DFU_IN, R.DNLOAD, 0, 8), DFU_STATUS.errSTALLEDPKT],
      ["vendor request type", (x) => x.dfu.request(0x41, R.DNLOAD, 0, 0, new Uint8Array(4)), DFU_STATUS.errSTALLEDPKT],
      ["GETSTATUS for 5 bytes", (x) => x.dfu.request(DFU_IN, R.GETSTATUS, 0, 5), DFU_STATUS.errSTALLEDPKT],
      ["request 7", (x) => x.dfu.request(DFU_OUT, 7, 0, 0), DFU_STATUS.errSTALLEDPKT],
      ["DETACH in DFU mode", (x) => x.out(R.DETACH), DFU_STATUS.errSTALLEDPKT],
    ];
    for (const [what, send, st] of cases) {
      const x = rig();
      const r = send(x) as { stall: boolean };
      assert.equal(r.stall, true, what);
      assert.deepEqual(x.status(), { status: st, poll: 0, state: DFU_STATE.dfuERROR }, what);
    }
  });

  test("ABORT in the middle returns to dfuIDLE without forgetting: the same image again resumes where the receiver stood", () => {
    const { receiver, out, status } = rig({ transferSize: 128 });
    const file = fakeImage(payload(1000));
    for (let b = 0; b < 4; b++) { out(R.DNLOAD, file.subarray(b * 128, b * 128 + 128), b); status(); }
    assert.equal(receiver.received, 384);
    assert.equal(out(R.ABORT).stall, false);
    assert.equal(status().state, DFU_STATE.dfuIDLE);
    assert.equal(receiver.aborts, 0);
    let b = 0;
    for (let off = 0; off < file.length; off += 128, b++) { out(R.DNLOAD, file.subarray(off, off + 128), b); assert.equal(status().state, DFU_STATE["dfuDNLOAD-IDLE"]); }
    out(R.DNLOAD, new Uint8Array(0), b);
    assert.equal(status().state, DFU_STATE.dfuMANIFEST);
    assert.equal(receiver.pending, true);
    assert.equal(receiver.written, 1000, "the 384 bytes held were not written again");
    assert.deepEqual([...receiver.payload], [...payload(1000)]);
  });

  test("a different image after ABORT starts over", () => {
    const { receiver, out, status } = rig({ transferSize: 256 });
    out(R.DNLOAD, fakeImage(payload(900)).subarray(0, 256), 0);
    status();
    out(R.ABORT);
    const other = fakeImage(payload(400).map((x) => x ^ 0x55));
    out(R.DNLOAD, other.subarray(0, 256), 0); status();
    out(R.DNLOAD, other.subarray(256, 512), 1); status();
    out(R.DNLOAD, other.subarray(512), 2); status();
    out(R.DNLOAD, new Uint8Array(0), 3);
    assert.equal(status().status, 0);
    assert.equal(receiver.pending, true);
    assert.equal(receiver.payload.length, 400);
  });

  test("ABORT is refused in dfuDNLOAD-SYNC (only GETSTATUS/GETSTATE there) and in dfuERROR", () => {
    const x = rig();
    x.out(R.DNLOAD, fakeImage(payload(20)), 0);
    assert.equal(x.out(R.ABORT).stall, true);
    assert.deepEqual(x.status(), { status: DFU_STATUS.errSTALLEDPKT, poll: 0, state: DFU_STATE.dfuERROR });
    assert.equal(x.out(R.ABORT).stall, true, "nor in dfuERROR");
    assert.equal(x.state(), DFU_STATE.dfuERROR);
  });

  test("ABORT is allowed in dfuMANIFEST-SYNC: back to dfuIDLE, nothing manifested", () => {
    const x = rig();
    x.out(R.DNLOAD, fakeImage(payload(20)), 0);
    x.status();
    x.out(R.DNLOAD, new Uint8Array(0), 1);
    assert.equal(x.out(R.ABORT).stall, false);
    assert.equal(x.status().state, DFU_STATE.dfuIDLE);
    assert.equal(x.receiver.pending, false, "finish never ran");
  });
});
