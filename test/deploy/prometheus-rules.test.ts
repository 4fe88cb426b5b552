/** deploy/prometheus: the config and rules load in Debian's promtool, and every rule passes its unit cases. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = join(import.meta.dirname, "../../deploy/prometheus");
const promtool = (args: string[]) => {
  try {
    return { code: 0, out: execFileSync("promtool", args, { cwd: dir, encoding: "utf8", stdio: "pipe" }) };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string; code?: string };
    if (err.code === "ENOENT") throw new Error("promtool not found: install Debian's prometheus (scripts/setup.sh)");
    return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
};

describe("deploy/prometheus", () => {
  it("prometheus - prometheus.yml and presage-rules.yml pass promtool check", () => {
    const r = promtool(["check", "config", "prometheus.yml"]);
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("prometheus - every alert rule has a promtool test case, and they all pass", () => {
    const rules = [...readFileSync(join(dir, "presage-rules.yml"), "utf8").matchAll(/- alert: (\w+)/g)].map(
      (m) => m[1],
    );
    const tests = readFileSync(join(dir, "presage-rules.test.yml"), "utf8");
    expect(rules.length).toBeGreaterThanOrEqual(15);
    expect(rules.filter((r) => !new RegExp(`alertname: ${r}\\b`).test(tests))).toEqual([]);
    const r = promtool(["test", "rules", "presage-rules.test.yml"]);
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("prometheus - the sample alertmanager.yml loads in amtool and pages for critical Presage alerts only", () => {
    const am = (args: string[]) => execFileSync("amtool", args, { cwd: dir, encoding: "utf8", stdio: "pipe" }).trim();
    expect(am(["check-config", "alertmanager.yml"])).toContain("SUCCESS");
    const route = (...labels: string[]) =>
      am(["config", "routes", "test", "--config.file=alertmanager.yml", ...labels]);
    expect(route("alertname=PresageHardwareAlert", "severity=critical", "host=hv2")).toBe("pager");
    expect(route("alertname=PresageHardwareAlert", "severity=warning", "host=hv2")).toBe("oncall");
    expect(route("alertname=PresageNoLeader", "severity=critical")).toBe("pager");
    expect(route("alertname=PresageAgentDown", "severity=warning")).toBe("oncall");
  });
});
