/**
 * Engine selection from config. The controller embeds `engine: defaultEngineConfig` in its config
 * defaults and `engine: EngineConfigSchema` in its config schema, then calls `createEngine`.
 */
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Clock, ConfigError, type Logger, type Static, Strict, Type, validate } from "@presage/shared";
import { QEMU_ENGINE_DEFAULTS, REAL_ENGINE_DEFAULTS, SIM_ENGINE_DEFAULTS } from "./defaults.js";
import type { MigrationEngine } from "./engine.js";
import { LibvirtEngine } from "./libvirt/engine.js";
import { LibvirtHostSpecSchema } from "./libvirt/parse.js";
import { QemuEngine } from "./qemu/engine.js";
import { QemuHostSpecSchema } from "./qemu/host.js";
import { QemuHelperClient } from "./qemu/host-client.js";
import { RemoteEngine } from "./remote/engine.js";
import { DEFAULT_ENGINE_PREFIX } from "./remote/protocol.js";
import { SimEngine, type SimFleet } from "./sim/engine.js";
import { fleetCheck, generateFleet } from "./sim/fleet.js";
import { NonConvergencePolicySchema } from "./sim/model.js";

const Ms = () => Type.Number({ minimum: 0 });
const Pos = () => Type.Integer({ minimum: 1 });

const SimEngineConfigSchema = Strict({
  /** JSON file `{ hosts, vms }`; null: generate `hosts` x `vmsPerHost` with `seed` */
  fleetFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  hosts: Type.Integer({ minimum: 0 }),
  vmsPerHost: Type.Integer({ minimum: 0 }),
  seed: Type.Integer(),
  /** per host NIC, bytes/s */
  linkBandwidthBps: Type.Number({ minimum: 1 }),
  downtimeLimitMs: Ms(),
  maxRounds: Pos(),
  onNoConvergence: NonConvergencePolicySchema,
  /** throttle non-converging guests as the real engines' auto-converge does */
  autoConverge: Type.Boolean(),
  setupMs: Ms(),
});
export type SimEngineConfig = Static<typeof SimEngineConfigSchema>;

const RemoteEngineConfigSchema = Strict({
  /** subject prefix the sim hypervisor serves on */
  prefix: Type.String({ minLength: 1, maxLength: 200 }),
  timeoutMs: Pos(),
  pollMs: Type.Integer({ minimum: 10 }),
});
export type RemoteEngineConfig = Static<typeof RemoteEngineConfigSchema>;

/** Settings both real engines share. */
const realEngineSettings = {
  /** migration records (and, for QEMU, VM specs, sockets and pidfiles) */
  stateDir: Type.String({ minLength: 1, maxLength: 200 }),
  /** default max bandwidth per migration, bytes/s */
  bandwidthBps: Type.Number({ minimum: 1 }),
  downtimeLimitMs: Ms(),
  /** the non-convergence policy: let the hypervisor throttle the guest's vCPUs */
  autoConverge: Type.Boolean(),
  /** give up (cancel; the VM stays on the source) after this long; null: no deadline */
  deadlineMs: Type.Union([Type.Number({ minimum: 1 }), Type.Null()]),
};

const QemuEngineConfigSchema = Strict({
  ...realEngineSettings,
  hosts: Type.Array(QemuHostSpecSchema, { maxItems: 10_000 }),
  qemuBin: Type.String({ minLength: 1 }),
  accel: Type.Enum(["tcg", "kvm"]),
  setupTimeoutMs: Pos(),
  stallTimeoutMs: Pos(),
});
export type QemuEngineConfig = Static<typeof QemuEngineConfigSchema>;

const LibvirtEngineConfigSchema = Strict({
  ...realEngineSettings,
  hosts: Type.Array(LibvirtHostSpecSchema, { maxItems: 10_000 }),
});
export type LibvirtEngineConfig = Static<typeof LibvirtEngineConfigSchema>;

/** The controller config's `engine` section. */
export const EngineConfigSchema = Strict({
  kind: Type.Enum(["sim", "remote", "qemu", "libvirt"]),
  sim: SimEngineConfigSchema,
  remote: RemoteEngineConfigSchema,
  qemu: QemuEngineConfigSchema,
  libvirt: LibvirtEngineConfigSchema,
});
export type EngineConfig = Static<typeof EngineConfigSchema>;
export type EngineKind = EngineConfig["kind"];

export const defaultEngineConfig: EngineConfig = {
  kind: "sim",
  sim: { fleetFile: null, hosts: 20, vmsPerHost: 10, seed: 1, ...SIM_ENGINE_DEFAULTS },
  remote: { prefix: DEFAULT_ENGINE_PREFIX, timeoutMs: 10_000, pollMs: 1_000 },
  qemu: {
    ...REAL_ENGINE_DEFAULTS,
    stateDir: "/var/lib/presage/qemu",
    hosts: [],
    qemuBin: QEMU_ENGINE_DEFAULTS.qemuBin,
    accel: QEMU_ENGINE_DEFAULTS.accel as QemuEngineConfig["accel"],
    setupTimeoutMs: QEMU_ENGINE_DEFAULTS.setupTimeoutMs,
    stallTimeoutMs: QEMU_ENGINE_DEFAULTS.stallTimeoutMs,
  },
  libvirt: { ...REAL_ENGINE_DEFAULTS, stateDir: "/var/lib/presage/libvirt", hosts: [] },
};

export type EngineDeps = {
  nc?: NatsConnection;
  clock: Clock;
  log: Logger;
  /** sim only: use this fleet instead of the file or generator */
  fleet?: SimFleet;
};

/** Read and validate a fleet file. */
export function loadFleet(file: string): SimFleet {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(`cannot read fleet file ${file}: ${(e as Error).message}`);
  }
  const r = validate<SimFleet>(fleetCheck, raw);
  if (!r.ok) throw new ConfigError(`invalid fleet file ${file}: ${r.error}`);
  return r.value;
}

export function simEngineFromConfig(c: SimEngineConfig, deps: EngineDeps): SimEngine {
  const fleet =
    deps.fleet ??
    (c.fleetFile ? loadFleet(c.fleetFile) : generateFleet({ hosts: c.hosts, vmsPerHost: c.vmsPerHost, seed: c.seed }));
  return new SimEngine({
    ...fleet,
    clock: deps.clock,
    seed: c.seed,
    linkBandwidthBps: c.linkBandwidthBps,
    downtimeLimitMs: c.downtimeLimitMs,
    maxRounds: c.maxRounds,
    onNoConvergence: c.onNoConvergence,
    autoConverge: c.autoConverge,
    setupMs: c.setupMs,
    log: deps.log.child({ engine: "sim" }),
  });
}

export async function createEngine(config: EngineConfig, deps: EngineDeps): Promise<MigrationEngine> {
  switch (config.kind) {
    case "sim":
      return simEngineFromConfig(config.sim, deps);
    case "remote": {
      if (!deps.nc) throw new ConfigError("engine.kind remote needs a NATS connection");
      return new RemoteEngine(deps.nc, { ...config.remote, log: deps.log.child({ engine: "remote" }) });
    }
    case "qemu": {
      if (!config.qemu.hosts.length) throw new ConfigError("engine.qemu.hosts is empty");
      const nc = deps.nc;
      return new QemuEngine({
        ...config.qemu,
        ...(nc ? { helperHost: (spec) => new QemuHelperClient(nc, spec) } : {}),
        log: deps.log.child({ engine: "qemu" }),
      });
    }
    case "libvirt": {
      if (!config.libvirt.hosts.length) throw new ConfigError("engine.libvirt.hosts is empty");
      return new LibvirtEngine({ ...config.libvirt, log: deps.log.child({ engine: "libvirt" }) });
    }
  }
}

export type * from "./engine.js";
export { LibvirtEngine, type LibvirtEngineOptions } from "./libvirt/engine.js";
export type { LibvirtHostSpec } from "./libvirt/parse.js";
export { QemuEngine, type QemuEngineOptions } from "./qemu/engine.js";
export { buildGuestImage, type GuestImageOptions } from "./qemu/guest-image.js";
export { LocalQemuHost, type QemuHostOps, type QemuHostSpec, type QemuVmSpec } from "./qemu/host.js";
export { QemuHelperClient, serveQemuHost } from "./qemu/host-client.js";
export { RemoteEngine, type RemoteEngineOptions } from "./remote/engine.js";
export { DEFAULT_ENGINE_PREFIX } from "./remote/protocol.js";
export { type EngineServer, type SimControls, serveEngine } from "./remote/server.js";
export {
  type InjectedFailure,
  type NonConvergencePolicy,
  SimEngine,
  type SimEngineOptions,
  type SimFleet,
} from "./sim/engine.js";
export { type FleetOptions, fleetCheck, generateFleet } from "./sim/fleet.js";
