// `segl serve` end to end: OTP verifications over HTTP/JSON per second, driven by autocannon (16 and
// 64 connections, keep-alive), against the same verifier called in-process on the same kind of store
// (HotpVerifier + SqliteStore, WAL, NORMAL). Every request carries a fresh HOTP code of one of 2,000
// devices (the next counter of each in turn), so every counted verification is accepted and commits
// a compare-and-set; the server's own metrics confirm how many were accepted.
// The server is a separate `segl serve` process (the CLI, from dist/ when built), autocannon runs here.
// Run: node bench/serve-http.mjs   (after `npm run build`; BENCH_HTTP_SECONDS, default 5)
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { base32Encode } from "@segl/host-sdk/otp";
import { HotpVerifier, SqliteStore } from "@segl/host-sdk/verify";
import { medianRate, table } from "./lib.mjs";

const DEVICES = 2000;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const TOKEN = randomBytes(24).toString("hex");
const KEY = randomBytes(32).toString("hex");
const seeds = Array.from({ length: DEVICES }, () => randomBytes(20));
const hotp = (seed, n) => {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(n));
  const mac = createHmac("sha1", seed).update(msg).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, "0");
};

async function inProcess(dir) {
  const store = new SqliteStore(join(dir, "inproc.sqlite"), { secretKey: Buffer.from(KEY, "hex") });
  const v = new HotpVerifier({ store });
  for (let i = 0; i < DEVICES; i++) await v.enroll(`dev-${i}`, { secret: seeds[i] });
  const counters = new Array(DEVICES).fill(0);
  let k = 0;
  const row = await medianRate("HotpVerifier.verify + SqliteStore, in-process (no HTTP)", async (ms) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let j = 0; j < 64; j++) {
        const i = k++ % DEVICES;
        if (!(await v.verify(`dev-${i}`, hotp(seeds[i], counters[i]++))).verified) throw new Error("in-process: refused");
      }
      n += 64;
    }
    return (n * 1000) / (performance.now() - t0);
  });
  store.close();
  return row;
}

async function startServer(dir) {
  const proc = spawn(process.execPath, [new URL("../scripts/segl.mjs", import.meta.url).pathname, "serve", "--store", join(dir, "serve.sqlite"), "--port", "0", "--quiet",
    "--rate-token", "100000000/60", "--rate-client", "100000000/60"], {
    stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, SEGL_STORE_KEY: KEY, SEGL_API_TOKENS: TOKEN },
  });
  const port = await new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on("exit", (c) => reject(new Error(`segl serve exited ${c}`)));
  });
  return { proc, port, url: `http://127.0.0.1:${port}` };
}

async function post(url, path, body) {
  const r = await fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

async function accepted(url) {
  const text = await (await fetch(url + "/metrics")).text();
  const m = /segl_verifications_total\{kind="hotp",outcome="accepted"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

async function overHttp(server, connections, counters) {
  let k = 0;
  const before = await accepted(server.url);
  const result = await autocannon({
    url: server.url, connections, duration: SECONDS,
    requests: [{
      method: "POST", path: "/v1/otp/verify",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      setupRequest: (req) => {
        const i = k++ % DEVICES;
        return { ...req, body: JSON.stringify({ id: `dev-${i}`, kind: "hotp", code: hotp(seeds[i], counters[i]++) }) };
      },
    }],
  });
  const ok = (await accepted(server.url)) - before;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`HTTP errors: ${result.non2xx} non-2xx, ${result.errors} errors`);
  if (ok < result.requests.total * 0.99) throw new Error(`only ${ok} of ${result.requests.total} verifications accepted`);
  return {
    name: `segl serve over HTTP (autocannon, ${connections} connections), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    opsPerSec: ok / (result.duration || SECONDS), spread: (result.requests.max - result.requests.min) / Math.max(1, result.requests.average),
  };
}

const dir = mkdtempSync(join(tmpdir(), "segl-bench-serve-"));
let server;
try {
  const rows = [await inProcess(dir)];
  server = await startServer(dir);
  for (let i = 0; i < DEVICES; i++) {
    const r = await post(server.url, "/v1/otp/enroll", { id: `dev-${i}`, kind: "hotp", secret: base32Encode(seeds[i]) });
    if (r.status !== 201) throw new Error(`enrol: ${JSON.stringify(r)}`);
  }
  const counters = new Array(DEVICES).fill(0);
  rows.push(await overHttp(server, 16, counters));
  rows.push(await overHttp(server, 64, counters));
  table(`OTP verification end to end: HTTP/JSON through segl serve vs in-process (SQLite, ${DEVICES} HOTP devices, every request accepted)`, rows);
} finally {
  if (server) {
    server.proc.kill("SIGTERM");
    await new Promise((r) => server.proc.once("exit", r));
  }
  rmSync(dir, { recursive: true, force: true });
}
