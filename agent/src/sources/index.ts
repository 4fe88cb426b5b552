/** Build the configured sources: each reports as its own `host` (default: the agent's), so one agent can poll a rack. */
import type { Clock } from "@presage/shared";
import type { AgentConfig, SimulatedSourceConfig, SourceConfig } from "../config.js";
import { createHostModel, type Fault } from "../sim/host.js";
import { freeipmiSource } from "./freeipmi.js";
import { ipmitoolSource } from "./ipmitool.js";
import { localSource } from "./local.js";
import { redfishSource } from "./redfish.js";
import { simulatedSource } from "./simulated.js";
import type { SensorSource } from "./source.js";

export type { SensorSource } from "./source.js";

/**
 * A simulated host with its faults injected. A fault may give `afterMs` (relative to the clock's
 * start) instead of an absolute `start`, so a config file need not know the simulated epoch.
 */
function simulated(c: SimulatedSourceConfig, host: string, clock: Clock): SensorSource {
  const model = createHostModel({ host, seed: c.seed, ...(c.vendor ? { vendor: c.vendor } : {}) });
  const t0 = clock.now();
  for (const f of c.faults ?? []) {
    const { afterMs, ...rest } = f as { afterMs?: number; start?: number };
    model.injectFault({ ...rest, start: rest.start ?? t0 + (afterMs ?? 0) } as Fault);
  }
  return simulatedSource(model, clock, { seed: c.seed });
}

export function buildSource(c: SourceConfig, config: AgentConfig, clock: Clock): SensorSource {
  const host = c.host ?? config.host;
  const o = { host, timeoutMs: c.timeoutMs ?? config.sourceTimeoutMs, now: () => clock.now() };
  switch (c.kind) {
    case "ipmitool":
      return ipmitoolSource(c, o);
    case "freeipmi":
      return freeipmiSource(c, o);
    case "redfish":
      return redfishSource(c, o);
    case "local":
      return localSource(o);
    case "simulated":
      return simulated(c, host, clock);
  }
}

export function buildSources(config: AgentConfig, clock: Clock): SensorSource[] {
  return config.sources.map((c) => buildSource(c, config, clock));
}

export { freeipmiSource, ipmitoolSource, localSource, redfishSource, simulatedSource };
