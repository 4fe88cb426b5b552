/**
 * Adapts a simulated HostModel (agent/src/sim) to a SensorSource: each poll samples the model at the
 * clock's now. A model that knows its load also gets a `CPU Utilization` reading, as Lenovo XCC and
 * Dell iDRAC BMCs report one; heartbeats carry it to the controller's load balancer.
 */
import type { Clock, Reading } from "@presage/shared";
import type { HostModel } from "../sim/model.js";
import type { SensorSource } from "./source.js";

const loadOf = (m: HostModel): number | null => {
  const load = (m as { load?: unknown }).load;
  return typeof load === "number" && Number.isFinite(load) ? load : null;
};

export function simulatedSource(model: HostModel, clock: Clock, opts: { seed?: number } = {}): SensorSource {
  return {
    name: `simulated:${opts.seed ?? model.host}`,
    host: model.host,
    async poll(signal): Promise<Reading[]> {
      if (signal.aborted) throw signal.reason;
      const ts = clock.now();
      const readings = model.sample(ts);
      const load = loadOf(model);
      if (load !== null && !readings.some((r) => r.type === "utilization")) {
        const value = Math.round(Math.min(1, Math.max(0, load)) * 100);
        readings.push({ ts, host: model.host, sensor: "CPU Utilization", type: "utilization", unit: "%", value });
      }
      return readings;
    },
  };
}
