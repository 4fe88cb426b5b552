/**
 * Real QEMU (TCG) live migrations driven over QMP. Guests are tiny multiboot images built here: one fills
 * 48 MiB of its RAM and halts, one re-dirties 64 MiB forever. Host "ha" is the root namespace, "hb" a
 * network namespace behind a veth pair (so the link can be cut), "hc" the root namespace on loopback.
 * Nothing assumes this machine's TCG speed: tests that need bytes in flight wait until QEMU reports the fill guest
 * halted (its memory written), and the dirtying tests set the link below the dirty rate QEMU measures for the guest.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MigrationProgress } from "@presage/controller/internal";
import { buildGuestImage, QemuEngine, type QemuEngineOptions } from "@presage/controller/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetnsHost, type NetnsHost, netnsUnavailable } from "./netns.js";
import { dirtyRateMiBps, probeArgs, untilHalted } from "./probe.js";

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

const vm = (id: string, kernel = fillImg) => ({ id, memoryMiB: 128, vcpus: 1, kernel, extraArgs: probeArgs(dir, id) });

/** Boot the fill guest and wait until it has written its 48 MiB, so a migration has real bytes to move. */
async function startFilled(e: QemuEngine, id: string, host: string): Promise<void> {
  await e.startVm(vm(id), host);
  await untilHalted(dir, id);
}

/** A link this many times slower than the guest dirties memory, as QEMU measures it here (at least 1 MiB/s). */
async function linkBelowDirtyRate(id: string, factor: number): Promise<number> {
  const rate = await dirtyRateMiBps(dir, id);
  expect(rate, "QEMU measured no dirtying by the dirty guest").toBeGreaterThan(0);
  return Math.max(1, Math.floor(rate / factor)) * MiB;
}

describe.skipIf(skipReason)("qemu engine - real live migration over QMP", () => {
  beforeAll(() => {
    dir = mkdtempSync("/tmp/pq");
    fillImg = join(dir, "fill.bin");
    dirtyImg = join(dir, "dirty.bin");
    writeFileSync(fillImg, buildGuestImage({ regionMiB: 48, mode: "fill" }));
    writeFileSync(dirtyImg, buildGuestImage({ regionMiB: 64, mode: "dirty" }));
    // a slower dirtier (a delay loop between passes over 16 MiB) that auto-converge's throttling can tame
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
    await startFilled(e, "ok1", "ha");
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
    // a quick machine can finish before the first progress poll, so "active" need not be seen; what is reported
    // must be in order (QEMU's own byte counter above is the evidence that memory moved)
    for (let i = 1; i < seen.length; i++)
      expect((seen[i] as MigrationProgress).transferredBytes).toBeGreaterThanOrEqual(
        (seen[i - 1] as MigrationProgress).transferredBytes,
      );
    await expect(e.migrate("ok1", "ha", { migrationId: "q-ok1" })).rejects.toThrow(/already used/);
  });

  it("cancel mid-migration: cancelled, VM keeps running on the source, no target left", async () => {
    const e = engine();
    await startFilled(e, "cx1", "ha");
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
    await startFilled(e, "tk1", "ha");
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
    await startFilled(e, "sk1", "ha");
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
    await startFilled(e, "nc1", "ha");
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
    const e = engine({ autoConverge: false }); // the default (on) would throttle it into converging

    await e.startVm(vm("dz1", dirtyImg), "ha");
    const bandwidthBps = await linkBelowDirtyRate("dz1", 4);
    // room for at least two passes over the 64 MiB the guest keeps dirtying
    const deadlineMs = Math.max(8_000, Math.ceil(((2.5 * 64 * MiB) / bandwidthBps) * 1000));
    const t0 = Date.now();
    const end = await (await e.migrate("dz1", "hc", { migrationId: "q-dz1", bandwidthBps, deadlineMs })).done;
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/deadline/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(deadlineMs);
    // it kept re-sending dirtied pages: several passes, more bytes than the 64 MiB the guest ever wrote
    expect(end.round).toBeGreaterThanOrEqual(2);
    expect(end.transferredBytes).toBeGreaterThan(64 * MiB);
    expect(await e.locate("dz1")).toBe("ha");
    expect((await e.listVms()).find((v) => v.id === "dz1")?.running).toBe(true);
  }, 300_000);

  it("policy auto-converge: QEMU throttles the dirtying guest until the migration completes", async () => {
    const e = engine({ autoConverge: true });
    await e.startVm(vm("ac1", slowDirtyImg), "ha");
    // half the guest's dirty rate: without throttling it could never converge
    const bandwidthBps = await linkBelowDirtyRate("ac1", 2);
    let maxThrottle = 0;
    const h = await e.migrate("ac1", "hc", {
      migrationId: "q-ac1",
      bandwidthBps,
      deadlineMs: Math.max(60_000, Math.ceil(((40 * 16 * MiB) / bandwidthBps) * 1000)),
      onProgress: (p) => {
        maxThrottle = Math.max(maxThrottle, p.cpuThrottlePct ?? 0);
      },
    });
    const end = await h.done;
    expect(end.error).toBeUndefined();
    expect(end.phase).toBe("completed");
    expect(maxThrottle).toBeGreaterThan(0);
    expect(await e.locate("ac1")).toBe("hc");
  }, 300_000);

  it("a restarted engine finds the running migration on disk and sees it through", async () => {
    const first = engine();
    await startFilled(first, "rs1", "ha");
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
