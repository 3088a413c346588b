// provisionDevice: a code display or audio code reader provisioned over its service port (PROVISION,
// SET_TIME, LOCK, then INFO to confirm). Imports nothing of node: (the simulator's browser page uses it);
// `@segl/host-sdk/provision` re-exports it with the maker CA.
import { SeglError, argCheck } from "./errors.js";
import type { OtpAlgorithm } from "./otp/types.js";
import { otpauthUri } from "./otp/uri.js";
import { validateProvisionParams, type ServiceCallOptions, type DeviceInfo, type ModelName, type ServiceClient } from "./protocols/service/client.js";

/** A fresh random seed (default 20 bytes = 160 bits, RFC 4226's recommendation). */
export function generateSeed(bytes = 20): Uint8Array {
  argCheck(Number.isInteger(bytes) && bytes >= 16 && bytes <= 64, "a seed is 16..64 bytes", { bytes });
  return globalThis.crypto.getRandomValues(new Uint8Array(bytes)); // Web Crypto: Node ≥ 19 and browsers alike
}

export interface ProvisionDeviceOptions extends ServiceCallOptions {
  model: ModelName;
  algorithm?: OtpAlgorithm;
  digits?: number;
  period?: number;
  serial: string;
  /** Default: generateSeed() (20 bytes; 32 for SHA256, 64 for SHA512 as RFC 6238 uses). */
  seed?: Uint8Array;
  /** Set the clock to this Unix ms (a Date, or `true` for the host's clock now). */
  timeMs?: number | Date | true;
  /**
   * Lock the device afterwards (needs the clock set). Default: true for a chip (a chip leaves the
   * factory locked; its clock is then set from the host's unless timeMs says otherwise), false for
   * the other models. Pass false explicitly to leave a chip unlocked.
   */
  lock?: boolean;
  /** Issuer for the otpauth URI (default "Segl"). */
  issuer?: string;
}

export interface ProvisionResult {
  serial: string;
  seed: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: number;
  period: number;
  model: ModelName;
  /** For soft-token tests and the simulator only; hardware seeds go to brokers as PSKC. */
  otpauthUri: string;
  /** INFO as read back after provisioning. */
  info: DeviceInfo;
}

const DEFAULT_SEED_BYTES: Record<OtpAlgorithm, number> = { SHA1: 20, SHA256: 32, SHA512: 64 };

export async function provisionDevice(client: ServiceClient, opts: ProvisionDeviceOptions): Promise<ProvisionResult> {
  const algorithm = opts.algorithm ?? "SHA1";
  const params = {
    model: opts.model,
    algorithm,
    digits: opts.digits ?? 6,
    period: opts.period ?? 30,
    serial: opts.serial,
    seed: opts.seed ?? generateSeed(DEFAULT_SEED_BYTES[algorithm] ?? 20),
  };
  validateProvisionParams(params);
  const lock = opts.lock ?? opts.model === "chip";
  const timeMs = opts.timeMs ?? (lock && opts.model === "chip" ? true : undefined);
  argCheck(!lock || timeMs !== undefined, "lock needs the clock set: pass timeMs as well");
  const io: ServiceCallOptions = {};
  if (opts.signal) io.signal = opts.signal;
  if (opts.timeoutMs !== undefined) io.timeoutMs = opts.timeoutMs;

  await client.provision(params, io);
  if (timeMs !== undefined) await client.setTime(timeMs === true ? Date.now() : timeMs, io);
  if (lock) await client.lock(io);
  const info = await client.info(io);

  const mismatches: string[] = [];
  const expect = (name: string, got: unknown, want: unknown) => { if (got !== want) mismatches.push(`${name}: device has ${String(got)}, sent ${String(want)}`); };
  expect("model", info.model, params.model);
  expect("algorithm", info.algorithm, params.algorithm);
  expect("digits", info.digits, params.digits);
  expect("period", info.period, params.period);
  expect("serial", info.serial, params.serial);
  expect("state", info.state, lock ? "locked" : "provisioned");
  if (timeMs !== undefined) expect("clock set", info.flags.clockSet, true);
  if (mismatches.length > 0)
    throw new SeglError("VERIFY_MISMATCH", `the device does not report what was provisioned: ${mismatches.join("; ")}`, {
      details: { mismatches, info },
    });

  return {
    serial: params.serial,
    seed: params.seed,
    algorithm,
    digits: params.digits,
    period: params.period,
    model: params.model,
    otpauthUri: otpauthUri({ secret: params.seed, issuer: opts.issuer ?? "Segl", account: params.serial, algorithm, digits: params.digits, period: params.period }),
    info,
  };
}

// The rest of a maker's toolkit, so that this subpath is the whole of provisioning.
export {
  validateProvisionParams, encodeProvisionPayload, MODEL_CODES, ALGORITHM_CODES,
  type ProvisionParams, type ModelName, type DeviceInfo, type ServiceCallOptions,
} from "./protocols/service/client.js";
export { SeglError, isSeglError, type ErrorCode } from "./errors.js";
