/**
 * Engine selection from config. The controller embeds `engine: defaultEngineConfig` in its config
 * defaults and `engine: engineConfigCheck` in its config check, then calls `createEngine`.
 */
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Check, type Clock, ConfigError, check, type Logger, validate } from "@presage/shared";
import type { MigrationEngine } from "./engine.js";
import { LibvirtEngine } from "./libvirt/engine.js";
import { type LibvirtHostSpec, libvirtHostCheck } from "./libvirt/parse.js";
import { QemuEngine } from "./qemu/engine.js";
import { type QemuHostSpec, qemuHostCheck } from "./qemu/host.js";
import { QemuHelperClient } from "./qemu/host-client.js";
import { RemoteEngine } from "./remote/engine.js";
import { DEFAULT_ENGINE_PREFIX } from "./remote/protocol.js";
import { type NonConvergencePolicy, SimEngine, type SimFleet } from "./sim/engine.js";
import { fleetCheck, generateFleet } from "./sim/fleet.js";

export type SimEngineConfig = {
  /** JSON file `{ hosts, vms }`; null: generate `hosts` x `vmsPerHost` with `seed` */
  fleetFile: string | null;
  hosts: number;
  vmsPerHost: number;
  seed: number;
  /** per host NIC, bytes/s */
  linkBandwidthBps: number;
  downtimeLimitMs: number;
  maxRounds: number;
  onNoConvergence: NonConvergencePolicy;
  /** throttle non-converging guests as the real engines' auto-converge does */
  autoConverge: boolean;
  setupMs: number;
};

export type RemoteEngineConfig = {
  /** subject prefix the sim hypervisor serves on */
  prefix: string;
  timeoutMs: number;
  pollMs: number;
};

/** Settings both real engines share. */
type RealEngineConfig = {
  /** migration records (and, for QEMU, VM specs, sockets and pidfiles) */
  stateDir: string;
  /** default max bandwidth per migration, bytes/s */
  bandwidthBps: number;
  downtimeLimitMs: number;
  /** the non-convergence policy: let the hypervisor throttle the guest's vCPUs */
  autoConverge: boolean;
  /** give up (cancel; the VM stays on the source) after this long; null: no deadline */
  deadlineMs: number | null;
};

export type QemuEngineConfig = RealEngineConfig & {
  hosts: QemuHostSpec[];
  qemuBin: string;
  /** tcg or kvm */
  accel: string;
  setupTimeoutMs: number;
  stallTimeoutMs: number;
};

export type LibvirtEngineConfig = RealEngineConfig & { hosts: LibvirtHostSpec[] };

export type EngineKind = "sim" | "remote" | "qemu" | "libvirt";

export type EngineConfig = {
  kind: EngineKind;
  sim: SimEngineConfig;
  remote: RemoteEngineConfig;
  qemu: QemuEngineConfig;
  libvirt: LibvirtEngineConfig;
};

const realDefaults = {
  bandwidthBps: 1.25e9,
  downtimeLimitMs: 300,
  autoConverge: true,
  deadlineMs: 600_000,
};

export const defaultEngineConfig: EngineConfig = {
  kind: "sim",
  sim: {
    fleetFile: null,
    hosts: 20,
    vmsPerHost: 10,
    seed: 1,
    linkBandwidthBps: 1.25e9,
    downtimeLimitMs: 300,
    maxRounds: 30,
    onNoConvergence: "force",
    autoConverge: false,
    setupMs: 100,
  },
  remote: { prefix: DEFAULT_ENGINE_PREFIX, timeoutMs: 10_000, pollMs: 1_000 },
  qemu: {
    ...realDefaults,
    stateDir: "/var/lib/presage/qemu",
    hosts: [],
    qemuBin: "qemu-system-x86_64",
    accel: "tcg",
    setupTimeoutMs: 20_000,
    stallTimeoutMs: 10_000,
  },
  libvirt: { ...realDefaults, stateDir: "/var/lib/presage/libvirt", hosts: [] },
};

const realChecks = {
  stateDir: check.str({ min: 1, max: 200 }),
  bandwidthBps: check.num({ min: 1 }),
  downtimeLimitMs: check.num({ min: 0 }),
  autoConverge: check.bool(),
  deadlineMs: check.nullable(check.num({ min: 1 })),
};

export const engineConfigCheck: Check = check.obj({
  kind: check.oneOf(["sim", "remote", "qemu", "libvirt"]),
  sim: check.obj({
    fleetFile: check.nullable(check.str({ min: 1 })),
    hosts: check.int({ min: 0 }),
    vmsPerHost: check.int({ min: 0 }),
    seed: check.int(),
    linkBandwidthBps: check.num({ min: 1 }),
    downtimeLimitMs: check.num({ min: 0 }),
    maxRounds: check.int({ min: 1 }),
    onNoConvergence: check.oneOf(["force", "fail"]),
    autoConverge: check.bool(),
    setupMs: check.num({ min: 0 }),
  }),
  remote: check.obj({
    prefix: check.str({ min: 1, max: 200 }),
    timeoutMs: check.int({ min: 1 }),
    pollMs: check.int({ min: 10 }),
  }),
  qemu: check.obj({
    ...realChecks,
    hosts: check.array(qemuHostCheck, { max: 10_000 }),
    qemuBin: check.str({ min: 1 }),
    accel: check.oneOf(["tcg", "kvm"]),
    setupTimeoutMs: check.int({ min: 1 }),
    stallTimeoutMs: check.int({ min: 1 }),
  }),
  libvirt: check.obj({ ...realChecks, hosts: check.array(libvirtHostCheck, { max: 10_000 }) }),
});

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
