/**
 * The built daemons (presage-controller, presage-agent) when they cannot start: one line naming
 * the problem, no stack, and the documented exit code (docs/controller.md, docs/agent.md).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bin = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const CONTROLLER = bin("controller/dist/bin/presage-controller.js");
const AGENT = bin("agent/dist/bin/presage-agent.js");

type Run = { code: number; lines: string[] };

/** Run a daemon; `lines` are its stderr lines for people (pino's JSON log lines left out). */
function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, timeout: 20_000 },
      (err, _stdout, stderr) => {
        const code = typeof (err as { code?: unknown } | null)?.code === "number" ? (err as { code: number }).code : 0;
        resolve({ code, lines: stderr.split("\n").filter((l) => l && !l.startsWith("{")) });
      },
    );
  });
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let dir: string;
let held: Server;
let heldPort: number;
let auth: NatsServerHandle;

beforeAll(async () => {
  for (const f of [CONTROLLER, AGENT]) if (!existsSync(f)) throw new Error(`${f} is missing: run pnpm build`);
  dir = mkdtempSync(join(tmpdir(), "presage-daemons-"));
  held = createServer();
  await new Promise<void>((r) => held.listen(0, "127.0.0.1", () => r()));
  heldPort = (held.address() as { port: number }).port;
  auth = await startNatsServer({ args: ["--user", "controller", "--pass", "right"] });
});

afterAll(async () => {
  held?.close();
  await auth?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const noStack = (r: Run) => expect(r.lines.filter((l) => /^\s+at /.test(l))).toEqual([]);

describe("daemon start-up errors", () => {
  it("daemons - a dead NATS is one line naming the URL, exit 3 (controller and agent)", async () => {
    const url = `nats://127.0.0.1:${await deadPort()}`;
    const ctl = await run(CONTROLLER, ["run"], { NATS_URL: url });
    expect(ctl.code).toBe(3);
    noStack(ctl);
    expect(ctl.lines).toEqual([
      `presage-controller: cannot connect to NATS at ${url} (connection refused, ECONNREFUSED): is nats-server running? (nats.url or NATS_URL)`,
    ]);
    const agent = await run(AGENT, ["run"], { NATS_URL: url, PRESAGE_HOST: "h1" });
    expect(agent.code).toBe(3);
    noStack(agent);
    expect(agent.lines).toEqual([
      `presage-agent: cannot connect to NATS at ${url} (connection refused, ECONNREFUSED): is nats-server running? (nats.url or NATS_URL)`,
    ]);
  });

  it("daemons - wrong NATS credentials are one line, exit 3", async () => {
    const env = { NATS_URL: auth.url, NATS_USER: "controller", NATS_PASS: "wrong" };
    const ctl = await run(CONTROLLER, ["run"], env);
    expect(ctl.code).toBe(3);
    noStack(ctl);
    expect(ctl.lines).toHaveLength(1);
    expect(ctl.lines[0]).toMatch(/^presage-controller: NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials/);
    const agent = await run(AGENT, ["run"], { ...env, PRESAGE_HOST: "h1" });
    expect(agent.code).toBe(3);
    expect(agent.lines).toHaveLength(1);
    expect(agent.lines[0]).toMatch(/^presage-agent: NATS at .* refused the credentials/);
  });

  it("daemons - a metrics.listen address in use is one line naming it, exit 4, before NATS is tried", async () => {
    const nats = { url: `nats://127.0.0.1:${await deadPort()}` };
    const listen = `127.0.0.1:${heldPort}`;
    const cfg = join(dir, "ctl.json");
    writeFileSync(cfg, JSON.stringify({ metrics: { listen }, nats }));
    const r = await run(CONTROLLER, ["run", "--config", cfg], {});
    expect(r.code).toBe(4);
    noStack(r);
    const why = `metrics address ${listen} is already in use (another process holds it): set another metrics.listen, or stop that process`;
    expect(r.lines).toEqual([`presage-controller: ${why}`]);
    const agentCfg = join(dir, "agent-metrics.json");
    writeFileSync(agentCfg, JSON.stringify({ host: "h1", metrics: { listen }, nats }));
    const a = await run(AGENT, ["run", "--config", agentCfg], {});
    expect(a.code).toBe(4);
    expect(a.lines).toEqual([`presage-agent: ${why}`]);
  });

  it("daemons - bad usage and bad config are one line, exit 2", async () => {
    const opt = await run(CONTROLLER, ["run", "--bogus"], {});
    expect(opt.code).toBe(2);
    expect(opt.lines).toHaveLength(1);
    expect(opt.lines[0]).toMatch(/^presage-controller: Unknown option '--bogus'/);
    const cfg = join(dir, "bad.json");
    writeFileSync(cfg, JSON.stringify({ metrics: { listen: "nine" } }));
    const bad = await run(CONTROLLER, ["run", "--config", cfg], {});
    expect(bad.code).toBe(2);
    expect(bad.lines).toEqual([expect.stringMatching(/^presage-controller: invalid config in .*metrics\.listen/)]);
    const mode = await run(CONTROLLER, ["run"], { PRESAGE_POLICY_MODE: "bogus" });
    expect(mode.code).toBe(2);
    expect(mode.lines).toEqual([
      "presage-controller: invalid config: policy.mode must be one of automatic, manual, monitor",
    ]);
    const agent = await run(AGENT, ["run", "--config", join(dir, "missing.json")], {});
    expect(agent.code).toBe(2);
    expect(agent.lines[0]).toMatch(/^presage-agent: cannot read config file .*missing\.json/);
  });
});
