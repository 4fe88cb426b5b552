/**
 * The dashboard's HTTP edge against a real nats-server and the fake controller API: open reads,
 * logged-in writes recorded under the login (never a name the page sends), bad input refused with a
 * clear error, a follower saying where the leader is, and the SSE feed (snapshot, feed messages as
 * checked by the shared schemas, readings only to the host's watchers).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsServerHandle, silentLogger, startNatsServer, subjects } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dashboard, DashboardController } from "../../src/http/server.js";
import { controllerConfig, controllerMetrics, hashToken, startDashboard } from "../../src/internal.js";
import { fakeControllerApi } from "../ops/fake-api.js";

let ns: NatsServerHandle;
let nc: NatsConnection;
let web: string;
let leader: Dashboard;
let follower: Dashboard;
const metrics = controllerMetrics();
const fake = fakeControllerApi();

function controller(name: string, isLeader: boolean, leaderName: string | null): DashboardController {
  return { ...fake.api, name, isLeader: () => isLeader, leaderName: () => leaderName };
}

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  web = mkdtempSync(join(tmpdir(), "presage-web-"));
  mkdirSync(join(web, "assets"));
  writeFileSync(join(web, "index.html"), "<!doctype html><title>Presage</title>");
  writeFileSync(join(web, "assets", "app-1234.js"), "console.log(1)");
  const http = controllerConfig({ http: { listen: "127.0.0.1:0", tokens: { alice: hashToken("alice-token") } } }).http;
  leader = await startDashboard({
    nc,
    controller: controller("ctl-1", true, "ctl-1"),
    http,
    log: silentLogger,
    metrics,
    webRoot: web,
  });
  follower = await startDashboard({
    nc,
    controller: controller("ctl-2", false, "ctl-1"),
    http,
    log: silentLogger,
    webRoot: web,
  });
});

afterAll(async () => {
  await leader?.stop();
  await follower?.stop();
  await nc?.close();
  await ns?.stop();
  rmSync(web, { recursive: true, force: true });
});

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(new URL(path, base), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function loginCookie(): Promise<string> {
  const r = await post(leader.url, "/api/login", { user: "alice", token: "alice-token" });
  expect(r.status).toBe(200);
  const cookie = r.headers.get("set-cookie") as string;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(";")[0] as string;
}

describe("dashboard HTTP server", () => {
  it("http - serves the app, hashed assets as immutable, unknown paths as the app, nothing outside its folder", async () => {
    const index = await fetch(leader.url);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(index.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    const js = await fetch(new URL("/assets/app-1234.js", leader.url));
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toMatch(/immutable/);
    expect(await (await fetch(new URL("/host/h1", leader.url))).text()).toMatch(/<title>Presage/);
    const outside = await fetch(new URL("/..%2f..%2f..%2fetc%2fpasswd", leader.url));
    expect(await outside.text()).not.toMatch(/root:/);
  });

  it("http - reads are open; an action needs a login and is recorded under it, not under a name the page sends", async () => {
    const hosts = await (await post(leader.url, "/api/ops/hosts", {})).json();
    expect(hosts.ok).toBe(true);
    expect(hosts.hosts.map((h: { host: string }) => h.host)).toEqual(["h1", "h2", "h3"]);
    const anon = await post(leader.url, "/api/ops/ack", { target: "h2" });
    expect(anon.status).toBe(401);
    expect((await anon.json()).error.code).toBe("unauthorized");
    expect((await post(leader.url, "/api/login", { user: "alice", token: "nope" })).status).toBe(401);
    const cookie = await loginCookie();
    const session = await (await fetch(new URL("/api/session", leader.url), { headers: { cookie } })).json();
    expect(session).toMatchObject({ user: "alice", loginEnabled: true, leader: true, controller: "ctl-1" });
    const ack = await post(leader.url, "/api/ops/ack", { target: "h2", note: "on it", by: "mallory" }, { cookie });
    expect(ack.status).toBe(200);
    expect(fake.calls.at(-1)).toMatchObject({ method: "ack", actor: "alice", req: { target: "h2", note: "on it" } });
    const bearer = await post(leader.url, "/api/ops/repaired", { host: "h2" }, { authorization: "Bearer alice-token" });
    expect(bearer.status).toBe(200);
    expect(fake.calls.at(-1)).toMatchObject({ method: "repaired", actor: "alice" });
    expect(await metrics.get("presage_http_requests_total", { endpoint: "ack", result: "ok" })).toBe(1);
  });

  it("http - bad input gets a clear error: not JSON, an unknown key, an unknown endpoint, a form post, a huge body", async () => {
    const cookie = await loginCookie();
    const notJson = await post(leader.url, "/api/ops/hosts", "{nope");
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.message).toMatch(/not JSON/);
    const typo = await (await post(leader.url, "/api/ops/hosts", { stat: "healthy" })).json();
    expect(typo.error.code).toBe("bad_request");
    expect((await post(leader.url, "/api/ops/reboot", {}, { cookie })).status).toBe(404);
    const form = await fetch(new URL("/api/ops/ack", leader.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: "target=h2",
    });
    expect(form.status).toBe(415);
    const badHost = await fetch(new URL("/api/stream?host=..%2F%3E", leader.url));
    expect(badHost.status).toBe(400);
    const huge = await post(leader.url, "/api/ops/hosts", { state: "x".repeat(100_000) });
    expect(huge.status).toBe(413);
    const refused = await post(leader.url, "/api/ops/repaired", { host: "h1" }, { cookie });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe("forbidden_transition");
  });

  it("http - a follower answers with where the leader is", async () => {
    const session = await (await fetch(new URL("/api/session", follower.url))).json();
    expect(session).toMatchObject({ leader: false, controller: "ctl-2", leaderAt: { name: "ctl-1", url: leader.url } });
    const r = await post(follower.url, "/api/ops/hosts", {});
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body.error.code).toBe("not_leader");
    expect(body.error.message).toContain(leader.url);
    expect(body.leader).toEqual({ name: "ctl-1", url: leader.url });
    // the page's stream, opened before it knows who leads, says so and ends
    const stream = await fetch(new URL("/api/stream", follower.url));
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(await stream.text()).toBe(
      `event: follower\ndata: ${JSON.stringify({ leader: { name: "ctl-1", url: leader.url } })}\n\n`,
    );
  });

  it("http - the stream sends a snapshot, then feed messages that pass their checks, and readings only to that host's page", async () => {
    const ac = new AbortController();
    const fleet = await fetch(new URL("/api/stream", leader.url), { signal: ac.signal });
    const host = await fetch(new URL("/api/stream?host=h2", leader.url), { signal: ac.signal });
    expect(fleet.headers.get("content-type")).toMatch(/text\/event-stream/);
    const read = (r: Response) => {
      const reader = (r.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      return async (want: RegExp) => {
        while (!want.test(text)) text += new TextDecoder().decode((await reader.read()).value);
        return text;
      };
    };
    const fleetText = read(fleet);
    const hostText = read(host);
    expect(await fleetText(/event: snapshot\ndata: .*"h3"/)).toMatch(/"status":\{"controller":"ctl-1"/);
    // wait until both clients are registered: the host stream has sent its retry line
    await hostText(/retry: 2000/);
    const bad = await metrics.get("presage_invalid_messages_total", { subject: "presage.v1.alerts" });
    nc.publish(subjects.alerts, JSON.stringify({ type: "alert", alert: { id: "broken" } }));
    const alert = fake.alerts[0];
    nc.publish(subjects.alerts, JSON.stringify({ type: "alert", alert }));
    const batch = {
      host: "h2",
      readings: [{ ts: 1, host: "h2", sensor: "FAN3", type: "fan", unit: "RPM", value: 4200 }],
    };
    nc.publish(subjects.readings("h1"), JSON.stringify({ ...batch, host: "h1" }));
    nc.publish(subjects.readings("h2"), JSON.stringify(batch));
    const got = await fleetText(/event: alert\n/);
    expect(got).not.toContain('"broken"');
    expect(await hostText(/event: readings\n/)).toContain('"value":4200');
    ac.abort();
    expect(await metrics.get("presage_invalid_messages_total", { subject: "presage.v1.alerts" })).toBe(bad + 1);
    expect(got).not.toMatch(/event: readings/);
  });
});
