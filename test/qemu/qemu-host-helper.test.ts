/**
 * A QEMU host reached only through its helper over NATS (as a host on another machine would be): the
 * engine starts the migration target and relays every QMP command through `serveQemuHost`, and migrates a
 * real TCG guest there and back.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectNats, type NatsConnection } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QemuEngine } from "../../controller/src/migration/qemu/engine.js";
import { buildGuestImage } from "../../controller/src/migration/qemu/guest-image.js";
import { LocalQemuHost } from "../../controller/src/migration/qemu/host.js";
import { QemuHelperClient, serveQemuHost } from "../../controller/src/migration/qemu/host-client.js";

const MiB = 1024 * 1024;
const skip =
  spawnSync("qemu-system-x86_64", ["--version"]).status !== 0 ? "qemu-system-x86_64 is not installed" : false;

describe.skipIf(skip)("qemu engine - a host behind its NATS helper", () => {
  let ns: NatsServerHandle;
  let dir: string;
  let helperDir: string;
  let engine: QemuEngine;
  let helperHost: LocalQemuHost;
  let helper: { ready: Promise<void>; stop(): void } | undefined;
  const conns: NatsConnection[] = [];

  beforeAll(async () => {
    ns = await startNatsServer();
    dir = mkdtempSync("/tmp/pqh");
    helperDir = mkdtempSync("/tmp/pqr"); // the "remote" machine's own state dir
    const kernel = join(dir, "fill.bin");
    writeFileSync(kernel, buildGuestImage({ regionMiB: 48, mode: "fill" }));
    const helperNc = await connectNats({ url: ns.url });
    const engineNc = await connectNats({ url: ns.url });
    conns.push(helperNc, engineNc);
    const far = { name: "far", cpuCapacity: 4, memoryMiB: 4096, address: "127.0.0.1", helper: true };
    helperHost = new LocalQemuHost(far, helperDir, { qemuBin: "qemu-system-x86_64", accel: "tcg" });
    helper = serveQemuHost(helperNc, helperHost);
    await helper.ready;
    engine = new QemuEngine({
      stateDir: dir,
      hosts: [{ name: "near", cpuCapacity: 4, memoryMiB: 4096, address: "127.0.0.1" }, far],
      helperHost: (spec) => new QemuHelperClient(engineNc, spec),
      pollMs: 50,
    });
    await engine.startVm({ id: "hv1", memoryMiB: 128, vcpus: 1, kernel }, "near");
  }, 60_000);

  afterAll(async () => {
    await engine?.killAll().catch(() => {});
    for (const id of (await helperHost?.vmIds().catch(() => [])) ?? []) await helperHost.stop(id);
    helper?.stop();
    for (const nc of conns) await nc.close().catch(() => {});
    await ns?.stop({ cleanup: true });
    for (const d of [dir, helperDir]) if (d) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it("migrates to the helper's host and back; QEMU runs in the helper's state dir", async () => {
    const there = await (await engine.migrate("hv1", "far", { migrationId: "h-1", bandwidthBps: 64 * MiB })).done;
    expect(there.error).toBeUndefined();
    expect(there.phase).toBe("completed");
    expect(there.transferredBytes).toBeGreaterThan(48 * MiB);
    expect(await engine.locate("hv1")).toBe("far");
    expect(await helperHost.vmIds()).toEqual(["hv1"]); // the process is the helper's, not the engine's
    expect((await engine.listVms()).find((v) => v.id === "hv1")).toMatchObject({ host: "far", running: true });

    const back = await (await engine.migrate("hv1", "near", { migrationId: "h-2" })).done;
    expect(back.phase).toBe("completed");
    expect(await engine.locate("hv1")).toBe("near");
    // the source QEMU quits right after the switch-over
    const t0 = Date.now();
    while ((await helperHost.pid("hv1")) !== null && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(await helperHost.pid("hv1")).toBeNull();
  }, 60_000);

  it("a host whose helper is gone is reported down, and migrations to it fail with the VM kept", async () => {
    helper?.stop();
    helper = undefined;
    expect((await engine.listHosts()).find((h) => h.name === "far")?.up).toBe(false);
    const end = await (await engine.migrate("hv1", "far", { migrationId: "h-3" })).done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/unreachable|no responders|timeout/i);
    expect(await engine.locate("hv1")).toBe("near");
  }, 60_000);
});
