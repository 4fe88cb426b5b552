import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { loadAgentConfig } from "../../src/config.js";

const dir = mkdtempSync(join(tmpdir(), "presage-agent-config-"));
const file = (o: unknown) => {
  const f = join(dir, `${Math.random()}.json`);
  writeFileSync(f, JSON.stringify(o));
  return f;
};

describe("agent config - defaults, file, env, and errors that name the key", () => {
  it("fills defaults and lets env override the file", () => {
    const c = loadAgentConfig(file({ host: "db1", clock: { speed: 1000 } }), {
      NATS_URL: "nats://10.0.0.1:4222",
      PRESAGE_POLL_INTERVAL_MS: "5000",
    });
    expect(c).toMatchObject({
      host: "db1",
      nats: { url: "nats://10.0.0.1:4222" },
      pollIntervalMs: 5_000,
      heartbeatIntervalMs: 10_000,
      failureThreshold: 3,
      clock: { speed: 1_000, startMs: null },
      sources: [],
    });
  });

  it.each([
    [{ sources: [{ kind: "ipmitool", adress: "10.0.0.5" }] }, /sources\[0\]\.adress is not a known key/],
    [
      { sources: [{ kind: "ipmitool", interface: "lanplus" }] },
      /sources\[0\]\.address is required for interface lanplus/,
    ],
    [
      { sources: [{ kind: "snmp" }] },
      /sources\[0\]\.kind must be one of ipmitool, freeipmi, redfish, local, simulated/,
    ],
    [{ sources: [{ kind: "redfish", url: "10.0.0.5" }] }, /sources\[0\]\.url must be an http\(s\):\/\/ URL/],
    [{ sources: [{ kind: "simulated" }] }, /sources\[0\]\.seed must be an integer/],
    [{ sources: [{ kind: "local", host: "db1.example.com" }] }, /sources\[0\]\.host: invalid host name/],
    [{ host: "web 1" }, /host: invalid host name/],
    [{ pollIntervalMS: 5 }, /unknown config key pollIntervalMS/],
    [{ nats: { url: "nats://x", password: "p" } }, /nats\.password is not a known key/],
    [{ detect: { fanFailRatoi: 0.5 } }, /detect\.fanFailRatoi is not a known detection setting/],
    [{ clock: { speed: 0 } }, /clock\.speed must be >= 0.001/],
  ])("rejects %j", (cfg, msg) => {
    let err: unknown;
    try {
      loadAgentConfig(file(cfg), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(msg);
  });

  it("loads every example in deploy/agent", async () => {
    const { readdirSync } = await import("node:fs");
    const examples = join(import.meta.dirname, "../../../deploy/agent");
    const files = readdirSync(examples).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => loadAgentConfig(join(examples, f), {}), f).not.toThrow();
  });
});
