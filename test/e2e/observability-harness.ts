/**
 * The real parts of the observability test: Debian's prometheus and prometheus-alertmanager on random loopback
 * ports, a webhook receiver, and the built daemons as child processes whose chosen metrics address is read
 * from their log.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as netServer } from "node:net";
import { join } from "node:path";
import { poll } from "./harness.js";

export const ROOT = join(import.meta.dirname, "../..");
export const AGENT_BIN = join(ROOT, "agent/dist/bin/presage-agent.js");
export const CONTROLLER_BIN = join(ROOT, "controller/dist/bin/presage-controller.js");
export const CLI_BIN = join(ROOT, "cli/dist/bin/presage.js");

/** A loopback port free a moment ago (for the Go daemons, which cannot report a port 0 choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export type Proc = { child: ChildProcess; log: string; stop(): Promise<void> };

export function start(cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): Proc {
  const fd = openSync(log, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  child.once("error", (e) => writeFileSync(log, `spawn failed: ${e.message}\n`, { flag: "a" }));
  return {
    child,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** The address a daemon logged for `metrics.listen` port 0. */
export function metricsAddress(p: Proc): Promise<string> {
  return poll(
    `${p.log}: the metrics address`,
    () => {
      if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${readFileSync(p.log, "utf8")}`);
      return /"metrics":"http:\/\/([^"]+)\/metrics"/.exec(readFileSync(p.log, "utf8"))?.[1] ?? null;
    },
    60_000,
  );
}

export type Webhook = { url: string; received: { status: string; labels: Record<string, string> }[]; close(): void };

/** What Alertmanager delivers to a webhook receiver, alert by alert. */
export async function webhook(): Promise<Webhook> {
  const received: Webhook["received"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        const msg = JSON.parse(body) as { alerts: Webhook["received"] };
        received.push(...msg.alerts.map((a) => ({ status: a.status, labels: a.labels })));
      } catch {
        // not Alertmanager's shape: ignore
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() };
}

export async function startAlertmanager(dir: string, hookUrl: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const cfg = join(dir, "alertmanager.yml");
  writeFileSync(
    cfg,
    [
      "route:",
      "  receiver: test",
      "  group_by: [alertname, host]",
      "  group_wait: 1s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: test",
      "    webhook_configs:",
      `      - url: ${hookUrl}`,
      "        send_resolved: true",
      "",
    ].join("\n"),
  );
  const proc = start(
    "prometheus-alertmanager",
    [
      `--config.file=${cfg}`,
      `--storage.path=${join(dir, "am-data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    join(dir, "alertmanager.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await poll("alertmanager ready", () => fetch(`${url}/-/ready`).then((r) => r.ok), 60_000, 250);
  return { proc, url };
}

export async function startPrometheus(
  dir: string,
  targets: { agent: string; controller: string },
  alertmanager: string,
): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const cfg = join(dir, "prometheus.yml");
  writeFileSync(
    cfg,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      `rule_files: [${JSON.stringify(join(ROOT, "deploy/prometheus/presage-rules.yml"))}]`,
      "alerting:",
      `  alertmanagers: [{ static_configs: [{ targets: [${JSON.stringify(alertmanager.replace("http://", ""))}] }] }]`,
      "scrape_configs:",
      `  - { job_name: presage-agent, static_configs: [{ targets: [${JSON.stringify(targets.agent)}] }] }`,
      `  - { job_name: presage-controller, static_configs: [{ targets: [${JSON.stringify(targets.controller)}] }] }`,
      "",
    ].join("\n"),
  );
  const proc = start(
    "prometheus",
    [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, "prom-data")}`, `--web.listen-address=127.0.0.1:${port}`],
    join(dir, "prometheus.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await poll("prometheus ready", () => fetch(`${url}/-/ready`).then((r) => r.ok), 60_000, 250);
  return { proc, url };
}

export type Sample = { metric: Record<string, string>; value: [number, string] };

export async function query(prom: string, expr: string): Promise<Sample[]> {
  const r = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error ?? r.status}`);
  return body.data?.result ?? [];
}

/** `promtool check metrics` on a scrape: its complaints ("" when clean). */
export function promtoolCheck(text: string): Promise<string> {
  return new Promise((resolve) => {
    const p = execFile("promtool", ["check", "metrics"], (err, out, errOut) =>
      resolve(err || out || errOut ? `${out}${errOut}${err && !out && !errOut ? err.message : ""}` : ""),
    );
    p.stdin?.end(text);
  });
}

export function cli(natsUrl: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { timeout: 30_000, env: { ...process.env, NATS_URL: natsUrl } },
      (err, out, errOut) =>
        err ? reject(new Error(`presage ${args.join(" ")}: ${errOut || err.message}`)) : resolve(out),
    ),
  );
}
