/**
 * Controller configuration: defaults, then a JSON file, then environment variables, validated by
 * shared `loadConfig` (unknown keys and bad values fail with the key's name). All durations are
 * milliseconds of the controller's clock, which a demo may run faster than real time.
 */
import {
  checkOf,
  type DeepPartial,
  ListenOrNull,
  loadConfig,
  NatsSettingsSchema,
  OneOf,
  refine,
  type Static,
  Strict,
  Type,
  withOverrides,
} from "@presage/shared";

export type { DeepPartial } from "@presage/shared";

import { DEFAULT_MOVE_PRICE } from "./balance/cost.js";
import { defaultEngineConfig, EngineConfigSchema } from "./migration/index.js";

export const PolicyMode = { Automatic: "automatic", Manual: "manual", Monitor: "monitor" } as const;
export type PolicyMode = (typeof PolicyMode)[keyof typeof PolicyMode];

const Mode = () => OneOf(PolicyMode);
const Pos = () => Type.Integer({ minimum: 1 });
const MsOrNull = () => Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]);
const Frac = () => Type.Number({ minimum: 0, maximum: 0.95 });
const MapOf = <T extends Parameters<typeof Type.Record>[1]>(v: T) => Type.Record(Type.String(), v);

export const ControllerConfigSchema = Strict({
  nats: NatsSettingsSchema,
  /** replica name (lease holder id, audit actor); default the host name + pid */
  name: Type.String({ minLength: 1, maxLength: 128 }),
  /** passed to the migration engine factory (`createEngine`, migration/index.ts) */
  engine: EngineConfigSchema,
  /** VM id -> placement attributes the hypervisor does not know */
  vms: MapOf(
    Strict({
      priority: Type.Optional(Type.Number()),
      antiAffinityGroup: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()])),
    }),
  ),
  policy: Strict({
    mode: Mode(),
    /** host name -> mode */
    hosts: MapOf(Mode()),
    /** group name -> mode, with `hostGroups` saying which hosts are in which group */
    groups: MapOf(Mode()),
    hostGroups: MapOf(Type.String({ minLength: 1 })),
  }),
  headroom: Strict({ cpu: Frac(), memory: Frac() }),
  concurrency: Strict({
    /** migrations at once off one host */
    perSource: Pos(),
    /** migrations at once onto one host */
    perTarget: Pos(),
    fleet: Pos(),
  }),
  brake: Strict({
    /** at most this many hosts in remediation at once */
    maxHosts: Pos(),
    /** and at most this percent of the fleet */
    maxPercent: Type.Number({ minimum: 0, maximum: 100 }),
  }),
  /**
   * one cooling incident, not many sick hosts (common-cause.ts): environment-caused criticals from `rackMinHosts`
   * hosts of a rack, or `fleetMinPercent` of the fleet, within `windowMs` hold those hosts; a lone one waits
   * `settleMs` before it is evacuated
   */
  commonCause: Strict({
    rackMinHosts: Type.Integer({ minimum: 2 }),
    fleetMinPercent: Type.Number({ minimum: 0, maximum: 100 }),
    windowMs: Type.Integer({ minimum: 0 }),
    settleMs: Type.Integer({ minimum: 0 }),
  }),
  /** `maxPerHost`: alerts (open and cleared) kept per host; runtime/alert-book.ts */
  alerts: Strict({ escalationIntervalMs: Pos(), maxPerHost: Pos() }),
  returns: Strict({ gracePeriodMs: Type.Integer({ minimum: 0 }), waveSize: Pos() }),
  heartbeat: Strict({ lostAfterMs: Pos() }),
  leader: Strict({ enabled: Type.Boolean(), leaseTtlMs: Type.Integer({ minimum: 500 }) }),
  reconcile: Strict({ intervalMs: Pos() }),
  migration: Strict({
    bandwidthBps: MsOrNull(),
    downtimeLimitMs: MsOrNull(),
    deadlineMs: MsOrNull(),
    /** a VM whose migration failed is planned again after this long */
    retryAfterMs: Type.Integer({ minimum: 0 }),
  }),
  rebalance: Strict({
    intervalMs: MsOrNull(),
    maxMoves: Pos(),
    aggressiveness: Type.Enum([1, 2, 3, 4, 5]),
    cooldownMs: Type.Integer({ minimum: 0 }),
    /** the cost-benefit price of a move, in imbalance-hours (balance/cost.ts) */
    pricePerMove: Type.Number({ minimum: 0 }),
    pricePerGiB: Type.Number({ minimum: 0 }),
    /** how long a move's gain is expected to last */
    gainHorizonMs: Pos(),
  }),
  /** readings kept per sensor for `presage host` sparklines (the per-sensor cap) */
  readingsHistory: Type.Integer({ minimum: 1, maximum: 10_000 }),
  /** bounds on what one host's agent can make the controller keep in memory */
  telemetry: Strict({ maxSensorsPerHost: Type.Integer({ minimum: 1, maximum: 100_000 }) }),
  /** how far an agent's event timestamp may stray from the controller's clock before it is refused */
  events: Strict({ maxAheadMs: Type.Integer({ minimum: 0 }), maxBehindMs: Type.Integer({ minimum: 0 }) }),
  /** ping the NATS server this often and reconnect after this many unanswered pings (dead peer in seconds) */
  natsLiveness: Strict({ pingIntervalMs: Type.Integer({ minimum: 100 }), maxPingOut: Pos() }),
  /** Prometheus /metrics: "HOST:PORT", port 0 = any free port (logged); null = off */
  metrics: Strict({ listen: ListenOrNull() }),
  /**
   * Alertmanager both ways (null url = off): open alerts pushed to its v2 API every intervalMs (resolved when
   * cleared), a silence per acknowledged alert, and an alert acknowledged when a silence there matches it
   */
  alertmanager: Strict({
    url: Type.Union([
      refine(
        Type.String(),
        (v) => /^https?:\/\//.test(v) && URL.canParse(v),
        (v, p) => `${p}: ${JSON.stringify(v)} is not an http(s) URL (e.g. "http://alertmanager:9093")`,
      ),
      Type.Null(),
    ]),
    intervalMs: Type.Integer({ minimum: 1_000 }),
    timeoutMs: Type.Integer({ minimum: 100 }),
    /** how long a silence created for an ack lasts */
    silenceMs: Type.Integer({ minimum: 60_000 }),
  }),
  /** the dashboard (controller/src/http/): "HOST:PORT" (port 0: any free port, logged); null = off */
  http: Strict({
    listen: ListenOrNull(),
    /** operator name -> "sha256:<hex>" of the token they log in with; without one the dashboard is read-only */
    tokens: MapOf(Type.String({ pattern: "^sha256:[0-9a-f]{64}$" })),
    /** a login lasts this long */
    sessionTtlMs: Type.Integer({ minimum: 60_000 }),
  }),
  /** run the controller's clock this many times faster than real time (demo, tests); 1 in production */
  clockSpeed: Type.Number({ minimum: 0.001, maximum: 10_000 }),
  /**
   * a scaled clock's epoch: simulated time `startMs` at wall time `realStartMs` (null: the process's start), so
   * the agents, hypervisor and both controllers of a simulated run share one timeline across restarts
   */
  clockStart: Strict({
    startMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    realStartMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  }),
});
export type ControllerConfig = Static<typeof ControllerConfigSchema>;
export const controllerConfigCheck = checkOf(ControllerConfigSchema);

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
    // a rack's hosts report a cooling failure within a few polls of each other; 5 min delays a blocked front
    // panel's evacuation (no host at fault, nothing failing within minutes) so that its rack-mates can speak
    commonCause: { rackMinHosts: 3, fleetMinPercent: 5, windowMs: 15 * 60_000, settleMs: 5 * 60_000 },
    // a host has a few dozen sensors that can alert; far more alerts means a flapping or hostile agent
    alerts: { escalationIntervalMs: 15 * 60_000, maxPerHost: 100 },
    returns: { gracePeriodMs: 10 * 60_000, waveSize: 4 },
    heartbeat: { lostAfterMs: 60_000 },
    leader: { enabled: true, leaseTtlMs: 6_000 },
    reconcile: { intervalMs: 2_000 },
    migration: { bandwidthBps: null, downtimeLimitMs: null, deadlineMs: null, retryAfterMs: 30_000 },
    rebalance: {
      intervalMs: null,
      maxMoves: 5,
      aggressiveness: 3,
      cooldownMs: 30 * 60_000,
      pricePerMove: DEFAULT_MOVE_PRICE.perMove,
      pricePerGiB: DEFAULT_MOVE_PRICE.perGiB,
      gainHorizonMs: DEFAULT_MOVE_PRICE.gainHours * 3_600_000,
    },
    readingsHistory: 60,
    // real BMCs expose 30-300 sensors; far more means a broken or hostile agent
    telemetry: { maxSensorsPerHost: 1_000 },
    events: { maxAheadMs: 10 * 60_000, maxBehindMs: 7 * 24 * 3_600_000 },
    natsLiveness: { pingIntervalMs: 2_000, maxPingOut: 2 },
    metrics: { listen: null },
    alertmanager: { url: null, intervalMs: 15_000, timeoutMs: 5_000, silenceMs: 24 * 3_600_000 },
    http: { listen: null, tokens: {}, sessionTtlMs: 12 * 3_600_000 },
    clockSpeed: 1,
    clockStart: { startMs: null, realStartMs: null },
  };
}

/** A full config from partial overrides (tests, demo), validated like a file. */
export function controllerConfig(over: DeepPartial<ControllerConfig> = {}): ControllerConfig {
  const cfg = withOverrides(defaultControllerConfig(), over);
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
      PRESAGE_METRICS_LISTEN: "metrics.listen",
      PRESAGE_ALERTMANAGER_URL: "alertmanager.url",
      PRESAGE_HTTP_LISTEN: "http.listen",
    },
    openKeys: ["vms", "http.tokens", "policy.hosts", "policy.groups", "policy.hostGroups", "nats"],
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
