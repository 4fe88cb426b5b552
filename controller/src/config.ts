/**
 * Controller configuration: defaults, then a JSON file, then environment variables, validated by
 * shared `loadConfig` (unknown keys and bad values fail with the key's name). All durations are
 * milliseconds of the controller's clock, which a demo may run faster than real time.
 */
import { type Check, check, loadConfig, type NatsSettings } from "@presage/shared";
import { defaultEngineConfig, type EngineConfig, engineConfigCheck } from "./migration/index.js";
import type { Headroom } from "./model.js";

export const PolicyMode = { Automatic: "automatic", Manual: "manual", Monitor: "monitor" } as const;
export type PolicyMode = (typeof PolicyMode)[keyof typeof PolicyMode];

export type ControllerConfig = {
  nats: NatsSettings;
  /** replica name (lease holder id, audit actor); default the host name + pid */
  name: string;
  /** passed to the migration engine factory (`createEngine`, migration/index.ts) */
  engine: EngineConfig;
  /** VM id -> placement attributes the hypervisor does not know */
  vms: Record<string, { priority?: number; antiAffinityGroup?: string | null }>;
  policy: {
    mode: PolicyMode;
    /** host name -> mode */
    hosts: Record<string, PolicyMode>;
    /** group name -> mode, with `hostGroups` saying which hosts are in which group */
    groups: Record<string, PolicyMode>;
    hostGroups: Record<string, string>;
  };
  headroom: Headroom;
  concurrency: {
    /** migrations at once off one host */
    perSource: number;
    /** migrations at once onto one host */
    perTarget: number;
    fleet: number;
  };
  brake: {
    /** at most this many hosts in remediation at once */
    maxHosts: number;
    /** and at most this percent of the fleet */
    maxPercent: number;
  };
  alerts: { escalationIntervalMs: number };
  /** how far an agent's event timestamp may stray from the controller's clock before it is refused */
  events: { maxAheadMs: number; maxBehindMs: number };
  returns: { gracePeriodMs: number; waveSize: number };
  heartbeat: { lostAfterMs: number };
  leader: { enabled: boolean; leaseTtlMs: number };
  /** ping the NATS server this often and reconnect after this many unanswered pings (dead peer in seconds) */
  natsLiveness: { pingIntervalMs: number; maxPingOut: number };
  reconcile: { intervalMs: number };
  migration: {
    bandwidthBps: number | null;
    downtimeLimitMs: number | null;
    deadlineMs: number | null;
    /** a VM whose migration failed is planned again after this long */
    retryAfterMs: number;
  };
  rebalance: { intervalMs: number | null; maxMoves: number; aggressiveness: 1 | 2 | 3 | 4 | 5; cooldownMs: number };
  /** readings kept per sensor for `presage host` sparklines (the per-sensor cap) */
  readingsHistory: number;
  /** bounds on what one host's agent can make the controller keep in memory */
  telemetry: { maxSensorsPerHost: number };
  metricsPort: number | null;
  /** run the controller's clock this many times faster than real time (demo, tests); 1 in production */
  clockSpeed: number;
};

const mode = check.oneOf(Object.values(PolicyMode));
const pos = check.int({ min: 1 });
const msOrNull = check.nullable(check.int({ min: 1 }));
const frac = check.num({ min: 0, max: 0.95 });

function recordOf(c: Check): Check {
  return (v, p) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return `${p} must be an object`;
    for (const [k, x] of Object.entries(v)) {
      const e = c(x, `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };
}

export const controllerConfigCheck: Check = check.obj({
  nats: check.obj({ url: check.str({ min: 1 }) }),
  name: check.str({ min: 1, max: 128 }),
  engine: engineConfigCheck,
  vms: recordOf(
    check.obj({
      priority: check.optional(check.num()),
      antiAffinityGroup: check.optional(check.nullable(check.str({ min: 1, max: 128 }))),
    }),
  ),
  policy: check.obj({
    mode,
    hosts: recordOf(mode),
    groups: recordOf(mode),
    hostGroups: recordOf(check.str({ min: 1 })),
  }),
  headroom: check.obj({ cpu: frac, memory: frac }),
  concurrency: check.obj({ perSource: pos, perTarget: pos, fleet: pos }),
  brake: check.obj({ maxHosts: pos, maxPercent: check.num({ min: 0, max: 100 }) }),
  alerts: check.obj({ escalationIntervalMs: pos }),
  events: check.obj({ maxAheadMs: check.int({ min: 0 }), maxBehindMs: check.int({ min: 0 }) }),
  returns: check.obj({ gracePeriodMs: check.int({ min: 0 }), waveSize: pos }),
  heartbeat: check.obj({ lostAfterMs: pos }),
  leader: check.obj({ enabled: check.bool(), leaseTtlMs: check.int({ min: 500 }) }),
  natsLiveness: check.obj({ pingIntervalMs: check.int({ min: 100 }), maxPingOut: pos }),
  reconcile: check.obj({ intervalMs: pos }),
  migration: check.obj({
    bandwidthBps: msOrNull,
    downtimeLimitMs: msOrNull,
    deadlineMs: msOrNull,
    retryAfterMs: check.int({ min: 0 }),
  }),
  rebalance: check.obj({
    intervalMs: msOrNull,
    maxMoves: pos,
    aggressiveness: check.int({ min: 1, max: 5 }),
    cooldownMs: check.int({ min: 0 }),
  }),
  readingsHistory: check.int({ min: 1, max: 10_000 }),
  telemetry: check.obj({ maxSensorsPerHost: check.int({ min: 1, max: 100_000 }) }),
  metricsPort: check.nullable(check.int({ min: 0, max: 65_535 })),
  clockSpeed: check.num({ min: 0.001, max: 10_000 }),
});

export function defaultControllerConfig(): ControllerConfig {
  return {
    nats: { url: "nats://127.0.0.1:4222" },
    name: `controller-${process.pid}`,
    engine: structuredClone(defaultEngineConfig),
    vms: {},
    policy: { mode: PolicyMode.Automatic, hosts: {}, groups: {}, hostGroups: {} },
    headroom: { cpu: 0.1, memory: 0.1 },
    concurrency: { perSource: 2, perTarget: 2, fleet: 8 },
    brake: { maxHosts: 3, maxPercent: 20 },
    alerts: { escalationIntervalMs: 15 * 60_000 },
    events: { maxAheadMs: 10 * 60_000, maxBehindMs: 7 * 24 * 3_600_000 },
    returns: { gracePeriodMs: 10 * 60_000, waveSize: 4 },
    heartbeat: { lostAfterMs: 60_000 },
    leader: { enabled: true, leaseTtlMs: 6_000 },
    natsLiveness: { pingIntervalMs: 2_000, maxPingOut: 2 },
    reconcile: { intervalMs: 2_000 },
    migration: { bandwidthBps: null, downtimeLimitMs: null, deadlineMs: null, retryAfterMs: 30_000 },
    rebalance: { intervalMs: null, maxMoves: 5, aggressiveness: 3, cooldownMs: 30 * 60_000 },
    readingsHistory: 60,
    // real BMCs expose 30-300 sensors; far more means a broken or hostile agent
    telemetry: { maxSensorsPerHost: 1_000 },
    metricsPort: null,
    clockSpeed: 1,
  };
}

/** A full config from partial overrides (tests, demo), validated like a file. */
export function controllerConfig(over: DeepPartial<ControllerConfig> = {}): ControllerConfig {
  const cfg = deepMerge(defaultControllerConfig(), over) as ControllerConfig;
  const err = controllerConfigCheck(cfg, "");
  if (err) throw new Error(`invalid controller config: ${err}`);
  return cfg;
}

export function loadControllerConfig(file?: string, env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  return loadConfig<ControllerConfig>({
    defaults: defaultControllerConfig(),
    check: controllerConfigCheck,
    file,
    env,
    envMap: {
      NATS_URL: "nats.url",
      NATS_USER: "nats.user",
      NATS_PASS: "nats.pass",
      NATS_TOKEN: "nats.token",
      NATS_CREDS: "nats.creds",
      PRESAGE_CONTROLLER_NAME: "name",
      PRESAGE_POLICY_MODE: "policy.mode",
      PRESAGE_CLOCK_SPEED: "clockSpeed",
    },
    openKeys: ["vms", "policy.hosts", "policy.groups", "policy.hostGroups", "nats"],
  });
}

/** The policy that applies to a host: its own override, else its group's, else the fleet default. */
export function policyFor(cfg: ControllerConfig, host: string): PolicyMode {
  const own = cfg.policy.hosts[host];
  if (own) return own;
  const group = cfg.policy.hostGroups[host];
  const g = group ? cfg.policy.groups[group] : undefined;
  return g ?? cfg.policy.mode;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== "object" || base === null || Array.isArray(base)) return over === undefined ? base : over;
  if (typeof over !== "object" || over === null) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}
