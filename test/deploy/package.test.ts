/**
 * The Debian package as an operator gets it: `scripts/package.mjs` (what `pnpm package` runs after the build)
 * builds the .deb, `dpkg -x` unpacks it into a throwaway root, and the installed binaries run on the system node.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "@presage/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const skip = spawnSync("sh", ["-c", "command -v dpkg-deb"]).status !== 0 ? "dpkg-deb is not installed" : null;

describe.skipIf(skip)("pnpm package: the .deb", () => {
  let out: string;
  let root: string;
  let deb: string;
  const run = (bin: string, args: string[]) =>
    spawnSync("node", [join(root, "usr/bin", bin), ...args], { encoding: "utf8", timeout: 60_000 });

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "presage-pkg-"));
    execFileSync("node", [join(ROOT, "scripts/package.mjs")], {
      env: { ...process.env, PRESAGE_RELEASE_DIR: out },
      stdio: "pipe",
    });
    deb = join(out, `presage_${version}_all.deb`);
    root = join(out, "root");
    execFileSync("dpkg-deb", ["-x", deb, root]);
  }, 180_000);
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("declares Node >= 20, marks every /etc/presage file a conffile, ships no node_modules", () => {
    const field = (f: string) => execFileSync("dpkg-deb", ["-f", deb, f], { encoding: "utf8" }).trim();
    expect(field("Package")).toBe("presage");
    expect(field("Version")).toBe(version);
    expect(field("Depends")).toMatch(/nodejs \(>= 20\)/);
    const files = execFileSync("dpkg-deb", ["-c", deb], { encoding: "utf8" });
    expect(files).not.toMatch(/node_modules|\/src\/|\.test\.|\.ts\b/);
    execFileSync("dpkg-deb", ["-e", deb, join(out, "ctl")]);
    const conffiles = readFileSync(join(out, "ctl/conffiles"), "utf8");
    const etc = readdirSync(join(root, "etc/presage")).map((f) => `/etc/presage/${f}`);
    expect(etc).toEqual(expect.arrayContaining(["/etc/presage/agent.json", "/etc/presage/controller.json"]));
    expect(conffiles.trim().split("\n").sort()).toEqual(etc.sort());
    for (const u of ["presage-agent", "presage-controller", "presage-qemu-host"])
      expect(readdirSync(join(root, "lib/systemd/system"))).toContain(`${u}.service`);
    const sysusers = readFileSync(join(root, "usr/lib/sysusers.d/presage.conf"), "utf8");
    expect(sysusers).toMatch(/^u presage /m);
    expect(sysusers).toMatch(/^m presage ipmi$/m);
    expect(sysusers).toMatch(/^m presage libvirt$/m);
    for (const b of ["presage", "presage-agent", "presage-controller", "presage-qemu-host"])
      expect(readlinkSync(join(root, "usr/bin", b))).toBe(`../lib/presage/${b}.mjs`);
  });

  it("every binary's --help runs from the installed tree", () => {
    const r = run("presage", ["--help"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: presage <command>/);
    for (const [bin, text] of [
      ["presage-agent", /presage-agent run/],
      ["presage-controller", /presage-controller check-config/],
      ["presage-qemu-host", /usage: presage-qemu-host/],
    ] as const) {
      const h = run(bin, ["--help"]);
      expect(h.status, `${bin} --help: ${h.stderr}`).toBe(0);
      expect(h.stdout).toMatch(text);
    }
  });

  it("presage-agent sensors reads the simulated source", () => {
    const cfg = join(out, "agent.json");
    writeFileSync(cfg, JSON.stringify({ host: "lab1", sources: [{ kind: "simulated", seed: 3 }] }));
    const r = run("presage-agent", ["sensors", "--config", cfg, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const snap = JSON.parse(r.stdout);
    const readings = (Array.isArray(snap) ? snap : [snap]).flatMap((s: { readings: unknown[] }) => s.readings);
    expect(readings.length).toBeGreaterThan(5);
    expect(JSON.stringify(readings)).toMatch(/"FAN1"/);
  });

  it("presage-controller check-config accepts the shipped sample and names the bad key of a broken one", () => {
    const ok = run("presage-controller", ["check-config", "--config", join(root, "etc/presage/controller.json")]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^config ok: engine libvirt \(3 hosts/);
    const bad = join(out, "bad.json");
    writeFileSync(bad, JSON.stringify({ engine: { kind: "libvirt" }, concurrency: { perSource: 0 } }));
    const r = run("presage-controller", ["check-config", "--config", bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/concurrency\.perSource/);
  });

  it("the installed controller serves the dashboard from the installed files", async () => {
    const index = readFileSync(join(root, "usr/share/presage/web/index.html"), "utf8");
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(index)?.[1] as string;
    expect(asset).toBeTruthy();
    const nats = await startNatsServer();
    const cfg = join(out, "controller-http.json");
    writeFileSync(
      cfg,
      JSON.stringify({ nats: { url: nats.url }, engine: { kind: "sim" }, http: { listen: "127.0.0.1:0" } }),
    );
    const child = spawn("node", [join(root, "usr/bin/presage-controller"), "run", "--config", cfg], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let log = "";
      child.stderr.on("data", (d) => (log += d));
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no dashboard URL in the log: ${log}`)), 60_000);
        child.stderr.on("data", () => {
          const m = /"url":"(http:\/\/[^"]+)"/.exec(log);
          if (m) {
            clearTimeout(t);
            resolve(m[1] as string);
          }
        });
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(index);
      const js = await fetch(new URL(asset, url));
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toMatch(/javascript/);
      const hosts = await fetch(new URL("api/ops/hosts", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect([200, 503]).toContain(hosts.status);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await nats.stop();
    }
  }, 90_000);

  it("the lab agent sample parses (detect.profile lab)", () => {
    const r = run("presage-agent", ["sensors", "--config", join(root, "etc/presage/agent-lab.json")]);
    expect(r.status, r.stderr).toBe(0);
  });

  it("both installed daemons bind metrics.listen (prom-client bundled) before they try NATS", () => {
    for (const [bin, extra] of [
      ["presage-agent", { host: "h1" }],
      ["presage-controller", {}],
    ] as const) {
      const cfg = join(out, `${bin}-metrics.json`);
      writeFileSync(
        cfg,
        JSON.stringify({ ...extra, metrics: { listen: "127.0.0.1:0" }, nats: { url: "nats://127.0.0.1:1" } }),
      );
      const r = run(bin, ["run", "--config", cfg]);
      expect(r.status, r.stderr).toBe(3); // no NATS there
      expect(r.stderr).toMatch(/"msg":"metrics on 127\.0\.0\.1:[1-9]\d*"/);
    }
  });
});
