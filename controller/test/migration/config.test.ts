import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkOf, loadConfig, ManualClock, Strict, silentLogger } from "@presage/shared";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, defaultEngineConfig, type EngineConfig, EngineConfigSchema } from "../../src/migration/index.js";

const dir = mkdtempSync(join(tmpdir(), "presage-engine-cfg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The engine section as the controller embeds it in its own config. */
function load(engine: unknown): { engine: EngineConfig } {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ engine }));
  return loadConfig({
    defaults: { engine: defaultEngineConfig },
    check: checkOf(Strict({ engine: EngineConfigSchema })),
    file,
  });
}

describe("engine config", () => {
  it("the defaults give a small simulated fleet", async () => {
    const cfg = load({});
    const e = await createEngine(cfg.engine, { clock: new ManualClock(), log: silentLogger });
    expect(e.kind).toBe("sim");
    expect(await e.listHosts()).toHaveLength(20);
    expect((await e.listVms()).length).toBeGreaterThan(100);
  });

  it("a fleet file replaces the generator", async () => {
    const fleet = join(dir, "fleet.json");
    writeFileSync(fleet, JSON.stringify({ hosts: [{ name: "h1", cpuCapacity: 8, memoryMiB: 8192 }], vms: [] }));
    const cfg = load({ sim: { fleetFile: fleet } });
    const e = await createEngine(cfg.engine, { clock: new ManualClock(), log: silentLogger });
    expect((await e.listHosts()).map((h) => h.name)).toEqual(["h1"]);
  });

  it("rejects bad values and unknown keys with the key's name", () => {
    expect(() => load({ kind: "vmware" })).toThrow(/engine.kind must be one of/);
    expect(() => load({ qemu: { hosts: [{ name: "bad host", cpuCapacity: 1, memoryMiB: 1, address: "x" }] } })).toThrow(
      /engine.qemu.hosts\[0\].name/,
    );
    expect(() => load({ sim: { linkBandwith: 5 } })).toThrow(/engine.sim.linkBandwith/);
    // host entries are config too: a misspelt key is refused, not ignored
    const host = { name: "h1", cpuCapacity: 1, memoryMiB: 1, address: "x" };
    expect(() => load({ qemu: { hosts: [{ ...host, netNs: "ns1" }] } })).toThrow(
      /engine.qemu.hosts\[0\].netNs is not a known key/,
    );
    expect(() => load({ libvirt: { hosts: [{ name: "h1", uri: "" }] } })).toThrow(
      /engine.libvirt.hosts\[0\].uri must not be empty/,
    );
  });

  it("kinds that need more say what is missing", async () => {
    const deps = { clock: new ManualClock(), log: silentLogger };
    await expect(createEngine(load({ kind: "remote" }).engine, deps)).rejects.toThrow(/NATS connection/);
    await expect(createEngine(load({ kind: "qemu" }).engine, deps)).rejects.toThrow(/engine.qemu.hosts is empty/);
  });
});
