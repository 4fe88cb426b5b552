/**
 * Agent configuration: one JSON file lists the host's sensor sources (or, for a rack agent, many
 * remote BMCs, each reporting as its own host). Defaults first, then the file, then env. Unknown
 * keys anywhere (including inside a source) fail loading with the key's path. docs/agent.md
 * documents every key.
 */
import { hostname } from "node:os";
import {
  checkOf,
  HostName,
  ListenOrNull,
  loadConfig,
  NatsSettingsSchema,
  refine,
  type Static,
  Strict,
  Tagged,
  Type,
} from "@presage/shared";
import { PartialDetectConfigSchema } from "./detect/config.js";

const Opt = Type.Optional;
const Str = () => Type.String({ minLength: 1 });
const Port = () => Opt(Type.Integer({ minimum: 1, maximum: 65_535 }));

/** Credentials for a remote BMC: a password file (mode 0600) or an environment variable, never argv. */
const credentials = {
  user: Opt(Type.String()),
  /** file holding the password (first line) */
  passwordFile: Opt(Str()),
  /** name of an environment variable holding the password */
  passwordEnv: Opt(Str()),
};
const CredentialsSchema = Type.Object(credentials);
export type BmcCredentials = Static<typeof CredentialsSchema>;

const common = {
  /** host the readings belong to; default: the agent's `host` */
  host: Opt(HostName()),
  /** wall-clock limit for one poll of this source, ms; default: the agent's `sourceTimeoutMs` */
  timeoutMs: Opt(Type.Integer({ minimum: 100 })),
};

const IpmitoolSource = refine(
  Strict({
    kind: Type.Literal("ipmitool"),
    ...common,
    ...credentials,
    /** `open` = in-band (/dev/ipmi0), `lanplus` = IPMI 2.0 over the network, `lan` = IPMI 1.5 */
    interface: Opt(Type.Enum(["open", "lanplus", "lan"])),
    /** BMC address (lan/lanplus) */
    address: Opt(Str()),
    /** UDP port, default 623 */
    port: Port(),
    /** lanplus cipher suite (-C), default 3 */
    cipherSuite: Opt(Type.Integer({ minimum: 0, maximum: 17 })),
    /** `sdr-elist` (fast) or `sensor` (with thresholds), default `sensor` */
    command: Opt(Type.Enum(["sdr-elist", "sensor"])),
    /** path of the ipmitool binary (or a sudo wrapper) */
    bin: Opt(Str()),
  }),
  (s) => s.interface === undefined || s.interface === "open" || !!s.address,
  (v, p) => `${p}.address is required for interface ${(v as { interface?: string }).interface}`,
);

const FreeipmiSource = Strict({
  kind: Type.Literal("freeipmi"),
  ...common,
  ...credentials,
  /** `ipmi-sensors` (with thresholds) or `ipmimonitoring`, default `ipmi-sensors` */
  tool: Opt(Type.Enum(["ipmi-sensors", "ipmimonitoring"])),
  /** BMC address; absent = in-band */
  address: Opt(Str()),
  port: Port(),
  /** `LAN_2_0` (default for remote) or `LAN` */
  driverType: Opt(Type.Enum(["LAN_2_0", "LAN"])),
  /** FreeIPMI -W workarounds, default `opensesspriv` for LAN_2_0 */
  workaround: Opt(Str()),
  /** SDR cache directory (created if missing); default $XDG_CACHE_HOME or ~/.cache/presage/sdr */
  sdrCacheDir: Opt(Str()),
  /** directory holding ipmi-sensors/ipmimonitoring (default: PATH) */
  binDir: Opt(Str()),
});

const RedfishSource = Strict({
  kind: Type.Literal("redfish"),
  ...common,
  ...credentials,
  /** e.g. https://10.0.0.5 */
  url: refine(
    Type.String(),
    (u) => /^https?:\/\/./.test(u),
    (_v, p) => `${p} must be an http(s):// URL`,
  ),
  /** `session` (POST SessionService/Sessions, X-Auth-Token) or `basic`; default `session` */
  auth: Opt(Type.Enum(["session", "basic"])),
  /** PEM CA bundle for the BMC's certificate */
  caFile: Opt(Str()),
  /** accept any certificate (self-signed BMCs); default false */
  insecure: Opt(Type.Boolean()),
});

const LocalSource = Strict({ kind: Type.Literal("local"), ...common });

const SimulatedSource = Strict({
  kind: Type.Literal("simulated"),
  ...common,
  seed: Type.Integer(),
  vendor: Opt(Str()),
  /** passed to the host model's injectFault, e.g. { kind: "fan-bearing", sensor: "FAN3", startMs, durationMs } */
  faults: Opt(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
});

export const SourceConfigSchema = Tagged("kind", [
  IpmitoolSource,
  FreeipmiSource,
  RedfishSource,
  LocalSource,
  SimulatedSource,
]);
export type IpmitoolSourceConfig = Static<typeof IpmitoolSource>;
export type FreeipmiSourceConfig = Static<typeof FreeipmiSource>;
export type RedfishSourceConfig = Static<typeof RedfishSource>;
export type LocalSourceConfig = Static<typeof LocalSource>;
export type SimulatedSourceConfig = Static<typeof SimulatedSource>;
export type SourceConfig = Static<typeof SourceConfigSchema>;

export const AgentConfigSchema = Strict({
  /** host name readings and events are published under (NATS-token-safe) */
  host: HostName(),
  nats: NatsSettingsSchema,
  /** how often every source is polled, ms */
  pollIntervalMs: Type.Integer({ minimum: 1 }),
  /** how often a heartbeat is published, ms */
  heartbeatIntervalMs: Type.Integer({ minimum: 1 }),
  /** default wall-clock limit for one poll of a source, ms */
  sourceTimeoutMs: Type.Integer({ minimum: 100 }),
  /** failed polls in a row before a `warning` event with component `sensor` */
  failureThreshold: Type.Integer({ minimum: 1 }),
  /** longest wait between polls of a failing source, ms (backoff doubles up to this) */
  maxBackoffMs: Type.Integer({ minimum: 1 }),
  sources: Type.Array(SourceConfigSchema, { maxItems: 1_000 }),
  /** detection settings passed to createDetector (docs/detection.md) */
  detect: PartialDetectConfigSchema,
  /**
   * simulated time: speed > 1 runs faster than the wall clock, startMs sets the simulated start,
   * realStartMs the wall time it corresponds to (so several processes share one timeline)
   */
  /** Prometheus /metrics (ipmi_exporter's families and presage_*): "HOST:PORT", port 0 = any; null = off */
  metrics: Strict({ listen: ListenOrNull() }),
  clock: Strict({
    speed: Type.Number({ minimum: 0.001 }),
    startMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    realStartMs: Opt(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  }),
});
export type AgentConfig = Static<typeof AgentConfigSchema>;
export const agentConfigCheck = checkOf(AgentConfigSchema);

/** Turn the machine's name into a NATS-token-safe host name (`db1.example.com` -> `db1`). */
export function defaultHostName(): string {
  return (hostname().split(".")[0] ?? "host").replace(/[^A-Za-z0-9_-]/g, "_") || "host";
}

export const AGENT_DEFAULTS = {
  host: defaultHostName(),
  nats: { url: "nats://127.0.0.1:4222" },
  pollIntervalMs: 10_000,
  heartbeatIntervalMs: 10_000,
  sourceTimeoutMs: 8_000,
  failureThreshold: 3,
  maxBackoffMs: 300_000,
  sources: [],
  detect: {},
  metrics: { listen: null },
  clock: { speed: 1, startMs: null, realStartMs: null },
} satisfies AgentConfig;

export const AGENT_ENV = {
  PRESAGE_HOST: "host",
  NATS_URL: "nats.url",
  NATS_USER: "nats.user",
  NATS_PASS: "nats.pass",
  NATS_CREDS: "nats.creds",
  PRESAGE_POLL_INTERVAL_MS: "pollIntervalMs",
  PRESAGE_METRICS_LISTEN: "metrics.listen",
};

export function loadAgentConfig(file?: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return loadConfig<AgentConfig>({
    defaults: structuredClone(AGENT_DEFAULTS) as AgentConfig,
    check: agentConfigCheck,
    file,
    env,
    envMap: AGENT_ENV,
    openKeys: ["nats", "detect"],
  });
}
