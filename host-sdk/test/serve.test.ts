// The broker's HTTP server (createBrokerServer, `segl serve`): OTP and FIDO routes, one answer for every
// refusal, tokens, schema validation, rate limits, metrics, readiness, graceful close.
import { describe, test } from "vitest";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as OTPAuth from "otpauth";
import { SeglError } from "../src/errors.js";
import { base32Encode } from "../src/otp/index.js";
import { MemoryStore } from "../src/verify/index.js";
import { createBrokerServer, type BrokerServerOptions, type BrokerStore } from "../src/serve/index.js";
import { ORIGIN, RP, assertWith, ca, newCred, register } from "./fido-soft.js";
import { startServe } from "./serve-harness.js";

const TOKEN = "test-token-0123456789abcdef";
const NOW = 1_800_000_000_000;
const SECRET = Uint8Array.from(randomBytes(20));
const totp = (ms: number) => new OTPAuth.TOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SECRET).buffer }) }).generate({ timestamp: ms });
const hotp = (n: number) => new OTPAuth.HOTP({ secret: new OTPAuth.Secret({ buffer: Uint8Array.from(SECRET).buffer }) }).generate({ counter: n });

async function server(over: Partial<BrokerServerOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  let now = NOW;
  const s = await createBrokerServer({
    store: new MemoryStore(), tokens: [TOKEN], clock: () => now, log: (l) => lines.push({ ...l }),
    fido: { rpId: RP, origin: ORIGIN, trustAnchors: [ca.certificateDer], requireUserVerification: false }, ...over,
  });
  const call = async (url: string, body?: unknown, token: string | null = TOKEN) => {
    const r = await s.app.inject({
      method: body === undefined ? "GET" : "POST", url, ...(body !== undefined ? { payload: body as object } : {}),
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: r.statusCode, body: r.headers["content-type"]?.toString().startsWith("application/json") ? r.json() : r.body };
  };
  return { s, call, lines, setNow: (ms: number) => { now = ms; } };
}

const enrolBody = (id: string, extra: Record<string, unknown> = {}) => ({ id, secret: base32Encode(SECRET), ...extra });

describe("segl serve: OTP", () => {
  test("enrol, verify, replay, wrong code, unknown id, lockout: every refusal is the same answer; seeds, codes and tokens never in answers or logs", async () => {
    const { s, call, lines } = await server({ totp: { maxFailures: 3 } });
    try {
      assert.deepEqual(await call("/v1/otp/enroll", enrolBody("dev-1")), { status: 201, body: { id: "dev-1", kind: "totp", enrolled: true } });
      assert.deepEqual((await call("/v1/otp/enroll", enrolBody("dev-1"))).body.error.code, "ALREADY_EXISTS");
      const code = totp(NOW);
      const ok = await call("/v1/otp/verify", { id: "dev-1", code });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.verified, true);
      assert.equal(ok.body.driftSteps, 0);
      const refusals = [
        await call("/v1/otp/verify", { id: "dev-1", code }), // replay
        await call("/v1/otp/verify", { id: "nobody", code }), // unknown
        await call("/v1/otp/verify", { id: "dev-1", code: "12" }), // malformed
      ];
      for (const r of refusals) assert.deepEqual(r, { status: 200, body: { verified: false } });
      for (let i = 0; i < 3; i++) await call("/v1/otp/verify", { id: "dev-1", code: code === "000000" ? "111111" : "000000" });
      assert.deepEqual(await call("/v1/otp/verify", { id: "dev-1", code: totp(NOW + 30_000) }), { status: 200, body: { verified: false } }, "locked: the same answer");
      assert.deepEqual(await call("/v1/otp/unlock", { id: "dev-1" }), { status: 200, body: { id: "dev-1", unlocked: true } });
      assert.equal((await call("/v1/otp/verify", { id: "dev-1", code: totp(NOW + 30_000) })).body.verified, true);
      // The reasons are in the audit log, not in the answers.
      const reasons = lines.filter((l) => l["type"] === "audit" && l["outcome"] === "rejected").map((l) => l["reason"]);
      for (const r of ["replay", "unknown-device", "malformed", "mismatch", "locked"]) assert.ok(reasons.includes(r), r);
      const text = JSON.stringify(lines);
      assert.ok(!text.includes(base32Encode(SECRET)) && !text.includes(Buffer.from(SECRET).toString("hex")), "no seed in the logs");
      assert.ok(!text.includes(TOKEN), "no token in the logs");
      assert.ok(!text.includes(`"${code}"`), "no code in the logs");
      assert.ok(lines.some((l) => l["type"] === "access" && l["route"] === "/v1/otp/verify" && l["outcome"] === "accepted" && typeof l["token"] === "string"));
    } finally {
      await s.close();
    }
  });

  test("HOTP enrol and resync with two consecutive codes; remove", async () => {
    const { s, call } = await server();
    try {
      assert.equal((await call("/v1/otp/enroll", enrolBody("h-1", { kind: "hotp", counter: 0 }))).status, 201);
      assert.deepEqual((await call("/v1/otp/verify", { id: "h-1", kind: "hotp", code: hotp(50) })).body, { verified: false }, "beyond the look-ahead window");
      const r = await call("/v1/otp/resync", { id: "h-1", kind: "hotp", code1: hotp(50), code2: hotp(51) });
      assert.equal(r.body.verified, true);
      assert.equal(r.body.step, 51);
      assert.equal((await call("/v1/otp/verify", { id: "h-1", kind: "hotp", code: hotp(52) })).body.verified, true);
      assert.deepEqual((await call("/v1/otp/remove", { id: "h-1", kind: "hotp" })).body, { id: "h-1", removed: true });
      assert.deepEqual((await call("/v1/otp/unlock", { id: "h-1", kind: "hotp" })).body.error.code, "NOT_FOUND");
    } finally {
      await s.close();
    }
  });

  test("requests are validated by schema (400 INVALID_REQUEST), need a valid bearer token (401), unknown routes are 404", async () => {
    const { s, call } = await server();
    try {
      for (const body of [{ id: "x" }, { id: "x", code: 123456 }, { id: "", code: "123456" }, { id: "x", code: "1", extra: 1 }, { id: "x", code: "1", kind: "sha" }]) {
        const r = await call("/v1/otp/verify", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.code, "INVALID_REQUEST");
      }
      assert.equal((await call("/v1/otp/enroll", { id: "x", secret: "not base32!" })).body.error.code, "INVALID_REQUEST");
      assert.equal((await call("/v1/otp/enroll", { id: "x", secret: base32Encode(new Uint8Array(10)) })).body.error.code, "INVALID_REQUEST", "a seed under 128 bits");
      for (const token of [null, "wrong-token-0123456789abcdef", `${TOKEN} `]) {
        const r = await call("/v1/otp/verify", { id: "x", code: "123456" }, token);
        assert.equal(r.status, 401);
        assert.equal(r.body.error.code, "UNAUTHORIZED");
      }
      assert.equal((await call("/v1/nothing", {})).body.error.code, "NOT_FOUND");
      assert.deepEqual(await call("/healthz", undefined, null), { status: 200, body: { status: "ok" } });
    } finally {
      await s.close();
    }
  });

  test("rate limits: per token and per client address answer 429 RATE_LIMITED (retryable)", async () => {
    const a = await server({ rateLimit: { perToken: { max: 3, windowMs: 60_000 }, perClient: { max: 1000, windowMs: 60_000 } }, tokens: [TOKEN, "second-token-0123456789abcdef"] });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await a.call("/v1/otp/verify", { id: "x", code: "123456" })).status);
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      const limited = await a.call("/v1/otp/verify", { id: "x", code: "123456" });
      assert.deepEqual(limited.body.error, { code: "RATE_LIMITED", message: "too many requests; retry later", retryable: true });
      assert.equal((await a.call("/v1/otp/verify", { id: "x", code: "123456" }, "second-token-0123456789abcdef")).status, 200, "another token has its own budget");
    } finally {
      await a.s.close();
    }
    const b = await server({ rateLimit: { perToken: { max: 1000, windowMs: 60_000 }, perClient: { max: 2, windowMs: 60_000 } } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await b.call("/v1/otp/verify", { id: "x", code: "123456" }, i === 1 ? null : TOKEN)).status);
      assert.deepEqual(codes, [200, 401, 429], "the client limit counts unauthenticated requests too");
      assert.equal((await b.call("/healthz", undefined, null)).status, 200, "health is never limited");
    } finally {
      await b.s.close();
    }
  });
});

describe("segl serve: FIDO", () => {
  test("registration and assertion over HTTP; challenges single use; every refusal the same answer", async () => {
    const { s, call, lines } = await server();
    try {
      const user = Buffer.from("user-42").toString("base64url");
      const ro = await call("/v1/fido/registration/options", { userHandle: user, name: "ann" });
      assert.equal(ro.status, 200);
      assert.equal(ro.body.rp.id, RP);
      const cred = newCred();
      const reg = register("packed-batch", { cred, counter: 1, challenge: new Uint8Array(Buffer.from(ro.body.challenge, "base64url")) });
      const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
      const rv = await call("/v1/fido/registration/verify", { clientDataJSON: b64(reg.clientDataJSON), attestationObject: b64(reg.attestationObject) });
      assert.deepEqual(rv.body, { verified: true, credentialId: b64(cred.id), userHandle: user, aaguid: rv.body.aaguid, trust: "chained", signCount: 1 });
      assert.deepEqual((await call("/v1/fido/registration/verify", { clientDataJSON: b64(reg.clientDataJSON), attestationObject: b64(reg.attestationObject) })).body, { verified: false });

      const ao = await call("/v1/fido/assertion/options", { userHandle: user });
      assert.deepEqual(ao.body.allowCredentials, [{ type: "public-key", id: b64(cred.id) }]);
      const a = assertWith(cred, { counter: 2, challenge: new Uint8Array(Buffer.from(ao.body.challenge, "base64url")) });
      const body = { credentialId: b64(cred.id), clientDataJSON: b64(a.clientDataJSON), authenticatorData: b64(a.authenticatorData), signature: b64(a.signature) };
      assert.deepEqual((await call("/v1/fido/assertion/verify", body)).body, { verified: true, credentialId: b64(cred.id), userHandle: user, signCount: 2, counter: "ok" });
      assert.deepEqual(await call("/v1/fido/assertion/verify", body), { status: 200, body: { verified: false } }, "the challenge is spent");
      const ao2 = await call("/v1/fido/assertion/options", {});
      const low = assertWith(cred, { counter: 2, challenge: new Uint8Array(Buffer.from(ao2.body.challenge, "base64url")) });
      assert.deepEqual((await call("/v1/fido/assertion/verify", { ...body, clientDataJSON: b64(low.clientDataJSON), authenticatorData: b64(low.authenticatorData), signature: b64(low.signature) })).body, { verified: false });
      const reasons = lines.filter((l) => l["type"] === "audit" && l["kind"] === "fido" && l["outcome"] === "rejected").map((l) => (l["reasons"] as string[]).join());
      assert.deepEqual(reasons, ["challenge-unknown", "challenge-unknown", "counter-regressed"]);
      const m = await call("/metrics", undefined, null);
      assert.match(String(m.body), /segl_verifications_total\{kind="fido_assertion",outcome="accepted"\} 1/);
      assert.match(String(m.body), /segl_verifications_total\{kind="fido_assertion",outcome="rejected"\} 2/);
      assert.match(String(m.body), /segl_http_request_duration_seconds_count\{route="\/v1\/fido\/assertion\/verify",outcome="accepted"\} 1/);
    } finally {
      await s.close();
    }
  });

  test("without an RP configured the FIDO routes answer 404 FIDO_DISABLED", async () => {
    const { s, call } = await server({ fido: undefined });
    try {
      const r = await call("/v1/fido/assertion/options", {});
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, "FIDO_DISABLED");
    } finally {
      await s.close();
    }
  });
});

/** A MemoryStore whose calls can be made to fail (an outage) or wait (a request in flight). */
function controllable() {
  const inner = new MemoryStore();
  const ctl = { down: false, gate: undefined as Promise<void> | undefined, closed: false, waiting: 0, onWait: () => {} };
  const store = new Proxy(inner, {
    get(t, prop, recv) {
      if (prop === "close") return () => { ctl.closed = true; };
      const v = Reflect.get(t, prop, recv) as unknown;
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        if (ctl.gate) {
          ctl.waiting++;
          ctl.onWait();
          await ctl.gate;
        }
        if (ctl.down) throw new SeglError("STORE_TRANSIENT", "connection refused", { details: { op: String(prop), outcomeUnknown: false } });
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  }) as unknown as BrokerStore;
  return { store, ctl };
}

describe("segl serve: store failures, readiness, metrics, graceful close", () => {
  test("store unreachable: known and unknown ids both answer 503 STORE_TRANSIENT (retryable); /readyz 503; counted in metrics", async () => {
    const { store, ctl } = controllable();
    const { s, call } = await server({ store });
    try {
      await call("/v1/otp/enroll", enrolBody("dev-1"));
      await call("/v1/otp/verify", { id: "someone", code: "123456" }); // the decoy exists
      assert.deepEqual((await call("/readyz", undefined, null)).body, { status: "ready" });
      ctl.down = true;
      for (const id of ["dev-1", "nobody"]) {
        const r = await call("/v1/otp/verify", { id, code: "123456" });
        assert.equal(r.status, 503, id);
        assert.deepEqual(r.body.error.code, "STORE_TRANSIENT");
        assert.equal(r.body.error.retryable, true);
        assert.equal(r.body.error.outcomeUnknown, false);
      }
      assert.equal((await call("/readyz", undefined, null)).status, 503);
      assert.equal((await call("/healthz", undefined, null)).status, 200, "alive all the same");
      ctl.down = false;
      assert.equal((await call("/readyz", undefined, null)).status, 200, "ready again by itself");
      const m = String((await call("/metrics", undefined, null)).body);
      assert.match(m, /segl_store_errors_total\{code="STORE_TRANSIENT"\} [3-9]/);
      assert.match(m, /segl_http_requests_total\{route="\/v1\/otp\/verify",method="POST",status="503",outcome="STORE_TRANSIENT"\} 2/);
      assert.match(m, /segl_verifications_total\{kind="totp",outcome="error"\} 2/);
    } finally {
      await s.close();
    }
  });

  test("close(): not ready at once, the request in flight completes, new connections are refused, the store is closed", async () => {
    const { store, ctl } = controllable();
    const { s, call } = await server({ store });
    await call("/v1/otp/enroll", enrolBody("dev-1"));
    const { port } = await s.listen({ port: 0 });
    let release!: () => void;
    ctl.gate = new Promise<void>((r) => { release = r; });
    const reached = new Promise<void>((r) => { ctl.onWait = r; });
    const inflight = post(port, "/v1/otp/verify", { id: "dev-1", code: totp(NOW) });
    await reached; // the verification is inside the store, waiting
    const closing = s.close();
    assert.equal(s.closing, true);
    assert.equal((await call("/readyz", undefined, null)).body.error.code, "SHUTTING_DOWN");
    while (s.app.server.listening) await new Promise((r) => setImmediate(r));
    await assert.rejects(post(port, "/healthz"), /ECONNREFUSED/);
    release();
    ctl.gate = undefined;
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).verified, true, "the in-flight verification finished and was answered");
    await closing;
    assert.equal(ctl.closed, true);
  });
});

export function post(port: number, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: "127.0.0.1", port, path, method: data ? "POST" : "GET", headers: { authorization: `Bearer ${token}`, ...(data ? { "content-type": "application/json" } : {}) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => { text += d; }).on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

describe("segl serve (the command)", () => {
  test("on a SQLite file by default: serves, keeps no seed in its logs, stops on SIGTERM with exit 0; without tokens it refuses to start (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "segl-serve-"));
    try {
      const key = randomBytes(32).toString("hex");
      const s = await startServe(join(dir, "broker.sqlite"), key, TOKEN);
      try {
        assert.match(s.stdout.join("\n"), /listening on http:\/\/127\.0\.0\.1:\d+ \(store .*broker\.sqlite\)/);
        assert.equal((await post(s.port, "/v1/otp/enroll", enrolBody("d1"))).status, 201);
        const r = await post(s.port, "/v1/otp/verify", { id: "d1", code: totp(Date.now()) });
        assert.equal(JSON.parse(r.body).verified, true);
        s.proc.kill("SIGTERM");
        assert.deepEqual(await s.exit, { code: 0, signal: null });
        assert.match(s.stdout.join("\n"), /stopped/);
        const logs = JSON.stringify(s.log);
        assert.ok(!logs.includes(base32Encode(SECRET)) && !logs.includes(TOKEN) && !logs.includes(key));
        assert.ok(s.log.some((l) => l["type"] === "audit" && l["outcome"] === "accepted"));
      } finally {
        if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
      }
      const bad = spawnSync(process.execPath, [fileURLToPath(new URL("../../scripts/segl.mjs", import.meta.url)), "serve", "--store", join(dir, "x.sqlite")], {
        encoding: "utf8", env: { ...process.env, SEGL_CLI_FROM_SOURCE: "1", SEGL_STORE_KEY: key, SEGL_API_TOKENS: "" },
      });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /API tokens are required/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
