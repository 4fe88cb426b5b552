/**
 * The README's first command ends in `presage demo`: run the built CLI's demo end to end and check
 * the story it tells: the failing fan is caught before the BMC alarms, no VM is lost, all go home,
 * and no process it started is left behind.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const CLI = join(ROOT, "cli/dist/bin/presage.js");

function pids(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

describe("demo - presage demo", () => {
  it("demo - evacuates the host with the failing fan before its BMC alarm, loses no VM, brings all home, cleans up", async () => {
    expect(existsSync(CLI), "build first: pnpm build").toBe(true);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          // 500 simulated seconds per real second, not the default 1500: the agents poll in simulated time, and on a
          // machine busy with other test files a faster clock leaves them too few polls to see the wear in time
          [CLI, "demo", "--json", "--speed", "500"],
          { timeout: 300_000 },
          (err, out, errOut) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
        );
        child.stdin?.end();
      },
    );
    const s = JSON.parse(stdout) as Record<string, number | string | null>;
    expect(code).toBe(0);
    expect(s.vmsLost).toBe(0);
    expect(s.vmsHome).toBe(s.vms);
    expect(s.vms).toBe(30);
    // out and home again: every VM of the sick host moved twice
    expect(Number(s.vmsMoved)).toBeGreaterThanOrEqual(2);
    expect(Number(s.criticalLeadH)).toBeGreaterThan(0.5);
    expect(stderr).toMatch(/evacuating -> quarantined/);
    expect(stderr).toMatch(/returning -> healthy/);
    // the demo's agents run with their configs in its working directory: none may outlive it (other test files
    // run agents of their own at the same time, so a machine-wide count would not do)
    expect(String(s.workDir)).toMatch(/presage-demo-/);
    expect(pids(String(s.workDir))).toEqual([]);
    expect(existsSync(String(s.workDir))).toBe(false);
  }, 330_000);
});
