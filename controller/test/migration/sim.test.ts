import { ManualClock } from "@presage/shared";
import { describe, expect, it } from "vitest";
import type { MigrationHandle, MigrationProgress } from "../../src/migration/engine.js";
import { SimEngine, type SimEngineOptions } from "../../src/migration/sim/engine.js";
import { generateFleet } from "../../src/migration/sim/fleet.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function engine(over: Partial<SimEngineOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const e = new SimEngine({
    hosts: [
      { name: "a", cpuCapacity: 32, memoryMiB: 65_536 },
      { name: "b", cpuCapacity: 32, memoryMiB: 65_536 },
      { name: "c", cpuCapacity: 32, memoryMiB: 65_536 },
    ],
    vms: [
      { id: "idle", host: "a", memoryMiB: 1024, vcpus: 1 },
      { id: "busy", host: "a", memoryMiB: 4096, vcpus: 4, dirtyRateMiBps: 50 },
      { id: "hot", host: "a", memoryMiB: 4096, vcpus: 4, dirtyRateMiBps: 1500 },
    ],
    clock,
    linkBandwidthBps: 1 * GiB,
    setupMs: 100,
    ...over,
  });
  return { e, clock };
}

/** Advance the manual clock until the handle settles. */
async function runToEnd(clock: ManualClock, h: MigrationHandle, stepMs = 100, maxMs = 600_000) {
  let settled: MigrationProgress | null = null;
  h.done.then((p) => {
    settled = p;
  });
  for (let t = 0; t < maxMs && !settled; t += stepMs) await clock.advance(stepMs);
  await new Promise((r) => setImmediate(r));
  if (!settled) throw new Error("migration did not settle");
  return settled as MigrationProgress;
}

describe("sim engine - pre-copy model", () => {
  it("moves an idle VM in setup + memory/bandwidth and reports it on the target", async () => {
    const { e, clock } = engine();
    const seen: MigrationProgress[] = [];
    const t0 = clock.now();
    const h = await e.migrate("idle", "b", { migrationId: "m1", onProgress: (p) => seen.push(p) });
    const end = await runToEnd(clock, h, 10);
    expect(end.phase).toBe("completed");
    expect(end.transferredBytes).toBe(1 * GiB);
    // 100 ms setup + 1 GiB at 1 GiB/s = 1.1 s, within one 10 ms step
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1_100);
    expect(clock.now() - t0).toBeLessThanOrEqual(1_120);
    expect(await e.locate("idle")).toBe("b");
    expect(seen.some((p) => p.phase === "active" && p.transferredBytes > 0 && p.transferredBytes < GiB)).toBe(true);
    expect(seen.at(-1)?.phase).toBe("completed");
  });

  it("a dirtying VM sends more than its memory and takes longer than an idle one of the same size", async () => {
    const { e, clock } = engine();
    const h = await e.migrate("busy", "b", { migrationId: "m-busy" });
    const t0 = clock.now();
    const end = await runToEnd(clock, h, 10);
    expect(end.phase).toBe("completed");
    expect(end.transferredBytes).toBeGreaterThan(4 * GiB);
    expect(clock.now() - t0).toBeGreaterThan(4_100);
  });

  it("concurrent migrations through one NIC share its bandwidth", async () => {
    const { e, clock } = engine({
      vms: [
        { id: "x", host: "a", memoryMiB: 1024, vcpus: 1 },
        { id: "y", host: "a", memoryMiB: 1024, vcpus: 1 },
      ],
    });
    const t0 = clock.now();
    const hx = await e.migrate("x", "b", { migrationId: "x1" });
    const hy = await e.migrate("y", "c", { migrationId: "y1" });
    await runToEnd(clock, hx, 10);
    await runToEnd(clock, hy, 10);
    // 2 GiB through a's 1 GiB/s NIC: ~2.1 s, not 1.1 s
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2_100);
    expect(clock.now() - t0).toBeLessThanOrEqual(2_130);
  });

  it("a VM dirtying faster than the link does not converge: fails under policy fail, VM stays on the source", async () => {
    const { e, clock } = engine({ onNoConvergence: "fail", maxRounds: 5 });
    const h = await e.migrate("hot", "b", { migrationId: "m-hot" });
    const end = await runToEnd(clock, h);
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/not converged after 5 rounds/);
    expect(await e.locate("hot")).toBe("a");
    expect((await e.listVms()).find((v) => v.id === "hot")?.running).toBe(true);
  });

  it("policy force finishes a non-converging VM with a stop-and-copy after the round limit", async () => {
    const { e, clock } = engine({ onNoConvergence: "force", maxRounds: 3 });
    const h = await e.migrate("hot", "b", { migrationId: "m-hot" });
    const end = await runToEnd(clock, h);
    expect(end.phase).toBe("completed");
    expect(await e.locate("hot")).toBe("b");
  });

  it("auto-converge throttles a non-converging guest until it fits, where policy fail alone gives up", async () => {
    const { e, clock } = engine({ onNoConvergence: "fail", maxRounds: 10, autoConverge: true });
    // 1.5 GiB/s of dirtying against a 1 GiB/s link: hopeless without a throttle
    const throttles: number[] = [];
    const h = await e.migrate("hot", "b", {
      migrationId: "m-ac",
      onProgress: (p) => throttles.push(p.cpuThrottlePct ?? 0),
    });
    const end = await runToEnd(clock, h);
    expect(end.phase).toBe("completed");
    expect(Math.max(...throttles)).toBeGreaterThanOrEqual(90);
    expect(await e.locate("hot")).toBe("b");
  });

  it("gives up at the caller's deadline", async () => {
    const { e, clock } = engine({ maxRounds: 1_000 });
    const t0 = clock.now();
    const h = await e.migrate("hot", "b", { migrationId: "m-hot", deadlineMs: 20_000 });
    const end = await runToEnd(clock, h);
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/deadline/);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(20_000);
    expect(clock.now() - t0).toBeLessThan(20_200);
    expect(await e.locate("hot")).toBe("a");
  });

  it("honours a per-migration bandwidth cap", async () => {
    const { e, clock } = engine();
    const t0 = clock.now();
    const h = await e.migrate("idle", "b", { migrationId: "m1", bandwidthBps: 256 * MiB });
    await runToEnd(clock, h, 10);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(4_100);
  });
});

describe("sim engine - failures and truth", () => {
  it("target dies mid-migration: failed, VM still on and running on the source", async () => {
    const { e, clock } = engine();
    e.injectFailure({ kind: "target-dies", vm: "idle", atFraction: 0.3 });
    const h = await e.migrate("idle", "b", { migrationId: "m1" });
    const end = await runToEnd(clock, h, 10);
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/died/);
    expect(end.transferredBytes).toBeCloseTo(0.3 * GiB, -6);
    expect(await e.locate("idle")).toBe("a");
    // the rule was used once: the retry succeeds
    const again = await runToEnd(clock, await e.migrate("idle", "b", { migrationId: "m2" }), 10);
    expect(again.phase).toBe("completed");
  });

  it("a network cut injected while running fails that migration at once", async () => {
    const { e, clock } = engine();
    const h = await e.migrate("idle", "b", { migrationId: "m1" });
    await clock.advance(600);
    e.injectFailure({ kind: "network-cut", host: "b", atFraction: 0 });
    const end = await runToEnd(clock, h, 10);
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/network cut/);
    expect(end.transferredBytes).toBeGreaterThan(0);
    expect(await e.locate("idle")).toBe("a");
  });

  it("slow links stretch migrations by the factor", async () => {
    const { e, clock } = engine();
    e.injectFailure({ kind: "slow", host: "b", factor: 0.25 });
    const t0 = clock.now();
    await runToEnd(clock, await e.migrate("idle", "b", { migrationId: "m1" }), 10);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(4_100);
    e.clearFailures();
    const t1 = clock.now();
    await runToEnd(clock, await e.migrate("idle", "c", { migrationId: "m2" }), 10);
    expect(clock.now() - t1).toBeLessThan(1_200);
  });

  it("a target host going down fails its incoming migrations; a source host going down stops its VMs", async () => {
    const { e, clock } = engine();
    const h = await e.migrate("idle", "b", { migrationId: "m1" });
    await clock.advance(300);
    e.setHostUp("b", false);
    expect((await h.done).error).toMatch(/target host b/);
    expect((await e.listHosts()).find((x) => x.name === "b")?.up).toBe(false);
    const refused = await e.migrate("idle", "b", { migrationId: "m2" });
    expect((await refused.done).error).toMatch(/unreachable/);

    const h3 = await e.migrate("busy", "c", { migrationId: "m3" });
    await clock.advance(300);
    e.setHostUp("a", false);
    expect((await h3.done).error).toMatch(/source host a/);
    expect(await e.locate("busy")).toBe("a");
    expect((await e.listVms()).filter((v) => v.host === "a").every((v) => !v.running)).toBe(true);
    e.setHostUp("a", true);
    expect((await e.listVms()).filter((v) => v.host === "a").every((v) => v.running)).toBe(true);
  });

  it("refuses a target without enough memory", async () => {
    const { e } = engine({
      hosts: [
        { name: "a", cpuCapacity: 8, memoryMiB: 65_536 },
        { name: "tiny", cpuCapacity: 8, memoryMiB: 2048 },
      ],
    });
    const h = await e.migrate("busy", "tiny", { migrationId: "m1" });
    expect((await h.done).error).toMatch(/lacks memory/);
  });

  it("cancel leaves the VM on the source", async () => {
    const { e, clock } = engine();
    const h = await e.migrate("busy", "b", { migrationId: "m1" });
    await clock.advance(1_000);
    await h.cancel();
    expect((await h.done).phase).toBe("cancelled");
    expect(await e.locate("busy")).toBe("a");
    expect(await e.activeMigrations()).toEqual([]);
  });
});

describe("sim engine - idempotency and attach", () => {
  it("a reused migration id never starts a second copy; attach re-joins the running one", async () => {
    const { e, clock } = engine();
    const h = await e.migrate("busy", "b", { migrationId: "m1" });
    await expect(e.migrate("busy", "b", { migrationId: "m1" })).rejects.toThrow(/already used/);
    await expect(e.migrate("busy", "c", { migrationId: "m2" })).rejects.toThrow(/already migrating/);
    await clock.advance(1_000);
    const active = await e.activeMigrations();
    expect(active.map((p) => [p.migrationId, p.vm, p.to])).toEqual([["m1", "busy", "b"]]);
    const seen: MigrationProgress[] = [];
    const again = await e.attach("m1", (p) => seen.push(p));
    expect(again).not.toBeNull();
    const end = await runToEnd(clock, again as MigrationHandle);
    expect(end.phase).toBe("completed");
    expect((await h.done).phase).toBe("completed");
    expect(seen.length).toBeGreaterThan(1);
    expect(await e.attach("m1")).toBeNull();
    await expect(e.migrate("busy", "c", { migrationId: "m1" })).rejects.toThrow(/already used/);
  });

  it("rejects unknown VMs and hosts at once", async () => {
    const { e } = engine();
    await expect(e.migrate("nope", "b", { migrationId: "m1" })).rejects.toThrow(/unknown VM/);
    await expect(e.migrate("idle", "zz", { migrationId: "m2" })).rejects.toThrow(/unknown target host/);
    await expect(e.migrate("idle", "a", { migrationId: "m3" })).rejects.toThrow(/already runs/);
  });

  it("refuses a VM that is not on the expected source, before anything starts", async () => {
    const { e } = engine();
    await expect(e.migrate("idle", "b", { migrationId: "s1", from: "c" })).rejects.toThrow(
      "VM idle is on a, not on c where the migration expects it",
    );
    expect(await e.activeMigrations()).toEqual([]);
    expect(await e.attach("s1")).toBeNull();
  });
});

describe("sim engine - determinism", () => {
  async function evacuate(seed: number) {
    const clock = new ManualClock(0);
    const fleet = generateFleet({ hosts: 4, vmsPerHost: 12, seed: 7, memoryMiB: 262_144 });
    const e = new SimEngine({ ...fleet, clock, seed, linkBandwidthBps: 1.25e9, maxRounds: 8 });
    const vms = (await e.listVms()).filter((v) => v.host === fleet.hosts[0]?.name);
    const handles = await Promise.all(
      vms.map((v, i) => e.migrate(v.id, fleet.hosts[1 + (i % 3)]?.name as string, { migrationId: `m${i}` })),
    );
    const ends = [];
    for (const h of handles) ends.push(await runToEnd(clock, h, 250));
    return { ends: ends.map((p) => [p.phase, p.transferredBytes]), t: clock.now() };
  }

  it("the same seed and clock give identical results; another seed differs", async () => {
    const a = await evacuate(42);
    const b = await evacuate(42);
    const c = await evacuate(43);
    expect(b).toEqual(a);
    expect(c.ends).not.toEqual(a.ends);
  });
});

describe("fleet generator", () => {
  it("10,000 hosts x 20 VMs in well under a second, within capacity, reproducible", () => {
    // CPU time, not wall time: other processes on a shared 2-core box must not fail this test
    const cpu0 = process.cpuUsage();
    const f = generateFleet({ hosts: 10_000, vmsPerHost: 20, seed: 3 });
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(f.hosts).toHaveLength(10_000);
    expect(f.vms.length).toBeGreaterThan(190_000);
    expect(cpuMs).toBeLessThan(1_000);
    const used = new Map<string, number>();
    for (const v of f.vms) used.set(v.host, (used.get(v.host) ?? 0) + v.memoryMiB);
    const overfull = f.hosts.filter((h) => (used.get(h.name) ?? 0) > h.memoryMiB * 0.7);
    expect(overfull).toEqual([]);
    expect(new Set(f.vms.map((v) => v.id)).size).toBe(f.vms.length);
    expect(generateFleet({ hosts: 50, vmsPerHost: 5, seed: 3 })).toEqual(
      generateFleet({ hosts: 50, vmsPerHost: 5, seed: 3 }),
    );
    expect(new SimEngine({ ...f, clock: new ManualClock() }).kind).toBe("sim");
  });
});
