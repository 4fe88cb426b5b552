/**
 * The README's first command ends in `presage demo`: run the built CLI's demo end to end and check
 * the story it tells: the failing fan is caught before the BMC alarms, no VM is lost, all go home,
 * and no process it started is left behind.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
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

/**
 * A temp folder of the test's own for the demo (TMPDIR): its agents' command lines name it, so the
 * processes it leaves are told apart from those of other tests running at the same time.
 */
function ownTmp(): { env: NodeJS.ProcessEnv; agents: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), "presage-demo-test-"));
  return { env: { ...process.env, TMPDIR: dir }, agents: () => pids(`presage-agent.js run --config ${dir}/`) };
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

  it("demo - --serve prints the dashboard URL during the story, keeps serving after it and stops everything on SIGTERM", async () => {
    expect(existsSync(CLI), "build first: pnpm build").toBe(true);
    const tmp = ownTmp();
    const child = spawn(process.execPath, [CLI, "demo", "--serve", "--speed", "500"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...tmp.env, NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const waitFor = async (re: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in the demo's output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return re.exec(out) as RegExpExecArray;
    };
    try {
      const url = (await waitFor(/^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m, 60_000))[1] as string;
      expect((await fetch(url)).status).toBe(200);
      await waitFor(/the story is over/, 300_000);
      // after the story: the same URL printed again, the fleet still there
      expect(out.match(new RegExp(`^dashboard: ${url}$`, "gm"))?.length).toBe(2);
      // the fleet keeps running: all six hosts there and none in remediation. On a loaded machine an agent's
      // heartbeat can be late at 500 simulated seconds a second, which makes its host `suspect` (not failed): both
      // states mean the fleet is up; the agents themselves are counted below
      const states = async () => {
        const hosts = await fetch(new URL("api/ops/hosts", url), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        return ((await hosts.json()) as { hosts: { state: string }[] }).hosts.map((h) => h.state);
      };
      const up = (s: string[]) => s.length === 6 && s.every((x) => x === "healthy" || x === "suspect");
      const end = Date.now() + 60_000;
      let seen = await states();
      while (!up(seen) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 500));
        seen = await states();
      }
      expect(seen.filter((x) => x !== "healthy" && x !== "suspect")).toEqual([]);
      expect(seen).toHaveLength(6);
      expect(tmp.agents()).toHaveLength(6);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
      expect(tmp.agents()).toEqual([]);
    } finally {
      // on a failure too: SIGTERM lets the demo stop its agents and nats-server (SIGKILL would orphan them)
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        child.kill("SIGKILL");
      }
      for (const pid of tmp.agents()) process.kill(Number(pid), "SIGKILL");
    }
  }, 400_000);
});
