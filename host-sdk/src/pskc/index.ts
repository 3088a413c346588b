// `@segl/host-sdk/pskc`: seeds from the factory to the broker as PSKC (RFC 6030) files.
// Export: AES-128-CBC (IV prepended) with an HMAC-SHA256 ValueMAC per secret and the MAC key
// encrypted under the transport key (§6.1.1), the transport key pre-shared (§6.1) or derived
// from a password with PBKDF2 (§6.2). Import: the MAC is checked (constant time) before
// anything is decrypted, and every key gets its own verdict. See host-sdk/docs/pskc.md.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { SeglError } from "../errors.js";
import type { OtpAlgorithm } from "../otp/types.js";
export { SeglError, isSeglError, type ErrorCode } from "../errors.js";
import { childOf, childrenOf, esc, malformed, parseXml, type XmlElement, type XmlLimits } from "./xml.js";

export const PSKC_NS = "urn:ietf:params:xml:ns:keyprov:pskc";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const XENC = "http://www.w3.org/2001/04/xmlenc#";
const XENC11 = "http://www.w3.org/2009/xmlenc11#";
const PKCS5 = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#";
const AES128_CBC = `${XENC}aes128-cbc`;
const PBKDF2_URI = `${PKCS5}pbkdf2`;
const MAC_URIS: Readonly<Record<string, "sha1" | "sha256" | "sha512">> = {
  [`${DS}hmac-sha1`]: "sha1",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "sha512",
};
const HMAC_SHA256_URI = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
/** Algorithm URNs; the `#` forms are those of draft-hoyer-keyprov-pskc-algorithm-profiles, read too. */
export const ALGORITHM_URNS = { hotp: `${PSKC_NS}:hotp`, totp: `${PSKC_NS}:totp` } as const;
const URN_KIND: Readonly<Record<string, "totp" | "hotp">> = {
  [ALGORITHM_URNS.hotp]: "hotp", [ALGORITHM_URNS.totp]: "totp", [`${PSKC_NS}#hotp`]: "hotp", [`${PSKC_NS}#totp`]: "totp",
};

/** One OTP key as it travels in a PSKC file. */
export interface PskcKey {
  /** The Key's Id (unique in the file); the broker enrols the device under `serial`. */
  readonly id: string;
  readonly kind: "totp" | "hotp";
  readonly secret: Uint8Array;
  readonly manufacturer: string;
  readonly serial: string;
  readonly model?: string;
  readonly issuer?: string;
  /** HMAC hash (AlgorithmParameters/Suite "HMAC-SHA1" …); default SHA1. */
  readonly algorithm: OtpAlgorithm;
  /** ResponseFormat Length (DECIMAL encoding). */
  readonly digits: number;
  /** HOTP: the next counter value (Data/Counter). */
  readonly counter?: number;
  /** TOTP: the time step in seconds (Data/TimeInterval). */
  readonly period?: number;
  /** TOTP: T0 in Unix seconds (Data/Time); 0 when absent. */
  readonly t0?: number;
  /** TOTP: known drift in steps (Data/TimeDrift). */
  readonly driftSteps?: number;
}

/** How a file's transport key is obtained. */
export type PskcProtection =
  /** §6.1: a 16-byte AES key both sides hold; `keyName` names it in the file (ds:KeyName). */
  | { readonly kind: "psk"; readonly key: Uint8Array; readonly keyName: string }
  /** §6.2: PBKDF2 from a password (PRF HMAC-SHA256 on export; salt 16 random bytes unless given). */
  | { readonly kind: "password"; readonly password: string; readonly iterations?: number; readonly salt?: Uint8Array; readonly keyName?: string };

export interface PskcExportOptions {
  readonly protection: PskcProtection;
  /** Random bytes (IVs, the MAC key, the salt); default the OS's CSPRNG. Tests inject a fixed source. */
  readonly random?: (n: number) => Uint8Array;
}

export const DEFAULT_PBKDF2_ITERATIONS = 100_000;
/** Import refuses more PBKDF2 iterations than this (a file must not make the importer spin). */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const bad = (field: string, message: string): SeglError => new SeglError("INVALID_ARGUMENT", message, { details: { field } });

function checkKey(k: PskcKey, i: number): void {
  const f = (name: string) => `keys[${i}].${name}`;
  if (typeof k !== "object" || k === null) throw bad(`keys[${i}]`, "a key is an object");
  if (typeof k.id !== "string" || k.id.length === 0 || k.id.length > 256) throw bad(f("id"), "id: 1..256 characters");
  if (k.kind !== "totp" && k.kind !== "hotp") throw bad(f("kind"), "kind: totp or hotp");
  if (!(k.secret instanceof Uint8Array) || k.secret.length < 1 || k.secret.length > 128) throw bad(f("secret"), "secret: 1..128 bytes");
  if (typeof k.serial !== "string" || k.serial.length === 0) throw bad(f("serial"), "serial is required");
  if (typeof k.manufacturer !== "string" || k.manufacturer.length === 0) throw bad(f("manufacturer"), "manufacturer is required");
  if (!["SHA1", "SHA256", "SHA512"].includes(k.algorithm)) throw bad(f("algorithm"), "algorithm: SHA1, SHA256 or SHA512");
  if (!Number.isInteger(k.digits) || k.digits < 6 || k.digits > 10) throw bad(f("digits"), "digits: 6..10");
  for (const n of ["counter", "period", "t0", "driftSteps"] as const) {
    const v = k[n];
    if (v !== undefined && !Number.isSafeInteger(v)) throw bad(f(n), `${n} must be an integer`);
  }
  if (k.period !== undefined && k.period < 1) throw bad(f("period"), "period must be >= 1");
  if (k.counter !== undefined && k.counter < 0) throw bad(f("counter"), "counter must be >= 0");
}

function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv("aes-128-cbc", key, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}

/** IV ‖ ciphertext → plaintext; undefined on a bad length or padding. */
function aesCbcDecrypt(key: Uint8Array, ivAndCipher: Uint8Array): Uint8Array | undefined {
  if (ivAndCipher.length < 32 || ivAndCipher.length % 16 !== 0) return undefined;
  try {
    const d = createDecipheriv("aes-128-cbc", key, ivAndCipher.subarray(0, 16));
    return Buffer.concat([d.update(ivAndCipher.subarray(16)), d.final()]);
  } catch {
    return undefined;
  }
}

function encryptedValue(cipher: Uint8Array, indent: string): string {
  return `${indent}<xenc:EncryptionMethod Algorithm="${AES128_CBC}"/>\n${indent}<xenc:CipherData>\n${indent}  <xenc:CipherValue>${b64(cipher)}</xenc:CipherValue>\n${indent}</xenc:CipherData>\n`;
}

const plainInt = (tag: string, v: number | undefined): string => (v === undefined ? "" : `        <${tag}><PlainValue>${v}</PlainValue></${tag}>\n`);

/**
 * Writes a PSKC document holding `keys`, each secret AES-128-CBC encrypted with a fresh IV under the
 * transport key and MACed with HMAC-SHA256 (ValueMAC over IV ‖ ciphertext). Throws INVALID_ARGUMENT.
 */
export function exportPskc(keys: readonly PskcKey[], options: PskcExportOptions): string {
  if (!Array.isArray(keys as unknown)) throw bad("keys", "keys: an array");
  keys.forEach(checkKey);
  const ids = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) throw bad("keys", `duplicate key id ${JSON.stringify(k.id)}`);
    ids.add(k.id);
  }
  const random = options.random ?? ((n: number) => randomBytes(n));
  const p = options.protection;
  let transportKey: Uint8Array;
  let encryptionKey: string;
  if (p?.kind === "psk") {
    if (!(p.key instanceof Uint8Array) || p.key.length !== 16) throw bad("protection.key", "a pre-shared AES-128 key is 16 bytes");
    if (typeof p.keyName !== "string" || p.keyName.length === 0) throw bad("protection.keyName", "keyName names the pre-shared key");
    transportKey = p.key;
    encryptionKey = `  <EncryptionKey>\n    <ds:KeyName>${esc(p.keyName)}</ds:KeyName>\n  </EncryptionKey>\n`;
  } else if (p?.kind === "password") {
    if (typeof p.password !== "string" || p.password.length === 0) throw bad("protection.password", "a password is required");
    const iterations = p.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
    if (!Number.isInteger(iterations) || iterations < 1000 || iterations > MAX_PBKDF2_ITERATIONS) {
      throw bad("protection.iterations", `iterations: 1000..${MAX_PBKDF2_ITERATIONS}`);
    }
    const salt = p.salt ?? random(16);
    if (!(salt instanceof Uint8Array) || salt.length < 8) throw bad("protection.salt", "salt: at least 8 bytes");
    transportKey = pbkdf2Sync(p.password, salt, iterations, 16, "sha256");
    encryptionKey = [
      "  <EncryptionKey>",
      "    <xenc11:DerivedKey>",
      `      <xenc11:KeyDerivationMethod Algorithm="${PBKDF2_URI}">`,
      "        <pkcs5:PBKDF2-params>",
      `          <Salt><Specified>${b64(salt)}</Specified></Salt>`,
      `          <IterationCount>${iterations}</IterationCount>`,
      "          <KeyLength>16</KeyLength>",
      `          <PRF Algorithm="${HMAC_SHA256_URI}"/>`,
      "        </pkcs5:PBKDF2-params>",
      "      </xenc11:KeyDerivationMethod>",
      ...(p.keyName ? [`      <xenc11:MasterKeyName>${esc(p.keyName)}</xenc11:MasterKeyName>`] : []),
      "    </xenc11:DerivedKey>",
      "  </EncryptionKey>",
      "",
    ].join("\n");
  } else {
    throw bad("protection", "protection: { kind: 'psk', key, keyName } or { kind: 'password', password }");
  }
  const macKey = random(32);
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>\n`,
    `<KeyContainer Version="1.0" xmlns="${PSKC_NS}" xmlns:ds="${DS}" xmlns:xenc="${XENC}" xmlns:xenc11="${XENC11}" xmlns:pkcs5="${PKCS5}">\n`,
    encryptionKey,
    `  <MACMethod Algorithm="${HMAC_SHA256_URI}">\n    <MACKey>\n`,
    encryptedValue(aesCbcEncrypt(transportKey, random(16), macKey), "      "),
    "    </MACKey>\n  </MACMethod>\n",
  ];
  for (const k of keys) {
    const cipher = aesCbcEncrypt(transportKey, random(16), k.secret);
    const mac = createHmac("sha256", macKey).update(cipher).digest();
    out.push(
      "  <KeyPackage>\n    <DeviceInfo>\n",
      `      <Manufacturer>${esc(k.manufacturer)}</Manufacturer>\n      <SerialNo>${esc(k.serial)}</SerialNo>\n`,
      k.model ? `      <Model>${esc(k.model)}</Model>\n` : "",
      "    </DeviceInfo>\n",
      `    <Key Id="${esc(k.id)}" Algorithm="${ALGORITHM_URNS[k.kind]}">\n`,
      k.issuer ? `      <Issuer>${esc(k.issuer)}</Issuer>\n` : "",
      `      <AlgorithmParameters>\n        <Suite>HMAC-${k.algorithm}</Suite>\n        <ResponseFormat Length="${k.digits}" Encoding="DECIMAL"/>\n      </AlgorithmParameters>\n`,
      "      <Data>\n        <Secret>\n          <EncryptedValue>\n",
      encryptedValue(cipher, "            "),
      `          </EncryptedValue>\n          <ValueMAC>${b64(mac)}</ValueMAC>\n        </Secret>\n`,
      k.kind === "hotp" ? plainInt("Counter", k.counter ?? 0) : "",
      k.kind === "totp" ? plainInt("Time", k.t0) + plainInt("TimeInterval", k.period ?? 30) + plainInt("TimeDrift", k.driftSteps) : "",
      "      </Data>\n    </Key>\n  </KeyPackage>\n",
    );
  }
  out.push("</KeyContainer>\n");
  return out.join("");
}

// ---------------------------------------------------------------- import

/** Why one key of a file was not imported. */
export type PskcKeyFailure =
  /** Its ValueMAC does not match: the secret (or the MAC) was altered. Nothing of it was decrypted. */
  | "MAC_MISMATCH"
  /** An encrypted secret without a ValueMAC (this importer never decrypts unauthenticated data). */
  | "MAC_MISSING"
  /** The MAC matched but the value does not decrypt (the exporter encrypted it wrongly). */
  | "DECRYPT_FAILED"
  /** The secret is in the clear (PlainValue); refused unless `allowPlaintext`. */
  | "PLAINTEXT_SECRET"
  /** No Secret, or an algorithm, encoding, or parameter this SDK does not handle, or a value out of range. */
  | "UNSUPPORTED"
  /** A required element or attribute is missing or malformed within this key. */
  | "INVALID";

export type PskcKeyReport =
  | { readonly id: string; readonly serial: string; readonly ok: true; readonly key: PskcKey }
  | { readonly id: string; readonly serial: string; readonly ok: false; readonly reason: PskcKeyFailure; readonly message: string };

export interface PskcImportResult {
  /** ds:KeyName or xenc11:MasterKeyName of the file's transport key, if named. */
  readonly keyName?: string;
  readonly protection: "psk" | "password" | "none";
  /** One entry per Key, in file order. */
  readonly keys: readonly PskcKeyReport[];
}

export interface PskcImportOptions {
  /** §6.1: the pre-shared 16-byte key. */
  readonly psk?: Uint8Array;
  /** §6.2: the password. */
  readonly password?: string;
  /** Accept PlainValue secrets (default false). */
  readonly allowPlaintext?: boolean;
  /** Caps (defaults: 16 MiB, depth 32, 1,000,000 elements, 100,000 keys). */
  readonly maxBytes?: number;
  readonly maxKeys?: number;
}

class KeyError extends Error {
  constructor(readonly reason: PskcKeyFailure, message: string) { super(message); }
}

function decodeB64(s: string, what: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) throw malformed(`${what}: not base64`);
  return Buffer.from(t, "base64");
}

/** The CipherValue of an element holding xenc:EncryptionMethod + xenc:CipherData (AES-128-CBC only). */
function cipherValue(el: XmlElement, what: string): Uint8Array {
  const method = childOf(el, XENC, "EncryptionMethod");
  const alg = method?.attrs.Algorithm;
  if (alg !== AES128_CBC) throw new SeglError("UNSUPPORTED", `${what}: encryption ${alg ?? "(none)"} is not supported (only ${AES128_CBC})`, { details: { algorithm: alg } });
  const data = childOf(el, XENC, "CipherData");
  const cv = data && childOf(data, XENC, "CipherValue");
  if (!cv) throw malformed(`${what}: no xenc:CipherData/xenc:CipherValue`);
  return decodeB64(cv.text, what);
}

function int(text: string, what: string, min: number): number {
  if (!/^-?\d{1,15}$/.test(text)) throw new KeyError("INVALID", `${what}: not an integer`);
  const v = Number(text);
  if (v < min) throw new KeyError("UNSUPPORTED", `${what}: ${v} is below ${min}`);
  return v;
}

interface Transport {
  /** MAC comparisons made so far (to tell "every MAC failed" from "some keys failed"). */
  macChecks: number;
  readonly key: Uint8Array | undefined;
  readonly macKey: Uint8Array | undefined;
  readonly macHash: "sha1" | "sha256" | "sha512" | undefined;
  readonly keyName?: string;
  readonly protection: PskcImportResult["protection"];
}

function transportKey(root: XmlElement, o: PskcImportOptions): Omit<Transport, "macKey" | "macHash" | "macChecks"> {
  const ek = childOf(root, PSKC_NS, "EncryptionKey");
  if (!ek) return { key: undefined, protection: "none" };
  const dk = childOf(ek, XENC11, "DerivedKey");
  if (dk) {
    const method = childOf(dk, XENC11, "KeyDerivationMethod");
    if (method?.attrs.Algorithm !== PBKDF2_URI) throw new SeglError("UNSUPPORTED", `key derivation ${method?.attrs.Algorithm ?? "(none)"} is not supported (only PBKDF2)`);
    // RFC 6030 Figure 7 puts PBKDF2-params in the PKCS #5 namespace; XML Encryption 1.1 (and python-pskc) in xenc11.
    const params = childOf(method, PKCS5, "PBKDF2-params") ?? childOf(method, XENC11, "PBKDF2-params");
    if (!params) throw malformed("DerivedKey: no PBKDF2-params");
    // The RFC's own Figure 7 leaves the parameters' children unqualified: matched by local name.
    const saltEl = childOf(childOf(params, null, "Salt") ?? params, null, "Specified");
    const iterEl = childOf(params, null, "IterationCount");
    const lenEl = childOf(params, null, "KeyLength");
    if (!saltEl || !iterEl) throw malformed("PBKDF2-params: Salt/Specified and IterationCount are required");
    const salt = decodeB64(saltEl.text, "PBKDF2 salt");
    if (!/^\d{1,9}$/.test(iterEl.text)) throw malformed("PBKDF2 IterationCount: not an integer");
    const iterations = Number(iterEl.text);
    if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) throw new SeglError("UNSUPPORTED", `PBKDF2 IterationCount ${iterations} outside 1..${MAX_PBKDF2_ITERATIONS}`);
    if (lenEl && lenEl.text !== "16") throw new SeglError("UNSUPPORTED", `PBKDF2 KeyLength ${lenEl.text}: only 16 (AES-128)`);
    const prfEl = childOf(params, null, "PRF");
    const prfUri = prfEl?.attrs.Algorithm;
    const prf = prfUri === undefined ? "sha1" : MAC_URIS[prfUri];
    if (!prf) throw new SeglError("UNSUPPORTED", `PBKDF2 PRF ${prfUri} is not supported`);
    if (typeof o.password !== "string" || o.password.length === 0) throw new SeglError("INVALID_ARGUMENT", "this file is protected by a password (PBKDF2); pass `password`", { details: { field: "password" } });
    const name = childOf(dk, XENC11, "MasterKeyName")?.text;
    return { key: pbkdf2Sync(o.password, salt, iterations, 16, prf), protection: "password", ...(name ? { keyName: name } : {}) };
  }
  const name = childOf(ek, DS, "KeyName")?.text;
  if (name === undefined) throw new SeglError("UNSUPPORTED", "EncryptionKey: only ds:KeyName (pre-shared key) and xenc11:DerivedKey (PBKDF2) are supported");
  if (!(o.psk instanceof Uint8Array) || o.psk.length !== 16) throw new SeglError("INVALID_ARGUMENT", `this file is protected by the pre-shared key ${JSON.stringify(name)}; pass \`psk\` (16 bytes)`, { details: { field: "psk", keyName: name } });
  return { key: o.psk, protection: "psk", keyName: name };
}

const WRONG_KEY = () => new SeglError("PSKC_WRONG_KEY", "the key or password does not open this PSKC file (or its MAC key was altered); nothing was imported");

function readKey(pkg: XmlElement, keyEl: XmlElement, t: Transport, o: PskcImportOptions): PskcKey {
  const info = childOf(pkg, PSKC_NS, "DeviceInfo");
  const kind = URN_KIND[keyEl.attrs.Algorithm ?? ""];
  if (!kind) throw new KeyError("UNSUPPORTED", `algorithm ${keyEl.attrs.Algorithm ?? "(none)"}: only HOTP and TOTP`);
  const params = childOf(keyEl, PSKC_NS, "AlgorithmParameters");
  const rf = params && childOf(params, PSKC_NS, "ResponseFormat");
  if (!rf) throw new KeyError("INVALID", "AlgorithmParameters/ResponseFormat is required");
  if ((rf.attrs.Encoding ?? "") !== "DECIMAL") throw new KeyError("UNSUPPORTED", `ResponseFormat Encoding ${rf.attrs.Encoding ?? "(none)"}: only DECIMAL`);
  const digits = int(rf.attrs.Length ?? "", "ResponseFormat Length", 6);
  if (digits > 10) throw new KeyError("UNSUPPORTED", `ResponseFormat Length ${digits}: at most 10`);
  const suite = params && childOf(params, PSKC_NS, "Suite")?.text;
  const m = suite === undefined ? ["", "1"] : /^(?:HMAC-)?SHA-?(1|256|512)$/i.exec(suite);
  if (!m) throw new KeyError("UNSUPPORTED", `Suite ${suite}: HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512`);
  const algorithm = `SHA${m[1]}` as OtpAlgorithm;
  const data = childOf(keyEl, PSKC_NS, "Data");
  const secretEl = data && childOf(data, PSKC_NS, "Secret");
  if (!secretEl) throw new KeyError("UNSUPPORTED", "no Data/Secret");
  let secret: Uint8Array;
  const ev = childOf(secretEl, PSKC_NS, "EncryptedValue");
  if (ev) {
    if (!t.key || !t.macKey || !t.macHash) throw new KeyError("MAC_MISSING", "an encrypted secret in a file without EncryptionKey and MACMethod");
    const cipher = cipherValue(ev, "Secret");
    const macEl = childOf(secretEl, PSKC_NS, "ValueMAC");
    if (!macEl) throw new KeyError("MAC_MISSING", "encrypted secret without ValueMAC");
    const given = decodeB64(macEl.text, "ValueMAC");
    const expected = createHmac(t.macHash, t.macKey).update(cipher).digest();
    t.macChecks++;
    // Constant time; a MAC of the wrong length is compared with itself so the work is the same.
    const same = given.length === expected.length ? timingSafeEqual(given, expected) : (timingSafeEqual(expected, expected), false);
    if (!same) throw new KeyError("MAC_MISMATCH", "ValueMAC does not match: the secret or its MAC was altered");
    const plain = aesCbcDecrypt(t.key, cipher);
    if (!plain) throw new KeyError("DECRYPT_FAILED", "the MAC matched but the secret does not decrypt");
    secret = plain;
  } else {
    const pv = childOf(secretEl, PSKC_NS, "PlainValue");
    if (!pv) throw new KeyError("INVALID", "Secret holds neither EncryptedValue nor PlainValue");
    if (!o.allowPlaintext) throw new KeyError("PLAINTEXT_SECRET", "the secret is in the clear (PlainValue); refused");
    secret = decodeB64(pv.text, "Secret PlainValue");
  }
  if (secret.length < 1 || secret.length > 128) throw new KeyError("UNSUPPORTED", `secret of ${secret.length} bytes: 1..128`);
  const plainOf = (name: string, min: number): number | undefined => {
    const el = childOf(data, PSKC_NS, name);
    if (!el) return undefined;
    const pv = childOf(el, PSKC_NS, "PlainValue");
    if (!pv) throw new KeyError("UNSUPPORTED", `${name}: only PlainValue`);
    return int(pv.text, name, min);
  };
  const text = (el: XmlElement | undefined, name: string) => (el && childOf(el, PSKC_NS, name)?.text) || undefined;
  const serial = text(info, "SerialNo");
  if (!serial) throw new KeyError("INVALID", "DeviceInfo/SerialNo is required");
  const model = text(info, "Model");
  const issuer = text(keyEl, "Issuer");
  const base = { id: keyEl.attrs.Id ?? "", kind, secret, manufacturer: text(info, "Manufacturer") ?? "", serial, algorithm, digits, ...(model ? { model } : {}), ...(issuer ? { issuer } : {}) };
  if (kind === "hotp") return { ...base, counter: plainOf("Counter", 0) ?? 0 };
  const t0 = plainOf("Time", 0);
  const drift = plainOf("TimeDrift", Number.MIN_SAFE_INTEGER);
  return { ...base, period: plainOf("TimeInterval", 1) ?? 30, ...(t0 !== undefined ? { t0 } : {}), ...(drift !== undefined ? { driftSteps: drift } : {}) };
}

/**
 * Reads a PSKC document. Throws SeglError for the file as a whole: PSKC_MALFORMED (not XML, too
 * large, DOCTYPE, not a KeyContainer 1.0…), UNSUPPORTED (encryption other than AES-128-CBC, a MAC
 * or KDF it does not know), INVALID_ARGUMENT (the file needs a psk/password that was not given),
 * PSKC_WRONG_KEY (wrong key or password: nothing is imported). Otherwise each Key gets a report:
 * `ok` with the key, or the reason it was refused; one bad key does not lose the others.
 */
export function importPskc(input: string | Uint8Array, options: PskcImportOptions = {}): PskcImportResult {
  const limits: XmlLimits = { maxBytes: options.maxBytes ?? 16 * 1024 * 1024, maxDepth: 32, maxElements: 1_000_000 };
  const maxKeys = options.maxKeys ?? 100_000;
  const root = parseXml(input, limits);
  if (root.ns !== PSKC_NS || root.name !== "KeyContainer") throw malformed(`the root element is not a PSKC KeyContainer ({${root.ns}}${root.name})`);
  if (root.attrs.Version !== "1.0") throw malformed(`KeyContainer Version ${root.attrs.Version ?? "(none)"}: only 1.0`);
  const base = transportKey(root, options);
  let macKey: Uint8Array | undefined;
  let macHash: Transport["macHash"];
  const mm = childOf(root, PSKC_NS, "MACMethod");
  if (mm) {
    macHash = MAC_URIS[mm.attrs.Algorithm ?? ""];
    if (!macHash) throw new SeglError("UNSUPPORTED", `MAC algorithm ${mm.attrs.Algorithm ?? "(none)"} is not supported`);
    const mk = childOf(mm, PSKC_NS, "MACKey");
    if (!mk) throw malformed("MACMethod without MACKey");
    if (!base.key) throw malformed("MACMethod without EncryptionKey");
    macKey = aesCbcDecrypt(base.key, cipherValue(mk, "MACKey"));
    if (!macKey || macKey.length === 0) throw WRONG_KEY();
  }
  const t: Transport = { ...base, macKey, macHash, macChecks: 0 };
  const reports: PskcKeyReport[] = [];
  let macFailures = 0;
  for (const pkg of childrenOf(root, PSKC_NS, "KeyPackage")) {
    const serial = childOf(childOf(pkg, PSKC_NS, "DeviceInfo") ?? pkg, PSKC_NS, "SerialNo")?.text ?? "";
    for (const keyEl of childrenOf(pkg, PSKC_NS, "Key")) {
      if (reports.length >= maxKeys) throw malformed(`more than ${maxKeys} keys`, { maxKeys });
      const id = keyEl.attrs.Id ?? "";
      try {
        if (!id) throw new KeyError("INVALID", "Key without Id");
        reports.push({ id, serial, ok: true, key: readKey(pkg, keyEl, t, options) });
      } catch (e) {
        if (e instanceof KeyError) {
          if (e.reason === "MAC_MISMATCH") macFailures++;
          reports.push({ id, serial, ok: false, reason: e.reason, message: e.message });
        } else if (e instanceof SeglError && (e.code === "PSKC_MALFORMED" || e.code === "UNSUPPORTED")) {
          reports.push({ id, serial, ok: false, reason: e.code === "UNSUPPORTED" ? "UNSUPPORTED" : "INVALID", message: e.message });
        } else {
          throw e;
        }
      }
    }
  }
  // A wrong key or password, or an altered MAC key, makes every MAC fail: one answer for all of
  // these (the importer must not tell a padding failure of the MAC key from a MAC mismatch).
  if (t.macChecks > 0 && macFailures === t.macChecks) throw WRONG_KEY();
  return { protection: t.protection, keys: reports, ...(t.keyName ? { keyName: t.keyName } : {}) };
}
