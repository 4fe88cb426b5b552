/**
 * Fail fast: a real `presage-agent run` whose NATS user may not use its host's subjects exits non-zero within
 * seconds with one line naming the subject and the user; with the right user it starts and publishes nothing
 * but its real traffic.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectNats, ensureStreams, type NatsConnection, STREAM_EVENTS } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SecureServer, startSecureNats } from "./secure-server.js";

const AGENT = join(import.meta.dirname, "../../agent/dist/bin/presage-agent.js");
let srv: SecureServer;
let controller: NatsConnection;
let dir: string;

beforeAll(async () => {
  srv = await startSecureNats({ tls: false });
  controller = await connectNats({ url: srv.url, user: "controller", pass: srv.passwords.PRESAGE_CONTROLLER_PASSWORD });
  await ensureStreams(controller);
  dir = mkdtempSync(join(tmpdir(), "presage-agentperm-"));
}, 60_000);
afterAll(async () => {
  await controller?.close();
  await srv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Run the agent until it exits or prints "agent started"; kill it in the second case. */
function runAgent(host: string, user: string): Promise<{ code: number | null; stderr: string; started: boolean }> {
  const cfg = join(dir, `${host}-${user}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      host,
      nats: { url: srv.url, user },
      pollIntervalMs: 500,
      heartbeatIntervalMs: 500,
      sources: [{ kind: "simulated", seed: 1 }],
    }),
  );
  const child = spawn("node", [AGENT, "run", "--config", cfg], {
    env: { ...process.env, NATS_PASS: srv.passwords.PRESAGE_AGENT_PASSWORD, PRESAGE_LOG_LEVEL: "info" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  let started = false;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`agent neither exited nor started within 60 s:\n${stderr}`));
    }, 60_000);
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!started && stderr.includes('"agent started"')) {
        started = true;
        child.kill("SIGTERM");
      }
    });
    child.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, stderr, started });
    });
  });
}

describe("agent with the wrong NATS user", () => {
  it("exits 3 with one line naming the refused subject and the user", async () => {
    const r = await runAgent("node-02", "agent-node-01");
    expect(r.started).toBe(false);
    expect(r.code).toBe(3);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("presage-agent:"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^presage-agent: NATS user "agent-node-01" may not (publish to|subscribe to) presage\.v1\.[a-z]+\.node-02: /,
    );
  }, 90_000);

  it("with its own user it starts, without a violation and without a stray event", async () => {
    const r = await runAgent("node-01", "agent-node-01");
    expect(r.started, r.stderr).toBe(true);
    expect(r.stderr).not.toMatch(/Permissions Violation/);
    const info = await controller.request(`$JS.API.STREAM.INFO.${STREAM_EVENTS}`, "", { timeout: 5_000 });
    expect(info.json<{ state: { messages: number } }>().state.messages).toBe(0);
  }, 90_000);
});
