/** The BUILT presage-agent CLI (agent/dist/bin/presage-agent.js), as an installer or the demo runs it. */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { type ReadingBatch, subjects } from "@presage/shared";
import { startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./helpers.js";

const CLI = fileURLToPath(new URL("../../dist/bin/presage-agent.js", import.meta.url));
const FIX = fileURLToPath(new URL("../fixtures", import.meta.url));

type Run = { code: number; stdout: string; stderr: string };
function agentCli(args: string[], stdin = "", env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? "", PRESAGE_LOG_LEVEL: "warn", ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code =
          err && typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : err ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

describe("presage-agent CLI", () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -b agent\``);
    dir = mkdtempSync(join(tmpdir(), "presage-agent-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["ipmitool-sdr", "ipmitool-sdr/supermicro.txt", 16],
    ["ipmitool-sdr-elist", "ipmitool-sdr-elist/dell.txt", 13],
    ["ipmitool-sensor", "ipmitool-sensor/supermicro.txt", 8],
    ["freeipmi-sensors", "freeipmi-sensors/supermicro.csv", 8],
    ["ipmimonitoring", "ipmimonitoring/lenovo.csv", 7],
  ])("parse --format %s writes one valid reading per sensor", async (format, file, n) => {
    const r = await agentCli(
      ["parse", "--format", format, "--host", "web-3", "--ts", "1700000000000", "--discrete"],
      readFileSync(join(FIX, file), "utf8"),
    );
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(n);
    expect(lines.every((l) => l.host === "web-3" && l.ts === 1_700_000_000_000)).toBe(true);
  });

  it("usage errors say what is wrong and exit 2", async () => {
    const unknown = await agentCli(["parse", "--format", "csv", "--host", "h1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown format "csv": use one of ipmitool-sdr/);
    const badHost = await agentCli(["parse", "--format", "ipmitool-sdr", "--host", "db1.example.com"]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toMatch(/invalid host name/);
    const badKey = join(dir, "bad.json");
    writeFileSync(badKey, JSON.stringify({ host: "h1", pollIntervalMS: 5 }));
    const cfg = await agentCli(["sensors", "--config", badKey]);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toMatch(/pollIntervalMS/);
    const help = await agentCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/presage-agent parse +--format F --host NAME/);
  });

  it("sensors shows what a simulated source sees and flags a dead BMC (exit 1)", async () => {
    const file = join(dir, "sensors.json");
    writeFileSync(
      file,
      JSON.stringify({
        host: "sim-1",
        sourceTimeoutMs: 3_000,
        sources: [
          { kind: "simulated", seed: 7 },
          {
            kind: "ipmitool",
            host: "dead-1",
            interface: "lanplus",
            address: "127.0.0.1",
            port: 9,
            user: "admin",
            passwordEnv: "BMC_PW",
          },
        ],
      }),
    );
    const table = await agentCli(["sensors", "--config", file], "", { BMC_PW: "x" });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/sim-1 +simulated:7/);
    expect(table.stdout).toMatch(/SENSOR +TYPE +VALUE +UNIT/);
    expect(table.stdout).toMatch(/dead-1 +ipmitool-lanplus:127\.0\.0\.1:9[\s\S]*FAILED/);
    const json = await agentCli(["sensors", "--config", file, "--json"], "", { BMC_PW: "x" });
    const snaps = JSON.parse(json.stdout);
    expect(snaps[0].ok).toBe(true);
    expect(snaps[0].readings.some((r: { type: string; value: number }) => r.type === "fan" && r.value > 0)).toBe(true);
    expect(snaps[1]).toMatchObject({ ok: false, host: "dead-1" });
  });

  it("run publishes readings for a simulated host and exits cleanly on SIGTERM", async () => {
    const ns = await startNatsServer();
    const nc = await connect({ servers: ns.url });
    const file = join(dir, "run.json");
    writeFileSync(
      file,
      JSON.stringify({
        host: "sim-2",
        nats: { url: ns.url },
        pollIntervalMs: 60_000,
        clock: { speed: 600 },
        sources: [{ kind: "simulated", seed: 3 }],
      }),
    );
    const batches: ReadingBatch[] = [];
    const sub = nc.subscribe(subjects.readings("sim-2"), { callback: (_e, m) => batches.push(m.json()) });
    const child = spawn(process.execPath, [CLI, "run", "--config", file], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    try {
      await until(() => batches.length >= 3, 30_000);
      expect(batches[0]?.readings.some((r) => r.type === "fan")).toBe(true);
      // simulated time moves 600x: one minute between polls
      const ts = batches.map((b) => b.readings[0]?.ts ?? 0);
      expect((ts[2] ?? 0) - (ts[1] ?? 0)).toBeGreaterThanOrEqual(59_000);
      // SIGHUP: a broken config is refused and the agent keeps running; a good one is applied
      writeFileSync(file, "{ not json");
      child.kill("SIGHUP");
      await until(() => /config reload failed; keeping the running config/.test(stderr), 15_000);
      writeFileSync(
        file,
        JSON.stringify({
          host: "sim-2",
          nats: { url: ns.url },
          pollIntervalMs: 60_000,
          clock: { speed: 600 },
          sources: [{ kind: "simulated", seed: 4 }],
        }),
      );
      child.kill("SIGHUP");
      await until(() => /config reloaded/.test(stderr), 15_000);
      const n = batches.length;
      await until(() => batches.length > n, 15_000);
      const exited = new Promise<number | null>((r) => child.once("exit", r));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/agent stopped/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      sub.unsubscribe();
      await nc.close();
      await ns.stop();
    }
  });
});
