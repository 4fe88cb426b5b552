/** A real nats-server, a SimEngine fleet and a controller, torn down together. */
import { type Clock, connectNats, type NatsConnection, scaledClock, silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { type ControllerConfig, controllerConfig, type DeepPartial } from "../../src/config.js";
import { type Controller, createController } from "../../src/controller.js";
import { SimEngine, type SimFleet } from "../../src/migration/index.js";

export type Env = {
  nats: NatsServerHandle;
  nc: NatsConnection;
  engine: SimEngine;
  ctl: Controller;
  clock: Clock;
  close(): Promise<void>;
};

export async function startEnv(fleet: SimFleet, over: DeepPartial<ControllerConfig> = {}, speed = 40): Promise<Env> {
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  const clock = scaledClock(speed);
  const engine = new SimEngine({ ...fleet, clock, log: silentLogger });
  const config = controllerConfig({
    nats: { url: nats.url },
    leader: { enabled: false },
    reconcile: { intervalMs: 1_000 },
    ...over,
  });
  const ctl = await createController({ nc, engine, config, clock, log: silentLogger, name: "ctl-test" });
  await ctl.start();
  return {
    nats,
    nc,
    engine,
    ctl,
    clock,
    async close() {
      await ctl.stop();
      await engine.close();
      await nc.close();
      await nats.stop();
    },
  };
}

/** n hosts named h0.. with `perHost` 4 GiB VMs each (VM ids v<host>-<i>). */
export function smallFleet(n: number, perHost: number): SimFleet {
  const hosts = Array.from({ length: n }, (_, i) => ({ name: `h${i}`, cpuCapacity: 32, memoryMiB: 64 * 1024 }));
  const vms = hosts.flatMap((h, i) =>
    Array.from({ length: perHost }, (_, j) => ({
      id: `v${i}-${j}`,
      host: h.name,
      memoryMiB: 4096,
      vcpus: 2,
      cpuDemand: 1,
    })),
  );
  return { hosts, vms };
}
