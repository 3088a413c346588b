// User presence for a simulated chip: who presses the button when the device asks for a touch.
//
// The driver watches what the device sends (it never looks at the host's requests):
// - CTAP2: a request that needs a touch is parked by the firmware, which sends KEEPALIVE
//   (status UPNEEDED) at once and every 100 ms, and turns the LED on, until the button is pressed
//   or 30 s pass (CTAP2_ERR_USER_ACTION_TIMEOUT). The first UPNEEDED keepalive of a wait is one
//   request; the wait ends with the next non-KEEPALIVE message on that channel.
// - U2F (CTAPHID_MSG): the firmware answers 0x6985 (conditions not satisfied) at once and the host
//   polls; a touch is latched for 3 s and consumed by the next REGISTER/AUTHENTICATE. A 0x6985
//   answer is one request (a check-only AUTHENTICATE also answers 0x6985: it counts too). Further
//   0x6985 polls of the same attempt are not asked about again until it ends (another answer) or
//   3 s after the decision.
// - A new image over the service tunnel (vendor command 0x51, UPDATE_BEGIN): the firmware answers
//   status PRESENCE_REQUIRED at once and the host repeats UPDATE_BEGIN; like U2F, a touch is
//   latched for 3 s and consumed by the next one (docs/image-format.md "Touch on the chip's tunnel").
// The LED alone is not taken as a request: WINK blinks it too.
//
// Policies: "accept" presses at once; "deny" never presses (and, on a manual clock, moves the
// clock 30 s on so the CTAP2 request times out now instead of in 30 s of world time: that moves
// the one clock every device on it shares); "manual" leaves the button to someone else (the
// CLI's Enter key, the HTTP control API); a script decides per request: "accept", "deny", or a
// delay in ms (of the device's clock: world time on a manual clock) after which it presses.
import { Emitter } from "./emitter.js";
import type { Device } from "./device.js";
import type { ClockListener } from "./clock.js";

export type PresenceKind = "ctap2" | "u2f" | "update";

export interface PresenceRequest {
  kind: PresenceKind;
  /** The CTAPHID channel the request came on. */
  cid: number;
  device: Device;
  /** Requests seen by this driver so far, this one included. */
  seq: number;
}

export type PresenceDecision = "accept" | "deny" | number;
export type PresenceScript = (request: PresenceRequest) => PresenceDecision;
export type PresencePolicy = "accept" | "deny" | "manual" | PresenceScript;

export interface PresenceOptions {
  /**
   * "deny" on a manual clock: advance the clock so that the parked CTAP2 request times out at
   * once (default true). Without it a denied request waits until someone advances the clock.
   */
  fastDeny?: boolean;
}

export interface PresenceEvents {
  /** The device asked for a touch. */
  request: [request: PresenceRequest];
  /** What the policy decided ("manual": left to the user). */
  decision: [request: PresenceRequest, decision: PresenceDecision | "manual"];
  /** The driver pressed the button. */
  press: [request: PresenceRequest];
}

const CMD_MSG = 0x83;
const CMD_KEEPALIVE = 0xbb;
const CMD_CBOR = 0x90;
const CMD_VENDOR_SERVICE = 0xd1;
const ST_PRESENCE_REQUIRED = 0x0a;
const KEEPALIVE_UPNEEDED = 2;
const UP_TIMEOUT_MS = 30_000;
const U2F_LATCH_MS = 3_000;

function isPolicy(p: unknown): p is PresencePolicy {
  return p === "accept" || p === "deny" || p === "manual" || typeof p === "function";
}

function checkDecision(d: unknown): PresenceDecision {
  if (d === "accept" || d === "deny") return d;
  if (typeof d === "number" && Number.isFinite(d) && d >= 0) return d;
  throw new TypeError(`a presence script must return "accept", "deny" or a delay in ms (>= 0), got ${String(d)}`);
}

/** A press scheduled on the device's clock. */
class DelayedPress implements ClockListener {
  constructor(readonly at: number, private readonly fire: () => void) {}
  nextWakeWorldMs(): number | undefined {
    return this.at;
  }
  onTime(worldMs: number): void {
    if (worldMs >= this.at) this.fire();
  }
}

export class UserPresence extends Emitter<PresenceEvents> {
  private current: PresencePolicy;
  private readonly fastDeny: boolean;
  private seq = 0;
  private pressCount = 0;
  /** The CTAP2 wait in progress: its channel and the request. */
  private ctapWait: { cid: number; request: PresenceRequest } | undefined;
  /** The U2F attempt being polled: decided at world time `at`. */
  private u2fWait: { cid: number; request: PresenceRequest; at: number } | undefined;
  private delayed: { press: DelayedPress; request: PresenceRequest } | undefined;
  private detached = false;
  private readonly onHid = (r: Uint8Array) => this.report(r);
  private readonly onPower = () => this.endAll();

  constructor(readonly device: Device, policy: PresencePolicy, opts: PresenceOptions = {}) {
    super();
    if (!isPolicy(policy)) throw new TypeError(`presence policy must be "accept", "deny", "manual" or a function`);
    this.current = policy;
    this.fastDeny = opts.fastDeny ?? true;
    device.on("hid", this.onHid);
    device.on("power", this.onPower);
  }

  get policy(): PresencePolicy {
    return this.current;
  }

  /** Changes the policy for the requests that come next. */
  setPolicy(policy: PresencePolicy): void {
    if (!isPolicy(policy)) throw new TypeError(`presence policy must be "accept", "deny", "manual" or a function`);
    this.current = policy;
  }

  /** Requests for a touch seen so far. */
  get requests(): number {
    return this.seq;
  }

  /** Button presses made by this driver. */
  get presses(): number {
    return this.pressCount;
  }

  /** Whether a CTAP2 request is waiting for a touch now. */
  get waiting(): boolean {
    return this.ctapWait !== undefined;
  }

  /** Stops watching the device; a scheduled press is dropped. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.endAll();
    this.device.off("hid", this.onHid);
    this.device.off("power", this.onPower);
  }

  // The report arrives from inside a firmware call (hal.hid_tx): nothing here may call back into
  // the device synchronously, so presses and clock moves are deferred to a microtask.
  private report(r: Uint8Array): void {
    if (r.length < 8 || (r[4]! & 0x80) === 0) return; // continuation packets carry nothing we need
    const cid = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    const cmd = r[4]!;
    const bcnt = (r[5]! << 8) | r[6]!;
    if (cmd === CMD_KEEPALIVE) {
      if (r[7] === KEEPALIVE_UPNEEDED && this.ctapWait === undefined) this.ask("ctap2", cid);
      return;
    }
    if (this.ctapWait && this.ctapWait.cid === cid) this.endCtap();
    const u2f = cmd === CMD_MSG && bcnt === 2 && r[7] === 0x69 && r[8] === 0x85;
    if (u2f || (cmd === CMD_VENDOR_SERVICE && bcnt === 1 && r[7] === ST_PRESENCE_REQUIRED)) {
      const w = this.u2fWait;
      const fresh = w === undefined || w.cid !== cid || this.device.clock.now() - w.at > U2F_LATCH_MS;
      if (fresh) this.ask(u2f ? "u2f" : "update", cid);
      return;
    }
    if (cmd === CMD_MSG || cmd === CMD_CBOR || cmd === CMD_VENDOR_SERVICE) {
      if (this.u2fWait && this.u2fWait.cid === cid) { this.cancelDelayed(this.u2fWait.request); this.u2fWait = undefined; }
    }
  }

  private ask(kind: PresenceKind, cid: number): void {
    const request: PresenceRequest = { kind, cid, device: this.device, seq: ++this.seq };
    if (kind === "ctap2") this.ctapWait = { cid, request };
    else {
      if (this.u2fWait) this.cancelDelayed(this.u2fWait.request);
      this.u2fWait = { cid, request, at: this.device.clock.now() };
    }
    this.emit("request", request);
    const p = this.current;
    if (p === "manual") { this.emit("decision", request, "manual"); return; }
    let decision: PresenceDecision;
    try {
      decision = typeof p === "function" ? checkDecision(p(request)) : p;
    } catch (err) {
      // A broken script must not break the device's event loop: treat it as "no touch".
      queueMicrotask(() => { throw err; });
      return;
    }
    this.emit("decision", request, decision);
    if (decision === "accept" || decision === 0) queueMicrotask(() => this.press(request));
    else if (decision === "deny") {
      if (kind === "ctap2" && this.fastDeny && this.device.clock.mode === "manual") queueMicrotask(() => this.expire(request));
    } else this.schedule(request, decision);
  }

  private isLive(request: PresenceRequest): boolean {
    if (this.detached || this.device.state !== "on") return false;
    return request.kind === "ctap2" ? this.ctapWait?.request === request : this.u2fWait?.request === request;
  }

  private press(request: PresenceRequest): void {
    if (!this.isLive(request)) return;
    this.pressCount++;
    this.emit("press", request);
    this.device.click();
  }

  /** Denied on a manual clock: move time until the firmware gives up on the request. */
  private expire(request: PresenceRequest): void {
    for (let i = 0; i < 10 && this.isLive(request); i++) this.device.clock.advance(i === 0 ? UP_TIMEOUT_MS : 1_000);
  }

  private schedule(request: PresenceRequest, delayMs: number): void {
    this.cancelDelayed();
    const clock = this.device.clock;
    const d = new DelayedPress(clock.now() + delayMs, () => {
      this.cancelDelayed(request);
      this.press(request);
    });
    this.delayed = { press: d, request };
    clock.add(d);
  }

  /** Drops the scheduled press (only if it is for `request`, when given). */
  private cancelDelayed(request?: PresenceRequest): void {
    if (!this.delayed || (request !== undefined && this.delayed.request !== request)) return;
    const d = this.delayed.press;
    this.delayed = undefined;
    this.device.clock.remove(d);
  }

  private endCtap(): void {
    if (this.ctapWait) this.cancelDelayed(this.ctapWait.request);
    this.ctapWait = undefined;
  }

  private endAll(): void {
    this.cancelDelayed();
    this.ctapWait = undefined;
    this.u2fWait = undefined;
  }
}

/** Attaches a user-presence policy to a device; detach() stops it. */
export function attachPresence(device: Device, policy: PresencePolicy, opts: PresenceOptions = {}): UserPresence {
  return new UserPresence(device, policy, opts);
}
