import { describe, expect, it } from "vitest";
import { Metrics, parseListen, serveMetrics } from "../src/index.js";

describe("metrics - registry", () => {
  it("metrics - declared families show from start-up with HELP and TYPE; build info and process metrics", async () => {
    const m = new Metrics("agent", [
      { name: "x_total", help: "Things.", type: "counter", labels: ["k"] },
      { name: "x_seconds", help: "Durations.", type: "histogram", buckets: [1, 2] },
    ]);
    const text = await m.render();
    expect(text).toContain("# HELP x_total Things.\n# TYPE x_total counter");
    expect(text).toContain("# TYPE x_seconds histogram");
    expect(text).toMatch(/^presage_build_info\{version="[^"]+",component="agent",nodejs="[^"]+"\} 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    // every family has HELP (promtool's rule); none is a gauge named like a counter
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
    for (const [, name, type] of types) {
      expect(text, name).toContain(`# HELP ${name} `);
      if (type !== "counter") expect(name).not.toMatch(/_total$/);
    }
  });

  it("metrics - inc, set, observe, zero and reads; an undeclared family or label is an error, not a new series", async () => {
    const m = new Metrics("controller", [
      { name: "c_total", help: "C.", type: "counter", labels: ["k"] },
      { name: "g", help: "G.", type: "gauge" },
      { name: "h_seconds", help: "H.", type: "histogram", labels: ["k"], buckets: [0.1, 1] },
    ]);
    m.zero("c_total", { k: "b" });
    m.inc("c_total", { k: "a" }, 2);
    m.set("g", 5);
    m.observe("h_seconds", 0.5, { k: "a" });
    m.observe("h_seconds", 3, { k: "a" });
    expect(await m.get("c_total", { k: "a" })).toBe(2);
    expect(await m.get("c_total", { k: "b" })).toBe(0);
    expect(await m.total("c_total")).toBe(2);
    expect(await m.get("g")).toBe(5);
    expect(await m.get("h_seconds", { k: "a" })).toBe(2);
    expect(await m.render()).toContain('c_total{k="b"} 0');
    expect(() => m.inc("nope_total")).toThrow(/not a declared counter/);
    expect(() => m.set("c_total", 1)).toThrow(/not a declared gauge/);
    expect(() => m.inc("c_total", { other: "x" })).toThrow();
  });

  it("metrics - a scrape-time family is read from live state on every render", async () => {
    const m = new Metrics("agent");
    let n = 1;
    m.collected({ name: "live", help: "Live.", labels: ["k"] }, (set) => set(n, { k: "x" }));
    expect(await m.render()).toContain('live{k="x"} 1');
    n = 7;
    expect(await m.render()).toContain('live{k="x"} 7');
    // a family whose state cannot be read shows empty and is counted; the rest of the scrape is served
    m.collected({ name: "broken", help: "Broken." }, () => {
      throw new Error("no state");
    });
    expect(await m.render()).toContain('live{k="x"} 7');
    // (the counter is rendered before the broken family runs: the next scrape shows the count)
    expect(await m.render()).toContain('presage_metrics_collect_errors_total{family="broken"} 2');
  });
});

describe("metrics - server", () => {
  it("metrics - HOST:PORT with port 0 binds a free port and reports it; query strings are ignored; others 404", async () => {
    const m = new Metrics("agent", [{ name: "y_total", help: "Y.", type: "counter" }]);
    const s = await serveMetrics(m, "127.0.0.1:0");
    try {
      expect(s.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      const r = await fetch(`http://${s.address}/metrics?x=1&y`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await r.text()).toContain("y_total 0");
      const other = await fetch(`http://${s.address}/other`);
      expect(other.status).toBe(404);
      expect(await other.text()).toMatch(/try GET \/metrics/);
    } finally {
      await s.close();
    }
  });

  it("metrics - listen strings: host names, IPv4, bracketed IPv6; a clear error otherwise", () => {
    expect(parseListen("0.0.0.0:9290")).toEqual({ host: "0.0.0.0", port: 9290 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen("localhost:80")).toEqual({ host: "localhost", port: 80 });
    for (const bad of ["9290", ":9290", "host:", "host:70000", "a b:1", "[::1:1"])
      expect(() => parseListen(bad), bad).toThrow(/is not HOST:PORT/);
  });

  it("metrics - an address in use is a PresageError naming it and the key to change", async () => {
    const m = new Metrics("agent");
    const s = await serveMetrics(m, "127.0.0.1:0");
    try {
      await expect(serveMetrics(m, s.address)).rejects.toThrow(
        `metrics address ${s.address} is already in use (another process holds it): set another metrics.listen, or stop that process`,
      );
    } finally {
      await s.close();
    }
  });
});
