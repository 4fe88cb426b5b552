/** Adapts a simulated HostModel (agent/src/sim) to a SensorSource: each poll samples the model at the clock's now. */
import type { Clock, Reading } from "@presage/shared";
import type { HostModel } from "../sim/model.js";
import type { SensorSource } from "./source.js";

export function simulatedSource(model: HostModel, clock: Clock, opts: { seed?: number } = {}): SensorSource {
  return {
    name: `simulated:${opts.seed ?? model.host}`,
    host: model.host,
    async poll(signal): Promise<Reading[]> {
      if (signal.aborted) throw signal.reason;
      return model.sample(clock.now());
    },
  };
}
