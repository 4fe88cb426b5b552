import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ManualClock, PresageError } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MigrationProgress } from "../../src/migration/engine.js";
import { RemoteEngine } from "../../src/migration/remote/engine.js";
import { serveEngine } from "../../src/migration/remote/server.js";
import { SimEngine } from "../../src/migration/sim/engine.js";
import { generateFleet } from "../../src/migration/sim/fleet.js";

let ns: NatsServerHandle;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  ns = await startNatsServer();
}, 30_000);
afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => {});
  await ns?.stop({ cleanup: true });
});

async function conn() {
  const nc = await connect({ servers: ns.url });
  conns.push(nc);
  return nc;
}

let prefixNo = 0;
/** A SimEngine served on its own prefix, plus a client; the test drives the manual clock. */
async function setup(fleet = generateFleet({ hosts: 4, vmsPerHost: 3, seed: 5 })) {
  const clock = new ManualClock(0);
  const sim = new SimEngine({ ...fleet, clock, linkBandwidthBps: 1024 * 1024 * 1024, setupMs: 50 });
  const prefix = `presage.v1.test${prefixNo++}.engine`;
  const server = serveEngine(await conn(), sim, { prefix, progressIntervalMs: 0 });
  await server.ready;
  const client = new RemoteEngine(await conn(), { prefix, pollMs: 100, timeoutMs: 5_000 });
  return { sim, clock, server, client, prefix, fleet };
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Advance virtual time in small steps (letting NATS messages flow) until the promise settles. */
async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 100): Promise<T> {
  let out: { v: T } | null = null;
  p.then((v) => {
    out = { v };
  });
  await until("settle", async () => {
    if (!out) await clock.advance(stepMs);
    return out;
  });
  return (out as unknown as { v: T }).v;
}

describe("remote engine - NATS request/reply", () => {
  it("lists a fleet larger than one NATS message page by page", async () => {
    const { client, fleet } = await setup(generateFleet({ hosts: 400, vmsPerHost: 16, seed: 2 }));
    const vms = await client.listVms();
    expect(fleet.vms.length).toBeGreaterThan(5_000);
    expect(vms.map((v) => v.id)).toEqual(fleet.vms.map((v) => v.id));
    const hosts = await client.listHosts();
    expect(hosts).toHaveLength(400);
    expect(hosts[0]).toMatchObject({ name: fleet.hosts[0]?.name, up: true, rack: "r000" });
    await client.close();
  });

  it("migrates with streamed progress; locate on the client tells where the VM went", async () => {
    const { client, clock, fleet } = await setup();
    const vm = fleet.vms[0];
    const to = fleet.hosts[1]?.name as string;
    const seen: MigrationProgress[] = [];
    const h = await client.migrate(vm?.id as string, to, { migrationId: "r1", onProgress: (p) => seen.push(p) });
    const end = await drive(clock, h.done);
    expect(end).toMatchObject({ phase: "completed", vm: vm?.id, from: vm?.host, to });
    expect(end.transferredBytes).toBeGreaterThanOrEqual((vm?.memoryMiB as number) * 1024 * 1024);
    expect(seen.some((p) => p.phase === "active")).toBe(true);
    expect(await client.locate(vm?.id as string)).toBe(to);
    expect(await client.locate("no-such-vm")).toBeNull();
    await client.close();
  });

  it("refuses a reused id with the conflict code and unknown targets with unknown_host", async () => {
    const { client, fleet } = await setup();
    const vm = fleet.vms[0]?.id as string;
    await client.migrate(vm, fleet.hosts[1]?.name as string, { migrationId: "dup" });
    const again = await client.migrate(vm, fleet.hosts[2]?.name as string, { migrationId: "dup" }).catch((e) => e);
    expect(again).toBeInstanceOf(PresageError);
    expect((again as PresageError).code).toBe("conflict");
    const bad = await client.migrate(vm, "nohost", { migrationId: "x" }).catch((e) => e);
    expect((bad as PresageError).code).toBe("unknown_host");
    await client.close();
  });

  it("carries the expected source: a VM found elsewhere is refused with the conflict code", async () => {
    const { client, fleet } = await setup();
    const vm = fleet.vms[0] as { id: string; host: string };
    const other = fleet.hosts.map((h) => h.name).filter((h) => h !== vm.host) as [string, string];
    const stale = await client.migrate(vm.id, other[0], { migrationId: "stale", from: other[1] }).catch((e) => e);
    expect(stale).toBeInstanceOf(PresageError);
    expect((stale as PresageError).code).toBe("conflict");
    expect((stale as PresageError).message).toMatch(`VM ${vm.id} is on ${vm.host}, not on ${other[1]}`);
    expect(await client.locate(vm.id)).toBe(vm.host);
    await client.close();
  });

  it("injected failures travel over the control subjects; the VM stays on the source", async () => {
    const { client, clock, fleet } = await setup();
    const vm = fleet.vms[0];
    await client.injectFailure({ kind: "target-dies", vm: vm?.id as string, atFraction: 0.2 });
    const h = await client.migrate(vm?.id as string, fleet.hosts[2]?.name as string, { migrationId: "f1" });
    const end = await drive(clock, h.done);
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/died/);
    expect(await client.locate(vm?.id as string)).toBe(vm?.host);
    await client.setHostUp(fleet.hosts[3]?.name as string, false);
    expect((await client.listHosts()).find((x) => x.name === fleet.hosts[3]?.name)?.up).toBe(false);
    await client.close();
  });

  it("a restarted controller finds the running migration, re-attaches and sees it finish", async () => {
    const { client, clock, fleet, prefix } = await setup();
    const vm = fleet.vms[1];
    const to = fleet.hosts[2]?.name as string;
    await client.migrate(vm?.id as string, to, { migrationId: "crash-1" });
    await clock.advance(500);
    await client.close(); // the controller dies

    const fresh = new RemoteEngine(await conn(), { prefix, pollMs: 100 });
    const active = await fresh.activeMigrations();
    expect(active.map((p) => p.migrationId)).toEqual(["crash-1"]);
    const h = await fresh.attach("crash-1");
    expect(h).not.toBeNull();
    const end = await drive(clock, (h as NonNullable<typeof h>).done);
    expect(end.phase).toBe("completed");
    expect(await fresh.locate(vm?.id as string)).toBe(to);
    expect(await fresh.attach("crash-1")).toBeNull();
    await fresh.close();
  });

  it("progress messages that never arrive are made up for by polling", async () => {
    // the "hypervisor" user may not publish progress: every progress message is lost on the way
    const lossy = await startNatsServer({
      config: `listen: 127.0.0.1:{{PORT}}
authorization { users = [
  { user: hv, password: hv, permissions: { publish: { deny: ["presage.v1.lossy.engine.progress"] } } }
  { user: ctl, password: ctl }
] }`,
    });
    try {
      const clock = new ManualClock(0);
      const fleet = generateFleet({ hosts: 2, vmsPerHost: 2, seed: 1 });
      const sim = new SimEngine({ ...fleet, clock, linkBandwidthBps: 1024 ** 3 });
      const hv = await connect({ servers: lossy.url, user: "hv", pass: "hv" });
      const ctl = await connect({ servers: lossy.url, user: "ctl", pass: "ctl" });
      conns.push(hv, ctl);
      const prefix = "presage.v1.lossy.engine";
      await serveEngine(hv, sim, { prefix }).ready;
      const client = new RemoteEngine(ctl, { prefix, pollMs: 50 });
      const vm = fleet.vms[0]?.id as string;
      const seen: MigrationProgress[] = [];
      const h = await client.migrate(vm, fleet.hosts[1]?.name as string, {
        migrationId: "lossy-1",
        onProgress: (p) => seen.push(p),
      });
      const end = await drive(clock, h.done, 200);
      expect(end.phase).toBe("completed");
      expect(seen.at(-1)?.phase).toBe("completed");
      await client.close();
    } finally {
      await lossy.stop({ cleanup: true });
    }
  });

  it("answers a malformed request with bad_request", async () => {
    const { prefix } = await setup();
    const nc = await conn();
    const r = await nc.request(`${prefix}.migrate`, JSON.stringify({ vm: 42 }), { timeout: 5_000 });
    expect(r.json()).toMatchObject({ ok: false, error: { code: "bad_request" } });
    const bad = await nc.request(`${prefix}.migrate`, JSON.stringify({ vm: "vm-1", to: "no such", migrationId: "m" }), {
      timeout: 5_000,
    });
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(/^to: invalid host name "no such"/);
  });

  it("checks replies: a bad item is refused naming its path, a field it does not know is ignored", async () => {
    const nc = await conn();
    const prefix = `presage.v1.test${prefixNo++}.engine`;
    const host = { name: "h1", cpuCapacity: 8, memoryMiB: 1024, up: true, addedLater: "x" };
    const sub = nc.subscribe(`${prefix}.hosts`);
    let items: unknown[] = [host];
    (async () => {
      for await (const m of sub) m.respond(JSON.stringify({ ok: true, value: { items, next: null } }));
    })();
    await nc.flush();
    const client = new RemoteEngine(await conn(), { prefix, timeoutMs: 5_000 });
    try {
      expect(await client.listHosts()).toEqual([host]);
      items = [host, { ...host, name: "bad host" }];
      await expect(client.listHosts()).rejects.toThrow(
        /bad reply on .*\.hosts: value\.items\[1\]\.name: invalid host name/,
      );
    } finally {
      sub.unsubscribe();
      await client.close();
    }
  });
});
