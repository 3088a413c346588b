// `segl sim web`: serves the simulator's browser page (built by scripts/build-web.mjs into
// simulator/web/dist) with node:http alone. The devices run in the browser; this server only hands
// out the page, the shipping image and the voice pack, and announces the image's SHA-256 (computed
// here from the bytes it serves) in /manifest.json, which the page checks before it runs the image.
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import type { AddressInfo } from "node:net";
import { EXIT_OK, UsageError, parseOptions, type CliContext } from "./common.js";

export const help = (prog: string) => `Usage: ${prog} sim web [--port N] [--host ADDR]

Serves the simulator's browser page: code displays, audio readers and chips that run in the browser
from the shipping image (its SHA-256 is shown and checked on the page), their flash kept in the
browser (IndexedDB), a control plane, a flash picture and an event log per device.

Options:
  --port N      TCP port (default 8787; 0 = any free port)
  --host ADDR   address to listen on (default 127.0.0.1, loopback only)
  -h, --help    show this help
`;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json", ".wasm": "application/wasm", ".bin": "application/octet-stream", ".map": "application/json",
};

/** The built page's directory (simulator/web/dist of the installed @segl/simulator). */
export function webDistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve("@segl/simulator/package.json")), "web/dist");
}

export interface WebServer { readonly url: string; readonly imageSha256: string; close(): Promise<void> }

/** Serves `dir` (the files in it, nothing below) on host:port. */
export async function startWebServer(opts: { port?: number; host?: string; dir?: string } = {}): Promise<WebServer> {
  const dir = opts.dir ?? webDistDir();
  if (!existsSync(join(dir, "index.html"))) throw Object.assign(new Error(`the page is not built (no ${join(dir, "index.html")}); run \`node scripts/build-web.mjs\``), { code: "WEB_NOT_BUILT" });
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) if (f !== "meta.json" && TYPES[extname(f)]) files.set(`/${f}`, readFileSync(join(dir, f)));
  const built = JSON.parse(files.get("/manifest.json")!.toString("utf8")) as { image: { file: string }; voice: { file: string; sha256: string } };
  const imageSha256 = createHash("sha256").update(files.get(`/${built.image.file}`)!).digest("hex");
  files.set("/manifest.json", Buffer.from(JSON.stringify({ ...built, image: { file: built.image.file, sha256: imageSha256 } })));
  const server: Server = createServer((req, res) => {
    const asked = new URL(req.url ?? "/", "http://x").pathname;
    const path = asked === "/" ? "/index.html" : asked;
    const body = files.get(path);
    if (req.method !== "GET" && req.method !== "HEAD") { res.writeHead(405, { allow: "GET, HEAD" }).end(); return; }
    if (!body) { res.writeHead(404, { "content-type": "text/plain" }).end("not found\n"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(path)]!, "content-length": body.length, "cache-control": "no-cache", "x-content-type-options": "nosniff" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(opts.port ?? 8787, host, resolve); });
  const a = server.address() as AddressInfo;
  const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    url: `http://${shown}:${a.port}/`, imageSha256,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export async function run(args: string[], ctx: CliContext): Promise<number> {
  const v = parseOptions(args, { port: { type: "string" }, host: { type: "string" } });
  if (v.help) { ctx.stdout.write(help(ctx.prog)); return EXIT_OK; }
  const port = v.port === undefined ? 8787 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, not ${v.port}`);
  const server = await startWebServer({ port, ...(v.host !== undefined ? { host: v.host } : {}) });
  ctx.stderr.write(`${ctx.prog}: serving the simulator page at ${server.url} (image SHA-256 ${server.imageSha256}); Ctrl-C stops\n`);
  ctx.stdout.write(server.url + "\n");
  await new Promise<void>((resolve) => { const stop = () => { process.off("SIGINT", stop); process.off("SIGTERM", stop); resolve(); }; process.once("SIGINT", stop); process.once("SIGTERM", stop); });
  await server.close();
  return EXIT_OK;
}
