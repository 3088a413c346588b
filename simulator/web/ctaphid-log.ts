// The page's event log reads a chip's CTAPHID reports as messages, in both directions: "→ CBOR
// MAKE_CREDENTIAL (212 B)", "← CBOR MAKE_CREDENTIAL OK (1024 B)", "← KEEPALIVE waiting for a touch",
// "→ service UPDATE_DATA offset 1016 (1016 B)", "← ERROR INVALID_CHANNEL". An answer names the request it
// answers (the last one on its channel). The SDK's CTAPHID assembler and CTAP/service names do the work.
import {
  BROADCAST_CID, CtapHidAssembler, CtapHidCommand, KeepaliveStatusCode, ctapHidCommandName, ctapHidErrorName, readCid, type CtapHidMessage,
} from "../../host-sdk/src/protocols/ctaphid/frame.js";
import { ctap2CommandName } from "../../host-sdk/src/protocols/ctap2/client.js";
import { ctapStatusName } from "../../host-sdk/src/ctap-status.js";
import { CTAPHID_VENDOR_SERVICE } from "../../host-sdk/src/protocols/service/hid-tunnel.js";
import { describeServiceAnswer, describeServiceRequest } from "./uart-log.js";

const hexCid = (cid: number): string => (cid === BROADCAST_CID ? "broadcast" : `cid ${cid.toString(16).padStart(8, "0")}`);

/** The request a channel waits on: its CTAPHID command, and the CTAP2 or service command inside it. */
interface Pending { cmd: number; inner?: number }

/** Both directions of one chip's CTAPHID traffic as log lines. */
export class CtapHidLog {
  private readonly toDevice = new Map<number, CtapHidAssembler>();
  private readonly toHost = new Map<number, CtapHidAssembler>();
  private readonly pending = new Map<number, Pending>();
  private readonly keepalive = new Map<number, number>();

  /** A report the host sends to the chip. */
  fromHost(report: Uint8Array): string[] {
    const m = this.push(this.toDevice, report, "→");
    if (!m || typeof m === "string") return m ? [m] : [];
    const inner = m.payload[0];
    this.pending.set(m.cid, { cmd: m.cmd, ...(inner !== undefined ? { inner } : {}) });
    this.keepalive.delete(m.cid);
    return [describeRequest(m)];
  }

  /** A report the chip sends to the host. */
  fromDevice(report: Uint8Array): string[] {
    const m = this.push(this.toHost, report, "←");
    if (!m || typeof m === "string") return m ? [m] : [];
    if (m.cmd === CtapHidCommand.KEEPALIVE) {
      // One line when the status changes, not one every 100 ms.
      const status = m.payload[0] ?? 0;
      if (this.keepalive.get(m.cid) === status) return [];
      this.keepalive.set(m.cid, status);
      return [`← KEEPALIVE ${hexCid(m.cid)} ${status === KeepaliveStatusCode.UPNEEDED ? "waiting for a touch" : status === KeepaliveStatusCode.PROCESSING ? "processing" : `status ${status}`}`];
    }
    const req = this.pending.get(m.cid);
    this.pending.delete(m.cid);
    this.keepalive.delete(m.cid);
    return [describeAnswer(m, req)];
  }

  private push(side: Map<number, CtapHidAssembler>, report: Uint8Array, dir: "→" | "←"): CtapHidMessage | string | null {
    if (report.length < 5) return `${dir} short report (${report.length} B)`;
    const cid = readCid(report);
    let a = side.get(cid);
    if (!a) side.set(cid, (a = new CtapHidAssembler(cid)));
    try {
      return a.push(report);
    } catch (e) {
      return `${dir} ${hexCid(cid)} broken message: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
}

function describeRequest(m: CtapHidMessage): string {
  const n = m.payload.length;
  if (m.cmd === CtapHidCommand.CBOR && n >= 1) return `→ CBOR ${ctap2CommandName(m.payload[0]!)}${n > 1 ? ` (${n - 1} B)` : ""}`;
  if (m.cmd === CTAPHID_VENDOR_SERVICE && n >= 1) return `→ service ${describeServiceRequest(m.payload[0]!, m.payload.subarray(1))}`;
  return `→ ${ctapHidCommandName(m.cmd)} ${hexCid(m.cid)}${n ? ` (${n} B)` : ""}`;
}

function describeAnswer(m: CtapHidMessage, req: Pending | undefined): string {
  const n = m.payload.length;
  if (m.cmd === CtapHidCommand.ERROR) return `← ERROR ${ctapHidErrorName(m.payload[0] ?? 0)} ${hexCid(m.cid)}`;
  if (m.cmd === CtapHidCommand.CBOR && n >= 1) {
    const what = req?.cmd === CtapHidCommand.CBOR && req.inner !== undefined ? `${ctap2CommandName(req.inner)} ` : "";
    return `← CBOR ${what}${ctapStatusName(m.payload[0]!)}${n > 1 ? ` (${n - 1} B)` : ""}`;
  }
  if (m.cmd === CTAPHID_VENDOR_SERVICE && n >= 1) return `← service ${describeServiceAnswer(req?.cmd === CTAPHID_VENDOR_SERVICE ? req.inner : undefined, m.payload)}`;
  return `← ${ctapHidCommandName(m.cmd)} ${hexCid(m.cid)}${n ? ` (${n} B)` : ""}`;
}
