import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseListen } from "@presage/shared";
import { describe, expect, it } from "vitest";
import { checkControllerConfig } from "../../src/check-config.js";
import { hashToken } from "../../src/http/auth.js";

describe("http.listen", () => {
  it("listen - HOST:PORT, IPv6 in brackets, port 0 for any; anything else names the key", () => {
    expect(parseListen("127.0.0.1:8080", "http.listen")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseListen("[::1]:0", "http.listen")).toEqual({ host: "::1", port: 0 });
    for (const bad of ["8080", ":8080", "host:99999", "host:80x"])
      expect(() => parseListen(bad, "http.listen"), bad).toThrow(/http\.listen: .* is not HOST:PORT/);
  });

  it("listen - check-config says whether the dashboard is on and who can log in, and refuses a bad address", () => {
    const dir = mkdtempSync(join(tmpdir(), "presage-cfg-"));
    const file = join(dir, "c.json");
    try {
      writeFileSync(file, JSON.stringify({ engine: { kind: "sim" } }));
      expect(checkControllerConfig(file, {}).summary).toMatch(/; dashboard off$/);
      writeFileSync(file, JSON.stringify({ http: { listen: "0.0.0.0:8080", tokens: { alice: hashToken("t") } } }));
      expect(checkControllerConfig(file, {}).summary).toMatch(/; dashboard on 0\.0\.0\.0:8080 \(1 login\)$/);
      expect(checkControllerConfig(file, { PRESAGE_HTTP_LISTEN: "127.0.0.1:9000" }).summary).toMatch(
        /dashboard on 127\.0\.0\.1:9000/,
      );
      writeFileSync(file, JSON.stringify({ http: { listen: "host:99999" } }));
      expect(() => checkControllerConfig(file, {})).toThrow(/http\.listen/);
      writeFileSync(file, JSON.stringify({ http: { tokens: { alice: "plaintext" } } }));
      expect(() => checkControllerConfig(file, {})).toThrow(/http\.tokens/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
