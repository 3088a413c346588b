// `createBrokerServer`: OTP and FIDO verification over HTTP/JSON on Fastify (schema validation by its
// Ajv, @fastify/rate-limit, prom-client metrics), on any store that keeps both OTP rows and FIDO
// credentials (MemoryStore, SqliteStore, PostgresStore). See docs/broker.md and host-sdk/docs/serve.md.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type * as PromClient from "prom-client";
import { SeglError } from "../errors.js";
import { importOptional } from "../transport/native.js";
import { base32Decode } from "../otp/base32.js";
import { FidoBroker, type FidoAuditEvent, type FidoBrokerOptions } from "../verify/fido-broker.js";
import { HotpVerifier, TotpVerifier, type HotpVerifierOptions, type TotpVerifierOptions } from "../verify/verifier.js";
import type { AuditEvent, VerifierStore } from "../verify/types.js";
import type { CredentialStore } from "../verify/credentials.js";
import { ROUTES, type RouteName } from "./schemas.js";

/** A store for the server: OTP rows and FIDO credentials, closable. */
export type BrokerStore = VerifierStore & CredentialStore & { close?(): void | Promise<void> };

export interface RateLimit {
  /** Requests allowed per window. */
  readonly max: number;
  /** Window length in ms. */
  readonly windowMs: number;
}

export interface BrokerServerOptions {
  readonly store: BrokerStore;
  /** API tokens (bearer); at least one, each at least 16 characters. Only their SHA-256 is kept. */
  readonly tokens: readonly string[];
  /** Policy of the TOTP verifier (window, lockout…); the store is the server's. */
  readonly totp?: Omit<TotpVerifierOptions, "store" | "onAudit" | "clock">;
  readonly hotp?: Omit<HotpVerifierOptions, "store" | "onAudit" | "clock">;
  /** The FIDO RP; without it the /v1/fido routes answer 404 FIDO_DISABLED. */
  readonly fido?: Omit<FidoBrokerOptions, "store" | "onAudit" | "clock">;
  /** Per API token (default 6000 per minute) and per client address (default 600 per minute, before authentication). */
  readonly rateLimit?: { readonly perToken?: RateLimit; readonly perClient?: RateLimit };
  /**
   * Where JSON log lines go: `{ type: "audit", … }` for every verification decision (with its reason)
   * and `{ type: "access", … }` per request. Never a token, a seed, a code or a request body. Default: none.
   */
  readonly log?: (line: Readonly<Record<string, unknown>>) => void;
  /** Time source in Unix ms (default Date.now), for the verifiers and challenges. */
  readonly clock?: () => number;
  /** Largest request body in bytes (default 64 KiB). */
  readonly bodyLimit?: number;
  /** Trust X-Forwarded-For from a load balancer for the client address (Fastify's trustProxy; default false). */
  readonly trustProxy?: boolean | string | readonly string[];
}

export interface BrokerServer {
  /** The Fastify instance (for `inject` in tests, or more routes). */
  readonly app: FastifyInstance;
  /** The Prometheus registry behind /metrics. */
  readonly metrics: PromClient.Registry;
  /** Starts listening (default 127.0.0.1, port 0 = any free); resolves the address. */
  listen(o?: { host?: string; port?: number }): Promise<{ host: string; port: number; url: string }>;
  /**
   * Graceful stop: /readyz answers 503 at once, the listener stops accepting, requests in flight finish
   * (a new request on a kept-alive connection gets 503 and `Connection: close`), then the store is closed.
   */
  close(): Promise<void>;
  /** True from the first close() on. */
  readonly closing: boolean;
}

/** The answer to every refused verification, whatever the reason. */
const REFUSED = Object.freeze({ verified: false });

/** Error codes of the HTTP API (docs/broker.md). */
export type HttpErrorCode =
  | "INVALID_REQUEST" | "UNAUTHORIZED" | "RATE_LIMITED" | "NOT_FOUND" | "ALREADY_EXISTS" | "FIDO_DISABLED"
  | "STORE_TRANSIENT" | "STORE_BUSY" | "STORE_UNAVAILABLE" | "CONTENTION" | "SHUTTING_DOWN" | "INTERNAL";

/** How a SeglError from the verifiers or the store becomes an HTTP status and code. */
function mapError(e: SeglError): { status: number; code: HttpErrorCode; retryable: boolean } {
  switch (e.code) {
    case "INVALID_ARGUMENT": return { status: 400, code: "INVALID_REQUEST", retryable: false };
    case "ALREADY_EXISTS": return { status: 409, code: "ALREADY_EXISTS", retryable: false };
    case "NOT_FOUND": return { status: 404, code: "NOT_FOUND", retryable: false };
    case "STORE_TRANSIENT": return { status: 503, code: "STORE_TRANSIENT", retryable: true };
    case "STORE_BUSY": return { status: 503, code: "STORE_BUSY", retryable: true };
    case "CONTENTION": return { status: 503, code: "CONTENTION", retryable: true };
    case "STORE_UNAVAILABLE": return { status: 503, code: "STORE_UNAVAILABLE", retryable: true };
    default: return { status: 500, code: "INTERNAL", retryable: false };
  }
}

/** Errors of a row that failed authentication: a verification ends refused (audited), never with a hint. */
const INTEGRITY = new Set(["ROW_TAMPERED", "SECRET_UNREADABLE", "LEGACY_ROW"]);

const sha256hex = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");
const bytes = (b64u: string): Uint8Array => new Uint8Array(Buffer.from(b64u, "base64url"));

interface Modules { Fastify: typeof import("fastify").default; rateLimit: typeof import("@fastify/rate-limit").default; prom: typeof PromClient }

async function loadModules(): Promise<Modules> {
  // One after the other: a missing module is named in a stable order (fastify first).
  const f = await importOptional<{ default: Modules["Fastify"] }>("fastify", "createBrokerServer (with @fastify/rate-limit and prom-client)");
  const r = await importOptional<{ default: Modules["rateLimit"] }>("@fastify/rate-limit", "createBrokerServer");
  const p = await importOptional<typeof PromClient & { default?: typeof PromClient }>("prom-client", "createBrokerServer");
  return { Fastify: f.default, rateLimit: r.default, prom: p.default ?? p };
}

function checkRate(v: RateLimit | undefined, dflt: RateLimit, field: string): RateLimit {
  const r = v ?? dflt;
  if (typeof r !== "object" || r === null || !Number.isSafeInteger(r.max) || r.max < 1 || !Number.isSafeInteger(r.windowMs) || r.windowMs < 1) {
    throw new SeglError("INVALID_ARGUMENT", `${field} must be { max ≥ 1, windowMs ≥ 1 }`, { details: { field } });
  }
  return r;
}

/**
 * Builds the broker's HTTP server (not listening yet). Loads fastify, @fastify/rate-limit and prom-client
 * on first use (optional peers of @segl/host-sdk; NATIVE_MODULE_MISSING with an install hint when absent).
 */
export async function createBrokerServer(options: BrokerServerOptions): Promise<BrokerServer> {
  if (typeof options !== "object" || options === null) throw new SeglError("INVALID_ARGUMENT", "options required", { details: { field: "options" } });
  const { store } = options;
  if (typeof store !== "object" || store === null || typeof store.get !== "function" || typeof store.getCredential !== "function") {
    throw new SeglError("INVALID_ARGUMENT", "store must keep OTP rows and FIDO credentials (MemoryStore, SqliteStore, PostgresStore)", { details: { field: "store" } });
  }
  if (!Array.isArray(options.tokens) || options.tokens.length === 0 || !options.tokens.every((t) => typeof t === "string" && t.length >= 16 && t.length <= 512 && /^[\x21-\x7e]+$/.test(t))) {
    throw new SeglError("INVALID_ARGUMENT", "tokens must be a non-empty list of printable tokens of 16..512 characters", { details: { field: "tokens" } });
  }
  const perToken = checkRate(options.rateLimit?.perToken, { max: 6000, windowMs: 60_000 }, "rateLimit.perToken");
  const perClient = checkRate(options.rateLimit?.perClient, { max: 600, windowMs: 60_000 }, "rateLimit.perClient");
  const log = options.log;
  const emit = (line: Record<string, unknown>) => { if (log) try { log(line); } catch { /* a log sink must not change an answer */ } };
  const clock = options.clock ?? Date.now;
  // Token → its id (the first 12 hex digits of its SHA-256), the only form that reaches logs and limits.
  const tokens = new Map<string, string>(options.tokens.map((t) => { const h = sha256hex(t); return [h, `t-${h.slice(0, 12)}`]; }));

  const { Fastify, rateLimit, prom } = await loadModules();
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: "segl_" });
  const mRequests = new prom.Counter({ name: "segl_http_requests_total", help: "HTTP requests by route, method, status and outcome", labelNames: ["route", "method", "status", "outcome"], registers: [registry] });
  const mLatency = new prom.Histogram({
    name: "segl_http_request_duration_seconds", help: "HTTP request latency by route and outcome", labelNames: ["route", "outcome"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  const mVerifications = new prom.Counter({ name: "segl_verifications_total", help: "Verification decisions by kind and outcome", labelNames: ["kind", "outcome"], registers: [registry] });
  const mStoreErrors = new prom.Counter({ name: "segl_store_errors_total", help: "Store failures by error code", labelNames: ["code"], registers: [registry] });
  const mInflight = new prom.Gauge({ name: "segl_http_requests_in_flight", help: "Requests being handled", registers: [registry] });

  const otpAudit = (e: AuditEvent) => emit({ type: "audit", kind: "otp", ...e });
  const totp = new TotpVerifier({ ...options.totp, store, clock, onAudit: otpAudit });
  const hotp = new HotpVerifier({ ...options.hotp, store, clock, onAudit: otpAudit });
  const fido = options.fido ? new FidoBroker({ ...options.fido, store, clock, onAudit: (e: FidoAuditEvent) => emit({ type: "audit", kind: "fido", ...e }) }) : undefined;

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 65_536,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    trustProxy: (options.trustProxy ?? false) as boolean,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  let closing = false;

  // Per-request bookkeeping: route label, outcome, start time.
  app.decorateRequest("seglOutcome", "");
  app.decorateRequest("seglToken", "");
  app.decorateRequest("seglStart", 0);
  app.addHook("onRequest", async (req) => {
    (req as Req).seglStart = performance.now();
    mInflight.inc();
  });
  app.addHook("onResponse", async (req, reply) => {
    mInflight.dec();
    const r = req as Req;
    const route = req.routeOptions.url ?? "unknown";
    const status = reply.statusCode;
    const outcome = r.seglOutcome || (status < 400 ? "ok" : `http_${status}`);
    const seconds = (performance.now() - r.seglStart) / 1000;
    mRequests.inc({ route, method: req.method, status: String(status), outcome });
    mLatency.observe({ route, outcome }, seconds);
    emit({ type: "access", at: clock(), method: req.method, route, status, outcome, ms: Math.round(seconds * 1e4) / 10, client: req.ip, ...(r.seglToken ? { token: r.seglToken } : {}) });
  });

  const fail = (reply: FastifyReply, status: number, code: HttpErrorCode, message: string, extra: Record<string, unknown> = {}) => {
    (reply.request as Req).seglOutcome = code;
    return reply.code(status).send({ error: { code, message, retryable: status === 503 || status === 429, ...extra } });
  };

  app.setErrorHandler((err: FastifyErr, req, reply) => {
    if (err.validation) return fail(reply, 400, "INVALID_REQUEST", `request ${err.validationContext ?? "body"} ${err.validation[0]?.instancePath ?? ""} ${err.validation[0]?.message ?? "is invalid"}`.replace(/\s+/g, " ").trim());
    if (err.statusCode === 429) return fail(reply, 429, "RATE_LIMITED", "too many requests; retry later");
    if (err instanceof SeglError) {
      if (err.code.startsWith("STORE_")) mStoreErrors.inc({ code: err.code });
      const m = mapError(err);
      const extra = err.code === "STORE_TRANSIENT" ? { outcomeUnknown: err.details?.["outcomeUnknown"] === true } : {};
      if (m.status >= 500) emit({ type: "error", at: clock(), route: req.routeOptions.url, code: err.code, message: err.message });
      return fail(reply, m.status, m.code, m.status >= 500 ? storeMessage(m.code) : err.message, extra);
    }
    if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      return fail(reply, err.statusCode, err.statusCode === 404 ? "NOT_FOUND" : "INVALID_REQUEST", err.statusCode === 413 ? "request body too large" : "bad request");
    }
    emit({ type: "error", at: clock(), route: req.routeOptions.url, message: err instanceof Error ? err.message : String(err) });
    return fail(reply, 500, "INTERNAL", "internal error");
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, "NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`));

  // Two limiters in the API scope (health, readiness and metrics are never limited): per client as the
  // scope's first hook, per token by a second registration of the plugin on the scope's routes (each
  // registration marks a request as limited with its own symbol, so both apply).
  await app.register(rateLimit, { global: false, errorResponseBuilder: () => ({ statusCode: 429, message: "rate limited" }) });
  const limit = (l: RateLimit, key: (req: FastifyRequest) => string) =>
    app.rateLimit({ max: l.max, timeWindow: l.windowMs, keyGenerator: key, errorResponseBuilder: () => ({ statusCode: 429, message: "rate limited" }) });
  const perClientHook = limit(perClient, (req) => `c:${req.ip}`);

  // A response sent while closing tells the client to open its next connection elsewhere.
  app.addHook("onSend", async (_req, reply) => {
    if (closing) reply.header("connection", "close");
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    if (closing) return fail(reply, 503, "SHUTTING_DOWN", "shutting down");
    try {
      await store.get("~segl-decoy-readyz"); // one read round trip; a reserved id no device has
      return { status: "ready" };
    } catch (e) {
      const code = e instanceof SeglError ? e.code : "STORE_ERROR";
      mStoreErrors.inc({ code });
      return fail(reply, 503, e instanceof SeglError ? mapError(e).code : "STORE_UNAVAILABLE", "store not reachable");
    }
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });

  // The API: bearer token, then the per-token limit, then the route.
  await app.register(async (api) => {
    // Per client address first: requests without a valid token count too.
    api.addHook("onRequest", perClientHook);
    api.addHook("onRequest", async (req, reply) => {
      const h = req.headers.authorization;
      const m = typeof h === "string" ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(h) : null;
      const id = m ? tokens.get(sha256hex(m[1]!)) : undefined;
      if (id === undefined) {
        reply.header("www-authenticate", 'Bearer realm="segl"');
        return fail(reply, 401, "UNAUTHORIZED", "a valid API token is required (Authorization: Bearer …)");
      }
      (req as Req).seglToken = id;
    });
    await api.register(rateLimit, {
      global: true, hook: "preValidation", max: perToken.max, timeWindow: perToken.windowMs,
      keyGenerator: (req: FastifyRequest) => `t:${(req as Req).seglToken}`,
      errorResponseBuilder: () => ({ statusCode: 429, message: "rate limited" }),
    });

    const route = <B>(name: RouteName, handler: (body: B, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
      const def = ROUTES[name];
      api.post(def.path, { schema: { body: def.body } }, async (req, reply) => handler(req.body as B, req, reply));
    };
    const verifierOf = (kind: "totp" | "hotp" | undefined) => (kind === "hotp" ? hotp : totp);
    /** A verification's answer: accepted as is, every refusal alike; a tampered row is a refusal too (audited). */
    const decide = async <R extends { verified: boolean }>(req: FastifyRequest, kind: string, f: () => Promise<R>, ok: (r: Extract<R, { verified: true }>) => unknown) => {
      try {
        const r = await f();
        mVerifications.inc({ kind, outcome: r.verified ? "accepted" : "rejected" });
        (req as Req).seglOutcome = r.verified ? "accepted" : "rejected";
        return r.verified ? ok(r as Extract<R, { verified: true }>) : REFUSED;
      } catch (e) {
        if (e instanceof SeglError && INTEGRITY.has(e.code)) {
          mStoreErrors.inc({ code: e.code });
          mVerifications.inc({ kind, outcome: "rejected" });
          (req as Req).seglOutcome = "rejected";
          emit({ type: "error", at: clock(), route: req.routeOptions.url, code: e.code, message: e.message });
          return REFUSED;
        }
        mVerifications.inc({ kind, outcome: "error" });
        throw e;
      }
    };

    route<{ id: string; kind?: "totp" | "hotp"; secret: string; algorithm?: "SHA1" | "SHA256" | "SHA512"; digits?: number; period?: number; t0?: number; counter?: number }>("otpEnroll", async (b, _req, reply) => {
      let secret: Uint8Array;
      try {
        secret = base32Decode(b.secret);
      } catch {
        throw new SeglError("INVALID_ARGUMENT", "secret must be base32 (RFC 4648)");
      }
      const common = { secret, ...(b.algorithm ? { algorithm: b.algorithm } : {}), ...(b.digits !== undefined ? { digits: b.digits } : {}) };
      if (b.kind === "hotp") await hotp.enroll(b.id, { ...common, ...(b.counter !== undefined ? { counter: b.counter } : {}) });
      else await totp.enroll(b.id, { ...common, ...(b.period !== undefined ? { period: b.period } : {}), ...(b.t0 !== undefined ? { t0: b.t0 } : {}) });
      secret.fill(0);
      return reply.code(201).send({ id: b.id, kind: b.kind ?? "totp", enrolled: true });
    });
    route<{ id: string; kind?: "totp" | "hotp"; code: string }>("otpVerify", async (b, req) =>
      decide(req, b.kind ?? "totp", () => verifierOf(b.kind).verify(b.id, b.code), (r) => ({ verified: true, step: r.step, driftSteps: r.driftSteps })));
    route<{ id: string; kind?: "totp" | "hotp"; code1: string; code2: string }>("otpResync", async (b, req) =>
      decide(req, b.kind ?? "totp", () => verifierOf(b.kind).resync(b.id, b.code1, b.code2), (r) => ({ verified: true, step: r.step, driftSteps: r.driftSteps })));
    route<{ id: string; kind?: "totp" | "hotp" }>("otpUnlock", async (b) => {
      await verifierOf(b.kind).unlock(b.id);
      return { id: b.id, unlocked: true };
    });
    route<{ id: string; kind?: "totp" | "hotp" }>("otpRemove", async (b) => ({ id: b.id, removed: await verifierOf(b.kind).remove(b.id) }));

    const needFido = (reply: FastifyReply): FidoBroker | undefined => {
      if (!fido) { void fail(reply, 404, "FIDO_DISABLED", "this server has no FIDO relying party configured (--rp-id, --origin)"); return undefined; }
      return fido;
    };
    route<{ userHandle: string; name: string; displayName?: string }>("fidoRegistrationOptions", async (b, _req, reply) => {
      const f = needFido(reply);
      if (!f) return reply;
      return f.registrationOptions({ userHandle: bytes(b.userHandle), name: b.name, ...(b.displayName !== undefined ? { displayName: b.displayName } : {}) });
    });
    route<{ clientDataJSON: string; attestationObject: string }>("fidoRegistrationVerify", async (b, req, reply) => {
      const f = needFido(reply);
      if (!f) return reply;
      return decide(req, "fido_registration", () => f.registerCredential({ clientDataJSON: bytes(b.clientDataJSON), attestationObject: bytes(b.attestationObject) }),
        (r) =>
          ({ verified: true, credentialId: r.credentialId, userHandle: r.userHandle, aaguid: r.aaguid, trust: r.trust, signCount: r.signCount }));
    });
    route<{ userHandle?: string }>("fidoAssertionOptions", async (b, _req, reply) => {
      const f = needFido(reply);
      if (!f) return reply;
      return f.assertionOptions(b.userHandle !== undefined ? { userHandle: bytes(b.userHandle) } : {});
    });
    route<{ credentialId: string; clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string | null }>("fidoAssertionVerify", async (b, req, reply) => {
      const f = needFido(reply);
      if (!f) return reply;
      return decide(req, "fido_assertion", () => f.verifyAssertionAndUpdate({
        credentialId: bytes(b.credentialId), clientDataJSON: bytes(b.clientDataJSON), authenticatorData: bytes(b.authenticatorData),
        signature: bytes(b.signature), userHandle: typeof b.userHandle === "string" ? bytes(b.userHandle) : null,
      }), (r) =>
        ({ verified: true, credentialId: r.credentialId, userHandle: r.userHandle, signCount: r.signCount, counter: r.counter }));
    });
  });

  await app.ready();

  let closed: Promise<void> | undefined;
  return {
    app,
    metrics: registry,
    get closing() { return closing; },
    async listen(o = {}) {
      const host = o.host ?? "127.0.0.1";
      await app.listen({ host, port: o.port ?? 0 });
      const a = app.server.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      return { host, port, url: `http://${host.includes(":") ? `[${host}]` : host}:${port}` };
    },
    close() {
      closing = true;
      closed ??= (async () => {
        await app.close();
        await store.close?.();
      })();
      return closed;
    },
  };
}

function storeMessage(code: HttpErrorCode): string {
  switch (code) {
    case "STORE_TRANSIENT": return "the store is unreachable for now; retry (the outcome of this request may be unknown: see outcomeUnknown)";
    case "STORE_BUSY": return "the store is busy; retry";
    case "CONTENTION": return "too many concurrent changes of this record; retry";
    case "STORE_UNAVAILABLE": return "the store cannot be used";
    default: return "internal error";
  }
}

interface Req extends FastifyRequest { seglOutcome: string; seglToken: string; seglStart: number }
interface FastifyErr extends Error { statusCode?: number; validation?: Array<{ instancePath?: string; message?: string }>; validationContext?: string }
