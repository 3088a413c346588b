// CTAP1/U2F raw messages (FIDO U2F raw message formats v1.2) over CTAPHID_MSG: REGISTER,
// AUTHENTICATE (enforce / check-only / don't-enforce), VERSION. The chip answers 0x6985 at once
// when it needs a touch; the client polls until the user touches or the call's time is up.
import { SeglError, argCheck } from "../../errors.js";
import { abortError, abortable, timeoutScope } from "../../transport/transport.js";
import type { CtapHidCallOptions, CtapHidClient } from "../ctaphid/client.js";

export const U2fInstruction = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;

export const U2fStatusWord = {
  NO_ERROR: 0x9000,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  WRONG_LENGTH: 0x6700,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export function u2fStatusName(sw: number): string {
  for (const [k, v] of Object.entries(U2fStatusWord)) if (v === sw) return k;
  return `SW_0x${sw.toString(16).padStart(4, "0")}`;
}

export type U2fAuthenticateMode = "enforce-up" | "check-only" | "dont-enforce-up";
const MODE_P1: Record<U2fAuthenticateMode, number> = { "enforce-up": 0x03, "check-only": 0x07, "dont-enforce-up": 0x08 };

export interface U2fCallOptions extends CtapHidCallOptions {
  /** Delay between attempts while the device waits for a touch (0x6985), ms (default 200). */
  pollIntervalMs?: number;
}

export interface U2fRegistration {
  /** Uncompressed P-256 point, 65 bytes. */
  publicKey: Uint8Array;
  keyHandle: Uint8Array;
  /** DER X.509 attestation certificate. */
  attestationCertificate: Uint8Array;
  /** DER ECDSA signature over 0x00 ‖ appParam ‖ challengeParam ‖ keyHandle ‖ publicKey. */
  signature: Uint8Array;
  raw: Uint8Array;
}

export interface U2fAuthentication {
  userPresence: boolean;
  counter: number;
  /** DER ECDSA signature over appParam ‖ userPresence ‖ counter ‖ challengeParam. */
  signature: Uint8Array;
  raw: Uint8Array;
}

/** An extended-length ISO 7816-4 APDU: CLA 0 ‖ INS ‖ P1 ‖ P2 ‖ [00 ‖ Lc(2) ‖ data] ‖ Le(2) = 0 (up to 65536). */
export function encodeU2fApdu(ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  argCheck(data.length <= 0xffff, "APDU data must be at most 65535 bytes");
  if (data.length === 0) return Uint8Array.of(0, ins, p1, p2, 0, 0, 0);
  const out = new Uint8Array(7 + data.length + 2);
  out.set([0, ins, p1, p2, 0, data.length >>> 8, data.length & 0xff]);
  out.set(data, 7);
  return out;
}

function bad(what: string, why: string, data?: Uint8Array): SeglError {
  return new SeglError("BAD_RESPONSE", `U2F ${what}: ${why}`, { details: { instruction: what, ...(data ? { data: Buffer.from(data).toString("hex") } : {}) } });
}

/** Length of the DER element at the start of `b` (tag + length + contents), or -1. */
function derLength(b: Uint8Array): number {
  if (b.length < 2) return -1;
  const l0 = b[1]!;
  if (l0 < 0x80) return 2 + l0;
  const n = l0 & 0x7f;
  if (n === 0 || n > 3 || b.length < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return 2 + n + len;
}

export class U2fClient {
  constructor(readonly hid: CtapHidClient) {}

  /**
   * Sends one APDU; resolves with the response data when SW = 0x9000, rejects U2F_ERROR
   * (`details.sw`, `details.swName`) otherwise. No polling.
   */
  async apdu(ins: number, p1: number, p2: number, data?: Uint8Array, opts: CtapHidCallOptions = {}): Promise<Uint8Array> {
    const r = await this.hid.msg(encodeU2fApdu(ins, p1, p2, data), opts);
    const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
    if (sw !== U2fStatusWord.NO_ERROR) throw swError(sw, ins);
    return r.subarray(0, r.length - 2);
  }

  /** VERSION: "U2F_V2" for a U2F v1.2 authenticator. */
  async version(opts: CtapHidCallOptions = {}): Promise<string> {
    const d = await this.apdu(U2fInstruction.VERSION, 0, 0, undefined, opts);
    return new TextDecoder().decode(d);
  }

  /** REGISTER: waits (polling) for a touch; `onStatus("up-needed")` is called once when the device asks for one. */
  async register(challengeParam: Uint8Array, appParam: Uint8Array, opts: U2fCallOptions = {}): Promise<U2fRegistration> {
    argCheck(challengeParam instanceof Uint8Array && challengeParam.length === 32, "challengeParam must be 32 bytes");
    argCheck(appParam instanceof Uint8Array && appParam.length === 32, "appParam must be 32 bytes");
    const data = new Uint8Array(64);
    data.set(challengeParam);
    data.set(appParam, 32);
    const r = await this.poll(U2fInstruction.REGISTER, 0x03, data, opts);
    if (r.length < 1 + 65 + 1 || r[0] !== 0x05) throw bad("REGISTER", "the answer does not start with the reserved byte 0x05", r);
    const publicKey = r.slice(1, 66);
    if (publicKey[0] !== 0x04) throw bad("REGISTER", "the public key is not an uncompressed point", r);
    const khLen = r[66]!;
    let pos = 67;
    if (r.length < pos + khLen) throw bad("REGISTER", "the key handle is cut short", r);
    const keyHandle = r.slice(pos, pos + khLen);
    pos += khLen;
    const certLen = r[pos] === 0x30 ? derLength(r.subarray(pos)) : -1;
    if (certLen < 0 || pos + certLen > r.length) throw bad("REGISTER", "the attestation certificate is not a DER SEQUENCE", r);
    const attestationCertificate = r.slice(pos, pos + certLen);
    pos += certLen;
    const signature = r.slice(pos);
    if (signature.length < 8 || signature[0] !== 0x30) throw bad("REGISTER", "the signature is not a DER SEQUENCE", r);
    return { publicKey, keyHandle, attestationCertificate, signature, raw: r.slice() };
  }

  /** AUTHENTICATE with enforce-up or dont-enforce-up: signs (polling for a touch when enforced). */
  async authenticate(
    challengeParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array, mode: Exclude<U2fAuthenticateMode, "check-only"> = "enforce-up",
    opts: U2fCallOptions = {},
  ): Promise<U2fAuthentication> {
    const data = authData(challengeParam, appParam, keyHandle);
    const r = mode === "enforce-up" ? await this.poll(U2fInstruction.AUTHENTICATE, MODE_P1[mode], data, opts) : await this.apdu(U2fInstruction.AUTHENTICATE, MODE_P1[mode], 0, data, opts);
    if (r.length < 5 + 8) throw bad("AUTHENTICATE", `answer of ${r.length} bytes is too short`, r);
    return {
      userPresence: (r[0]! & 1) !== 0,
      counter: new DataView(r.buffer, r.byteOffset, r.byteLength).getUint32(1),
      signature: r.slice(5),
      raw: r.slice(),
    };
  }

  /** AUTHENTICATE check-only: true when the key handle is this device's for appParam (0x6985), false when not (0x6A80). */
  async checkKeyHandle(challengeParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array, opts: CtapHidCallOptions = {}): Promise<boolean> {
    const data = authData(challengeParam, appParam, keyHandle);
    try {
      await this.apdu(U2fInstruction.AUTHENTICATE, MODE_P1["check-only"], 0, data, opts);
    } catch (err) {
      if (err instanceof SeglError && err.code === "U2F_ERROR") {
        if (err.details?.["sw"] === U2fStatusWord.CONDITIONS_NOT_SATISFIED) return true;
        if (err.details?.["sw"] === U2fStatusWord.WRONG_DATA) return false;
      }
      throw err;
    }
    throw bad("AUTHENTICATE", "check-only answered 0x9000 (it must answer 0x6985 or 0x6A80)");
  }

  /** Repeats an APDU while the device answers 0x6985 (touch needed), within the call's time. */
  private async poll(ins: number, p1: number, data: Uint8Array, opts: U2fCallOptions): Promise<Uint8Array> {
    const interval = opts.pollIntervalMs ?? 200;
    const scope = timeoutScope(opts.signal, opts.timeoutMs ?? 30_000);
    let told = false;
    try {
      for (;;) {
        try {
          return await this.apdu(ins, p1, 0, data, { signal: scope.signal, idleTimeoutMs: opts.idleTimeoutMs, timeoutMs: undefined, onStatus: opts.onStatus });
        } catch (err) {
          if (!(err instanceof SeglError && err.code === "U2F_ERROR" && err.details?.["sw"] === U2fStatusWord.CONDITIONS_NOT_SATISFIED)) throw err;
        }
        if (!told) {
          told = true;
          try { opts.onStatus?.("up-needed", 2); } catch { /* ignore */ }
        }
        let t: ReturnType<typeof setTimeout> | undefined;
        await abortable<void>(scope.signal, (resolve) => { t = setTimeout(resolve, interval); }, () => clearTimeout(t));
      }
    } catch (err) {
      if (scope.signal?.aborted) throw abortError(scope.signal);
      throw err;
    } finally {
      scope.dispose();
    }
  }
}

function authData(challengeParam: Uint8Array, appParam: Uint8Array, keyHandle: Uint8Array): Uint8Array {
  argCheck(challengeParam instanceof Uint8Array && challengeParam.length === 32, "challengeParam must be 32 bytes");
  argCheck(appParam instanceof Uint8Array && appParam.length === 32, "appParam must be 32 bytes");
  argCheck(keyHandle instanceof Uint8Array && keyHandle.length >= 1 && keyHandle.length <= 255, "keyHandle must be 1..255 bytes");
  const d = new Uint8Array(65 + keyHandle.length);
  d.set(challengeParam);
  d.set(appParam, 32);
  d[64] = keyHandle.length;
  d.set(keyHandle, 65);
  return d;
}

function swError(sw: number, ins: number): SeglError {
  const name = u2fStatusName(sw);
  const insName = Object.entries(U2fInstruction).find(([, v]) => v === ins)?.[0] ?? `0x${ins.toString(16)}`;
  return new SeglError("U2F_ERROR", `U2F ${insName}: ${name}`, { details: { sw, swName: name, instruction: insName } });
}
