// `segl chip info|attestation|lock --device ID`: a chip's identity (CTAP2 getInfo and the service
// protocol's INFO through the CTAPHID tunnel), its batch attestation key and certificate from
// files, and the lock that ends provisioning. attestation and lock ask first (--yes in scripts).
import { readFileSync } from "node:fs";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { EXIT_OK, UsageError, confirm, parseOptions, type CliContext } from "./common.js";
import { DEVICE_HELP, openDevice, parseDeviceId } from "./target.js";

export const help = (prog: string) => `Usage: ${prog} <info|attestation|lock> --device ID [options]

  info          CTAP2 getInfo and the service INFO of a chip
  attestation   stores a batch attestation key and certificate (--key FILE --cert FILE); asks first
  lock          locks the chip: no more provisioning, attestation fixed for good; asks first

Options:
${DEVICE_HELP}
  --key FILE      the batch private key: PKCS#8 PEM, P-256 (attestation)
  --cert FILE     its certificate: PEM or DER X.509 (attestation)
  --yes           do not ask (needed when stdin is not a terminal)
  --timeout MS    per request (default 3000)
  --json          one JSON object on stdout (errors too)
`;

/** The 32-byte P-256 scalar of a PKCS#8 PEM key, checked against the certificate's public key. */
export function readAttestation(keyFile: string, certFile: string): { key: Uint8Array; certDer: Uint8Array } {
  let keyPem: string, certBytes: Buffer;
  try { keyPem = readFileSync(keyFile, "utf8"); } catch (e) { throw new UsageError(`--key: cannot read ${keyFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
  try { certBytes = readFileSync(certFile); } catch (e) { throw new UsageError(`--cert: cannot read ${certFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`); }
  let priv;
  try { priv = createPrivateKey({ key: keyPem, format: "pem" }); } catch { throw new UsageError(`--key: ${keyFile} is not a PEM private key (PKCS#8)`); }
  const jwk = priv.export({ format: "jwk" });
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) throw new UsageError("--key: the key must be EC P-256");
  let cert: X509Certificate;
  try { cert = new X509Certificate(certBytes); } catch { throw new UsageError(`--cert: ${certFile} is not an X.509 certificate (PEM or DER)`); }
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: "der", type: "spki" }).toString("hex");
  if (spki(cert.publicKey) !== spki(createPublicKey(priv))) throw new UsageError("the certificate is not for this key");
  return { key: new Uint8Array(Buffer.from(jwk.d, "base64url")), certDer: new Uint8Array(cert.raw) };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "-h" || sub === "--help") { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  if (sub !== "info" && sub !== "attestation" && sub !== "lock") throw new UsageError(sub === undefined ? "which subcommand? info, attestation or lock" : `unknown subcommand ${JSON.stringify(sub)} (info, attestation, lock)`);
  const v = parseOptions(rest, {
    device: { type: "string" }, key: { type: "string" }, cert: { type: "string" }, yes: { type: "boolean" }, timeout: { type: "string" }, json: { type: "boolean" },
  });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const target = parseDeviceId(v.device);
  if (target.kind === "serial") throw new UsageError("a chip is reached over HID (hid:PATH) or, simulated, over UDP (udp:PORT)");
  const timeoutMs = v.timeout === undefined ? 3000 : Number(v.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError("--timeout: milliseconds > 0");
  const att = sub === "attestation" ? (v.key && v.cert ? readAttestation(v.key, v.cert) : undefined) : undefined;
  if (sub === "attestation" && !att) throw new UsageError("attestation needs --key FILE and --cert FILE");
  if (sub !== "attestation" && (v.key || v.cert)) throw new UsageError("--key and --cert are for `chip attestation`");
  const dev = await openDevice(target, timeoutMs);
  try {
    const info = await dev.service.info();
    if (info.model !== "chip") throw Object.assign(new Error(`${v.device} is a ${info.model}, not a chip`), { code: "WRONG_MODEL" });
    if (sub === "info") {
      const ci = await dev.ctap2!.getInfo();
      const ctap2 = {
        versions: ci.versions, extensions: ci.extensions, aaguid: Buffer.from(ci.aaguid).toString("hex"), options: ci.options,
        pinUvAuthProtocols: ci.pinUvAuthProtocols, firmwareVersion: ci.firmwareVersion ?? null, remainingDiscoverableCredentials: ci.remainingDiscoverableCredentials ?? null,
      };
      if (v.json) ctx.stdout.write(JSON.stringify({ ok: true, device: v.device, info, ctap2 }) + "\n");
      else ctx.stdout.write([
        `model      ${info.model}`, `serial     ${info.serial || "-"}`, `state      ${info.state}`, `firmware   ${info.firmwareVersion}`,
        `versions   ${ci.versions.join(" ")}`, `extensions ${ci.extensions.join(" ") || "-"}`, `aaguid     ${ctap2.aaguid}`,
        `options    ${Object.entries(ci.options).map(([k, x]) => `${k}=${x}`).join(" ")}`, "",
      ].join("\n"));
      return EXIT_OK;
    }
    if (info.state === "locked") throw Object.assign(new Error(`${info.serial || v.device} is locked: ${sub === "lock" ? "already locked" : "its attestation is fixed"}`), { code: "LOCKED" });
    if (sub === "attestation") {
      await confirm(ctx, `Store a new batch attestation key and certificate in chip ${info.serial || v.device} (replacing any it has)`, v.yes);
      await dev.service.provisionAttestation(att!.key, att!.certDer);
      att!.key.fill(0);
    } else {
      await confirm(ctx, `Lock chip ${info.serial || v.device}: no more provisioning, its attestation fixed for good`, v.yes);
      if (!info.flags.clockSet) await dev.service.setTime(Date.now());
      await dev.service.lock();
    }
    const after = await dev.service.info();
    if (v.json) ctx.stdout.write(JSON.stringify({ ok: true, device: v.device, action: sub, serial: after.serial, state: after.state }) + "\n");
    else ctx.stdout.write(`${after.serial || v.device}\t${sub === "lock" ? "locked" : "attestation stored"}\t(state ${after.state})\n`);
    return EXIT_OK;
  } finally {
    await dev.close();
  }
}
