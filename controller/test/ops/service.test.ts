import { Svcm } from "@nats-io/services";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { OPS_SERVICE_NAME, OpsEndpoint, silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerApi } from "../../src/api.js";
import { controllerMetrics } from "../../src/metrics/index.js";
import { startOpsService } from "../../src/ops/service.js";
import { fakeControllerApi } from "./fake-api.js";

let ns: NatsServerHandle;
let nc: NatsConnection;
let fake: ReturnType<typeof fakeControllerApi>;
let svc: { stop(): Promise<void> };
const metrics = controllerMetrics();

async function ask(endpoint: string, body: unknown, opts: { raw?: boolean; hdrs?: Record<string, string> } = {}) {
  const h = headers();
  for (const [k, v] of Object.entries(opts.hdrs ?? {})) h.set(k, v);
  const m = await nc.request(`presage.v1.ops.${endpoint}`, opts.raw ? (body as string) : JSON.stringify(body), {
    timeout: 10_000,
    headers: h,
  });
  return { body: m.json<Record<string, unknown>>(), headers: m.headers };
}

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connect({ servers: ns.url });
  fake = fakeControllerApi();
  // one method of the fake throws a plain Error, as a bug in the controller would
  const api: ControllerApi = {
    ...fake.api,
    plans: async () => {
      throw new Error("kv read failed at offset 12");
    },
  };
  svc = await startOpsService(nc, api, { log: silentLogger, metrics, version: "1.2.3" });
});

afterAll(async () => {
  await svc?.stop();
  await nc?.close();
  await ns?.stop();
});

describe("ops service", () => {
  it("ops service - answers a valid request with ok and the controller's data", async () => {
    const { body } = await ask("hosts", {});
    expect(body.ok).toBe(true);
    expect((body.hosts as { host: string }[]).map((h) => h.host)).toEqual(["h1", "h2", "h3"]);
    const one = await ask("hosts", { state: "quarantined" });
    expect((one.body.hosts as { host: string }[]).map((h) => h.host)).toEqual(["h2"]);
  });

  it("ops service - an empty body is an empty request", async () => {
    const { body } = await ask("status", "", { raw: true });
    expect(body).toMatchObject({ ok: true, controller: "ctl-1", leader: true });
  });

  it("ops service - malformed JSON is a bad_request with service error headers", async () => {
    const { body, headers: h } = await ask("ack", "{not json", { raw: true });
    expect(body.ok).toBe(false);
    expect(body.error).toMatchObject({ code: "bad_request" });
    expect(String((body.error as { message: string }).message)).toMatch(/not JSON/);
    expect(h?.get("Nats-Service-Error-Code")).toBe("400");
    expect(h?.get("Nats-Service-Error")).toMatch(/not JSON/);
  });

  it("ops service - a wrong field is a bad_request naming the field, and the controller is not called", async () => {
    const before = fake.calls.length;
    const r1 = await ask("repaired", { host: "bad host!" });
    expect(r1.body.error).toMatchObject({ code: "bad_request" });
    expect((r1.body.error as { message: string }).message).toMatch(/host: invalid host name/);
    const r2 = await ask("maintenance-enter", { hosts: "h1" });
    expect((r2.body.error as { message: string }).message).toMatch(/hosts must be an array/);
    const r3 = await ask("rebalance", { aggressiveness: 9 });
    expect((r3.body.error as { message: string }).message).toMatch(/aggressiveness must be <= 5/);
    const r4 = await ask("ack", [1, 2]);
    expect((r4.body.error as { message: string }).message).toMatch(/must be a JSON object/);
    // enum-like fields are refused with the valid values, never answered with an empty list
    const r5 = await ask("hosts", { state: "bogus" });
    expect(r5.body.error).toMatchObject({ code: "bad_request" });
    expect((r5.body.error as { message: string }).message).toMatch(/state must be one of healthy, suspect, degraded/);
    const r6 = await ask("events", { severity: "doom" });
    expect((r6.body.error as { message: string }).message).toMatch(/severity must be one of info, warning, critical/);
    expect(fake.calls.length).toBe(before);
  });

  it("ops service - OpsError codes pass through with their message", async () => {
    const unknown = await ask("host", { host: "nope" });
    expect(unknown.body).toEqual({
      ok: false,
      error: { code: "unknown_host", message: expect.stringMatching(/nope/) },
    });
    expect(unknown.headers?.get("Nats-Service-Error-Code")).toBe("404");
    const forbidden = await ask("repaired", { host: "h1" });
    expect(forbidden.body.error).toMatchObject({ code: "forbidden_transition" });
    expect((forbidden.body.error as { message: string }).message).toMatch(/h1 is healthy/);
    expect(forbidden.headers?.get("Nats-Service-Error-Code")).toBe("409");
  });

  it("ops service - an unexpected error is internal, hides details, and the service keeps serving", async () => {
    const { body } = await ask("plans", {});
    expect(body).toMatchObject({ ok: false, error: { code: "internal" } });
    expect(JSON.stringify(body)).not.toMatch(/offset 12/);
    expect((await ask("status", {})).body.ok).toBe(true);
    expect(await metrics.get("presage_ops_requests_total", { endpoint: "plans", result: "internal" })).toBe(1);
  });

  it("ops service - the declared name is the actor when the server vouches for none", async () => {
    const { body } = await ask("ack", { target: "h2", note: "on it", by: "alice" });
    expect(body.ok).toBe(true);
    const call = fake.calls.find((c) => c.method === "ack");
    expect(call?.actor).toBe("alice");
    // `by` is identity, not a parameter: the controller never sees it in the request
    expect(call?.req).toEqual({ target: "h2", note: "on it" });
    expect((body.acked as { ack: { by: string } }[])[0]?.ack.by).toBe("alice");
  });

  it("ops service - the user in Nats-Request-Info wins over the declared name", async () => {
    await ask(
      "plan-approve",
      { id: "p-1", by: "mallory" },
      { hdrs: { "Nats-Request-Info": '{"acc":"OPS","user":"bob"}' } },
    );
    expect(fake.calls.find((c) => c.method === "planApprove")?.actor).toBe("bob");
  });

  it("ops service - discoverable with $SRV PING, INFO and STATS", async () => {
    const client = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).client({ maxWait: 1_000 });
    const pings = [];
    for await (const p of await client.ping(OPS_SERVICE_NAME)) pings.push(p);
    expect(pings).toHaveLength(1);
    expect(pings[0]?.version).toBe("1.2.3");
    const infos = [];
    for await (const i of await client.info(OPS_SERVICE_NAME)) infos.push(i);
    const subjects = infos[0]?.endpoints.map((e) => e.subject).sort();
    expect(subjects).toEqual(
      Object.values(OpsEndpoint)
        .map((e) => `presage.v1.ops.${e}`)
        .sort(),
    );
    const stats = [];
    for await (const s of await client.stats(OPS_SERVICE_NAME)) stats.push(s);
    const hostsEp = stats[0]?.endpoints?.find((e) => e.name === "hosts");
    expect(hostsEp?.num_requests).toBeGreaterThanOrEqual(2);
  });
});
