import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CliError, DEFAULT_URL, resolveConnection } from "@presage/cli/internal";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "presage-ctx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noHome = { XDG_CONFIG_HOME: join(dir, "none") };

function ctxFile(content: unknown): string {
  const p = join(dir, `ctx-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

describe("cli connection", () => {
  it("connection - flags win over the environment, which wins over the context file", () => {
    const context = ctxFile({ url: "nats://ctx:4222", user: "ctx-user", password: "ctx-pw", by: "ctx-name" });
    const env = { ...noHome, NATS_URL: "nats://env:4222", NATS_USER: "env-user" };
    expect(resolveConnection({ context }, env).settings).toMatchObject({
      url: "nats://env:4222",
      user: "env-user",
      pass: "ctx-pw",
    });
    const r = resolveConnection({ context, server: "nats://flag:4222", password: "flag-pw" }, env);
    expect(r.settings).toMatchObject({ url: "nats://flag:4222", user: "env-user", pass: "flag-pw", tls: null });
    expect(r.by).toBe("ctx-name");
    expect(resolveConnection({ context, by: "me" }, {}).by).toBe("me");
  });

  it("connection - the default context file is read when present, and absence means localhost", () => {
    expect(resolveConnection({}, noHome).settings.url).toBe(DEFAULT_URL);
    const home = join(dir, "cfg");
    const p = join(home, "presage");
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, "context.json"), JSON.stringify({ url: "nats://from-default:4222" }));
    expect(resolveConnection({}, { XDG_CONFIG_HOME: home }).settings.url).toBe("nats://from-default:4222");
  });

  it("connection - tls:// or a CA turns TLS on; half a client key pair is a usage error", () => {
    expect(resolveConnection({ server: "tls://nats:4222" }, noHome).settings.tls).toEqual({});
    const ca = ctxFile("-----BEGIN CERTIFICATE-----");
    expect(resolveConnection({ "tls-ca": ca }, noHome).settings.tls).toEqual({ ca });
    expect(() => resolveConnection({ "tls-cert": ca }, noHome)).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => resolveConnection({ "tls-ca": join(dir, "missing.pem") }, noHome)).toThrow(
      /--tls-ca file .* does not exist/,
    );
  });

  it("connection - a bad context file is a usage error naming the file and the key", () => {
    const bad = ctxFile({ url: 42 });
    const e = (() => {
      try {
        resolveConnection({ context: bad }, noHome);
      } catch (x) {
        return x as CliError;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(CliError);
    expect(e?.exitCode).toBe(2);
    expect(e?.message).toMatch(/context file .*: url must be a string/);
  });
});
