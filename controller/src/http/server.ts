/**
 * The dashboard's HTTP edge (config `http.listen`): the built web app, a JSON API that runs every
 * request through the ops service's own path (ops/service.ts `runOp`: same validation, same
 * handlers) as the logged-in operator, and live feeds over server-sent events (feed.ts). Reads are
 * open; anything that acts needs a login (auth.ts). A follower answers every API call with where the
 * leader is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ErrorCode,
  isValidHostName,
  type Logger,
  type Metrics,
  type NatsConnection,
  OpsEndpoint,
  parseListen,
  subjectFamily,
} from "@presage/shared";
import type { ControllerApi } from "../api.js";
import type { ControllerConfig } from "../config.js";
import { runOp, statusOf } from "../ops/service.js";
import { assetOf, findWebRoot } from "./assets.js";
import { cookieOf, SESSION_COOKIE, Sessions } from "./auth.js";
import { FeedHub } from "./feed.js";
import { DashboardDirectory } from "./leader-url.js";
import { SseClient } from "./sse.js";

/** what the dashboard needs of the controller beside its operator API */
export type DashboardController = ControllerApi & { name: string; isLeader(): boolean; leaderName(): string | null };

export type DashboardOptions = {
  nc: NatsConnection;
  controller: DashboardController;
  http: ControllerConfig["http"];
  log: Logger;
  metrics?: Metrics;
  /** the built app; default: found by findWebRoot() */
  webRoot?: string | null;
};

export type Dashboard = { url: string; stop(): Promise<void> };

/** endpoints that only read: open to anyone who can reach the page */
const READS = new Set<string>(["hosts", "host", "events", "migrations", "plans", "status", "audit"]);
const ENDPOINTS = new Set<string>(Object.values(OpsEndpoint));
const MAX_BODY = 64 * 1024;
const MAX_STREAMS = 500;

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string, extra: object = {}): void {
  json(res, status, { ok: false, error: { code, message }, ...extra });
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The routes, over one controller, its logins and the live feed. */
class DashboardServer {
  readonly log: Logger;
  readonly ctl: DashboardController;
  readonly sessions: Sessions;
  readonly webRoot: string | null;
  readonly directory: DashboardDirectory;
  readonly hub: FeedHub;

  constructor(readonly o: DashboardOptions) {
    this.log = o.log.child({ component: "http" });
    const ctl = o.controller;
    this.ctl = ctl;
    this.sessions = new Sessions(o.http.tokens, o.http.sessionTtlMs);
    this.webRoot = o.webRoot === undefined ? findWebRoot() : o.webRoot;
    if (!this.webRoot) this.log.warn("dashboard files not found (build them: pnpm build); serving the API only");
    this.directory = new DashboardDirectory(o.nc, this.log);
    this.hub = new FeedHub({
      nc: o.nc,
      log: this.log,
      fleet: { hosts: async () => (await ctl.hosts({})).hosts, status: () => ctl.status({}) },
      onInvalid: (subject) => o.metrics?.inc("presage_invalid_messages_total", { subject: subjectFamily(subject) }),
    });
  }

  async leaderOf(): Promise<{ name: string; url: string | null } | null> {
    const name = this.ctl.leaderName();
    return name ? { name, url: await this.directory.urlOf(name) } : null;
  }

  async notLeader(res: ServerResponse): Promise<void> {
    const where = await this.leaderOf();
    const me = this.ctl.name;
    const message = where
      ? `${me} is not the leader; ${where.name} is${where.url ? ` (its dashboard: ${where.url})` : ""}`
      : `${me} is not the leader and knows no leader now`;
    fail(res, 503, ErrorCode.NotLeader, message, { leader: where });
  }

  async op(req: IncomingMessage, res: ServerResponse, endpoint: string): Promise<void> {
    if (!ENDPOINTS.has(endpoint)) return fail(res, 404, "not_found", `no operation ${endpoint}`);
    const user = this.sessions.userOf(req.headers);
    if (!READS.has(endpoint) && !user)
      return fail(res, 401, "unauthorized", `log in to ${endpoint}: actions are recorded under your name`);
    const body = await readBody(req);
    if (body === null) return fail(res, 413, ErrorCode.BadRequest, `request body over ${MAX_BODY} bytes`);
    // the actor is who logged in, never a name the page declares
    const who = () => ({ name: user ?? "anonymous", verified: user !== null });
    const out = await runOp(this.ctl, endpoint as OpsEndpoint, body, who, this.log);
    this.o.metrics?.inc("presage_http_requests_total", { endpoint, result: out.ok ? "ok" : out.error.code });
    if (out.ok) return json(res, 200, { ok: true, ...out.data });
    json(res, statusOf[out.error.code] ?? 500, { ok: false, error: out.error });
  }

  async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let creds: { user?: unknown; token?: unknown } = {};
    try {
      creds = JSON.parse(body?.toString() || "{}");
    } catch {
      return fail(res, 400, ErrorCode.BadRequest, "login body is not JSON");
    }
    if (!this.sessions.enabled) return fail(res, 403, "forbidden", "no dashboard logins are configured (http.tokens)");
    const { user, token } = creds;
    const id = typeof user === "string" && typeof token === "string" ? this.sessions.login(user, token) : null;
    if (!id) {
      this.log.warn({ user: String(user).slice(0, 64) }, "dashboard login refused");
      return fail(res, 401, "unauthorized", "unknown user or wrong token");
    }
    this.log.info({ user }, "dashboard login");
    const ttl = Math.floor(this.o.http.sessionTtlMs / 1000);
    const cookie = `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${ttl}`;
    json(res, 200, { ok: true, user }, { "set-cookie": cookie });
  }

  async stream(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const host = url.searchParams.get("host");
    if (host !== null && !isValidHostName(host)) return fail(res, 400, ErrorCode.BadRequest, "invalid host name");
    // each open page holds one or two streams; a runaway script must not hold the controller's memory
    if (this.hub.clients >= MAX_STREAMS)
      return fail(res, 503, "too_many_streams", `${MAX_STREAMS} live streams are open; close some pages`);
    const c = new SseClient(res, host, () => this.hub.remove(c));
    req.socket.setNoDelay(true);
    await this.hub.add(c).catch((e) => {
      this.log.warn({ err: String(e) }, "dashboard stream could not start");
      c.close();
    });
  }

  async session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const leader = this.ctl.isLeader();
    json(res, 200, {
      ok: true,
      user: this.sessions.userOf(req.headers),
      loginEnabled: this.sessions.enabled,
      controller: this.ctl.name,
      leader,
      // a follower's page sends the operator there
      leaderAt: leader ? null : await this.leaderOf(),
    });
  }

  async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === "/api/session" && req.method === "GET") return this.session(req, res);
    if (req.method === "POST") {
      // a cross-site form cannot send JSON without a preflight this server never grants
      if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
        return fail(res, 415, ErrorCode.BadRequest, "send application/json");
      if (path === "/api/login") return this.login(req, res);
      if (path === "/api/logout") {
        const id = cookieOf(req.headers.cookie, SESSION_COOKIE);
        if (id) this.sessions.logout(id);
        return json(res, 200, { ok: true }, { "set-cookie": `${SESSION_COOKIE}=; Path=/; Max-Age=0` });
      }
    }
    if (path === "/api/stream" && req.method === "GET") {
      if (this.ctl.isLeader()) return this.stream(req, res, url);
      // a page opens its stream before it knows who leads: a follower says so in the stream's own terms
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" });
      res.end(`event: follower\ndata: ${JSON.stringify({ leader: await this.leaderOf() })}\n\n`);
      return;
    }
    if (!this.ctl.isLeader()) return this.notLeader(res);
    const m = /^\/api\/ops\/([a-z-]+)$/.exec(path);
    if (m && req.method === "POST") return this.op(req, res, m[1] as string);
    fail(res, 404, "not_found", `no ${req.method} ${path}`);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const url = new URL(req.url ?? "/", "http://dashboard");
    if (url.pathname.startsWith("/api/")) {
      this.api(req, res, url).catch((e) => {
        this.log.error({ err: e, path: url.pathname }, "dashboard request failed");
        if (!res.headersSent) fail(res, 500, ErrorCode.Internal, "internal error; see the controller log");
        else res.end();
      });
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      fail(res, 405, "method_not_allowed", "GET only");
      return;
    }
    const asset = this.webRoot ? assetOf(this.webRoot, url.pathname) : null;
    if (!asset) {
      fail(res, 404, "not_found", this.webRoot ? "no such file" : "dashboard files not built");
      return;
    }
    res.writeHead(200, {
      "content-type": asset.type,
      "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  }
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  if (!o.http.listen) throw new Error("http.listen is not set");
  const { host, port } = parseListen(o.http.listen, "http.listen");
  const d = new DashboardServer(o);
  const server: Server = createServer((req, res) => d.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}/`;
  d.log.info({ url }, "dashboard listening");
  await d.directory.advertise(o.controller.name, url);
  return {
    url,
    async stop() {
      d.hub.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
