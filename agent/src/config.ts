/**
 * Agent configuration: one JSON file lists the host's sensor sources (or, for a rack agent, many
 * remote BMCs, each reporting as its own host). Defaults first, then the file, then env. Unknown
 * keys anywhere (including inside a source) fail loading with the key's path. docs/agent.md
 * documents every key.
 */
import { hostname } from "node:os";
import { type Check, check, hostNameError, loadConfig, type NatsSettings } from "@presage/shared";
import { DEFAULT_DETECT_CONFIG, type DetectConfig, detectConfigCheck } from "./detect/config.js";

/** Credentials for a remote BMC: a password file (mode 0600) or an environment variable, never argv. */
export type BmcCredentials = {
  user?: string;
  /** file holding the password (first line) */
  passwordFile?: string;
  /** name of an environment variable holding the password */
  passwordEnv?: string;
};

type SourceCommon = {
  /** host the readings belong to; default: the agent's `host` */
  host?: string;
  /** wall-clock limit for one poll of this source, ms; default: the agent's `sourceTimeoutMs` */
  timeoutMs?: number;
};

export type IpmitoolSourceConfig = SourceCommon &
  BmcCredentials & {
    kind: "ipmitool";
    /** `open` = in-band (/dev/ipmi0), `lanplus` = IPMI 2.0 over the network, `lan` = IPMI 1.5 */
    interface?: "open" | "lanplus" | "lan";
    /** BMC address (lan/lanplus) */
    address?: string;
    /** UDP port, default 623 */
    port?: number;
    /** lanplus cipher suite (-C), default 3 */
    cipherSuite?: number;
    /** `sdr-elist` (fast) or `sensor` (with thresholds), default `sensor` */
    command?: "sdr-elist" | "sensor";
    /** path of the ipmitool binary (or a sudo wrapper) */
    bin?: string;
  };

export type FreeipmiSourceConfig = SourceCommon &
  BmcCredentials & {
    kind: "freeipmi";
    /** `ipmi-sensors` (with thresholds) or `ipmimonitoring`, default `ipmi-sensors` */
    tool?: "ipmi-sensors" | "ipmimonitoring";
    /** BMC address; absent = in-band */
    address?: string;
    port?: number;
    /** `LAN_2_0` (default for remote) or `LAN` */
    driverType?: "LAN_2_0" | "LAN";
    /** FreeIPMI -W workarounds, default `opensesspriv` for LAN_2_0 */
    workaround?: string;
    /** SDR cache directory (created if missing); default $XDG_CACHE_HOME or ~/.cache/presage/sdr */
    sdrCacheDir?: string;
    /** directory holding ipmi-sensors/ipmimonitoring (default: PATH) */
    binDir?: string;
  };

export type RedfishSourceConfig = SourceCommon &
  BmcCredentials & {
    kind: "redfish";
    /** e.g. https://10.0.0.5 */
    url: string;
    /** `session` (POST SessionService/Sessions, X-Auth-Token) or `basic`; default `session` */
    auth?: "session" | "basic";
    /** PEM CA bundle for the BMC's certificate */
    caFile?: string;
    /** accept any certificate (self-signed BMCs); default false */
    insecure?: boolean;
  };

export type LocalSourceConfig = SourceCommon & { kind: "local" };

export type SimulatedSourceConfig = SourceCommon & {
  kind: "simulated";
  seed: number;
  vendor?: string;
  /** passed to the host model's injectFault, e.g. { kind: "fan-bearing", sensor: "FAN3", startMs, durationMs } */
  faults?: Record<string, unknown>[];
};

export type SourceConfig =
  | IpmitoolSourceConfig
  | FreeipmiSourceConfig
  | RedfishSourceConfig
  | LocalSourceConfig
  | SimulatedSourceConfig;

export type AgentConfig = {
  /** host name readings and events are published under (NATS-token-safe) */
  host: string;
  nats: NatsSettings;
  /** how often every source is polled, ms */
  pollIntervalMs: number;
  /** how often a heartbeat is published, ms */
  heartbeatIntervalMs: number;
  /** default wall-clock limit for one poll of a source, ms */
  sourceTimeoutMs: number;
  /** failed polls in a row before a `warning` event with component `sensor` */
  failureThreshold: number;
  /** longest wait between polls of a failing source, ms (backoff doubles up to this) */
  maxBackoffMs: number;
  sources: SourceConfig[];
  /** detection settings passed to createDetector (docs/detection.md) */
  detect: Partial<DetectConfig>;
  /**
   * simulated time: speed > 1 runs faster than the wall clock, startMs sets the simulated start,
   * realStartMs the wall time it corresponds to (so several processes share one timeline)
   */
  clock: { speed: number; startMs: number | null; realStartMs?: number | null };
};

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
  clock: { speed: 1, startMs: null, realStartMs: null },
} satisfies AgentConfig;

/** An object check that also rejects keys it does not know. */
function strict(fields: Record<string, Check>): Check {
  const inner = check.obj(fields);
  return (v, p) => {
    const e = inner(v, p);
    if (e) return e;
    const extra = Object.keys(v as object).filter((k) => !(k in fields));
    return extra.length ? `${p ? `${p}.` : ""}${extra[0]} is not a known key${p ? ` of ${p}` : ""}` : null;
  };
}

const opt = check.optional;
const str = check.str({ min: 1 });
const common = { kind: str, host: opt(check.host()), timeoutMs: opt(check.int({ min: 100 })) };
const creds = { user: opt(check.str()), passwordFile: opt(str), passwordEnv: opt(str) };
const port = opt(check.int({ min: 1, max: 65_535 }));

const sourceChecks: Record<SourceConfig["kind"], Check> = {
  ipmitool: strict({
    ...common,
    ...creds,
    interface: opt(check.oneOf(["open", "lanplus", "lan"])),
    address: opt(str),
    port,
    cipherSuite: opt(check.int({ min: 0, max: 17 })),
    command: opt(check.oneOf(["sdr-elist", "sensor"])),
    bin: opt(str),
  }),
  freeipmi: strict({
    ...common,
    ...creds,
    tool: opt(check.oneOf(["ipmi-sensors", "ipmimonitoring"])),
    address: opt(str),
    port,
    driverType: opt(check.oneOf(["LAN_2_0", "LAN"])),
    workaround: opt(str),
    sdrCacheDir: opt(str),
    binDir: opt(str),
  }),
  redfish: strict({
    ...common,
    ...creds,
    url: (v, p) => (typeof v === "string" && /^https?:\/\/./.test(v) ? null : `${p} must be an http(s):// URL`),
    auth: opt(check.oneOf(["session", "basic"])),
    caFile: opt(str),
    insecure: opt(check.bool()),
  }),
  local: strict(common),
  simulated: strict({
    ...common,
    seed: check.int(),
    vendor: opt(str),
    faults: opt(check.array(check.obj({}))),
  }),
};

const sourceCheck: Check = (v, p) => {
  const kind = (v as { kind?: unknown } | null)?.kind;
  const c = typeof kind === "string" ? sourceChecks[kind as SourceConfig["kind"]] : undefined;
  if (!c) return `${p}.kind must be one of ${Object.keys(sourceChecks).join(", ")}`;
  const e = c(v, p);
  if (e) return e;
  const s = v as SourceConfig;
  if (s.kind === "ipmitool" && s.interface !== undefined && s.interface !== "open" && !s.address)
    return `${p}.address is required for interface ${s.interface}`;
  return null;
};

export const agentConfigCheck: Check = check.obj({
  host: (v, p) => (hostNameError(v) ? `${p}: ${hostNameError(v)}` : null),
  nats: strict({
    url: str,
    user: opt(check.str()),
    pass: opt(check.str()),
    token: opt(check.str()),
    creds: opt(str),
    tls: opt(check.nullable(strict({ ca: opt(str), cert: opt(str), key: opt(str) }))),
    name: opt(str),
    inboxPrefix: opt(str),
  }),
  pollIntervalMs: check.int({ min: 1 }),
  heartbeatIntervalMs: check.int({ min: 1 }),
  sourceTimeoutMs: check.int({ min: 100 }),
  failureThreshold: check.int({ min: 1 }),
  maxBackoffMs: check.int({ min: 1 }),
  sources: check.array(sourceCheck, { max: 1_000 }),
  detect: (v, p) => {
    const e = detectConfigCheck(v, p);
    if (e) return e;
    const extra = Object.keys(v as object).find((k) => !(k in DEFAULT_DETECT_CONFIG));
    return extra ? `${p}.${extra} is not a known detection setting (docs/detection.md)` : null;
  },
  clock: strict({
    speed: check.num({ min: 0.001 }),
    startMs: check.nullable(check.int({ min: 0 })),
    realStartMs: check.optional(check.nullable(check.int({ min: 0 }))),
  }),
});

export const AGENT_ENV = {
  PRESAGE_HOST: "host",
  NATS_URL: "nats.url",
  NATS_USER: "nats.user",
  NATS_PASS: "nats.pass",
  NATS_CREDS: "nats.creds",
  PRESAGE_POLL_INTERVAL_MS: "pollIntervalMs",
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
