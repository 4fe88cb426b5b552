/** Test-only entry (`@presage/shared/testing`): fixtures for the test suites, never imported by production code. */
export {
  CLUSTER_NODE_CONFIG,
  type NatsClusterHandle,
  type NatsClusterNode,
  type StartNatsClusterOptions,
  startNatsCluster,
} from "../nats-cluster.js";
export { type NatsServerHandle, type StartNatsOptions, startNatsServer } from "../nats-server.js";
export { criticalFanEvent } from "./events.js";
export { type NatsEnv, natsEnv } from "./nats-env.js";
