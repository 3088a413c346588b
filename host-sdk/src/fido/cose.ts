// COSE_Key (RFC 9052/9053) for WebAuthn credential public keys, and their imported public keys
// (../platform/keys.ts: node:crypto KeyObjects in Node, its browser twin's keys in a page).

import { COSE_SIGNATURE_ALGS, keyFits, type Curve } from "../platform/keys-types.js";
import { importKey, keyInfo, type PublicKey } from "../platform/keys.js";
import { cborDecode, cborEncode, type CborValue } from "../cbor.js";
import { SeglError } from "../errors.js";

/** COSE algorithm identifiers this module verifies. */
export const COSE_ALG = {
  ES256: -7, EdDSA: -8, ES384: -35, ES512: -36, RS256: -257, RS384: -258, RS512: -259, PS256: -37, PS384: -38, PS512: -39,
} as const;
const RSA_ALGS: readonly number[] = [COSE_ALG.RS256, COSE_ALG.RS384, COSE_ALG.RS512, COSE_ALG.PS256, COSE_ALG.PS384, COSE_ALG.PS512];
export const COSE_KTY = { OKP: 1, EC2: 2, RSA: 3 } as const;
export const COSE_CRV = { P256: 1, P384: 2, P521: 3, Ed25519: 6 } as const;

export interface CoseKey {
  kty: number;
  /** Required (WebAuthn §5.8.5 credentialPublicKey must carry alg). */
  alg: number;
  crv?: number;
  x?: Uint8Array;
  y?: Uint8Array;
  n?: Uint8Array;
  e?: Uint8Array;
  /** The canonical CBOR bytes of the key. */
  bytes: Uint8Array;
}

const bad = (msg: string): never => {
  throw new SeglError("BAD_RESPONSE", `bad COSE key: ${msg}`);
};

const CURVES: Record<number, { name: string; size: number }> = {
  1: { name: "P-256", size: 32 }, 2: { name: "P-384", size: 48 }, 3: { name: "P-521", size: 66 }, 6: { name: "Ed25519", size: 32 },
};

function bytesField(m: Map<CborValue, CborValue>, k: number): Uint8Array | undefined {
  const v = m.get(k);
  if (v === undefined) return undefined;
  if (!(v instanceof Uint8Array)) bad(`parameter ${k} is not a byte string`);
  return v as Uint8Array;
}

function intField(m: Map<CborValue, CborValue>, k: number): number | undefined {
  const v = m.get(k);
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) bad(`parameter ${k} is not an integer`);
  return v as number;
}

/** Caps of a COSE key: its bytes (RSA-4096 with e is ~530) and its CBOR items. */
export const COSE_LIMITS = Object.freeze({ bytes: 1024, items: 32, rsaMinBits: 2048, rsaMaxBits: 4096 });
/** CBOR options for a COSE key: one flat map, no floats. */
export const COSE_CBOR = Object.freeze({ maxDepth: 1, maxItems: COSE_LIMITS.items, allowFloats: false });

/** Labels a credential public key may carry: kty, kid, alg, key_ops, Base IV, then the kty's own. */
const COMMON_LABELS = new Set([1, 2, 3, 4, 5]);
const KTY_LABELS: Record<number, Set<number>> = { 1: new Set([-1, -2]), 2: new Set([-1, -2, -3]), 3: new Set([-1, -2]) };

function unsignedBits(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

/**
 * Parses a COSE_Key from its CBOR bytes (or an already decoded map) and checks its shape: integer
 * labels only (no floats, no text), no labels outside those of its key type, alg present and fitting
 * the key, RSA modulus 2048..4096 bits.
 */
export function parseCoseKey(input: Uint8Array | Map<CborValue, CborValue>): CoseKey {
  if (input instanceof Uint8Array && input.length > COSE_LIMITS.bytes) bad(`${input.length} bytes (max ${COSE_LIMITS.bytes})`);
  const m = input instanceof Uint8Array ? cborDecode(input, COSE_CBOR) : input;
  if (!(m instanceof Map)) return bad("not a CBOR map");
  const kty = intField(m, 1);
  if (kty === undefined) return bad("kty (1) missing");
  const own = KTY_LABELS[kty];
  if (own === undefined) return bad(`unsupported kty ${kty}`);
  for (const label of m.keys()) {
    if (typeof label !== "number" || !Number.isInteger(label)) bad(`label ${typeof label === "string" ? JSON.stringify(label) : String(label)} is not an integer`);
    if (!COMMON_LABELS.has(label as number) && !own.has(label as number)) bad(`label ${String(label)} does not belong to kty ${kty}`);
  }
  const alg = intField(m, 3);
  if (alg === undefined) return bad("alg (3) missing");
  const key: CoseKey = { kty, alg, bytes: input instanceof Uint8Array ? input : cborEncode(m) };
  if (kty === COSE_KTY.EC2 || kty === COSE_KTY.OKP) {
    const crv = intField(m, -1);
    const x = bytesField(m, -2);
    if (crv === undefined || x === undefined) return bad("crv (-1) or x (-2) missing");
    const curve = CURVES[crv];
    if (curve === undefined) return bad(`unsupported curve ${crv}`);
    if ((kty === COSE_KTY.OKP) !== (crv === COSE_CRV.Ed25519)) bad(`curve ${crv} does not go with kty ${kty}`);
    if (x.length !== curve.size) bad(`x is ${x.length} bytes, expected ${curve.size}`);
    key.crv = crv;
    key.x = x;
    if (kty === COSE_KTY.EC2) {
      const y = bytesField(m, -3);
      if (y === undefined) return bad("y (-3) missing (compressed points are not supported)");
      if (y.length !== curve.size) bad(`y is ${y.length} bytes, expected ${curve.size}`);
      key.y = y;
    }
  } else if (kty === COSE_KTY.RSA) {
    const n = bytesField(m, -1);
    const e = bytesField(m, -2);
    if (n === undefined || e === undefined) return bad("n (-1) or e (-2) missing");
    const bits = unsignedBits(n);
    if (bits < COSE_LIMITS.rsaMinBits || bits > COSE_LIMITS.rsaMaxBits) bad(`RSA modulus of ${bits} bits (${COSE_LIMITS.rsaMinBits}..${COSE_LIMITS.rsaMaxBits} allowed)`);
    const eBits = unsignedBits(e);
    if (eBits < 2 || eBits > 32 || (e[e.length - 1]! & 1) === 0) bad("RSA exponent must be odd, 3..2^32-1");
    key.n = n;
    key.e = e;
  }
  {
    const fits =
      (alg === COSE_ALG.ES256 && key.crv === COSE_CRV.P256) || (alg === COSE_ALG.ES384 && key.crv === COSE_CRV.P384) ||
      (alg === COSE_ALG.ES512 && key.crv === COSE_CRV.P521) || (alg === COSE_ALG.EdDSA && key.crv === COSE_CRV.Ed25519) ||
      (RSA_ALGS.includes(alg) && kty === COSE_KTY.RSA);
    if (!fits) bad(`alg ${alg} does not fit the key type`);
  }
  return key;
}

/** Imports a COSE key (../platform/keys.ts). Throws BAD_RESPONSE for points not on the curve. */
export function coseKeyToKeyObject(key: CoseKey | Uint8Array): PublicKey {
  const k = key instanceof Uint8Array ? parseCoseKey(key) : key;
  try {
    if (k.kty === COSE_KTY.EC2) return importKey({ kty: "EC", crv: CURVES[k.crv!]!.name as Curve, x: k.x!, y: k.y! });
    if (k.kty === COSE_KTY.OKP) return importKey({ kty: "OKP", crv: "Ed25519", x: k.x! });
    return importKey({ kty: "RSA", n: k.n!, e: k.e! });
  } catch (err) {
    throw new SeglError("BAD_RESPONSE", "COSE key is not a valid public key", { cause: err });
  }
}

/** The hash a COSE alg signs with ("sha256", ...; null for EdDSA), or undefined when unsupported. */
export function hashForAlg(alg: number): string | null | undefined {
  return COSE_SIGNATURE_ALGS.get(alg)?.hash;
}

/** COSE alg that a key can verify, when it is unambiguous (EC curve or Ed25519); RSA → RS256. */
export function algForKeyObject(k: PublicKey): number | undefined {
  const i = keyInfo(k);
  if (i.type === "ed25519") return COSE_ALG.EdDSA;
  if (i.type === "rsa") return COSE_ALG.RS256;
  if (i.type === "ec") return i.curve === "P-256" ? COSE_ALG.ES256 : i.curve === "P-384" ? COSE_ALG.ES384 : COSE_ALG.ES512;
  return undefined;
}

/** The key is of the type a COSE alg needs (ES256 on P-256, EdDSA on Ed25519, the RSA algorithms on RSA); key size is policy, checked apart. */
export function algFitsKey(alg: number, k: PublicKey): boolean {
  const a = COSE_SIGNATURE_ALGS.get(alg);
  return a !== undefined && keyFits(a, keyInfo(k));
}

/** Canonical COSE bytes of an ES256 key from its coordinates (or a 65-byte 0x04‖X‖Y point). */
export function coseEs256(xOrPoint: Uint8Array, y?: Uint8Array): Uint8Array {
  let x = xOrPoint;
  if (y === undefined) {
    if (xOrPoint.length !== 65 || xOrPoint[0] !== 4) throw new SeglError("INVALID_ARGUMENT", "expected an uncompressed P-256 point");
    x = xOrPoint.subarray(1, 33);
    y = xOrPoint.subarray(33, 65);
  }
  return cborEncode(new Map<CborValue, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, x.slice()], [-3, y.slice()]]));
}

/** Canonical COSE bytes of an Ed25519 key. */
export function coseEd25519(x: Uint8Array): Uint8Array {
  return cborEncode(new Map<CborValue, CborValue>([[1, 1], [3, -8], [-1, 6], [-2, x.slice()]]));
}
