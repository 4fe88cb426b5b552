/** Test-only entry (`@presage/shared/testing`): fixtures for the test suites, never imported by production code. */
export { type NatsServerHandle, type StartNatsOptions, startNatsServer } from "../nats-server.js";
export { criticalFanEvent } from "./events.js";
export { type NatsEnv, natsEnv } from "./nats-env.js";
