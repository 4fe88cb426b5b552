/**
 * Real QEMU (TCG) live migrations driven over QMP. Guests are tiny multiboot images built here: one fills
 * 48 MiB of its RAM and halts, one re-dirties 64 MiB forever. Host "ha" is the root namespace, "hb" a
 * network namespace behind a veth pair (so the link can be cut), "hc" the root namespace on loopback.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MigrationProgress } from "../../controller/src/migration/engine.js";
import { QemuEngine, type QemuEngineOptions } from "../../controller/src/migration/qemu/engine.js";
import { buildGuestImage } from "../../controller/src/migration/qemu/guest-image.js";
import { createNetnsHost, type NetnsHost, netnsUnavailable } from "./netns.js";

const MiB = 1024 * 1024;
const noQemu = spawnSync("qemu-system-x86_64", ["--version"]).status !== 0;
const noNetns = netnsUnavailable();
const skipReason = noQemu ? "qemu-system-x86_64 is not installed" : noNetns;

let dir: string;
let nsB: NetnsHost | undefined;
let fillImg: string;
let dirtyImg: string;
let slowDirtyImg: string;
const engines: QemuEngine[] = [];

function engine(over: Partial<QemuEngineOptions> = {}): QemuEngine {
  if (!nsB) throw new Error("setup failed");
  const e = new QemuEngine({
    stateDir: dir,
    hosts: [
      { name: "ha", cpuCapacity: 4, memoryMiB: 4096, address: nsB.rootAddr },
      { name: "hb", cpuCapacity: 4, memoryMiB: 4096, address: nsB.nsAddr, netns: nsB.ns },
      { name: "hc", cpuCapacity: 4, memoryMiB: 4096, address: "127.0.0.1" },
    ],
    setupTimeoutMs: 8_000,
    stallTimeoutMs: 2_000,
    pollMs: 50,
    ...over,
  });
  engines.push(e);
  return e;
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false> | T, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const vm = (id: string, kernel = fillImg) => ({ id, memoryMiB: 128, vcpus: 1, kernel });

describe.skipIf(skipReason)("qemu engine - real live migration over QMP", () => {
  beforeAll(() => {
    dir = mkdtempSync("/tmp/pq");
    fillImg = join(dir, "fill.bin");
    dirtyImg = join(dir, "dirty.bin");
    writeFileSync(fillImg, buildGuestImage({ regionMiB: 48, mode: "fill" }));
    writeFileSync(dirtyImg, buildGuestImage({ regionMiB: 64, mode: "dirty" }));
    // ~5 passes/s over 16 MiB on TCG here: ~80 MiB/s of dirtying, well above the 32 MiB/s link below
    slowDirtyImg = join(dir, "slow-dirty.bin");
    writeFileSync(slowDirtyImg, buildGuestImage({ regionMiB: 16, mode: "dirty", delayLoops: 10_000_000 }));
    nsB = createNetnsHost("q");
  });

  afterAll(async () => {
    try {
      for (const e of engines) await e.killAll().catch(() => {});
      for (const e of engines) await e.close();
    } finally {
      nsB?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("migrates a running guest into another namespace: target runs, source quits", async () => {
    const e = engine();
    await e.startVm(vm("ok1"), "ha");
    expect(await e.locate("ok1")).toBe("ha");
    const srcPid = await e.pidOf("ok1", "ha");
    const seen: MigrationProgress[] = [];
    const h = await e.migrate("ok1", "hb", { migrationId: "q-ok1", onProgress: (p) => seen.push(p) });
    const end = await h.done;
    expect(end.error).toBeUndefined();
    expect(end.phase).toBe("completed");
    expect(end.transferredBytes).toBeGreaterThan(48 * MiB);
    expect(await e.locate("ok1")).toBe("hb");
    expect((await e.listVms()).find((v) => v.id === "ok1")).toMatchObject({ host: "hb", running: true });
    await until("source exit", async () => (await e.pidOf("ok1", "ha")) === null);
    expect(srcPid).not.toBeNull();
    expect(seen.some((p) => p.phase === "active")).toBe(true);
    await expect(e.migrate("ok1", "ha", { migrationId: "q-ok1" })).rejects.toThrow(/already used/);
    // a plan made before the move (VM still seen on ha) is refused: no second migration
    await expect(e.migrate("ok1", "hc", { migrationId: "q-ok1-stale", from: "ha" })).rejects.toThrow(
      "VM ok1 is on hb, not on ha",
    );
    expect(await e.locate("ok1")).toBe("hb");
  });

  it("cancel mid-migration: cancelled, VM keeps running on the source, no target left", async () => {
    const e = engine();
    await e.startVm(vm("cx1"), "ha");
    const h = await e.migrate("cx1", "hc", { migrationId: "q-cx1", bandwidthBps: 8 * MiB });
    await until("bytes moving", async () => (h.current?.().transferredBytes ?? 0) > 2 * MiB);
    await h.cancel();
    const end = await h.done;
    expect(end.phase).toBe("cancelled");
    expect(await e.locate("cx1")).toBe("ha");
    expect((await e.listVms()).find((v) => v.id === "cx1")?.running).toBe(true);
    await until("target gone", async () => (await e.pidOf("cx1", "hc")) === null);
  });

  it("target killed mid-migration: failed with QEMU's reason, VM still on the source", async () => {
    const e = engine();
    await e.startVm(vm("tk1"), "ha");
    const h = await e.migrate("tk1", "hc", { migrationId: "q-tk1", bandwidthBps: 8 * MiB });
    await until("bytes moving", async () => (h.current?.().transferredBytes ?? 0) > 2 * MiB);
    process.kill((await e.pidOf("tk1", "hc")) as number, "SIGKILL");
    const end = await h.done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/QEMU/);
    expect(await e.locate("tk1")).toBe("ha");
    expect((await e.listVms()).find((v) => v.id === "tk1")?.running).toBe(true);
  });

  it("source killed mid-migration: failed, and locate says the VM is nowhere", async () => {
    const e = engine();
    await e.startVm(vm("sk1"), "ha");
    const h = await e.migrate("sk1", "hc", { migrationId: "q-sk1", bandwidthBps: 8 * MiB });
    await until("bytes moving", async () => (h.current?.().transferredBytes ?? 0) > 2 * MiB);
    process.kill((await e.pidOf("sk1", "ha")) as number, "SIGKILL");
    const end = await h.done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/source QEMU/);
    expect(await e.locate("sk1")).toBeNull();
    await until("half-copy removed", async () => (await e.pidOf("sk1", "hc")) === null);
  });

  it("unreachable target (link down): fails fast, VM stays on the source", async () => {
    const e = engine();
    await e.startVm(vm("ur1"), "ha");
    nsB?.setLink(false);
    try {
      const t0 = Date.now();
      const end = await (await e.migrate("ur1", "hb", { migrationId: "q-ur1" })).done;
      expect(end.phase).toBe("failed");
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(await e.locate("ur1")).toBe("ha");
      expect(await e.pidOf("ur1", "hb")).toBeNull();
    } finally {
      nsB?.setLink(true);
    }
  });

  it("network cut mid-migration: the stalled stream is given up, VM stays on the source", async () => {
    const e = engine();
    await e.startVm(vm("nc1"), "ha");
    const h = await e.migrate("nc1", "hb", { migrationId: "q-nc1", bandwidthBps: 8 * MiB });
    await until("bytes moving", async () => (h.current?.().transferredBytes ?? 0) > 2 * MiB);
    nsB?.setLink(false);
    try {
      const end = await h.done;
      expect(end.phase).toBe("failed");
      expect(end.error).toMatch(/stalled|QEMU/);
      expect(await e.locate("nc1")).toBe("ha");
      expect((await e.listVms()).find((v) => v.id === "nc1")?.running).toBe(true);
    } finally {
      nsB?.setLink(true);
    }
  });

  it("a guest dirtying memory faster than the bandwidth never converges: given up at the deadline", async () => {
    const e = engine();
    await e.startVm(vm("dz1", dirtyImg), "ha");
    const t0 = Date.now();
    const end = await (
      await e.migrate("dz1", "hc", { migrationId: "q-dz1", bandwidthBps: 32 * MiB, deadlineMs: 8_000 })
    ).done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/deadline/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(8_000);
    // it kept re-sending dirtied pages: several passes, more bytes than the 64 MiB the guest ever wrote
    expect(end.round).toBeGreaterThanOrEqual(2);
    expect(end.transferredBytes).toBeGreaterThan(64 * MiB);
    expect(await e.locate("dz1")).toBe("ha");
    expect((await e.listVms()).find((v) => v.id === "dz1")?.running).toBe(true);
  });

  it("policy auto-converge: QEMU throttles the dirtying guest until the migration completes", async () => {
    const e = engine({ autoConverge: true });
    await e.startVm(vm("ac1", slowDirtyImg), "ha");
    let maxThrottle = 0;
    const h = await e.migrate("ac1", "hc", {
      migrationId: "q-ac1",
      bandwidthBps: 32 * MiB,
      deadlineMs: 60_000,
      onProgress: (p) => {
        maxThrottle = Math.max(maxThrottle, p.cpuThrottlePct ?? 0);
      },
    });
    const end = await h.done;
    expect(end.error).toBeUndefined();
    expect(end.phase).toBe("completed");
    expect(maxThrottle).toBeGreaterThan(0);
    expect(await e.locate("ac1")).toBe("hc");
  }, 90_000);

  it("a restarted engine finds the running migration on disk and sees it through", async () => {
    const first = engine();
    await first.startVm(vm("rs1"), "ha");
    const h0 = await first.migrate("rs1", "hc", { migrationId: "q-rs1", bandwidthBps: 16 * MiB });
    await until("bytes moving", async () => (h0.current?.().transferredBytes ?? 0) > 2 * MiB);
    await first.close(); // the controller dies; QEMU carries on

    const second = engine();
    const active = await second.activeMigrations();
    expect(active.map((p) => p.migrationId)).toContain("q-rs1");
    const h = await second.attach("q-rs1");
    expect(h).not.toBeNull();
    const end = await (h as NonNullable<typeof h>).done;
    expect(end.error).toBeUndefined();
    expect(end.phase).toBe("completed");
    expect(await second.locate("rs1")).toBe("hc");
    await until("source exit", async () => (await second.pidOf("rs1", "ha")) === null);
  });
});
