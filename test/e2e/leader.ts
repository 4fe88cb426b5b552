/**
 * The real controller as the CLI, feed and security tests meet it: a SimEngine fleet, leader
 * election on (it wins at once), and the ops service, all on the caller's NATS connection.
 */
import { type Clock, type Logger, type NatsConnection, silentLogger } from "@presage/shared";
import { type ControllerConfig, controllerConfig, type DeepPartial } from "../../controller/src/config.js";
import { type Controller, createController } from "../../controller/src/controller.js";
import { SimEngine } from "../../controller/src/migration/index.js";
import type { SimFleet } from "../../controller/src/migration/sim/engine.js";
import { startOpsService } from "../../controller/src/ops/service.js";
import { poll } from "./harness.js";

export type Leader = { ctl: Controller; engine: SimEngine; stop(): Promise<void> };

export async function startLeader(o: {
  nc: NatsConnection;
  fleet: SimFleet;
  clock: Clock;
  name: string;
  config?: DeepPartial<ControllerConfig>;
  log?: Logger;
}): Promise<Leader> {
  const engine = new SimEngine({ ...o.fleet, clock: o.clock, log: silentLogger });
  const config = controllerConfig({
    leader: { enabled: true, leaseTtlMs: 2_000 },
    reconcile: { intervalMs: 1_000 },
    ...o.config,
  });
  const ctl = await createController({
    nc: o.nc,
    engine,
    config,
    clock: o.clock,
    log: o.log ?? silentLogger,
    name: o.name,
  });
  await ctl.start();
  await poll("leadership", () => ctl.isLeader());
  const ops = await startOpsService(o.nc, ctl, { log: silentLogger, role: () => ctl.opsRole() });
  return {
    ctl,
    engine,
    async stop() {
      await ops.stop();
      await ctl.stop();
      await engine.close();
    },
  };
}
