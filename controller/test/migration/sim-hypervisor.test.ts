/**
 * presage-sim-hypervisor as its own process (the built bin): a client that dies mid-migration, a fresh
 * client that finds the migration and sees it finish, and host failures driven over the control subjects.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteEngine } from "../../src/migration/remote/engine.js";

const BIN = fileURLToPath(new URL("../../dist/bin/presage-sim-hypervisor.js", import.meta.url));
const skip = existsSync(BIN) ? false : "build first (npx tsc -b controller): the test runs the built bin";

describe.skipIf(skip)("presage-sim-hypervisor - a separate hypervisor process", () => {
  let ns: NatsServerHandle;
  let hv: ChildProcess;
  const conns: NatsConnection[] = [];
  const prefix = `presage.v1.hv${process.pid}.engine`;

  beforeAll(async () => {
    ns = await startNatsServer();
    hv = spawn(
      process.execPath,
      [BIN, "--server", ns.url, "--hosts", "6", "--vms-per-host", "4", "--speed", "1", "--prefix", prefix],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("hypervisor not ready in 20 s")), 20_000);
      hv.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes('"ready":true')) {
          clearTimeout(t);
          resolve();
        }
      });
      hv.once("exit", (code) => reject(new Error(`hypervisor exited with ${code}`)));
    });
  }, 30_000);

  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    hv?.kill("SIGKILL");
    await ns?.stop({ cleanup: true });
  });

  const client = async () => {
    const nc = await connect({ servers: ns.url });
    conns.push(nc);
    return { nc, engine: new RemoteEngine(nc, { prefix, pollMs: 200 }) };
  };

  it("keeps a migration going while the controller is gone, and reports it to the next one", async () => {
    const a = await client();
    const vms = await a.engine.listVms();
    const hosts = await a.engine.listHosts();
    expect(hosts).toHaveLength(6);
    const vm = vms.find((v) => v.memoryMiB >= 4096);
    if (!vm) throw new Error("the seeded fleet has no VM of 4 GiB or more");
    const to = hosts.find((h) => h.name !== vm.host)?.name as string;
    await a.engine.migrate(vm.id, to, { migrationId: "hv-crash-1" });
    await a.engine.close();
    await a.nc.close(); // the controller is gone

    const b = await client();
    // >= 4 GiB over 10 GbE at real speed: still running seconds later
    const active = await b.engine.activeMigrations();
    expect(active.map((p) => p.migrationId)).toContain("hv-crash-1");
    expect(await b.engine.locate(vm.id)).toBe(vm.host);
    const h = await b.engine.attach("hv-crash-1");
    expect((await h?.done)?.phase).toBe("completed");
    expect(await b.engine.locate(vm.id)).toBe(to);
    await expect(b.engine.migrate(vm.id, vm.host, { migrationId: "hv-crash-1" })).rejects.toThrow(/already used/);
    await b.engine.close();
  }, 60_000);

  it("a host taken down over the control subject fails migrations into it", async () => {
    const c = await client();
    const vms = await c.engine.listVms();
    const vm = vms[0];
    if (!vm) throw new Error("empty fleet");
    const to = (await c.engine.listHosts()).find((h) => h.name !== vm.host)?.name as string;
    await c.engine.setHostUp(to, false);
    const end = await (await c.engine.migrate(vm.id, to, { migrationId: "hv-down-1" })).done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/unreachable/);
    expect(await c.engine.locate(vm.id)).toBe(vm.host);
    await c.engine.setHostUp(to, true);
    await c.engine.close();
  }, 60_000);

  it("refuses a migration planned on a stale view: the VM moved, a second start from its old host is refused", async () => {
    const d = await client();
    const vms = await d.engine.listVms();
    const vm = [...vms].sort((x, y) => x.memoryMiB - y.memoryMiB)[0];
    if (!vm) throw new Error("empty fleet");
    const [to, third] = (await d.engine.listHosts()).filter((h) => h.name !== vm.host).map((h) => h.name) as [
      string,
      string,
    ];
    const first = await d.engine.migrate(vm.id, to, { migrationId: "stale-1", from: vm.host });
    expect((await first.done).phase).toBe("completed");
    // the race: a pass that still sees the VM on its old host plans it again, to another target
    await expect(d.engine.migrate(vm.id, third, { migrationId: "stale-2", from: vm.host })).rejects.toThrow(
      `VM ${vm.id} is on ${to}, not on ${vm.host}`,
    );
    expect((await d.engine.activeMigrations()).map((p) => p.migrationId)).not.toContain("stale-2");
    expect(await d.engine.locate(vm.id)).toBe(to);
    await d.engine.close();
  }, 60_000);
});
