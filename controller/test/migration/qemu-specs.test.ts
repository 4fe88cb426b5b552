/** The QEMU engine's stored VM definitions are input like any other: a bad file is skipped and logged, never trusted. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { QemuEngine } from "../../src/migration/qemu/engine.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("qemu engine VM definitions", () => {
  it("qemu-specs - malformed, mistyped and misnamed definitions are skipped with a warning", async () => {
    dir = mkdtempSync(join(tmpdir(), "presage-specs-"));
    const lines: { why?: string; path?: string; msg?: string }[] = [];
    const log = pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const e = new QemuEngine({
      stateDir: dir,
      hosts: [{ name: "ha", cpuCapacity: 4, memoryMiB: 4096, address: "127.0.0.1" }],
      log,
    });
    const vms = join(dir, "vms");
    writeFileSync(join(vms, "garbage.json"), "{not json");
    writeFileSync(join(vms, "typed.json"), JSON.stringify({ id: "typed", memoryMiB: "lots", vcpus: 1 }));
    writeFileSync(join(vms, "other.json"), JSON.stringify({ id: "elsewhere", memoryMiB: 128, vcpus: 1 }));
    expect(await e.listVms()).toEqual([]);
    const whys = lines.filter((l) => l.msg?.includes("VM definition skipped")).map((l) => l.why ?? "");
    expect(whys).toHaveLength(3);
    expect(whys.some((w) => /^not JSON/.test(w))).toBe(true);
    expect(whys.some((w) => /memoryMiB/.test(w))).toBe(true);
    expect(whys).toContain("its id is not other");
    await expect(e.migrate("typed", "ha", { migrationId: "m1" } as never)).rejects.toThrow(/typed/);
  });
});
