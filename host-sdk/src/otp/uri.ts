// otpauth:// Key URIs (Google Authenticator's Key-Uri-Format): for soft tokens and the
// simulator; hardware seeds travel as PSKC.
import { SeglError, argCheck } from "../errors.js";
import { base32Decode, base32Encode } from "./base32.js";
import { parseAlgorithm, type OtpAlgorithm } from "./types.js";

export interface OtpauthParams {
  /** Default "totp". */
  type?: "totp" | "hotp";
  /** Raw bytes or Base32 text. */
  secret: Uint8Array | string;
  issuer?: string;
  account: string;
  /** Default SHA1. */
  algorithm?: OtpAlgorithm;
  /** Default 6. */
  digits?: number;
  /** TOTP, default 30. */
  period?: number;
  /** HOTP, required. */
  counter?: number | bigint;
}

export interface ParsedOtpauth {
  type: "totp" | "hotp";
  secret: Uint8Array;
  /** Base32 as written in the URI (upper case, no padding). */
  secretBase32: string;
  issuer?: string;
  account: string;
  algorithm: OtpAlgorithm;
  digits: number;
  /** TOTP only. */
  period?: number;
  /** HOTP only. */
  counter?: number | bigint;
}

/** Percent-encoding for label and values: spaces as %20, never '+'. */
const enc = (s: string) => encodeURIComponent(s);

export function otpauthUri(p: OtpauthParams): string {
  const type = p.type ?? "totp";
  argCheck(type === "totp" || type === "hotp", "type must be totp or hotp");
  argCheck(typeof p.account === "string" && p.account !== "", "account is required");
  argCheck(p.issuer === undefined || (typeof p.issuer === "string" && !p.issuer.includes(":")), "issuer must not contain ':'");
  const secretB32 = typeof p.secret === "string" ? base32Encode(base32Decode(p.secret)) : base32Encode(p.secret);
  argCheck(secretB32.length > 0, "secret is empty");
  const algorithm = p.algorithm ?? "SHA1";
  argCheck(parseAlgorithm(algorithm) === algorithm, "algorithm must be SHA1, SHA256 or SHA512");
  const digits = p.digits ?? 6;
  argCheck(Number.isInteger(digits) && digits >= 4 && digits <= 10, "digits must be 4..10");
  const label = p.issuer ? `${enc(p.issuer)}:${enc(p.account)}` : enc(p.account);
  const q = [`secret=${secretB32}`];
  if (p.issuer) q.push(`issuer=${enc(p.issuer)}`);
  q.push(`algorithm=${algorithm}`, `digits=${digits}`);
  if (type === "totp") {
    const period = p.period ?? 30;
    argCheck(Number.isInteger(period) && period > 0, "period must be a positive integer");
    q.push(`period=${period}`);
  } else {
    argCheck(p.counter !== undefined, "hotp URIs need a counter");
    const c = typeof p.counter === "bigint" ? p.counter : BigInt(p.counter);
    argCheck(c >= 0n && c < 1n << 64n, "counter must be in 0..2^64-1");
    q.push(`counter=${c.toString()}`);
  }
  return `otpauth://${type}/${label}?${q.join("&")}`;
}

function dec(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch (err) {
    throw new SeglError("INVALID_ARGUMENT", `bad percent-encoding in ${what}`, { cause: err });
  }
}

export function parseOtpauthUri(uri: string): ParsedOtpauth {
  argCheck(typeof uri === "string", "URI must be a string");
  const m = /^otpauth:\/\/([A-Za-z]+)\/([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(uri.trim());
  argCheck(m !== null, "not an otpauth:// URI");
  const type = m[1]!.toLowerCase();
  argCheck(type === "totp" || type === "hotp", `unknown OTP type ${JSON.stringify(m[1])}`);
  const label = dec(m[2]!, "label");
  const params = new Map<string, string>();
  for (const kv of (m[3] ?? "").split("&")) {
    if (kv === "") continue;
    const i = kv.indexOf("=");
    const k = dec(i < 0 ? kv : kv.slice(0, i), "parameter").toLowerCase();
    const v = dec((i < 0 ? "" : kv.slice(i + 1)).replace(/\+/g, " "), `parameter ${k}`);
    if (!params.has(k)) params.set(k, v);
  }
  const colon = label.indexOf(":");
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : undefined;
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  const issuer = params.get("issuer") ?? labelIssuer;
  const secretText = params.get("secret");
  argCheck(secretText !== undefined && secretText !== "", "the URI has no secret");
  const secret = base32Decode(secretText);
  argCheck(secret.length > 0, "the URI's secret is empty");
  const algText = params.get("algorithm");
  const algorithm = algText === undefined ? "SHA1" : parseAlgorithm(algText);
  argCheck(algorithm !== undefined, `unknown algorithm ${JSON.stringify(algText)}`);
  const digits = params.has("digits") ? Number(params.get("digits")) : 6;
  argCheck(Number.isInteger(digits) && digits >= 4 && digits <= 10, "digits must be 4..10");
  const out: ParsedOtpauth = { type, secret, secretBase32: base32Encode(secret), account, algorithm, digits };
  if (issuer !== undefined && issuer !== "") out.issuer = issuer;
  if (type === "totp") {
    const period = params.has("period") ? Number(params.get("period")) : 30;
    argCheck(Number.isInteger(period) && period > 0, "period must be a positive integer");
    out.period = period;
  } else {
    const c = params.get("counter");
    argCheck(c !== undefined && /^\d+$/.test(c), "hotp URIs need a decimal counter");
    const big = BigInt(c);
    argCheck(big < 1n << 64n, "counter must be below 2^64");
    out.counter = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  return out;
}
