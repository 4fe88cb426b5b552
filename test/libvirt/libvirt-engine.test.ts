/**
 * The libvirt engine against two real libvirtd daemons (root namespace + a namespaced one). Each libvirt
 * migration costs ~10 s of libvirt overhead, so this file does exactly two: one that completes and one
 * that is aborted with domjobabort.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MigrationProgress } from "../../controller/src/migration/engine.js";
import { LibvirtEngine } from "../../controller/src/migration/libvirt/engine.js";
import { buildGuestImage } from "../../controller/src/migration/qemu/guest-image.js";
import { type LibvirtPair, libvirtUnavailable, startLibvirtPair } from "./daemons.js";

const MiB = 1024 * 1024;
const skipReason = libvirtUnavailable();

describe.skipIf(skipReason)("libvirt engine - virsh against two real daemons", () => {
  let pair: LibvirtPair;
  let dir: string;
  let engine: LibvirtEngine;
  const dom = `pz-lv-${process.pid}`;

  beforeAll(() => {
    pair = startLibvirtPair();
    dir = mkdtempSync("/tmp/pzlvt");
    chmodSync(dir, 0o755); // QEMU runs as libvirt-qemu and must read the kernel image
    const kernel = join(dir, "fill.bin");
    writeFileSync(kernel, buildGuestImage({ regionMiB: 48, mode: "fill" }), { mode: 0o644 });
    const xml = join(dir, "dom.xml");
    writeFileSync(
      xml,
      `<domain type='qemu'><name>${dom}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel></os><features><acpi/></features>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>`,
    );
    execFileSync("virsh", ["-c", pair.uriA, "define", xml]);
    execFileSync("virsh", ["-c", pair.uriA, "start", dom]);
    engine = new LibvirtEngine({
      hosts: [
        { name: "lva", uri: pair.uriA, migrateUri: pair.migrateUriA },
        { name: "lvb", uri: pair.uriB, migrateUri: pair.migrateUriB },
      ],
      stateDir: join(dir, "state"),
      pollMs: 200,
    });
  }, 120_000);

  afterAll(() => {
    for (const uri of [pair?.uriA, pair?.uriB]) {
      if (!uri) continue;
      try {
        execFileSync("virsh", ["-c", uri, "destroy", dom], { stdio: "ignore" });
      } catch {}
      try {
        execFileSync("virsh", ["-c", uri, "undefine", dom], { stdio: "ignore" });
      } catch {}
    }
    pair?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("lists both hosts and the domain where it runs", async () => {
    const hosts = await engine.listHosts();
    expect(hosts.map((h) => [h.name, h.up])).toEqual([
      ["lva", true],
      ["lvb", true],
    ]);
    expect(hosts[0]?.memoryMiB).toBeGreaterThan(0);
    const vms = await engine.listVms();
    expect(vms.find((v) => v.id === dom)).toMatchObject({ host: "lva", memoryMiB: 128, vcpus: 1, running: true });
  });

  it("migrates live with --persistent --undefinesource, progress from domjobinfo", async () => {
    const seen: MigrationProgress[] = [];
    // a plan that expects the domain elsewhere is refused before virsh runs
    await expect(engine.migrate(dom, "lvb", { migrationId: "lv-0-stale", from: "lvb" })).rejects.toThrow(
      `VM ${dom} is on lva, not on lvb`,
    );
    const h = await engine.migrate(dom, "lvb", {
      migrationId: "lv-1",
      bandwidthBps: 16 * MiB,
      onProgress: (p) => seen.push(p),
    });
    const end = await h.done;
    expect(end.error).toBeUndefined();
    expect(end.phase).toBe("completed");
    expect(await engine.locate(dom)).toBe("lvb");
    // undefinesource: the domain is gone from A's definitions, persistent on B
    expect(execFileSync("virsh", ["-c", pair.uriA, "list", "--all", "--name"]).toString()).not.toContain(dom);
    expect(execFileSync("virsh", ["-c", pair.uriB, "list", "--persistent", "--name"]).toString()).toContain(dom);
    expect(seen.some((p) => p.phase === "active" && p.transferredBytes > 0)).toBe(true);
    await expect(engine.migrate(dom, "lva", { migrationId: "lv-1" })).rejects.toThrow(/already used/);
  }, 90_000);

  it("cancel aborts the job with domjobabort: cancelled, VM keeps running on the source", async () => {
    const h = await engine.migrate(dom, "lva", { migrationId: "lv-2", bandwidthBps: 1 * MiB });
    const t0 = Date.now();
    while ((h.current?.().transferredBytes ?? 0) < 512 * 1024) {
      if (Date.now() - t0 > 60_000) throw new Error("migration never moved data");
      await new Promise((r) => setTimeout(r, 100));
    }
    await h.cancel();
    const end = await h.done;
    expect(end.phase).toBe("cancelled");
    expect(await engine.locate(dom)).toBe("lvb");
    expect((await engine.listVms()).find((v) => v.id === dom)?.running).toBe(true);
  }, 90_000);
});
