/**
 * `presage-controller check-config`: what `run` would refuse, found without connecting anywhere (the unit's
 * ExecStartPre=, and an operator editing /etc/presage/controller.json). Loads and validates the file like `run`
 * (env overrides included), then the engine-level rules `createEngine` enforces.
 */

import { ConfigError } from "@presage/shared";
import { redactUrl } from "./alertmanager/client.js";
import { type ControllerConfig, loadControllerConfig } from "./config.js";
import { loadFleet } from "./migration/index.js";

export type ConfigSummary = { ok: true; file: string | null; summary: string; config: ControllerConfig };

function dashboardOf(cfg: ControllerConfig): string {
  if (!cfg.http.listen) return "dashboard off";
  const logins = Object.keys(cfg.http.tokens).length;
  return `dashboard on ${cfg.http.listen} (${logins ? `${logins} login${logins > 1 ? "s" : ""}` : "read-only"})`;
}

/** Throws ConfigError naming the key; returns a one-line summary of what the controller would run. */
export function checkControllerConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigSummary {
  const cfg = loadControllerConfig(file, env);
  const e = cfg.engine;
  let engine: string;
  if (e.kind === "qemu" || e.kind === "libvirt") {
    const hosts = e[e.kind].hosts;
    if (!hosts.length)
      throw new ConfigError(`engine.${e.kind}.hosts is empty: list the hypervisors (docs/configuration.md)`);
    const names = hosts.map((h) => h.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new ConfigError(`engine.${e.kind}.hosts names ${dup} twice`);
    engine = `${e.kind} (${hosts.length} hosts: ${names.join(", ")}; state in ${e[e.kind].stateDir})`;
  } else if (e.kind === "sim") {
    const fleet = e.sim.fleetFile ? loadFleet(e.sim.fleetFile) : null;
    engine = fleet
      ? `sim (${fleet.hosts.length} hosts from ${e.sim.fleetFile})`
      : `sim (${e.sim.hosts} generated hosts)`;
  } else engine = `remote (subjects ${e.remote.prefix}.>)`;
  const summary =
    `config ok: engine ${engine}; nats ${cfg.nats.url}; policy ${cfg.policy.mode}; leader election ${cfg.leader.enabled ? "on" : "off"}` +
    `; metrics ${cfg.metrics.listen ?? "off"}; alertmanager ${cfg.alertmanager.url ? redactUrl(cfg.alertmanager.url) : "off"}; ${dashboardOf(cfg)}`;
  return { ok: true, file: file ?? null, summary, config: cfg };
}
