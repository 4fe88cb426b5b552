import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, checkOf, HostName, loadConfig, Strict, Type } from "../src/index.js";

const defaults = { nats: { url: "nats://127.0.0.1:4222" }, pollIntervalMs: 10_000, host: "h1" };
const cfgCheck = checkOf(
  Strict({
    nats: Strict({ url: Type.String({ minLength: 1 }) }),
    pollIntervalMs: Type.Integer({ minimum: 1000 }),
    host: HostName(),
  }),
);

function file(content: string): string {
  const d = mkdtempSync(join(tmpdir(), "presage-cfg-"));
  const f = join(d, "c.json");
  writeFileSync(f, content);
  return f;
}

describe("config - loading", () => {
  it("layers defaults, file and environment", () => {
    const f = file(JSON.stringify({ pollIntervalMs: 5000 }));
    const c = loadConfig({
      defaults,
      check: cfgCheck,
      file: f,
      env: { NATS_URL: "nats://x:1" },
      envMap: { NATS_URL: "nats.url" },
    });
    expect(c).toEqual({ nats: { url: "nats://x:1" }, pollIntervalMs: 5000, host: "h1" });
  });
  it("names the bad key and the file", () => {
    const f = file(JSON.stringify({ pollIntervalMs: 5 }));
    expect(() => loadConfig({ defaults, check: cfgCheck, file: f })).toThrow(
      /pollIntervalMs must be >= 1000.*|invalid config in .*c\.json: pollIntervalMs/,
    );
  });
  it("rejects misspelt keys instead of ignoring them", () => {
    const f = file(JSON.stringify({ nats: { ulr: "x" } }));
    expect(() => loadConfig({ defaults, check: cfgCheck, file: f })).toThrow(/unknown config key nats\.ulr/);
  });
  it("gives a clear error for a missing file and for broken JSON", () => {
    expect(() => loadConfig({ defaults, check: cfgCheck, file: "/nonexistent/x.json" })).toThrow(ConfigError);
    expect(() => loadConfig({ defaults, check: cfgCheck, file: file("{oops") })).toThrow(/not valid JSON/);
  });
});
