/**
 * The systemd units as shipped: `systemd-analyze verify` accepts them (with ExecStart= pointing at binaries
 * that exist: the unpacked package's), and `systemd-analyze security --offline=true` scores each <= 4.0.
 * Also what keeps guests alive across a restart (KillMode=process) and where state and secrets go.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const UNITS = ["presage-agent.service", "presage-controller.service", "presage-qemu-host.service"];
const skip =
  spawnSync("sh", ["-c", "command -v systemd-analyze"]).status !== 0
    ? "systemd-analyze is not installed (Debian package systemd; scripts/setup.sh installs it)"
    : null;
const unitText = (u: string) => readFileSync(join(ROOT, "deploy/systemd", u), "utf8");
const dir = mkdtempSync(join(tmpdir(), "presage-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("systemd units: what keeps guests and secrets safe", () => {
  it.each(UNITS)("%s: restart on failure, state dir, no secrets inline", (u) => {
    const t = unitText(u);
    expect(t).toMatch(/^Restart=on-failure$/m);
    expect(t).toMatch(/^StateDirectory=presage\b/m);
    expect(t).toMatch(/^EnvironmentFile=-?\/etc\/presage\/[a-z-]+\.env$/m);
    expect(t.split("\n").filter((l) => /^Environment=.*(PASS|TOKEN|SECRET)/i.test(l))).toEqual([]);
    expect(t).toMatch(/^User=presage$/m);
  });
  it.each(["presage-controller.service", "presage-qemu-host.service"])(
    "%s: KillMode=process, so a restart leaves the QEMU guests it started running",
    (u) => expect(unitText(u)).toMatch(/^KillMode=process$/m),
  );
  it("the agent keeps /dev/ipmi0 behind a closed device policy", () => {
    const t = unitText("presage-agent.service");
    expect(t).toMatch(/^DevicePolicy=closed$/m);
    expect(t).toMatch(/^DeviceAllow=\/dev\/ipmi0 rw$/m);
  });
});

describe.skipIf(skip)("systemd-analyze on the units", () => {
  it.each(UNITS)("%s passes systemd-analyze verify", (u) => {
    // verify checks that ExecStart= binaries exist: point them at real files (node itself), keep the rest
    const file = join(dir, u);
    writeFileSync(file, unitText(u).replace(/\/usr\/bin\/presage[a-z-]*/g, process.execPath));
    const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    const problems = r.stderr
      .split("\n")
      .filter(Boolean)
      // units referencing other packages' units (nats-server, libvirtd) are fine when those are absent
      .filter((l) => !/(nats-server|libvirtd)\.service/.test(l));
    expect(problems).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.each(UNITS)("%s scores <= 4.0 in systemd-analyze security --offline=true", (u) => {
    const file = join(dir, `sec-${u}`);
    writeFileSync(file, unitText(u));
    const r = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", file], { encoding: "utf8" });
    const m = /Overall exposure level for [^:]+: ([\d.]+)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const score = Number(m?.[1]);
    console.log(`${u}: exposure ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});
